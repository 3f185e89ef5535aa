"""The one-line messages of `feedpub publish` and `feedpub invoke`: each names the problem and the fix."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    InvalidRegionError,
    NoCredentialsError,
    ProfileNotFound,
    SSLError,
)

from feedpub.local.aws_errors import bucket_name, endpoint_problem, explain
from feedpub.local.interrupts import StopRequested, StopSignals, deferred
from feedpub.local.invoke import EventError, check_event, event_change

EVENTS = Path(__file__).resolve().parents[2] / "events"
LOCAL = "http://127.0.0.1:4566"


def client_error(code: str, message: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "ListObjectsV2",
    )


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (NoCredentialsError(), "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing"),
        (ProfileNotFound(profile="nope"), "unset AWS_PROFILE"),
        (
            InvalidRegionError(region_name="us east"),
            "set AWS_DEFAULT_REGION to a region name such as us-east-1",
        ),
        (
            EndpointConnectionError(endpoint_url=LOCAL),
            f"nothing answers at {LOCAL}: is `feedpub dev` running?",
        ),
        (ConnectTimeoutError(endpoint_url=LOCAL), "did not answer in time"),
        (
            SSLError(
                endpoint_url="https://127.0.0.1:4566", error="[SSL: WRONG_VERSION_NUMBER] wrong version"
            ),
            "(use http://127.0.0.1:4566)",
        ),
        (
            client_error("NoSuchBucket", "The specified bucket does not exist", 404),
            "content bucket is feedpub-content",
        ),
        (
            client_error("404", "Not Found", 404),
            "answered HTTP 404 Not Found, not like S3: check --endpoint-url",
        ),
        (client_error("InvalidAccessKeyId", "no such key", 403), "refused the credentials"),
        (
            client_error(
                "NotS3Endpoint", "http://127.0.0.1:8080 is the edge of `feedpub dev`; its S3 endpoint is X"
            ),
            "its S3 endpoint is X",
        ),
    ],
)
def test_s3_failures_are_one_line_naming_the_fix(exc: Exception, expected: str) -> None:
    endpoint = "https://127.0.0.1:4566" if isinstance(exc, SSLError) else LOCAL
    message = explain(exc, "feedpub-content", endpoint)
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("127.0.0.1:14588", "has no scheme: write http://127.0.0.1:14588"),
        ("localhost:4566", "has no scheme: write http://localhost:4566"),
        ("ftp://127.0.0.1:4566", "must start with http:// or https://"),
        ("http://", "names no host"),
        ("http://127.0.0.1:99999", "invalid port"),
        ("http://127.0.0.1:port", "invalid port"),
    ],
)
def test_endpoint_urls_boto3_cannot_use_are_refused_with_the_right_spelling(url: str, expected: str) -> None:
    assert expected in (endpoint_problem(url, "--endpoint-url") or "")


def test_a_good_endpoint_url_passes() -> None:
    assert endpoint_problem("http://127.0.0.1:4566", "--endpoint-url") is None
    assert endpoint_problem("https://s3.eu-west-1.amazonaws.com", "AWS_ENDPOINT_URL") is None


def test_bucket_accepts_s3_urls_and_refuses_folders_and_bad_names() -> None:
    assert bucket_name("s3://feedpub-content") == "feedpub-content"
    assert bucket_name("S3://feedpub-content/") == "feedpub-content"
    assert bucket_name("feedpub-content") == "feedpub-content"
    with pytest.raises(ValueError, match="names a folder inside bucket 'feedpub-content'"):
        bucket_name("s3://feedpub-content/articles/")
    with pytest.raises(ValueError, match="is not a bucket name"):
        bucket_name("my bucket")


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def test_each_sample_event_says_what_it_changes() -> None:
    assert event_change(sample("sqs-put-article.json")).created == ["articles/ballerina-john-wick-spinoff.md"]
    assert event_change(sample("sqs-delete-article.json")).removed == [
        "articles/ballerina-john-wick-spinoff.md"
    ]
    batch = event_change(sample("sqs-batch.json"))
    assert batch.created == [
        "articles/ballerina-john-wick-spinoff.md",
        "articles/2026/café notes.md",  # URL-encoded in the notification, as S3 sends it
        "articles/weekend-box-office-roundup.json",
        "site.yaml",
    ]
    assert batch.removed == ["articles/summer-festival-guide.md"]  # a delete marker
    assert event_change(sample("sqs-test-event.json")) == event_change({"Records": []})
    assert event_change(sample("schedule-due.json")).action == "due"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"hello": "world"}, "neither an SQS event (Records) nor a schedule input (action)"),
        ([1, 2], "neither an SQS event"),
        ({"action": "publish"}, "action 'publish' is not one of due, reconcile"),
        ({"Records": {}}, "'Records' is not a list"),
        ({"Records": [{"eventSource": "aws:s3", "s3": {}}]}, "is an S3 notification, but PublishFunction"),
        ({"Records": [{"body": "{}"}]}, "SQS record 1 has no 'messageId'"),
        ({"Records": [{"messageId": "m"}]}, "SQS record 1 has no 'body' string"),
    ],
)
def test_events_invoke_cannot_run_are_refused_saying_what_would_work(event: object, expected: str) -> None:
    with pytest.raises(EventError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        check_event(event, ("due", "reconcile"))


def test_a_stop_signal_during_start_up_raises_then_later_ones_are_ignored() -> None:
    with StopSignals() as signals:
        # Given start-up under way, when SIGTERM arrives, then start-up is interrupted
        with pytest.raises(StopRequested):
            os.kill(os.getpid(), signal.SIGTERM)  # the handler runs before the next statement
        assert signals.stop_requested
        # And a second signal while stopping changes nothing
        os.kill(os.getpid(), signal.SIGINT)


def test_once_running_a_signal_wakes_the_wait_instead_of_raising() -> None:
    with StopSignals() as signals:
        signals.running()
        os.kill(os.getpid(), signal.SIGINT)
        signals.wait_for_stop()
        assert signals.stop_requested


def test_a_signal_inside_a_deferred_block_acts_when_the_block_ends() -> None:
    steps = []

    def start_up() -> None:
        with deferred():
            os.kill(os.getpid(), signal.SIGINT)
            steps.append("registered")  # reached: the block is never split
        steps.append("after")  # never reached: the stop acts at the block's end

    with StopSignals(), pytest.raises(StopRequested):
        start_up()
    assert steps == ["registered"]
