"""`feedpub dev` and `feedpub invoke` as commands: clear failures, a clean Ctrl-C, a Docker-free invoke."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, SAMPLE_CONTENT, fetch
from tests.support.ports import wait_until_free

FEEDPUB = [sys.executable, "-m", "feedpub.cli"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FEEDPUB, *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "does not exist or is not a directory"),
        ("no-site", "has no site.yaml"),
        ("bad-site", "base_url"),
    ],
)
def test_a_bad_content_dir_exits_2_with_one_clear_line(tmp_path: Path, setup: str, message: str) -> None:
    # Given a content directory that is missing, lacks site.yaml, or has an invalid one
    content = tmp_path / "content"
    if setup != "missing":
        (content / "articles").mkdir(parents=True)
    if setup == "bad-site":
        (content / "site.yaml").write_text("title: T\nbase_url: not a url\n")
    # When `feedpub dev` starts on it
    result = run("dev", "--content", str(content), "--port", "0", "--s3-port", "0")
    # Then it exits 2 with one line naming the problem
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("option", ["--port", "--s3-port"])
def test_a_port_in_use_exits_2_naming_the_option(busy_port: int, option: str) -> None:
    ports = {"--port": "0", "--s3-port": "0", option: str(busy_port)}
    result = run("dev", "--content", str(SAMPLE_CONTENT), *[x for pair in ports.items() for x in pair])
    assert result.returncode == 2
    assert f"port 127.0.0.1:{busy_port} is already in use (choose another with {option})" in result.stderr


def test_dev_serves_feeds_then_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    # Given `feedpub dev` running on free ports
    port, s3_port = free_port(), free_port()
    process = subprocess.Popen(
        [*FEEDPUB, "dev", "--content", str(SAMPLE_CONTENT), "--port", str(port), "--s3-port", str(s3_port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/"
        ends = time.monotonic() + 60
        while fetch_or_none(url + "feed.xml") != 200:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < ends, "feedpub dev did not serve feed.xml within 60 s"
            time.sleep(0.2)
        # When the user presses Ctrl-C
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # Then it had printed the subscribe URLs and the upload line, and exits 0
    assert process.returncode == 0
    assert f"{url}feed.xml" in stdout
    assert f"{url}feeds.opml" in stdout
    assert "aws s3 cp post.md s3://feedpub-content/articles/" in stdout
    # And the edge is gone, and so is the embedded S3 + SQS (its own process: no orphan left listening)
    assert fetch_or_none(url + "feed.xml") is None
    assert wait_until_free(s3_port)


def fetch_or_none(url: str) -> int | None:
    try:
        return fetch(url)[0]
    except OSError:
        return None


def test_invoke_runs_the_handler_on_a_sample_event() -> None:
    # Given the sample "article uploaded" event from events/
    result = run("invoke", str(REPO / "events" / "sqs-put-article.json"), "--content", str(SAMPLE_CONTENT))
    # Then the handler ran against the embedded S3: no failed messages, the feeds were written
    assert result.returncode == 0, result.stderr
    assert '"batchItemFailures": []' in result.stdout
    assert "  feed.xml" in result.stderr
    assert "  tags/ballerina/atom.xml" in result.stderr


def test_invoke_rejects_a_file_that_is_not_an_event(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"hello": "world"}')
    result = run("invoke", str(event))
    assert result.returncode == 2
    assert "neither an SQS event (Records) nor a schedule input (action)" in result.stderr
