"""How the local poller turns SQS messages into Lambda batches and what it deletes afterwards."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from feedpub.local.devserver import DevOptions, DevPipeline
from feedpub.local.invoke import point_event_at
from feedpub.local.poller import lambda_record, succeeded
from tests.support.sample_site import SAMPLE_SITE

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:q"


def _records(*ids: str) -> list[dict[str, object]]:
    return [
        lambda_record({"MessageId": i, "ReceiptHandle": "h-" + i, "Body": "{}"}, QUEUE_ARN, "us-east-1")
        for i in ids
    ]


def test_messages_arrive_shaped_like_lambda_sqs_records() -> None:
    (record,) = _records("m1")
    assert record["messageId"] == "m1"
    assert record["receiptHandle"] == "h-m1"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == QUEUE_ARN


def test_reported_failures_stay_in_the_queue_and_the_rest_are_deleted() -> None:
    batch = _records("m1", "m2", "m3")
    done = succeeded(batch, {"batchItemFailures": [{"itemIdentifier": "m2"}]})
    assert [record["messageId"] for record in done] == ["m1", "m3"]


def test_a_handler_that_raised_deletes_nothing() -> None:
    assert succeeded(_records("m1", "m2"), None) == []


def test_invoke_points_sample_events_at_the_local_bucket() -> None:
    # Given a sample event naming the production bucket, and an s3:TestEvent
    put = {"Records": [{"s3": {"bucket": {"name": "prod"}, "object": {"key": "articles/a.md"}}}]}
    test_event = {"Event": "s3:TestEvent", "Bucket": "prod"}
    event = {
        "Records": [
            {"messageId": "1", "body": json.dumps(put)},
            {"messageId": "2", "body": json.dumps(test_event)},
        ]
    }
    # When pointed at the local content bucket
    bodies = [json.loads(m["body"]) for m in point_event_at(event, "feedpub-content")["Records"]]
    # Then both name it, and the key is untouched
    assert bodies[0]["Records"][0]["s3"]["bucket"]["name"] == "feedpub-content"
    assert bodies[0]["Records"][0]["s3"]["object"]["key"] == "articles/a.md"
    assert bodies[1]["Bucket"] == "feedpub-content"


def test_a_scheduled_run_waits_for_the_batch_in_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the local pipeline (not started) whose publish handler is busy with a batch
    import handlers.publish
    import handlers.reconcile

    pipeline = DevPipeline(DevOptions(content_dir=SAMPLE_SITE, port=0, s3_port=0, watch=False))
    events: list[str] = []
    batch_may_finish = threading.Event()

    def publish(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append("batch starts")
        batch_may_finish.wait(10)
        events.append("batch ends")
        return {"batchItemFailures": []}

    def reconcile(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(f"{event['action']} runs")
        return {}

    monkeypatch.setattr(handlers.publish, "lambda_handler", publish)
    monkeypatch.setattr(handlers.reconcile, "lambda_handler", reconcile)
    batch = threading.Thread(target=pipeline._publish_handler, args=({"Records": []}, None))
    batch.start()
    while not events:
        time.sleep(0.01)
    # When the schedule's due check comes during the batch
    due = threading.Thread(target=pipeline.run_schedule, args=("due",))
    due.start()
    due.join(0.3)
    # Then it waits (it would otherwise write the batch's pending outputs alongside it)
    assert events == ["batch starts"]
    # And runs as soon as the batch is done
    batch_may_finish.set()
    batch.join(10)
    due.join(10)
    assert events == ["batch starts", "batch ends", "due runs"]
