"""Errors that name the thing at fault and the reason, as authors see them."""

from __future__ import annotations

import sys
from typing import NamedTuple


class FeedpubError(Exception):
    """Base class for every error feedpub reports to a person."""


class SiteConfigError(FeedpubError):
    """site.yaml is missing or invalid: nothing can be published."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason

    def __reduce__(self) -> tuple[type[SiteConfigError], tuple[str, str]]:
        return (SiteConfigError, (self.source, self.reason))


class RecordError(FeedpubError):
    """One article record cannot be published; the rest still can."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"REJECTED {path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type[RecordError], tuple[str, str]]:
        # Rejections cross process boundaries (the build's parser pool): pickle the two fields.
        return (RecordError, (self.path, self.reason))


def describe_failure(exc: BaseException) -> str:
    """A one-line reason for an exception raised while reading or rendering something an author wrote."""
    if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        return f"a number has more than {sys.get_int_max_str_digits()} digits"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    if isinstance(exc, MemoryError):
        return "it needs more memory than is available"
    if isinstance(exc, OverflowError):
        return f"a value is too large ({_brief(exc)})"
    return f"{_brief(exc)} ({type(exc).__name__})"


def describe_value(value: object, limit: int = 80) -> str:
    """`value` as text for a message: never raises (a number too long to print), never too long."""
    try:
        text = str(value)
    except ValueError:  # an integer over Python's conversion limit (YAML reads 0x... without one)
        return f"a number of more than {sys.get_int_max_str_digits()} digits"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _brief(exc: BaseException, limit: int = 160) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    return message if len(message) <= limit else message[: limit - 1] + "…"


class RecordWarning(NamedTuple):
    """Something in a record was ignored or guessed; the record is still published."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"WARN {self.path}: {self.reason}"
