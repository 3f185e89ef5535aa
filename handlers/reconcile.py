"""ReconcileFunction, run by the schedule: `{"action": "due"}` publishes scheduled records that fell
due (every 5 minutes); `{"action": "reconcile"}` heals lost or out-of-order events (hourly)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.observability import logger, metrics, record_report, tracer
from handlers.publish import current_publisher

ACTIONS = ("due", "reconcile")


class UnknownActionError(ValueError):
    pass


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action = event.get("action") if isinstance(event, dict) else None
    if action not in ACTIONS:
        raise UnknownActionError(f"event action {action!r} is not one of {', '.join(ACTIONS)}")
    publisher = current_publisher()
    report = publisher.publish_due() if action == "due" else publisher.reconcile()
    record_report(report, action)
    result = report.to_json()
    if report.failed_keys:
        # Fail the invocation so the error alarm sees it; the next schedule tick retries anyway.
        raise RuntimeError(f"{action} could not finish: {', '.join(report.failed_keys)}")
    return result
