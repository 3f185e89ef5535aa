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
from botocore.config import Config

from feedpub.infra_spec import PipelineSpec
from feedpub.local.moto_process import EmbeddedStartError, MotoProcess

REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
CONTENT_BUCKET = "feedpub-content"
PUBLISH_BUCKET = "feedpub-publish"
QUEUE_NAME = "feedpub-content-events"
DEAD_LETTER_QUEUE_NAME = "feedpub-content-events-dlq"
S3_PORT_OPTION = "--s3-port"
DIRECT = Config(proxies={})  # an empty mapping, unlike None, keeps botocore from reading proxy variables


class CannotListenError(OSError):
    """A port a server of ours cannot listen on; the message names the option that chooses it."""

    def __init__(self, host: str, port: int, option: str, reason: str | None = None) -> None:
        super().__init__(reason or f"port {host}:{port} is already in use (choose another with {option})")
        self.port = port


def ensure_port_free(host: str, port: int, option: str) -> None:
    """Fail early with a clear message rather than from inside a server thread. `option` says how
    the port is chosen (such as "--port, or PORT= with make dev")."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do: connections of a previous run in TIME_WAIT must not block the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise listen_error(host, port, option, exc) from exc


def listen_error(host: str, port: int, option: str, exc: OSError) -> CannotListenError:
    """Why host:port cannot be listened on, in words that say what to change."""
    if exc.errno == errno.EADDRINUSE:
        return CannotListenError(host, port, option)
    if exc.errno == errno.EACCES:
        reason = (
            f"port {host}:{port} needs privileges this user lacks (ports below 1024 usually do): "
            f"choose another with {option}"
        )
    elif exc.errno == errno.EADDRNOTAVAIL:
        reason = f"{host} is not an address of this machine: use 127.0.0.1 (or 0.0.0.0 for every interface)"
    elif isinstance(exc, socket.gaierror) and ":" in host:
        reason = f"{host} is an IPv6 address; the local servers listen on IPv4: use 127.0.0.1 (or 0.0.0.0)"
    elif isinstance(exc, socket.gaierror):
        reason = f"{host!r} is not an IPv4 address or a host name this machine resolves: use 127.0.0.1"
    else:
        reason = f"cannot listen on {host}:{port}: {exc.strerror or exc} (choose another with {option})"
    return CannotListenError(host, port, option, reason)


@dataclass(frozen=True)
class LocalResources:
    endpoint: str
    content_bucket: str
    publish_bucket: str
    queue_url: str
    queue_arn: str
    dead_letter_queue_url: str


class EmbeddedAws:
    """A moto server on 127.0.0.1 and boto3 clients for it.

    `wait=False` starts the child process and returns at once (so the caller can register it for
    the stop before waiting); `start()` then waits until it serves."""

    def __init__(self, host: str = "127.0.0.1", port: int = 4566, wait: bool = True) -> None:
        if port:
            ensure_port_free(host, port, S3_PORT_OPTION)
        self.host, self.port = host, port
        self._server = MotoProcess(host, port, wait=False)
        self.endpoint = ""
        self.session = boto3.session.Session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )
        if wait:
            try:
                self.start()
            except BaseException:
                self.stop()
                raise

    def start(self) -> str:
        """Wait until the server answers; its endpoint URL. Raises OSError with a one-line reason."""
        try:
            self.endpoint = self._server.wait_ready()
        except EmbeddedStartError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):  # lost a race for the port
                raise listen_error(self.host, self.port, S3_PORT_OPTION, exc) from exc
            raise
        return self.endpoint

    def client(self, service: str, **kwargs: Any) -> Any:
        # Never through an HTTP(S)_PROXY from the environment: the endpoint is on this machine.
        config = kwargs.pop("config", None)
        config = config.merge(DIRECT) if config is not None else DIRECT
        return self.session.client(service, endpoint_url=self.endpoint, config=config, **kwargs)  # type: ignore[call-overload]

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
