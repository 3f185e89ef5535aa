"""The handlers as `feedpub dev` and `feedpub invoke` run them (feedpub.local.functions).

Registered as the entry point `feedpub.functions` in pyproject.toml, so the engine's local
pipeline finds them without importing this package. Nothing here runs on Lambda.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from feedpub.publish import Publisher


class LocalFunctions:
    """PublishFunction and ReconcileFunction, wired to the buckets the local pipeline gives them."""

    template = Path(__file__).resolve().parents[1] / "template.yaml"

    @property
    def schedule_actions(self) -> tuple[str, ...]:
        from handlers.reconcile import ACTIONS

        return ACTIONS

    def build_publisher(
        self, content_bucket: str, publish_bucket: str, state_prefix: str, s3_client: Callable[[Any], Any]
    ) -> Publisher:
        from handlers.publish import CLIENT_CONFIG, build_publisher
        from handlers.settings import Settings

        settings = Settings(
            content_bucket=content_bucket, publish_bucket=publish_bucket, state_prefix=state_prefix
        )
        return build_publisher(settings, s3_client=s3_client(CLIENT_CONFIG))

    def use_publisher(self, publisher: Publisher | None) -> None:
        from handlers.publish import use_publisher

        use_publisher(publisher)

    def publish(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        from handlers.publish import lambda_handler

        return dict(lambda_handler(event, context))

    def schedule(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        from handlers.reconcile import lambda_handler

        return dict(lambda_handler(event, context))

    def add_report_listener(self, listener: Any) -> None:
        from handlers.observability import add_report_listener

        add_report_listener(listener)

    def remove_report_listener(self, listener: Any) -> None:
        from handlers.observability import remove_report_listener

        remove_report_listener(listener)

    def structured_log_handler(self) -> logging.Handler:
        from handlers.observability import logger

        return logger.registered_handler


FUNCTIONS = LocalFunctions()
