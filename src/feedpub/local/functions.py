"""The Lambda functions the local pipeline runs, found without the engine importing them.

`feedpub dev` and `feedpub invoke` run the very handlers the stack deploys. The handlers depend on
the engine, never the other way round: the distribution that ships them registers an object with
the interface below under the entry point group `feedpub.functions` (pyproject.toml names
`handlers.local:FUNCTIONS`), and the local pipeline asks for it here, when it starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from feedpub.publish import Publisher, PublishReport

GROUP = "feedpub.functions"

# Called after each handler run with its report, the action ("apply", "due", "reconcile") and the keys.
ReportListener = Callable[[PublishReport, str, Sequence[str]], None]


class FunctionsMissingError(Exception):
    """No Lambda functions are registered: the handlers are not installed beside the engine."""


class LambdaFunctions(Protocol):
    """The deployed functions, as the local pipeline drives them."""

    template: Path  # the SAM template the functions are deployed with, which the pipeline mirrors
    schedule_actions: tuple[str, ...]  # the actions the schedule handler takes ({"action": ...})

    def build_publisher(
        self, content_bucket: str, publish_bucket: str, state_prefix: str, s3_client: Callable[[Any], Any]
    ) -> Publisher:
        """The publisher the handlers would build for these buckets; `s3_client(config)` makes the
        S3 client with the handlers' botocore config."""
        ...

    def use_publisher(self, publisher: Publisher | None) -> None:
        """Make both handlers use this publisher (None: back to building one from the environment)."""
        ...

    def publish(self, event: dict[str, Any], context: Any) -> dict[str, Any]: ...

    def schedule(self, event: dict[str, Any], context: Any) -> dict[str, Any]: ...

    def add_report_listener(self, listener: ReportListener) -> None: ...

    def remove_report_listener(self, listener: ReportListener) -> None: ...

    def structured_log_handler(self) -> logging.Handler:
        """The handler the functions' structured (JSON) logs go through."""
        ...


def load_functions() -> LambdaFunctions:
    """The registered functions, or FunctionsMissingError saying how to install them."""
    found = list(entry_points(group=GROUP))
    if not found:
        raise FunctionsMissingError(
            "the Lambda handlers are not installed beside feedpub (no `feedpub.functions` entry point): "
            "reinstall the project, e.g. `pip install -e '.[local]'` or `make dev`"
        )
    functions: LambdaFunctions = found[0].load()
    return functions
