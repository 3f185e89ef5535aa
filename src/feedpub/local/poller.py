"""SQS → handler, the way Lambda's event source mapping does it.

Long-poll the queue; once a message arrives keep collecting while more arrive, up to the batching
window or a full batch (so a burst of uploads becomes few invocations); hand the batch to the handler as an
SQS event; delete what succeeded. Failed messages stay in the queue: SQS delivers them again after
the visibility timeout and moves them to the dead-letter queue after maxReceiveCount.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
RECEIVE_MAX = 10  # SQS returns at most 10 messages per ReceiveMessage
LONG_POLL_S = 1  # short enough that stop() is prompt
STOP_WAIT_S = 5.0  # how long stop() waits for a run in progress; the thread is a daemon past that

log = logging.getLogger("feedpub.local.poller")


@dataclass
class FakeLambdaContext:
    """What Powertools reads from a Lambda context."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    function_version: str = "$LATEST"
    aws_request_id: str = ""
    invoked_function_arn: str = ""

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self.invoked_function_arn = (
            self.invoked_function_arn
            or f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """An SQS message as Lambda passes it to the function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def succeeded(batch: list[dict[str, Any]], response: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The messages to delete: all but the reported failures (none if the handler raised)."""
    if response is None:
        return []
    failed = {failure["itemIdentifier"] for failure in response.get("batchItemFailures", [])}
    return [record for record in batch if record["messageId"] not in failed]


class SqsPoller:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        handler: Handler,
        context_factory: Callable[[], Any],
        batch_size: int,
        batching_window_s: float,
        quiet_s: float,
        region: str = "us-east-1",
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.handler = handler
        self.context_factory = context_factory
        self.batch_size = batch_size
        self.batching_window_s = batching_window_s
        self.quiet_s = quiet_s
        self.region = region
        self.invocations = 0
        self.messages_delivered = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feedpub-sqs-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(STOP_WAIT_S)

    def _receive(self, wait_s: int, limit: int) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(RECEIVE_MAX, limit),
            WaitTimeSeconds=wait_s,
            AttributeNames=["All"],
        ).get("Messages", [])
        return messages

    def collect(self) -> list[dict[str, Any]]:
        """One batch: wait for a first message, then keep gathering while messages keep coming.

        The batch closes when it is full, when no message arrived for `quiet_s` (a single save is
        delivered promptly), or when the template's batching window has passed since the first
        message (a burst of uploads coalesces into few invocations, as on Lambda)."""
        batch = self._receive(LONG_POLL_S, self.batch_size)
        if not batch:
            return []
        window_ends = time.monotonic() + self.batching_window_s
        last_arrival = time.monotonic()
        while len(batch) < self.batch_size and not self._stop.is_set():
            now = time.monotonic()
            if now >= window_ends or now - last_arrival >= self.quiet_s:
                break
            more = self._receive(0, self.batch_size - len(batch))
            if more:
                batch.extend(more)
                last_arrival = time.monotonic()
            else:
                time.sleep(0.02)
        return batch

    def deliver(self, messages: list[dict[str, Any]]) -> None:
        batch = [lambda_record(message, self.queue_arn, self.region) for message in messages]
        self.invocations += 1
        self.messages_delivered += len(batch)
        response: dict[str, Any] | None
        try:
            response = self.handler({"Records": batch}, self.context_factory())
        except Exception:
            log.exception("publish handler failed; the batch will be delivered again")
            response = None
        done = succeeded(batch, response)
        for start in range(0, len(done), RECEIVE_MAX):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": record["receiptHandle"]}
                    for index, record in enumerate(done[start : start + RECEIVE_MAX])
                ],
            )
        if len(done) < len(batch):
            log.warning("%d message(s) failed and will be retried", len(batch) - len(done))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self.collect()
                if messages:
                    self.deliver(messages)
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("polling the queue failed; retrying")
                self._stop.wait(1)


class Scheduler:
    """Runs callables every N seconds on one thread (the local EventBridge schedule).

    Each task is (name, interval in seconds, delay before the first run, callable)."""

    def __init__(self, tasks: list[tuple[str, float, float, Callable[[], object]]]) -> None:
        self.tasks = tasks
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feedpub-schedule", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(STOP_WAIT_S)

    def _run(self) -> None:
        now = time.monotonic()
        next_run = {name: now + first_delay for name, _, first_delay, _ in self.tasks}
        while not self._stop.is_set():
            for name, interval, _, task in self.tasks:
                if time.monotonic() >= next_run[name]:
                    next_run[name] = time.monotonic() + interval
                    try:
                        task()
                    except Exception:
                        log.exception("scheduled %s failed; it runs again in %.0f s", name, interval)
            self._stop.wait(0.2)
