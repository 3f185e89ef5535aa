"""`feedpub dev`: wire the embedded AWS, the poller, the schedule, the watcher and the edge together.

The content directory is never modified. Its site.yaml is uploaded with `base_url` replaced by the
edge's URL, so the feeds' self links, item ids and OPML point where the feeds are served locally.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError

from feedpub.config import SITE_FILE, SiteConfig, parse_site
from feedpub.errors import SiteConfigError
from feedpub.infra_spec import PipelineSpec, TemplateError, load_pipeline_spec
from feedpub.local.edge import Edge, EdgeHttpServer
from feedpub.local.embedded import FAKE_CREDENTIALS, REGION, EmbeddedAws, LocalResources, ensure_port_free
from feedpub.local.poller import FakeLambdaContext, Scheduler, SqsPoller
from feedpub.local.sync import BucketSync, Rewrite
from feedpub.local.watcher import ContentMirror, ContentWatcher

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"
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
    template: Path = DEFAULT_TEMPLATE
    # A batch closes after this long without a new message (so one save shows within a second), or
    # at the template's batching window (so a burst still coalesces), or when full.
    quiet_s: float = 0.3
    due_interval_s: float = 5.0  # the template's "due" schedule, sped up so scheduled posts show promptly
    reconcile_interval_s: float = 300.0
    watch: bool = True


def read_content_site(content_dir: Path) -> SiteConfig:
    """The content directory's site.yaml, or a DevSetupError saying what is wrong with it."""
    if not content_dir.is_dir():
        raise DevSetupError(f"content directory {content_dir} does not exist or is not a directory")
    site_file = content_dir / SITE_FILE
    if not site_file.is_file():
        raise DevSetupError(f"content directory {content_dir} has no {SITE_FILE}")
    try:
        return parse_site(site_file.read_bytes(), str(site_file))
    except SiteConfigError as exc:
        raise DevSetupError(str(exc)) from exc


def base_url_rewrite(edge_url: str) -> Rewrite:
    """Upload site.yaml with base_url pointing at the edge; other keys go up unchanged."""

    def rewrite(key: str, body: bytes) -> bytes:
        if key != SITE_FILE:
            return body
        try:
            document = yaml.safe_load(body)
        except (yaml.YAMLError, ValueError, RecursionError):  # ValueError: a number over 4,300 digits
            return body  # the publisher reports the broken file; nothing to point anywhere
        if not isinstance(document, dict):
            return body
        document["base_url"] = edge_url
        return yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode("utf-8")

    return rewrite


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


class DevPipeline:
    """The whole local pipeline; `start()` then `stop()` (also usable as a context manager)."""

    def __init__(self, options: DevOptions) -> None:
        self.options = options
        self.site = read_content_site(options.content_dir)
        self.spec: PipelineSpec = self._load_spec(options.template)
        self._stack: list[Any] = []  # started parts, stopped in reverse order
        self.aws: EmbeddedAws
        self.resources: LocalResources
        self.poller: SqsPoller
        self.edge: Edge
        self.mirror: ContentMirror

    @staticmethod
    def _load_spec(template: Path) -> PipelineSpec:
        try:
            return load_pipeline_spec(template)
        except TemplateError as exc:
            raise DevSetupError(str(exc)) from exc

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

    def _start(self) -> None:
        options = self.options
        try:
            ensure_port_free(options.host, options.port, "--port")
            ensure_port_free("127.0.0.1", options.s3_port, "--s3-port")
            self._edge_server = EdgeHttpServer(options.host, options.port)
        except OSError as exc:
            raise DevSetupError(str(exc)) from exc
        self._stack.append(self._edge_server)
        self.aws = EmbeddedAws("127.0.0.1", options.s3_port)
        self._stack.append(self.aws)
        self.resources = self.aws.provision(self.spec)
        s3 = self.aws.client("s3")
        self._wire_handlers()
        self.mirror = ContentMirror(
            options.content_dir,
            BucketSync(s3, self.resources.content_bucket, base_url_rewrite(self.edge_url)),
        )
        self.mirror.full_sync()
        # Publish everything once before the poller starts: the upload's events then replay as no-ops
        # instead of racing this run, and the feeds exist when the banner is printed.
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
        self.poller.start()
        self._stack.append(self.poller)
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
        scheduler.start()
        self._stack.append(scheduler)
        if options.watch:
            watcher = ContentWatcher(self.mirror)
            watcher.start()
            self._stack.append(watcher)
        self.edge = Edge(
            s3,
            self.resources.publish_bucket,
            self.spec.edge,
            base_url=self.edge_url,
            hub=SiteHub(s3, self.resources.content_bucket),
        )
        self._edge_server.edge = self.edge
        self._edge_server.start()

    def _wire_handlers(self) -> None:
        for name, value in self.spec.publish_function.environment.items():
            os.environ.setdefault(name, value)  # Powertools settings only; the buckets are injected below
        from handlers.publish import CLIENT_CONFIG, build_publisher, use_publisher
        from handlers.settings import Settings

        settings = Settings(
            content_bucket=self.resources.content_bucket,
            publish_bucket=self.resources.publish_bucket,
            state_prefix=self.spec.publish_function.environment.get("STATE_PREFIX", "_state/"),
        )
        use_publisher(build_publisher(settings, s3_client=self.aws.client("s3", config=CLIENT_CONFIG)))

    def _publish_handler(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        from handlers.publish import lambda_handler

        return lambda_handler(event, context)

    def run_schedule(self, action: str) -> dict[str, Any]:
        from handlers.reconcile import lambda_handler

        function = next(iter(self.spec.schedule_functions.values()))
        return lambda_handler({"action": action}, self._context(function))

    @staticmethod
    def _context(function: Any) -> FakeLambdaContext:
        return FakeLambdaContext(function.logical_id, function.memory_mb, function.timeout_s)

    def stop(self) -> None:
        while self._stack:
            part = self._stack.pop()
            try:
                part.stop()
            except Exception:  # stopping must go on for the parts that remain
                log.exception("could not stop %s", type(part).__name__)
        from handlers.publish import use_publisher

        use_publisher(None)

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
            *(f"  {self.edge_url}{path}" for path in SUBSCRIBE_PATHS),
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
            f"site.yaml is uploaded with base_url: {self.edge_url} (the content directory is not changed).",
            "Press Ctrl-C to stop.",
        ]
        return "\n".join(lines)
