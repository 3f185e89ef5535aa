"""`feedpub dev`: wire the embedded AWS, the poller, the schedule, the watcher and the edge together.

The content directory is never modified and is uploaded as it is. The publisher reads site.yaml
with `base_url` replaced by the edge's URL (feedpub.local.site_override), so the feeds' self links,
item ids and OPML point where the feeds are served locally, whoever uploaded site.yaml.

Start-up can be stopped at any moment (feedpub.local.interrupts): every part is registered for the
stop as soon as it exists, and the stop takes each down in reverse order within a few seconds.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from feedpub import catalogue
from feedpub.config import SITE_FILE, SiteConfig, parse_site
from feedpub.errors import SiteConfigError
from feedpub.infra_spec import PipelineSpec, TemplateError, load_pipeline_spec
from feedpub.local.edge import Edge, EdgeHttpServer
from feedpub.local.embedded import (
    FAKE_CREDENTIALS,
    REGION,
    S3_PORT_OPTION,
    EmbeddedAws,
    LocalResources,
    ensure_port_free,
)
from feedpub.local.functions import FunctionsMissingError, LambdaFunctions, load_functions
from feedpub.local.interrupts import deferred
from feedpub.local.poller import FakeLambdaContext, Scheduler, SqsPoller
from feedpub.local.site_override import LocalBaseUrlStore
from feedpub.local.sync import BucketSync
from feedpub.local.watcher import ContentMirror, ContentWatcher

EDGE_PORT_OPTION = "--port"

SUBSCRIBE_PATHS = ("feed.xml", "atom.xml", "feed.json", "feeds.opml")

log = logging.getLogger("feedpub.local")


class DevSetupError(Exception):
    """The pipeline cannot start: a bad content directory, a busy port, a bad template."""


@dataclass(frozen=True)
class DevOptions:
    content_dir: Path
    host: str = "127.0.0.1"
    port: int = 8080
    s3_port: int = 4566
    template: Path | None = None  # None: the template the installed functions are deployed with
    # A batch closes after this long without a new message (so one save shows within a second), or
    # at the template's batching window (so a burst still coalesces), or when full.
    quiet_s: float = 0.3
    due_interval_s: float = 5.0  # the template's "due" schedule, sped up so scheduled posts show promptly
    reconcile_interval_s: float = 300.0
    watch: bool = True


def check_ports(options: DevOptions) -> None:
    """The edge and the S3 endpoint each need a port of their own."""
    if options.port and options.port == options.s3_port:
        raise DevSetupError(
            f"--port and --s3-port are both {options.port}: the edge and the S3 + SQS endpoint "
            "each need a port of their own (give them different ports, or 0 for any free one)"
        )


def load_spec(template: Path) -> PipelineSpec:
    """The pipeline template.yaml declares, or a DevSetupError saying what to do."""
    if not template.is_file():
        raise DevSetupError(
            f"{template} not found: the local pipeline is read from the repository's template.yaml, "
            "so run it from a clone (pip install -e '.[local]' there)"
        )
    try:
        return load_pipeline_spec(template)
    except TemplateError as exc:
        raise DevSetupError(str(exc)) from exc


def read_content_site(content_dir: Path) -> SiteConfig:
    """The content directory's site.yaml, or a DevSetupError saying what is wrong with it."""
    folder = f"give --content the folder that holds {SITE_FILE}"
    if not content_dir.exists():
        raise DevSetupError(f"content directory {content_dir} does not exist ({folder})")
    if not content_dir.is_dir():
        raise DevSetupError(f"{content_dir} is a file, not a content directory ({folder})")
    site_file = content_dir / SITE_FILE
    if not site_file.is_file():
        raise DevSetupError(
            f"content directory {content_dir} has no {SITE_FILE} (content/{SITE_FILE} is a sample)"
        )
    try:
        return parse_site(site_file.read_bytes(), str(site_file))
    except SiteConfigError as exc:
        raise DevSetupError(str(exc)) from exc


class SiteHub:
    """The hub site.yaml in the content bucket names now (conditional GETs, parsed only on change)."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket
        self._etag = ""
        self._hub: str | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str | None:
        with self._lock:
            conditional = {"IfNoneMatch": self._etag} if self._etag else {}
            try:
                stored = self.s3.get_object(Bucket=self.bucket, Key=SITE_FILE, **conditional)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code in ("304", "NotModified"):
                    return self._hub
                if code in ("NoSuchKey", "404"):
                    self._etag, self._hub = "", None
                    return None
                raise
            self._etag = stored["ETag"]
            try:
                self._hub = parse_site(stored["Body"].read(), SITE_FILE).hub
            except SiteConfigError:
                self._hub = None
            return self._hub


def lambda_functions() -> LambdaFunctions:
    """The installed Lambda functions (feedpub.local.functions), or a DevSetupError saying what to do."""
    try:
        return load_functions()
    except FunctionsMissingError as exc:
        raise DevSetupError(str(exc)) from None


class DevPipeline:
    """The whole local pipeline; `start()` then `stop()` (also usable as a context manager)."""

    def __init__(self, options: DevOptions, functions: LambdaFunctions | None = None) -> None:
        self.options = options
        check_ports(options)
        self.site = read_content_site(options.content_dir)
        self.functions = functions or lambda_functions()
        self.spec: PipelineSpec = load_spec(options.template or self.functions.template)
        self._stack: list[Any] = []  # started parts, stopped in reverse order
        self._wired = False  # the handlers use this pipeline's publisher
        # A batch and a scheduled run never overlap here. The schedule checks for due posts every
        # 5 s (AWS: every 5 minutes), so it nearly always landed in a batch's writes: it found them
        # committed but pending, wrote them too, and the two runs then redid each other's writes
        # (the loser of the race to clear `pending` rewrites all it wrote from the newer state).
        # With 3,000 articles uploaded at once that was 60% more writes, and a run gave up on conflicts.
        self._one_run_at_a_time = threading.Lock()
        self.aws: EmbeddedAws
        self.resources: LocalResources
        self.poller: SqsPoller
        self.edge: Edge
        self.mirror: ContentMirror

    @property
    def edge_url(self) -> str:
        return self._edge_server.url

    def __enter__(self) -> DevPipeline:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _started(self, part: Any) -> Any:
        self._stack.append(part)
        return part

    def _start(self) -> None:
        options = self.options
        try:
            ensure_port_free(options.host, options.port, f"{EDGE_PORT_OPTION}, or PORT= with make dev")
            ensure_port_free("127.0.0.1", options.s3_port, f"{S3_PORT_OPTION}, or S3_PORT= with make dev")
            with deferred():  # a stop signal cannot fall between creating a part and registering it
                self.aws = self._started(EmbeddedAws("127.0.0.1", options.s3_port, wait=False))
                self._edge_server = self._started(EdgeHttpServer(options.host, options.port))
            log.info("start-up: the embedded S3 + SQS is starting")
            self.aws.start()
        except OSError as exc:
            raise DevSetupError(str(exc)) from exc
        log.info("start-up: provisioning buckets and queues at %s", self.aws.endpoint)
        self.resources = self.aws.provision(self.spec)
        s3 = self.aws.client("s3")
        self._wire_handlers()
        self.mirror = ContentMirror(options.content_dir, BucketSync(s3, self.resources.content_bucket))
        log.info("start-up: uploading %s", options.content_dir)
        self.mirror.full_sync()
        # The upload's notifications are dropped: the publish below reads the bucket after the purge,
        # so it covers them (and whatever arrives later is queued as usual). The feeds then exist
        # when the banner is printed, and the first edit's line is not mixed with replays.
        self.aws.client("sqs").purge_queue(QueueUrl=self.resources.queue_url)
        log.info("start-up: publishing")
        try:
            self.run_schedule("reconcile")
        except RuntimeError:  # keys that failed are logged by the handler; the schedule retries them
            log.warning("the first publish left keys unpublished; they are retried")
        self.poller = SqsPoller(
            self.aws.client("sqs"),
            self.resources.queue_url,
            self.resources.queue_arn,
            handler=self._publish_handler,
            context_factory=lambda: self._context(self.spec.publish_function),
            batch_size=self.spec.event_source.batch_size,
            batching_window_s=self.spec.event_source.max_batching_window_s,
            quiet_s=options.quiet_s,
            region=REGION,
        )
        scheduler = Scheduler(
            [
                ("due", options.due_interval_s, options.due_interval_s, lambda: self.run_schedule("due")),
                (
                    "reconcile",
                    options.reconcile_interval_s,
                    options.reconcile_interval_s,
                    lambda: self.run_schedule("reconcile"),
                ),
            ]
        )
        with deferred():
            self._started(self.poller).start()
            self._started(scheduler).start()
            if options.watch:
                self._started(ContentWatcher(self.mirror)).start()
        self.edge = Edge(
            s3,
            self.resources.publish_bucket,
            self.spec.edge,
            base_url=self.edge_url,
            hub=SiteHub(s3, self.resources.content_bucket),
        )
        self._edge_server.edge = self.edge
        self._edge_server.s3_endpoint = self.resources.endpoint
        self._edge_server.start()
        log.info("start-up: serving at %s", self.edge_url)

    def _wire_handlers(self) -> None:
        for name, value in self.spec.publish_function.environment.items():
            os.environ.setdefault(name, value)  # Powertools settings only; the buckets are injected below
        publisher = self.functions.build_publisher(
            self.resources.content_bucket,
            self.resources.publish_bucket,
            self.spec.publish_function.environment.get("STATE_PREFIX", "_state/"),
            s3_client=lambda config: self.aws.client("s3", config=config),
        )
        publisher.content = LocalBaseUrlStore(publisher.content, self.edge_url)
        self.functions.use_publisher(publisher)
        self._wired = True

    def _publish_handler(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._one_run_at_a_time:
            return self.functions.publish(event, context)

    def run_schedule(self, action: str) -> dict[str, Any]:
        function = next(iter(self.spec.schedule_functions.values()))
        with self._one_run_at_a_time:
            return self.functions.schedule({"action": action}, self._context(function))

    @staticmethod
    def _context(function: Any) -> FakeLambdaContext:
        return FakeLambdaContext(function.logical_id, function.memory_mb, function.timeout_s)

    def stop(self) -> None:
        while self._stack:
            part = self._stack.pop()
            try:
                part.stop()
            except Exception as exc:  # stopping must go on for the parts that remain
                log.error("could not stop %s: %s", type(part).__name__, exc)
        if self._wired:
            self.functions.use_publisher(None)
            self._wired = False

    def subscribe_paths(self) -> list[str]:
        """The feeds the banner offers: the site's, and the show's when site.yaml has one."""
        show = [catalogue.PODCAST.file_name] if self.site.podcast is not None else []
        return [*SUBSCRIBE_PATHS[:3], *show, *SUBSCRIBE_PATHS[3:]]

    def banner(self) -> str:
        """What `feedpub dev` prints: where to subscribe and how to upload like on AWS."""
        resources = self.resources
        credentials = " ".join(f"{name}={value}" for name, value in FAKE_CREDENTIALS.items())
        lines = [
            f"feedpub dev: serving {self.options.content_dir} (watching for changes)"
            if self.options.watch
            else f"feedpub dev: serving {self.options.content_dir}",
            "",
            "Subscribe:",
            *(f"  {self.edge_url}{path}" for path in self.subscribe_paths()),
            "",
            f"S3 + SQS endpoint: {resources.endpoint}  (region {REGION})",
            f"Content bucket:    {resources.content_bucket}",
            f"Publish bucket:    {resources.publish_bucket}",
            f"Queue:             {resources.queue_url}",
            "",
            "Upload like on AWS:",
            f"  {credentials} AWS_DEFAULT_REGION={REGION} \\",
            f"    aws s3 cp post.md s3://{resources.content_bucket}/articles/ \\",
            f"    --endpoint-url {resources.endpoint}",
            "",
            f"Feeds are published with base_url {self.edge_url} whatever site.yaml says "
            f"(uploaded as it is; {self.options.content_dir} is never changed).",
            "Press Ctrl-C to stop.",
        ]
        return "\n".join(lines)
