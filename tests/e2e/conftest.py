"""End-to-end fixtures: the whole `feedpub dev` pipeline on free 127.0.0.1 ports, stopped after the module.

Each module gets its own pipeline over a temporary copy of content/ (the watched directory), so a
test may save files into it. Visibility is eventual: tests poll with deadlines, never fixed sleeps.
"""

from __future__ import annotations

import shutil
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from feedpub.local.devserver import DevOptions, DevPipeline
from tests.support.sample_site import SAMPLE_SITE

REPO = Path(__file__).resolve().parents[2]
SAMPLE_CONTENT = SAMPLE_SITE
DEADLINE_S = 20.0  # generous: the suite runs beside others on 2 cores

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], what: str, deadline_s: float = DEADLINE_S) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` after the deadline."""
    ends = time.monotonic() + deadline_s
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > ends:
            pytest.fail(f"timed out after {deadline_s:.0f} s waiting for {what}")
        time.sleep(0.1)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class RunningPipeline:
    """A started DevPipeline plus the helpers the tests share."""

    def __init__(self, pipeline: DevPipeline, content_dir: Path) -> None:
        self.pipeline = pipeline
        self.content_dir = content_dir
        self.url = pipeline.edge_url
        self.s3: Any = pipeline.aws.client("s3")
        self.content_bucket = pipeline.resources.content_bucket

    def upload(self, key: str, body: bytes) -> None:
        """Upload like an author with boto3 against the embedded S3."""
        self.s3.put_object(Bucket=self.content_bucket, Key=key, Body=body)

    def feed(self, path: str = "feed.xml") -> bytes:
        return fetch(self.url + path)[2]

    def wait_for_text(self, text: str, path: str = "feed.xml", present: bool = True) -> None:
        eventually(
            lambda: (text.encode() in self.feed(path)) == present,
            f"{text!r} to {'appear in' if present else 'leave'} {path}",
        )


def start_pipeline(tmp_path: Path, site_yaml: str | None = None) -> Iterator[RunningPipeline]:
    content_dir = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, content_dir)
    if site_yaml is not None:
        (content_dir / "site.yaml").write_text(site_yaml, encoding="utf-8")
    pipeline = DevPipeline(DevOptions(content_dir=content_dir, port=0, s3_port=0))
    pipeline.start()
    try:
        yield RunningPipeline(pipeline, content_dir)
    finally:
        pipeline.stop()


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPipeline]:
    yield from start_pipeline(tmp_path_factory.mktemp("dev"))
