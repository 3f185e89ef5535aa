"""Poison in one batch, on moto (issue 10): the handler, S3 and SQS with a dead-letter queue.

Given a poison record, a GLACIER object, a record with a non-text key in its notification and a
hub that answers with a broken status line, in one SQS batch with good records, when the real
handler takes the batch, then the good records are published at once, the bad ones are reported
in report.json, nothing reaches the dead-letter queue, and the next site.yaml change applies.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.integration.conftest import SITE_YAML, Pipeline
from tests.support.builders import REGION, article, s3_notification

POISON = b"---\ntitle: Poison\ndate: 'Mon, 01 Jan 99999999999 00:00:00 GMT'\n---\nx\n"
HUGE_INT = ("---\ntitle: Huge\ndate: 2025-01-03\nignored: " + "9" * 5000 + "\n---\nx\n").encode()
BAD_URL = (
    b"---\ntitle: Bad URL\ndate: 2025-01-04\n"
    b"enclosure: {url: 'https://[::1', mime_type: audio/mpeg, length: 5}\n---\n"
)


@pytest.fixture
def broken_hub() -> Iterator[str]:
    """A hub that reads each request and answers with a status line no HTTP client can parse."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    connection.recv(65536)
                    connection.sendall(b"HTTP/1.1 banana\r\n\r\n")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hub"
    finally:
        stop.set()
        thread.join()
        server.close()


class Queue:
    """An SQS queue with a dead-letter queue (maxReceiveCount 1): a message the handler fails is
    not deleted, so it would be received again and then moved to the dead-letter queue."""

    def __init__(self, endpoint: str) -> None:
        self.sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
        name = uuid.uuid4().hex[:12]
        self.dlq = self.sqs.create_queue(QueueName=f"dlq-{name}")["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=self.dlq, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})
        self.url = self.sqs.create_queue(
            QueueName=f"content-{name}", Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": "60"}
        )["QueueUrl"]

    def send(self, body: dict[str, Any]) -> None:
        self.sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps(body))

    def receive(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            found += batch

    def held(self, url: str) -> int:
        """Messages in a queue, visible or in flight."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return sum(int(attributes[name]) for name in names)

    def deliver(self, pipeline: Pipeline) -> dict[str, Any]:
        """One Lambda invocation with everything in the queue, then what SQS does with its answer."""
        received = self.receive()
        event = {
            "Records": [
                {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
                for m in received
            ]
        }
        response = pipeline.invoke(event)
        failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        for message in received:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return response


def titles(pipeline: Pipeline) -> list[str]:
    return [item["title"] for item in json.loads(pipeline.public()["feed.json"])["items"]]


def test_poison_glacier_and_a_broken_hub_in_one_batch_leave_nothing_in_the_dlq(
    pipeline: Pipeline, broken_hub: str
) -> None:
    queue = Queue(pipeline.endpoint)
    # Given a site whose hub answers with a broken status line, and a batch holding good records,
    # poison records, an object in GLACIER and a key with dot segments
    pipeline.upload("site.yaml", SITE_YAML + f"hub: {broken_hub}\n".encode())
    uploads = {
        "articles/good-1.md": article("Good One", "2025-01-01", ["Film"]),
        "articles/good-2.md": article("Good Two", "2025-01-02"),
        "articles/poison.md": POISON,
        "articles/huge.md": HUGE_INT,
        "articles/bad-url.md": BAD_URL,
        "articles/../escape.md": article("Escape", "2025-01-05"),
    }
    for key, body in uploads.items():
        pipeline.upload(key, body)
    pipeline.admin.put_object(
        Bucket=pipeline.content_bucket,
        Key="articles/cold.md",
        Body=article("Cold", "2025-01-06"),
        StorageClass="GLACIER",
    )
    for key in ["site.yaml", *uploads, "articles/cold.md"]:
        queue.send({"Records": [s3_notification(pipeline.content_bucket, key, "ObjectCreated:Put")]})
    # When the handler takes the batch
    response = queue.deliver(pipeline)
    # Then no message fails, the good records are in the feeds at once, and every bad one is reported
    assert response == {"batchItemFailures": []}
    assert titles(pipeline) == ["Good Two", "Good One"]
    reasons = {entry["path"]: entry["reason"] for entry in pipeline.report()["rejected"]}
    assert set(reasons) == {
        "articles/poison.md",
        "articles/huge.md",
        "articles/bad-url.md",
        "articles/../escape.md",
        "articles/cold.md",
    }
    assert reasons["articles/cold.md"].startswith(
        "cannot be read: the object is in the GLACIER storage class"
    )
    assert reasons["articles/bad-url.md"].startswith("enclosure url 'https://[::1' is not a usable URL")
    # And every message was deleted: none is left to be retried or to reach the dead-letter queue
    assert queue.held(queue.url) == 0
    assert queue.held(queue.dlq) == 0
    # And one CloudFront invalidation was made for the run (the hub's failure did not make a second)
    assert pipeline.invalidations() == 1

    # When site.yaml changes next (a rebuild reads every record, the GLACIER one included)
    pipeline.upload("site.yaml", SITE_YAML.replace(b"Integration Site", b"Renamed Site"))
    queue.send({"Records": [s3_notification(pipeline.content_bucket, "site.yaml", "ObjectCreated:Put")]})
    assert queue.deliver(pipeline) == {"batchItemFailures": []}
    # Then it applies, the bad records stay reported, and the dead-letter queue stays empty
    assert json.loads(pipeline.public()["feed.json"])["title"] == "Renamed Site"
    assert titles(pipeline) == ["Good Two", "Good One"]
    assert "articles/cold.md" in {entry["path"] for entry in pipeline.report()["rejected"]}
    assert queue.held(queue.url) == 0
    assert queue.held(queue.dlq) == 0


def test_a_message_whose_key_is_not_text_fails_alone(pipeline: Pipeline) -> None:
    # Given a batch where one notification's key is a number and another's is null
    pipeline.upload("site.yaml", SITE_YAML)
    pipeline.upload("articles/good.md", article("Good", "2025-01-01"))
    event = pipeline.event(["site.yaml", "articles/good.md"])
    for bad_key in (42, None):
        notification = s3_notification(pipeline.content_bucket, "articles/x.md", "ObjectCreated:Put")
        notification["s3"]["object"]["key"] = bad_key
        event["Records"].append(
            {
                **event["Records"][0],
                "messageId": f"bad-{bad_key}",
                "body": json.dumps({"Records": [notification]}),
            }
        )
    # When the handler takes it, Then only those two messages fail and the good article is published
    response = pipeline.invoke(event)
    assert response == {"batchItemFailures": [{"itemIdentifier": "bad-42"}, {"itemIdentifier": "bad-None"}]}
    assert titles(pipeline) == ["Good"]
