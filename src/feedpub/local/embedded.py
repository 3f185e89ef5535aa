"""The embedded AWS: moto's server (S3 + SQS on one endpoint, in a child process), provisioned as
template.yaml declares.

The fake credentials live only in the session our clients are built from; the process environment
is left alone, so nothing else in the process (or a child) is pointed at the embedded endpoint.
"""

from __future__ import annotations

import errno
import json
import socket
from dataclasses import dataclass
from typing import Any

import boto3

from feedpub.infra_spec import PipelineSpec
from feedpub.local.moto_process import MotoProcess

REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
CONTENT_BUCKET = "feedpub-content"
PUBLISH_BUCKET = "feedpub-publish"
QUEUE_NAME = "feedpub-content-events"
DEAD_LETTER_QUEUE_NAME = "feedpub-content-events-dlq"


class PortInUseError(OSError):
    def __init__(self, host: str, port: int, option: str) -> None:
        super().__init__(f"port {host}:{port} is already in use (choose another with {option})")
        self.port = port


def ensure_port_free(host: str, port: int, option: str) -> None:
    """Fail early with a clear message rather than from inside a server thread."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do: connections of a previous run in TIME_WAIT must not block the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortInUseError(host, port, option) from exc
            raise


@dataclass(frozen=True)
class LocalResources:
    endpoint: str
    content_bucket: str
    publish_bucket: str
    queue_url: str
    queue_arn: str
    dead_letter_queue_url: str


class EmbeddedAws:
    """A moto server on 127.0.0.1 and boto3 clients for it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 4566) -> None:
        ensure_port_free(host, port, "--s3-port")
        self._server = MotoProcess(host, port)
        self.endpoint = self._server.endpoint
        self.session = boto3.session.Session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )

    def client(self, service: str, **kwargs: Any) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint, **kwargs)  # type: ignore[call-overload]

    def stop(self) -> None:
        self._server.stop()

    def provision(self, spec: PipelineSpec) -> LocalResources:
        """Buckets, the queue with its dead-letter queue, and the content bucket's notifications."""
        s3 = self.client("s3")
        sqs = self.client("sqs")
        for bucket in (CONTENT_BUCKET, PUBLISH_BUCKET):
            s3.create_bucket(Bucket=bucket)
        dead_letter_url = sqs.create_queue(
            QueueName=DEAD_LETTER_QUEUE_NAME,
            Attributes={"MessageRetentionPeriod": str(spec.queue.message_retention_s)},
        )["QueueUrl"]
        dead_letter_arn = _queue_arn(sqs, dead_letter_url)
        redrive = {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": spec.queue.max_receive_count}
        queue_url = sqs.create_queue(
            QueueName=QUEUE_NAME,
            Attributes={
                "VisibilityTimeout": str(spec.queue.visibility_timeout_s),
                "MessageRetentionPeriod": str(spec.queue.message_retention_s),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
        queue_arn = _queue_arn(sqs, queue_url)
        s3.put_bucket_notification_configuration(
            Bucket=CONTENT_BUCKET,
            NotificationConfiguration={"QueueConfigurations": notification_rules(spec, queue_arn)},
        )
        return LocalResources(
            endpoint=self.endpoint,
            content_bucket=CONTENT_BUCKET,
            publish_bucket=PUBLISH_BUCKET,
            queue_url=queue_url,
            queue_arn=queue_arn,
            dead_letter_queue_url=dead_letter_url,
        )


def notification_rules(spec: PipelineSpec, queue_arn: str) -> list[dict[str, Any]]:
    """The template's QueueConfigurations, pointed at the local queue."""
    configurations = []
    for rule in spec.notifications:
        filters = [
            {"Name": name, "Value": value}
            for name, value in (("prefix", rule.prefix), ("suffix", rule.suffix))
            if value
        ]
        configuration: dict[str, Any] = {"QueueArn": queue_arn, "Events": [rule.event]}
        if filters:
            configuration["Filter"] = {"Key": {"FilterRules": filters}}
        configurations.append(configuration)
    return configurations


def _queue_arn(sqs: Any, queue_url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    return str(attributes["QueueArn"])
