"""Builders the unit, integration and end-to-end tests share: records, site.yaml, content
directories, SQS messages carrying S3 notifications, and the Lambda context the handlers read."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

REGION = "us-east-1"
BASE_URL = "https://feeds.example.org/"
HOME_PAGE_URL = "https://www.example.org/"


def article(
    title: str,
    date: str = "2026-11-20",
    tags: Sequence[str] = (),
    extra: str = "",
    body: str | None = None,
) -> bytes:
    """A Markdown record: front matter with the title, date and tags (plus `extra` lines), then a body."""
    tag_list = ", ".join(json.dumps(tag) for tag in tags)
    front = f"title: {json.dumps(title)}\ndate: {date}\ntags: [{tag_list}]\n{extra}"
    return f"---\n{front}---\n{f'Body of {title}.' if body is None else body}\n".encode()


def site_yaml(title: str = "Test Site", **settings: Any) -> bytes:
    """site.yaml with a base_url and home page on example.org, UTC, and any other settings given."""
    document = {
        "title": title,
        "base_url": BASE_URL,
        "home_page_url": HOME_PAGE_URL,
        "timezone": "UTC",
        **settings,
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()


def content_dir(root: Path, site: bytes | str, records: Mapping[str, bytes | str]) -> Path:
    """A content directory: site.yaml and articles/<name> for each record (text or bytes)."""
    (root / "articles").mkdir(parents=True)
    (root / "site.yaml").write_bytes(site.encode() if isinstance(site, str) else site)
    for name, data in records.items():
        (root / "articles" / name).write_bytes(data.encode() if isinstance(data, str) else data)
    return root


def sqs_message(body: dict[str, Any]) -> dict[str, Any]:
    """One SQS message as Lambda hands it to the publish handler."""
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "handle-" + uuid.uuid4().hex,
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:feedpub-content-events",
        "awsRegion": REGION,
    }


def s3_notification(bucket: str, key: str, event_name: str = "ObjectCreated:Put") -> dict[str, Any]:
    """One S3 event notification record as S3 sends it (the key URL-encoded, spaces as '+')."""
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": datetime.now(UTC).isoformat(),
        "eventName": event_name,
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": urllib.parse.quote_plus(key, safe="/"), "sequencer": uuid.uuid4().hex[:16]},
        },
    }


@dataclass
class FakeLambdaContext:
    """What Powertools reads from a Lambda context."""

    function_name: str = "PublishFunction"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:PublishFunction"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000
