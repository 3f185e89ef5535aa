"""Integration fixtures: an embedded S3 + CloudFront (moto server on 127.0.0.1) and a wired handler.

A real HTTP server rather than `mock_aws`: conditional writes, retries and fault injection
then travel the same botocore path they do against AWS.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import boto3
import handlers.publish
import pytest
from bench.support import moto_server
from botocore.config import Config
from handlers.publish import CLIENT_CONFIG, build_publisher
from handlers.settings import Settings

from feedpub import build, records
from feedpub.config import parse_site
from feedpub.errors import RecordError
from feedpub.podcast.media import MediaInfo, inspect
from tests.support.builders import REGION, FakeLambdaContext, s3_notification, site_yaml, sqs_message
from tests.support.counting import RequestCounter

STATE_PREFIX = "_state/"
_names = itertools.count()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_METRICS_NAMESPACE": "feedpub-tests",
    }.items():
        monkeypatch.setenv(name, value)


class Pipeline:
    """Two buckets, a CloudFront distribution and the real handler wired to them."""

    def __init__(self, endpoint: str, s3_config: Config = CLIENT_CONFIG) -> None:
        suffix = next(_names)
        self.content_bucket = f"content-{suffix}-{uuid.uuid4().hex[:8]}"
        self.publish_bucket = f"publish-{suffix}-{uuid.uuid4().hex[:8]}"
        self.endpoint = endpoint
        self.admin = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
        self.s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION, config=s3_config)
        self.cloudfront = boto3.client("cloudfront", endpoint_url=endpoint, region_name=REGION)
        for bucket in (self.content_bucket, self.publish_bucket):
            self.admin.create_bucket(Bucket=bucket)
        self.distribution_id = self._create_distribution()
        self.settings = Settings(
            content_bucket=self.content_bucket,
            publish_bucket=self.publish_bucket,
            distribution_id=self.distribution_id,
            state_prefix=STATE_PREFIX,
        )
        self.counter = RequestCounter().attach(self.s3.meta.events)
        self.publisher = build_publisher(self.settings, s3_client=self.s3, cf_client=self.cloudfront)
        handlers.publish.use_publisher(self.publisher)

    def _create_distribution(self) -> str:
        origin = f"{self.publish_bucket}.s3.amazonaws.com"
        config = {
            "CallerReference": uuid.uuid4().hex,
            "Comment": "feedpub tests",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "publish", "DomainName": origin}]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "publish",
                "ViewerProtocolPolicy": "redirect-to-https",
            },
        }
        return self.cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]

    # -- authors' side ---------------------------------------------------------------------

    def upload(self, key: str, body: bytes) -> None:
        self.admin.put_object(Bucket=self.content_bucket, Key=key, Body=body)

    def remove(self, key: str) -> None:
        self.admin.delete_object(Bucket=self.content_bucket, Key=key)

    def event(self, keys: Sequence[str], event_name: str = "ObjectCreated:Put") -> dict[str, Any]:
        """An SQS batch with one S3 notification message per key, as the queue delivers them."""
        notifications = [
            sqs_message({"Records": [s3_notification(self.content_bucket, key, event_name)]}) for key in keys
        ]
        return {"Records": notifications}

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        return handlers.publish.lambda_handler(event, FakeLambdaContext())  # type: ignore[arg-type]

    def publish(self, *keys: str) -> dict[str, Any]:
        return self.invoke(self.event(keys))

    # -- what readers see --------------------------------------------------------------------

    def public(self) -> dict[str, bytes]:
        outputs = {}
        for key in self._keys(self.publish_bucket):
            if not key.startswith(STATE_PREFIX):
                outputs[key] = self.admin.get_object(Bucket=self.publish_bucket, Key=key)["Body"].read()
        return outputs

    def head(self, key: str) -> dict[str, Any]:
        return self.admin.head_object(Bucket=self.publish_bucket, Key=key)

    def report(self) -> dict[str, Any]:
        body = self.admin.get_object(Bucket=self.publish_bucket, Key=STATE_PREFIX + "report.json")["Body"]
        return json.loads(body.read())

    def invalidations(self) -> int:
        listing = self.cloudfront.list_invalidations(DistributionId=self.distribution_id)["InvalidationList"]
        return int(listing.get("Quantity", 0))

    def expected(self, now: datetime | None = None) -> dict[str, bytes]:
        """The outputs a from-scratch build of the content bucket produces."""
        site = parse_site(self.admin.get_object(Bucket=self.content_bucket, Key="site.yaml")["Body"].read())
        loaded = []
        for key in self._keys(self.content_bucket):
            if not records.is_record_path(key):
                continue
            data = self.admin.get_object(Bucket=self.content_bucket, Key=key)["Body"].read()
            try:
                loaded.append(records.parse_record(key, data, site))
            except RecordError:
                continue
        attached, _ = build.attach_media(loaded, site, self._media_info, "the content bucket")
        result = build.render_site(site, attached, now or datetime.now(UTC))
        media = {key: self._body(self.content_bucket, key) for key in result.media}
        return {**result.outputs, **media}

    def _media_info(self, key: str) -> MediaInfo | None:
        if key not in self._keys(self.content_bucket):
            return None
        data = self._body(self.content_bucket, key)
        return inspect(key, len(data), "", lambda start, end: data[start : end + 1])

    def _body(self, bucket: str, key: str) -> bytes:
        return bytes(self.admin.get_object(Bucket=bucket, Key=key)["Body"].read())

    def assert_matches_build(self) -> None:
        public, expected = self.public(), self.expected()
        assert sorted(public) == sorted(expected)
        for path, body in expected.items():
            assert public[path] == body, f"{path} differs from a from-scratch build"

    def _keys(self, bucket: str) -> list[str]:
        paginator = self.admin.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


@pytest.fixture
def pipeline(moto_endpoint: str) -> Iterator[Pipeline]:
    wired = Pipeline(moto_endpoint)
    try:
        yield wired
    finally:
        handlers.publish.use_publisher(None)


SITE_YAML = site_yaml("Integration Site", feed_limit=5)
