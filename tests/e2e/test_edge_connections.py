"""The edge's connection handling over real sockets: idle and half-open connections are closed,
clients that go away are one log line, and malformed conditional headers never fail a request."""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from feedpub.infra_spec import load_pipeline_spec
from feedpub.local.edge import Edge, EdgeHttpServer
from tests.e2e.conftest import eventually, fetch

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
BIG_FEED = b"<rss>" + b"x" * 8_000_000 + b"</rss>"


class StubBucket:
    """What the edge asks of S3: one feed.xml, big enough that writing it to a client takes a while."""

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        return {
            "Body": BytesIO(BIG_FEED),
            "ETag": '"feed-etag"',
            "LastModified": datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
            "ContentType": "application/rss+xml; charset=utf-8",
            "CacheControl": "max-age=60",
        }


def handler_threads() -> int:
    return sum(1 for thread in threading.enumerate() if "process_request_thread" in thread.name)


def closed_by_peer(client: socket.socket) -> bool:
    """Whether the other end closed the connection (reads reach end of stream)."""
    client.settimeout(5)
    try:
        while client.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


@pytest.fixture
def edge_server() -> Iterator[EdgeHttpServer]:
    server = EdgeHttpServer("127.0.0.1", 0, idle_timeout_s=0.5)
    server.edge = Edge(
        StubBucket(), "publish", load_pipeline_spec(TEMPLATE).edge, base_url=server.url, hub=lambda: None
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_half_open_connections_are_closed_after_the_idle_timeout(edge_server: EdgeHttpServer) -> None:
    # Given 300 clients that connect and then send nothing, or half a request, and never close
    host, port = edge_server.server_address[:2]
    clients = []
    for number in range(300):
        client = socket.create_connection((host, port))
        if number % 2:
            client.sendall(b"GET /feed.xml HTTP/1.1\r\nHost: x\r\n")
        clients.append(client)
    try:
        eventually(lambda: handler_threads() >= 1, "the edge to take the connections")
        # Then the edge still answers others meanwhile
        status = fetch(edge_server.url + "feed.xml", {"Accept-Encoding": "identity"})[0]
        assert status == 200
        # And every one of those connections is closed by the edge, and its thread ends
        eventually(lambda: handler_threads() == 0, "the idle connections' threads to end")
        assert all(closed_by_peer(client) for client in clients)
    finally:
        for client in clients:
            client.close()


def test_a_client_that_resets_mid_response_is_one_log_line(
    edge_server: EdgeHttpServer, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO, logger="feedpub.local.edge")
    # Given a client that asks for a large feed, then resets the connection without reading it
    host, port = edge_server.server_address[:2]
    client = socket.create_connection((host, port))
    client.sendall(b"GET /feed.xml HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.1)  # let the edge start writing
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()
    # Then the edge logs the disconnect in one line, with no traceback anywhere
    eventually(lambda: any("closed" in entry.getMessage() for entry in caplog.records), "the disconnect line")
    edge_records = [record for record in caplog.records if record.name == "feedpub.local.edge"]
    assert all(record.exc_info is None and "\n" not in record.getMessage() for record in edge_records)
    assert "Traceback" not in capfd.readouterr().err
    # And the edge goes on serving
    assert fetch(edge_server.url + "feed.xml")[0] == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"If-Modified-Since": "Mon, 01 Jan 99999999999 00:00:00 GMT"},
        {"If-Modified-Since": "Fri, 31 Dec 9999 23:59:59 -2359"},
        {"If-None-Match": '"a" "b", W/'},
        {"If-None-Match": "*, " * 2000},
        {"If-None-Match": '"unrelated"', "If-Modified-Since": "yesterday"},
    ],
)
def test_malformed_conditional_headers_get_the_full_feed(
    edge_server: EdgeHttpServer, headers: dict[str, str]
) -> None:
    # Given conditional headers a server cannot read, then they are ignored: 200 with the feed
    status, _, body = fetch(edge_server.url + "feed.xml", headers)
    assert status == 200
    assert body == BIG_FEED


def test_a_repeated_if_none_match_field_counts_as_one_list(edge_server: EdgeHttpServer) -> None:
    # Given the current ETag in the second of two If-None-Match lines, then it is not modified
    host, port = edge_server.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as client:
        client.sendall(
            b'GET /feed.xml HTTP/1.1\r\nHost: x\r\nIf-None-Match: "old"\r\n'
            b'If-None-Match: "feed-etag"\r\nConnection: close\r\n\r\n'
        )
        assert client.recv(64).startswith(b"HTTP/1.1 304")
