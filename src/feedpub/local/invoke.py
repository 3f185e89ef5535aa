"""`feedpub invoke EVENT.json`: one handler run on an event against an embedded S3 (no Docker).

The event is applied, not just handed over: the bucket is first set up as it stood just before the
event was sent, then changed the way the event says, and only then does the handler run. So each
sample event in events/ shows its own effect:

- S3 notifications (in SQS messages): the content directory is uploaded without the keys the event
  creates and published; then the created keys are uploaded and the removed keys deleted.
- `{"action": "due"}`: the content directory is uploaded and published; `due` then publishes what
  fell due since.
- `{"action": "reconcile"}`: the content directory is uploaded but never published, as if every
  upload's event had been lost; `reconcile` then finds and publishes all of it.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedpub.local.devserver import lambda_functions, load_spec
from feedpub.local.embedded import EmbeddedAws
from feedpub.local.functions import LambdaFunctions
from feedpub.local.poller import FakeLambdaContext
from feedpub.local.sync import BucketSync, local_content

REMOVED_PREFIX = "ObjectRemoved:"


class EventError(ValueError):
    """The file is not an event `feedpub invoke` can run; the message says what it is instead."""


@dataclass
class EventChange:
    """What an event says happened to the content bucket."""

    created: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    action: str | None = None


def _notifications(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The S3 records inside the SQS messages' bodies (unreadable bodies are the handler's to report)."""
    for message in event.get("Records", []):
        try:
            body = json.loads(message.get("body", ""))
        except (json.JSONDecodeError, TypeError, AttributeError):
            continue
        if isinstance(body, dict) and isinstance(body.get("Records"), list):
            yield from (record for record in body["Records"] if isinstance(record, dict))


def event_change(event: dict[str, Any]) -> EventChange:
    if "action" in event:
        return EventChange(action=str(event["action"]))
    change = EventChange()
    for record in _notifications(event):
        try:
            key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        except (KeyError, TypeError):
            continue
        target = (
            change.removed if str(record.get("eventName", "")).startswith(REMOVED_PREFIX) else change.created
        )
        if key not in target:
            target.append(key)
    return change


def check_event(event: object, actions: tuple[str, ...]) -> dict[str, Any]:
    """The event, or EventError naming what is wrong with it and what would work."""
    if not isinstance(event, dict) or not ("Records" in event or "action" in event):
        raise EventError("is neither an SQS event (Records) nor a schedule input (action)")
    if "action" in event:
        if event["action"] not in actions:
            raise EventError(f"action {event['action']!r} is not one of {', '.join(actions)}")
        return event
    records = event["Records"]
    if not isinstance(records, list):
        raise EventError("'Records' is not a list of SQS messages")
    for number, message in enumerate(records, start=1):
        if isinstance(message, dict) and message.get("eventSource") == "aws:s3":
            raise EventError(
                "is an S3 notification, but PublishFunction receives them inside SQS messages: "
                "put it in the 'body' of an SQS record as events/sqs-put-article.json does"
            )
        if not isinstance(message, dict) or not isinstance(message.get("messageId"), str):
            raise EventError(f"SQS record {number} has no 'messageId' (see events/sqs-put-article.json)")
        if not isinstance(message.get("body"), str):
            raise EventError(f"SQS record {number} has no 'body' string (see events/sqs-put-article.json)")
    return event


def point_event_at(event: dict[str, Any], bucket: str) -> dict[str, Any]:
    """The event with the bucket of every S3 notification (inside each SQS message body) set to `bucket`."""
    for message in event.get("Records", []):
        try:
            body = json.loads(message.get("body", ""))
        except json.JSONDecodeError:
            continue  # the handler reports an unreadable message itself
        if not isinstance(body, dict):
            continue
        if "Bucket" in body:  # s3:TestEvent
            body["Bucket"] = bucket
        for record in body.get("Records", []):
            if isinstance(record, dict) and isinstance(record.get("s3"), dict):
                record["s3"]["bucket"] = {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}
        message["body"] = json.dumps(body)
    return event


@dataclass
class InvokeOutcome:
    response: dict[str, Any]
    report: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)  # how the event was applied, when it matters

    @property
    def failed(self) -> bool:
        return bool(self.response.get("batchItemFailures") or self.response.get("failed_keys"))


@contextmanager
def _silenced() -> Iterator[None]:
    """No log output while the bucket is set up: only the event's own run is the command's output."""
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def invoke_once(
    event: dict[str, Any], content_dir: Path, template: Path | None, s3_port: int
) -> InvokeOutcome:
    """Run the handler `event` is for, once, against an embedded S3 holding `content_dir`
    (`template`: the SAM template to mirror; None, the one the installed functions deploy with)."""
    functions = lambda_functions()
    spec = load_spec(template or functions.template)
    aws = EmbeddedAws("127.0.0.1", s3_port)
    try:
        resources = aws.provision(spec)
        s3 = aws.client("s3")
        state_prefix = spec.publish_function.environment.get("STATE_PREFIX", "_state/")
        publisher = functions.build_publisher(
            resources.content_bucket,
            resources.publish_bucket,
            state_prefix,
            s3_client=lambda config: aws.client("s3", config=config),
        )
        functions.use_publisher(publisher)
        try:
            change = event_change(event)
            sync = BucketSync(s3, resources.content_bucket)
            local = local_content(content_dir)
            with _silenced():
                for key, path in local.items():
                    if key not in change.created:
                        sync.put(key, path.read_bytes())
                if change.action != "reconcile":
                    publisher.reconcile()
            notes = _apply(change, sync, local, content_dir)
            response = _run_handler(functions, event, resources.content_bucket, spec)
        finally:
            functions.use_publisher(None)
        return InvokeOutcome(response, _report(s3, resources.publish_bucket, state_prefix), notes)
    finally:
        aws.stop()


def _apply(change: EventChange, sync: BucketSync, local: dict[str, Path], content_dir: Path) -> list[str]:
    """Make the event's change to the bucket; notes for keys the content directory cannot supply."""
    notes = []
    for key in change.created:
        if key in local:
            sync.put(key, local[key].read_bytes())
        else:
            notes.append(
                f"{key} (created by the event) is not in {content_dir}: the bucket has no such object, "
                "so the handler treats it as deleted"
            )
    removed = [key for key in change.removed if key not in change.created]
    if removed:
        sync.delete(removed)
    notes += [
        f"{key} (removed by the event) is not in {content_dir}: there was nothing to remove"
        for key in removed
        if key not in local
    ]
    return notes


def _run_handler(
    functions: LambdaFunctions, event: dict[str, Any], content_bucket: str, spec: Any
) -> dict[str, Any]:
    if "Records" in event:
        function = spec.publish_function
        return functions.publish(point_event_at(event, content_bucket), _context(function))
    function = next(iter(spec.schedule_functions.values()))
    try:
        return functions.schedule(event, _context(function))
    except RuntimeError as exc:  # the schedule handler fails the invocation when keys failed
        return {"errorMessage": str(exc), "failed_keys": [str(exc)]}


def _context(function: Any) -> FakeLambdaContext:
    return FakeLambdaContext(function.logical_id, function.memory_mb, function.timeout_s)


def _report(s3: Any, bucket: str, state_prefix: str) -> dict[str, Any] | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=f"{state_prefix}report.json")["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    report: dict[str, Any] = json.loads(body)
    return report
