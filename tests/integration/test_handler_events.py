"""The sample events in events/ (as `sam local invoke -e` uses them), replayed through the real handler
against the sample site in content/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Pipeline
from tests.support.builders import article
from tests.support.sample_site import SAMPLE_SITE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_BUCKET = "feedpub-content-example"


def sample_event(name: str, bucket: str) -> dict[str, Any]:
    """An events/ file with the content bucket of this test in place of the example's."""
    return json.loads((ROOT / "events" / name).read_text(encoding="utf-8").replace(EXAMPLE_BUCKET, bucket))


@pytest.fixture
def sample_site(pipeline: Pipeline) -> Pipeline:
    content = SAMPLE_SITE
    for path in sorted(content.rglob("*")):
        if path.is_file():
            pipeline.upload(path.relative_to(content).as_posix(), path.read_bytes())
    pipeline.upload("articles/2026/café notes.md", article("Café Notes", "2024-07-01", ["Notes"]))
    return pipeline


def test_sample_batch_publishes_the_sample_site(sample_site: Pipeline) -> None:
    # Given the sample site, When the sample batch arrives (puts, multipart, delete marker, site.yaml)
    response = sample_site.invoke(sample_event("sqs-batch.json", sample_site.content_bucket))
    # Then no message fails and the feeds equal a from-scratch build of the bucket
    assert response == {"batchItemFailures": []}
    sample_site.assert_matches_build()
    assert "Café Notes".encode() in sample_site.public()["feed.json"]


def test_sample_delete_and_test_events(sample_site: Pipeline) -> None:
    sample_site.invoke(sample_event("sqs-batch.json", sample_site.content_bucket))
    # When the Ballerina article is deleted and its sample delete event arrives
    sample_site.remove("articles/ballerina-john-wick-spinoff.md")
    response = sample_site.invoke(sample_event("sqs-delete-article.json", sample_site.content_bucket))
    # Then it leaves the feeds
    assert response == {"batchItemFailures": []}
    sample_site.assert_matches_build()
    assert b"Getting Into the John Wick World" not in sample_site.public()["feed.xml"]
    # And the s3:TestEvent changes nothing
    before = sample_site.public()
    assert sample_site.invoke(sample_event("sqs-test-event.json", sample_site.content_bucket)) == {
        "batchItemFailures": []
    }
    assert sample_site.public() == before
