"""WebSub: after a publish the hub hears which feeds changed; a hub that is down never fails a publish."""

from __future__ import annotations

import socket
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from tests.integration.conftest import SITE_YAML, Pipeline
from tests.support.builders import article


class RecordingHub(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, list[str]]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        RecordingHub.received.append(urllib.parse.parse_qs(self.rfile.read(length).decode()))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def hub_url() -> Iterator[str]:
    RecordingHub.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hub"
    finally:
        server.shutdown()
        server.server_close()


def test_hub_is_told_about_each_changed_feed(pipeline: Pipeline, hub_url: str) -> None:
    # Given a site that names a WebSub hub
    pipeline.upload("site.yaml", SITE_YAML + f"hub: {hub_url}\n".encode())
    pipeline.upload("articles/a.md", article("Alpha", "2024-01-01", ["Film"]))
    # When an article is published
    assert pipeline.publish("articles/a.md") == {"batchItemFailures": []}
    # Then the hub received hub.mode=publish for the main and the tag feed URLs
    topics = {form["hub.url"][0] for form in RecordingHub.received}
    assert topics == {form["hub.topic"][0] for form in RecordingHub.received}
    assert all(form["hub.mode"] == ["publish"] for form in RecordingHub.received)
    assert {"https://feeds.example.org/feed.xml", "https://feeds.example.org/tags/film/atom.xml"} <= topics
    # And a replayed event tells the hub nothing
    RecordingHub.received = []
    pipeline.publish("articles/a.md")
    assert RecordingHub.received == []


def test_hub_that_is_down_does_not_fail_the_publish(pipeline: Pipeline) -> None:
    # Given a hub address where nothing listens
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    pipeline.upload("site.yaml", SITE_YAML + f"hub: http://127.0.0.1:{dead_port}/hub\n".encode())
    pipeline.upload("articles/a.md", article("Alpha", "2024-01-01"))
    # When an article is published, Then the batch succeeds and the feeds are there
    assert pipeline.publish("articles/a.md") == {"batchItemFailures": []}
    pipeline.assert_matches_build()


class SlowHub(BaseHTTPRequestHandler):
    """A hub that takes far longer than any publish may wait for it."""

    release = threading.Event()

    def do_POST(self) -> None:
        SlowHub.release.wait(10)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_a_slow_hub_costs_one_shared_deadline_and_is_counted_not_raised(pipeline: Pipeline) -> None:
    # Given a hub that answers each ping after 10 s (on main: 3 tries per topic, no overall deadline)
    SlowHub.release.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        pipeline.upload(
            "site.yaml", SITE_YAML + f"hub: http://127.0.0.1:{server.server_address[1]}/\n".encode()
        )
        pipeline.upload("articles/a.md", article("Alpha", "2024-01-01", ["Film"]))
        pipeline.publisher.ping_deadline_s = 0.5
        # When an article is published
        report = pipeline.publisher.apply(["site.yaml", "articles/a.md"])
        # Then the run succeeds with its feeds written, and every feed the hub did not confirm is counted
        assert report.failed_keys == []
        assert report.hub_failures == 6  # main and tag feed, three formats each
        pipeline.assert_matches_build()
    finally:
        SlowHub.release.set()
        server.shutdown()
        server.server_close()
