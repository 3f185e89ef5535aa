"""S3 faults below botocore's retries (503 SlowDown, 500, connection reset, read timeout):
a publish completes, or fails its batch items and leaves no output in a state that is
neither the previous one nor the new one; redelivery after the faults stop converges."""

from __future__ import annotations

import random

import pytest

from tests.integration.conftest import SITE_YAML, Pipeline
from tests.support.builders import article
from tests.support.faults import FaultInjector, skip_backoff

KEYS = [f"articles/post-{n:02d}.md" for n in range(8)]
TAGS = ("Film", "News", "Reviews")


@pytest.fixture
def site(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    skip_backoff(monkeypatch)
    pipeline.upload("site.yaml", SITE_YAML)
    for key in KEYS:
        pipeline.upload(key, article(key, "2024-01-01", ["Film"]))
    assert pipeline.publish(*KEYS) == {"batchItemFailures": []}
    return pipeline


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.7])
def test_faulty_s3_never_leaves_a_broken_feed_and_redelivery_converges(site: Pipeline, rate: float) -> None:
    rng = random.Random(int(rate * 100))
    faults = FaultInjector(rate, seed=int(rate * 100)).attach(site.s3.meta.events)
    outcomes = {"completed": 0, "failed": 0}
    for _ in range(10):
        # Given a change made by an author
        key = rng.choice(KEYS)
        if rng.random() < 0.25:
            site.remove(key)
        else:
            site.upload(key, article(f"{key} {rng.random()}", "2024-03-01", rng.sample(TAGS, 2)))
        before, expected = site.public(), site.expected()
        # When the handler runs while S3 misbehaves
        faults.active = True
        response = site.publish(key)
        faults.active = False
        now = site.public()
        if not response["batchItemFailures"]:
            # Then either the publish completed: exactly the from-scratch build
            outcomes["completed"] += 1
            assert now == expected
            continue
        # Or the batch item failed, and every output is its previous or its new version, never else
        outcomes["failed"] += 1
        for path in before.keys() | expected.keys() | now.keys():
            assert now.get(path) in (before.get(path), expected.get(path)), path
        # And once the faults stop, SQS redelivery converges to the from-scratch build
        assert site.publish(key) == {"batchItemFailures": []}
        assert site.public() == expected
    assert faults.total > 0
    assert sum(outcomes.values()) == 10


def test_unreadable_record_is_never_treated_as_deleted(site: Pipeline) -> None:
    # Given a published article whose new version cannot be read (every GET of it times out or 5xx)
    before = site.public()
    site.upload(KEYS[0], article("Unreadable update", "2024-05-01"))
    faults = FaultInjector(1.0, url_contains=KEYS[0]).attach(site.s3.meta.events)
    # When its event is handled
    response = site.publish(KEYS[0])
    # Then the message fails (to be retried) and the published feeds are exactly as they were
    assert len(response["batchItemFailures"]) == 1
    assert site.public() == before
    faults.active = False
    assert site.publish(KEYS[0]) == {"batchItemFailures": []}
    site.assert_matches_build()
