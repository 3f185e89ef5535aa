"""`feedpub dev` and `feedpub invoke` as commands: they start or fail in one line, stop on the first
Ctrl-C or SIGTERM at any moment of start-up (children included), speak in human lines, and
`invoke` applies the event it is given."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, SAMPLE_CONTENT, fetch
from tests.support.ports import wait_until_free

FEEDPUB = [sys.executable, "-m", "feedpub.cli"]
DEADLINE_S = 60.0  # for start-up on a loaded machine; a stop must take far less


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FEEDPUB, *args], capture_output=True, text=True, timeout=120, check=False)


def only_line(text: str) -> str:
    """The single line of `text` (an error message must be exactly one line, never a traceback)."""
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


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


def embedded_children(s3_port: int) -> list[int]:
    """Pids of embedded S3 processes serving `s3_port` (left behind if dev did not stop them)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"feedpub.local.moto_process" in command and str(s3_port).encode() in command:
            pids.append(int(entry.name))
    return pids


class DevProcess:
    """`feedpub dev` in a subprocess on free ports, its stdout read line by line as it comes."""

    def __init__(self, content: Path, *options: str) -> None:
        self.port, self.s3_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process = subprocess.Popen(
            [*FEEDPUB, "dev", "--content", str(content), "--port", str(self.port),
             "--s3-port", str(self.s3_port), *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, deadline_s: float = DEADLINE_S) -> str:
        ends = time.monotonic() + deadline_s
        while time.monotonic() < ends:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                assert self.process.poll() is None, f"feedpub dev exited: {self.stderr()}"
                continue
            self.seen.append(line)
            if text in line:
                return line
        pytest.fail(f"feedpub dev never printed {text!r}; it printed {self.seen[-5:]}")

    def new_lines(self) -> list[str]:
        lines = []
        while not self.lines.empty():
            lines.append(self.lines.get())
        self.seen += lines
        return lines

    def stop(self, signum: int = signal.SIGINT) -> int:
        self.process.send_signal(signum)
        self.process.wait(timeout=20)  # "within a few seconds"; generous for a loaded machine
        return self.process.returncode

    def stderr(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read() if self.process.poll() is not None else ""

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "does not exist (give --content the folder that holds site.yaml)"),
        ("file", "is a file, not a content directory"),
        ("no-site", "has no site.yaml"),
        ("bad-site", "base_url"),
    ],
)
def test_a_bad_content_dir_exits_2_with_one_clear_line(tmp_path: Path, setup: str, message: str) -> None:
    # Given a content directory that is missing, a file, lacks site.yaml, or has an invalid one
    content = tmp_path / "content"
    if setup == "file":
        content.write_text("not a directory")
    elif setup != "missing":
        (content / "articles").mkdir(parents=True)
    if setup == "bad-site":
        (content / "site.yaml").write_text("title: T\nbase_url: not a url\n")
    # When `feedpub dev` starts on it
    result = run("dev", "--content", str(content), "--port", "0", "--s3-port", "0")
    # Then it exits 2 with one line naming the problem
    assert result.returncode == 2
    assert message in only_line(result.stderr)


@pytest.mark.parametrize(("option", "make_variable"), [("--port", "PORT"), ("--s3-port", "S3_PORT")])
def test_a_port_in_use_exits_2_naming_the_option(busy_port: int, option: str, make_variable: str) -> None:
    ports = {"--port": "0", "--s3-port": "0", option: str(busy_port)}
    result = run("dev", "--content", str(SAMPLE_CONTENT), *[x for pair in ports.items() for x in pair])
    assert result.returncode == 2
    line = only_line(result.stderr)
    assert f"port 127.0.0.1:{busy_port} is already in use (choose another with {option}, or " in line
    assert f"{make_variable}= with make dev)" in line


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--port", "21999", "--s3-port", "21999"], "--port and --s3-port are both 21999"),
        (["--port", "70000"], "70000 is not a port number (0-65535"),
        (["--s3-port", "http://127.0.0.1:4566"], "is not a port number"),
        (
            ["--host", "no-such-host.invalid", "--port", "0", "--s3-port", "0"],
            "is not an IPv4 address or a host",
        ),
        (["--host", "::1", "--port", "0", "--s3-port", "0"], "the local servers listen on IPv4"),
        (["--log-format", "xml"], "invalid choice: 'xml'"),
    ],
)
def test_options_dev_cannot_use_exit_2_in_one_line(options: list[str], message: str) -> None:
    result = run("dev", "--content", str(SAMPLE_CONTENT), *options)
    assert result.returncode == 2
    assert message in only_line(result.stderr)


START_UP_POINTS = [
    "start-up: the embedded S3 + SQS is starting",  # moto still importing in the child
    "start-up: provisioning",
    "start-up: uploading",
    "start-up: publishing",  # the first publish run in progress
    "start-up: serving",  # just up
]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("point", START_UP_POINTS)
def test_the_first_stop_signal_at_any_point_of_start_up_stops_dev_and_its_children(
    point: str, signum: int
) -> None:
    # Given `feedpub dev` starting (its structured log says which step it is at)
    dev = DevProcess(SAMPLE_CONTENT, "--log-format", "json")
    try:
        dev.wait_for(point)
        # When one Ctrl-C or SIGTERM arrives at that point
        status = dev.stop(signum)
        stderr = dev.stderr()
    finally:
        dev.kill()
    # Then it exits 0 without a traceback, its ports are free and no embedded S3 process is left
    assert status == 0, stderr
    assert "Traceback" not in stderr
    assert wait_until_free(dev.port)
    assert wait_until_free(dev.s3_port)
    assert embedded_children(dev.s3_port) == []


def as_documented(line: str) -> str:
    """A line of output without what changes from run to run: the time and the duration."""
    return re.sub(r"; \d+\.\d\d s\b", "; N s", re.sub(r"^\d\d:\d\d:\d\d ", "", line))


def documented_output() -> list[str]:
    """The example output in docs/local.md ("Output")."""
    text = (REPO / "docs" / "local.md").read_text(encoding="utf-8")
    found = re.search(r"Editing the sample, then adding a draft:\n\n```text\n(.*?)```", text, re.DOTALL)
    assert found is not None, "docs/local.md lost its example output"
    return [as_documented(line) for line in found.group(1).splitlines()]


def test_dev_speaks_in_human_lines_and_is_quiet_while_idle(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, content)
    # Given `feedpub dev` with its default output
    dev = DevProcess(content)
    try:
        # Then the first publish is one line, then the banner with the subscribe URLs
        first = dev.wait_for("start-up: published 5 articles (")
        assert "5 articles in the main feed" in first
        assert "feeds written: site, podcast.xml, 11 under tags/" in first
        dev.wait_for("Press Ctrl-C to stop.")
        assert f"  {dev.url}feed.xml" in dev.seen
        assert f"  {dev.url}podcast.xml" in dev.seen  # the sample site is a show
        assert any("aws s3 cp post.md s3://feedpub-content/articles/" in line for line in dev.seen)
        # When an article is edited, then one line says it was updated and which feeds were written
        article = content / "articles" / "summer-festival-guide.md"
        article.write_text(article.read_text().replace("Festival Guide", "Revised Festival Guide", 1))
        edited = dev.wait_for("summer-festival-guide.md")
        # When an article is added as a draft, then the line says it is not published
        draft_text = "---\ntitle: WIP\ndate: 2024-01-01\ndraft: true\n---\nx\n"
        (content / "articles" / "wip.md").write_text(draft_text)
        draft = dev.wait_for("wip.md")
        # And both lines read as docs/local.md shows them (but for the time and the duration)
        assert [as_documented(edited), as_documented(draft)] == documented_output()
        # When a record is broken, then the rejection and its reason
        (content / "articles" / "bad.md").write_text("---\ntitle: Bad\ndate: 03/07/2024\n---\nx\n")
        rejected = dev.wait_for("REJECTED")
        assert "REJECTED articles/bad.md: date '03/07/2024' is not a valid date" in rejected
        assert rejected.endswith("7 Mar 2024 or Thu, 07 Mar 2024 09:30:00 +0000")  # the forms that work
        # When site.yaml gets a typo, then its error, and the last good feeds stay served
        site = content / "site.yaml"
        published = site.read_text()
        site.write_text(published + "feed_limt: 3\n")
        assert "unknown key 'feed_limt'" in dev.wait_for("site.yaml error")
        assert fetch(dev.url + "feed.xml")[0] == 200
        # When the typo is undone (site.yaml as published: no feed to write), then that is said too
        site.write_text(published)
        assert dev.wait_for("site.yaml is valid again").endswith("site.yaml is valid again; no feed changed")
        # When nothing happens for longer than the 5-second due check, then nothing is printed
        time.sleep(6)
        assert dev.new_lines() == []
        # And Ctrl-C stops it with exit 0 and one line on stderr
        status = dev.stop()
        stderr = dev.stderr()
    finally:
        dev.kill()
    assert status == 0
    assert only_line(stderr) == "feedpub dev: stopping"
    assert not any(line.startswith("{") for line in dev.seen)  # no structured log lines


def test_dev_verbose_gives_the_structured_logs(tmp_path: Path) -> None:
    dev = DevProcess(SAMPLE_CONTENT, "--verbose")
    try:
        line = dev.wait_for('"message":"publish run finished"')
        assert json.loads(line)["action"] == "reconcile"
        dev.wait_for("Press Ctrl-C to stop.")
        assert dev.stop() == 0
    finally:
        dev.kill()


EVENT_EFFECTS = {
    "sqs-put-article.json": "published articles/ballerina-john-wick-spinoff.md; feeds written: site, ",
    "sqs-delete-article.json": "deleted articles/ballerina-john-wick-spinoff.md; feeds written: site",
    "sqs-site-yaml.json": "site.yaml: published 5 articles (",
    "sqs-batch.json": "site.yaml: published 4 articles (",
    "sqs-test-event.json": "the handler published nothing: the event names no content key",
    "schedule-due.json": "scheduled check: no article changed; no feed changed; 5 articles in the main feed",
    "schedule-reconcile.json": "reconcile: published 5 articles (",
}


@pytest.mark.parametrize("name", sorted(EVENT_EFFECTS))
def test_each_sample_event_shows_its_own_effect(name: str) -> None:
    # Given a sample event from events/, When invoked on the sample site
    result = run("invoke", str(REPO / "events" / name), "--content", str(SAMPLE_CONTENT))
    # Then stdout holds only the handler's JSON response, and stderr says what the run did
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response.get("batchItemFailures", []) == []
    assert EVENT_EFFECTS[name] in result.stderr
    assert "Traceback" not in result.stderr


def test_a_delete_event_runs_against_a_bucket_without_that_key() -> None:
    put = run("invoke", str(REPO / "events" / "sqs-put-article.json"), "--content", str(SAMPLE_CONTENT))
    delete = run("invoke", str(REPO / "events" / "sqs-delete-article.json"), "--content", str(SAMPLE_CONTENT))
    # The put leaves 5 articles in the main feed; the delete takes the Ballerina article out of them
    assert "5 articles in the main feed" in put.stderr
    assert "4 articles in the main feed" in delete.stderr
    assert "; feeds removed: tags/ana-de-armas, " in delete.stderr  # the feeds only that article filled


def test_invoke_json_logs_go_to_stderr_and_stdout_stays_json() -> None:
    result = run("invoke", str(REPO / "events" / "sqs-put-article.json"), "--content", str(SAMPLE_CONTENT),
                 "--log-format", "json")  # fmt: skip
    assert json.loads(result.stdout) == {"batchItemFailures": []}
    assert '"message":"publish run finished"' in result.stderr


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ('{"hello": "world"}', "is neither an SQS event (Records) nor a schedule input (action)"),
        ('{"action": "publish"}', "action 'publish' is not one of due, reconcile"),
        ('{"Records": [{"eventSource": "aws:s3"}]}', "is an S3 notification, but PublishFunction"),
        ("{not json", "is not JSON"),
    ],
)
def test_invoke_refuses_what_is_not_an_event_in_one_line(tmp_path: Path, event: str, message: str) -> None:
    path = tmp_path / "event.json"
    path.write_text(event)
    result = run("invoke", str(path))
    assert result.returncode == 2
    assert message in only_line(result.stderr)


def test_invoke_on_a_missing_file_a_directory_or_a_busy_port_says_so(busy_port: int, tmp_path: Path) -> None:
    assert "does not exist" in only_line(run("invoke", str(tmp_path / "nope.json")).stderr)
    assert "is a directory" in only_line(run("invoke", str(tmp_path)).stderr)
    busy = run("invoke", str(REPO / "events" / "schedule-due.json"), "--s3-port", str(busy_port))
    assert busy.returncode == 2
    assert f"port 127.0.0.1:{busy_port} is already in use (choose another with --s3-port)" in only_line(
        busy.stderr
    )
    missing = run("invoke", str(REPO / "events" / "schedule-due.json"), "--content", str(tmp_path / "c"))
    assert "content directory" in only_line(missing.stderr)


def test_invoke_from_another_directory_finds_the_template(tmp_path: Path) -> None:
    # Given a shell in some other directory, when invoke is run with absolute paths, then it works
    result = subprocess.run(
        [*FEEDPUB, "invoke", str(REPO / "events" / "schedule-due.json"), "--content", str(SAMPLE_CONTENT)],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_a_proxy_in_the_environment_is_not_used_for_the_embedded_endpoint() -> None:
    # Given HTTP(S)_PROXY pointing at nothing (a corporate proxy setting), then the local pipeline,
    # whose endpoints are all on this machine, still works
    proxy = "http://127.0.0.1:9"
    env = {**os.environ, "HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy, "https_proxy": proxy}
    result = subprocess.run(
        [*FEEDPUB, "invoke", str(REPO / "events" / "sqs-put-article.json"), "--content", str(SAMPLE_CONTENT)],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"batchItemFailures": []}
