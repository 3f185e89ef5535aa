"""Errors that name the thing at fault and the reason, as authors see them."""

from __future__ import annotations


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
