"""The embedded S3 + SQS that `feedpub dev` runs: moto in a child process, with the SQS speedups.

The speedups replace parts of moto's SQS model, so these tests pin the queue behaviour the local
pipeline relies on (retention, visibility timeout, redelivery) with the replacements installed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends

from feedpub.local import moto_speedups
from feedpub.local.moto_process import MotoProcess
from tests.support.ports import port_is_free, wait_until_free

REGION = "us-east-1"


@pytest.fixture
def sqs() -> Iterator[Any]:
    moto_speedups.apply()
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def _queue(sqs: Any, **attributes: str) -> str:
    return str(sqs.create_queue(QueueName="speedups", Attributes=attributes)["QueueUrl"])


def _bodies(sqs: Any, url: str, **kwargs: Any) -> list[str]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **kwargs).get("Messages", [])
    return sorted(message["Body"] for message in messages)


def test_given_a_message_older_than_the_retention_period_then_it_is_never_delivered(sqs: Any) -> None:
    url = _queue(sqs, MessageRetentionPeriod="60")
    sqs.send_message(QueueUrl=url, MessageBody="fresh")
    sqs.send_message(QueueUrl=url, MessageBody="expired")
    # Given the second message was sent two minutes ago (the queue keeps messages one minute)
    expired = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues["speedups"]._messages[1]
    expired.sent_timestamp -= 120_000
    # When the queue is read, then the fresh message comes back and the expired one never does
    assert _bodies(sqs, url) == ["fresh"]
    assert _bodies(sqs, url) == []


def test_given_a_received_message_then_it_is_hidden_until_its_visibility_timeout_then_delivered_again(
    sqs: Any,
) -> None:
    url = _queue(sqs, VisibilityTimeout="1")
    sqs.send_message(QueueUrl=url, MessageBody="post")
    assert _bodies(sqs, url) == ["post"]
    # While it is in flight nobody else gets it
    assert _bodies(sqs, url) == []
    # After the timeout, it is delivered again, with its receive count raised
    time.sleep(1.2)
    again = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert [message["Body"] for message in again] == ["post"]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_given_a_delayed_message_then_it_is_not_delivered_before_its_delay(sqs: Any) -> None:
    url = _queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert _bodies(sqs, url) == []
    time.sleep(1.2)
    assert _bodies(sqs, url) == ["later"]


def _counts(sqs: Any, url: str) -> tuple[int, int, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    names.append("ApproximateNumberOfMessagesDelayed")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return tuple(int(attributes[name]) for name in names)  # type: ignore[return-value]


def test_given_messages_waiting_in_flight_and_delayed_then_the_queue_counts_each(sqs: Any) -> None:
    # Given three messages waiting, one of which is then received, and one delayed
    url = _queue(sqs, VisibilityTimeout="30")
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=30)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
    # Then the queue reports 2 waiting, 1 in flight and 1 delayed (what `bench` and the console read)
    assert _counts(sqs, url) == (2, 1, 1)


def test_given_a_deleted_message_then_it_never_comes_back_and_deleting_it_again_is_harmless(sqs: Any) -> None:
    # Given two messages received with a short visibility timeout, and the first deleted
    url = _queue(sqs, VisibilityTimeout="1")
    sqs.send_message(QueueUrl=url, MessageBody="first")
    sqs.send_message(QueueUrl=url, MessageBody="second")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    by_body = {message["Body"]: message["ReceiptHandle"] for message in received}
    sqs.delete_message(QueueUrl=url, ReceiptHandle=by_body["first"])
    # When it is deleted again, then that is not an error
    sqs.delete_message(QueueUrl=url, ReceiptHandle=by_body["first"])
    # And after the visibility timeout only the message that was not deleted is delivered again
    time.sleep(1.2)
    assert _bodies(sqs, url) == ["second"]
    # And a receipt handle the queue never gave out is refused
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")


def test_given_a_fifo_queue_with_content_deduplication_then_a_repeated_body_is_kept_once(sqs: Any) -> None:
    # Given a FIFO queue that deduplicates by content (SendMessage reads that setting while sending)
    url = str(
        sqs.create_queue(
            QueueName="speedups.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
        )["QueueUrl"]
    )
    # When the same body is sent twice
    for _ in range(2):
        sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    # Then it is queued once
    assert _bodies(sqs, url) == ["same"]
    assert _counts(sqs, url) == (0, 1, 0)


def test_given_the_embedded_server_when_stopped_then_its_port_is_released() -> None:
    server = MotoProcess("127.0.0.1", 0)
    port = int(server.endpoint.rsplit(":", 1)[1])
    credentials = {"aws_access_key_id": "t", "aws_secret_access_key": "t"}
    s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name=REGION, **credentials)
    s3.create_bucket(Bucket="alive")
    assert [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]] == ["alive"]
    server.stop()
    assert wait_until_free(port)


def test_given_the_embedded_server_when_reset_again_and_again_then_each_reset_empties_it() -> None:
    # Given the embedded server (its backend look-ups short-cut for known accounts)
    server = MotoProcess("127.0.0.1", 0)
    credentials = {"aws_access_key_id": "t", "aws_secret_access_key": "t"}
    s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name=REGION, **credentials)
    reset = urllib.request.Request(f"{server.endpoint}/moto-api/reset", method="POST")
    try:
        for bucket in ("first-life", "second-life", "third-life"):
            # When a bucket is made and the server reset
            s3.create_bucket(Bucket=bucket)
            assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [bucket]
            urllib.request.urlopen(reset).close()
            # Then it is gone: every reset still reaches the S3 backend made after the last one
            assert s3.list_buckets()["Buckets"] == []
    finally:
        server.stop()


def test_given_a_port_in_use_when_the_server_starts_then_it_fails_at_once_naming_the_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError, match=f"did not start on 127.0.0.1:{port}"):
            MotoProcess("127.0.0.1", port)


def test_given_the_parent_is_killed_then_the_embedded_server_exits_too() -> None:
    # Given a process that started the embedded server and then died without stopping it
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nfrom feedpub.local.moto_process import MotoProcess\n"
            "server = MotoProcess('127.0.0.1', 0)\nprint(server.endpoint, flush=True)\ntime.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        port = int(parent.stdout.readline().strip().rsplit(":", 1)[1])
        assert not port_is_free(port)
        os.kill(parent.pid, signal.SIGKILL)
    finally:
        parent.kill()
        parent.wait()
    # Then the server does not outlive it: its port is released
    assert wait_until_free(port)
