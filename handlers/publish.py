"""PublishFunction: an SQS batch of S3 event notifications → one incremental publish.

All keys of the batch are coalesced into ONE `Publisher.apply`; then each message
succeeds or fails on its own (ReportBatchItemFailures): a message fails iff it cannot be
parsed or one of its keys is in the report's `failed_keys`. A rejected record is not a
failure: it is reported, and retrying it would only loop. A rebuild (a site.yaml change that
needs every record, a lost state) is started on RebuildStateMachine when the environment names
it, and runs in this process otherwise (`feedpub dev`).
"""

from __future__ import annotations

from handlers.startup import collection_paused

with collection_paused():  # a cold start imports all of this once: see handlers/startup.py
    import json
    import threading
    import urllib.parse
    from typing import Any

    import boto3
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from botocore.config import Config

    from feedpub.publish import CloudFrontInvalidator, Publisher, PublishReport, S3Store
    from feedpub.publish.rebuild import LocalRebuilds, StepFunctionsRebuilds
    from handlers.observability import logger, metrics, record_report, tracer
    from handlers.settings import Settings

# Standard retries (exponential backoff with jitter, 6 attempts): adaptive mode's client-side rate
# limiter would stall every worker thread of a run after one SlowDown.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 6},
    connect_timeout=3,
    read_timeout=10,
    max_pool_connections=32,
)
TEST_EVENT = "s3:TestEvent"


class UnreadableMessageError(ValueError):
    """An SQS message whose body is not an S3 event notification."""


# Parts of a rebuild run at once when it runs in this process (`feedpub dev`): each reads with
# the publisher's own pool of threads.
LOCAL_REBUILD_WORKERS = 4


def build_publisher(
    settings: Settings, s3_client: Any = None, cf_client: Any = None, sfn_client: Any = None
) -> Publisher:
    """The publisher for these settings; clients default to boto3's (which honour AWS_ENDPOINT_URL*)."""
    s3 = s3_client or boto3.client("s3", config=CLIENT_CONFIG)
    cdn = None
    if settings.distribution_id:
        cloudfront = cf_client or boto3.client("cloudfront", config=CLIENT_CONFIG)
        cdn = CloudFrontInvalidator(cloudfront, settings.distribution_id)
    rebuilds: LocalRebuilds | StepFunctionsRebuilds = LocalRebuilds(LOCAL_REBUILD_WORKERS)
    if settings.rebuild_state_machine:
        rebuilds = StepFunctionsRebuilds(settings.rebuild_state_machine, sfn_client, CLIENT_CONFIG)
    return Publisher(
        content=S3Store(s3, settings.content_bucket),
        output=S3Store(s3, settings.publish_bucket),
        cdn=cdn,
        state_prefix=settings.state_prefix,
        rebuilds=rebuilds,
    )


_publisher: Publisher | None = None
_publisher_lock = threading.Lock()


def current_publisher() -> Publisher:
    """The process-wide publisher, built from the environment on first use (clients reused across calls)."""
    global _publisher
    with _publisher_lock:
        if _publisher is None:
            with collection_paused():
                _publisher = build_publisher(Settings.from_env())
        return _publisher


def use_publisher(publisher: Publisher | None) -> None:
    """Make every handler use this publisher (tests, local pipeline); None: build it from the environment."""
    global _publisher
    with _publisher_lock:
        _publisher = publisher


def message_keys(body: object) -> list[str]:
    """The content keys an S3 event notification names ([] for s3:TestEvent)."""
    if not isinstance(body, str):
        raise UnreadableMessageError("message body is not text")
    try:
        notification = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, a number over 4,300 digits, deep nesting
        raise UnreadableMessageError(f"message body is not JSON: {' '.join(str(exc).split())[:200]}") from exc
    if not isinstance(notification, dict):
        raise UnreadableMessageError("message body is not a JSON object")
    if notification.get("Event") == TEST_EVENT:
        return []
    records = notification.get("Records")
    if not isinstance(records, list):
        raise UnreadableMessageError("message body has no S3 'Records' list")
    keys = []
    for record in records:
        try:
            raw_key = record["s3"]["object"]["key"]
        except (KeyError, TypeError, IndexError) as exc:
            raise UnreadableMessageError("an S3 record has no s3.object.key") from exc
        if not isinstance(raw_key, str) or not raw_key:
            raise UnreadableMessageError(f"s3.object.key is {type(raw_key).__name__}, not a key")
        keys.append(urllib.parse.unquote_plus(raw_key))  # S3 URL-encodes keys in notifications
    return keys


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    messages = event.get("Records", [])
    if messages:
        logger.set_correlation_id(messages[0].get("messageId"))
    metrics.add_metric(name="MessagesReceived", unit=MetricUnit.Count, value=len(messages))
    keys_of: dict[str, list[str]] = {}
    unreadable: set[str] = set()
    for message in messages:
        try:
            keys_of[message["messageId"]] = message_keys(message.get("body", ""))
        except UnreadableMessageError as exc:
            # Only this message fails (and after maxReceiveCount goes to the DLQ); its batch goes on.
            unreadable.add(message["messageId"])
            logger.error("unreadable message", extra={"message_id": message["messageId"], "reason": str(exc)})
    keys = sorted({key for message_keys_ in keys_of.values() for key in message_keys_})
    failed: set[str] = set()
    if keys:
        report = _publish(keys)
        record_report(report, "apply", keys)
        failed = set(report.failed_keys)

    # ReportBatchItemFailures: each message fails alone, when unreadable or when a key it names
    # was not published (SQS then delivers just those again, and after maxReceiveCount, the DLQ).
    retry = [
        message["messageId"]
        for message in messages
        if message["messageId"] in unreadable or failed.intersection(keys_of.get(message["messageId"], []))
    ]
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in retry]}


@tracer.capture_method
def _publish(keys: list[str]) -> PublishReport:
    return current_publisher().apply(keys)
