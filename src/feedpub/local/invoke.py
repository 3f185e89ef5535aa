"""`feedpub invoke EVENT.json`: one handler run on a sample event against an embedded S3 (no Docker)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedpub.infra_spec import TemplateError, load_pipeline_spec
from feedpub.local.devserver import DevSetupError
from feedpub.local.embedded import EmbeddedAws
from feedpub.local.poller import FakeLambdaContext
from feedpub.local.sync import BucketSync


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
    published: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.response.get("batchItemFailures") or self.response.get("failed_keys"))

    def summary(self) -> str:
        lines = [f"published objects ({len(self.published)}):", *(f"  {key}" for key in self.published)]
        if self.report is not None:
            lines += ["report (_state/report.json):", json.dumps(self.report, indent=2)]
        return "\n".join(lines)


def invoke_once(event: dict[str, Any], content_dir: Path, template: Path, s3_port: int) -> InvokeOutcome:
    try:
        spec = load_pipeline_spec(template)
    except TemplateError as exc:
        raise DevSetupError(str(exc)) from exc
    aws = EmbeddedAws("127.0.0.1", s3_port)
    try:
        resources = aws.provision(spec)
        s3 = aws.client("s3")
        BucketSync(s3, resources.content_bucket).run(content_dir, delete=False, stream=io.StringIO())
        from handlers.publish import CLIENT_CONFIG, build_publisher, use_publisher
        from handlers.settings import Settings

        state_prefix = spec.publish_function.environment.get("STATE_PREFIX", "_state/")
        settings = Settings(
            content_bucket=resources.content_bucket,
            publish_bucket=resources.publish_bucket,
            state_prefix=state_prefix,
        )
        use_publisher(build_publisher(settings, s3_client=aws.client("s3", config=CLIENT_CONFIG)))
        try:
            response = _run_handler(event, resources.content_bucket, spec)
        finally:
            use_publisher(None)
        return InvokeOutcome(
            response,
            _report(s3, resources.publish_bucket, state_prefix),
            _published(s3, resources.publish_bucket, state_prefix),
        )
    finally:
        aws.stop()


def _run_handler(event: dict[str, Any], content_bucket: str, spec: Any) -> dict[str, Any]:
    if "Records" in event:
        from handlers.publish import lambda_handler

        function = spec.publish_function
        return dict(lambda_handler(point_event_at(event, content_bucket), _context(function)))
    from handlers.reconcile import lambda_handler as schedule_handler

    function = next(iter(spec.schedule_functions.values()))
    try:
        return dict(schedule_handler(event, _context(function)))
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


def _published(s3: Any, bucket: str, state_prefix: str) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys += [
            entry["Key"] for entry in page.get("Contents", []) if not entry["Key"].startswith(state_prefix)
        ]
    return sorted(keys)
