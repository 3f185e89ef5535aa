"""Headless Chromium driven over the Chrome DevTools Protocol on a pipe (`--remote-debugging-pipe`).

No driver, no websocket, no port: Chromium reads NUL-terminated JSON commands on its fd 3 and
writes replies and events on its fd 4. A test opens a page as a person would (a real navigation,
with the headers the browser sends), then reads the DOM, the response and the console, and keeps a
screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--remote-debugging-pipe",
    "--window-size=1280,1600",
]
TIMEOUT_S = 60.0


@dataclass
class Visit:
    """What a navigation showed: the document's response, what the page logged, and its DOM."""

    status: int
    mime_type: str
    response_headers: dict[str, str]
    request_headers: dict[str, str]
    console: list[str] = field(default_factory=list)


class Browser:
    def __init__(self, process: subprocess.Popen[bytes], commands: int, replies: int) -> None:
        self.process = process
        self._commands = commands
        self._replies = os.fdopen(replies, "rb", buffering=0)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self.session: str | None = None

    # -- the protocol --------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = self._replies.read(65536)
            if not chunk:
                raise RuntimeError(f"Chromium closed its pipe (exit status {self.process.poll()})")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def send(self, method: str, params: dict[str, Any] | None = None, session: bool = True) -> dict[str, Any]:
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            command["sessionId"] = self.session
        os.write(self._commands, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self._events.append(message)

    def wait_for(self, method: str) -> dict[str, Any]:
        """The first event of this method since the page was opened (events are kept for `open`)."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            for event in self._events:
                if event.get("method") == method:
                    return event
            self._events.append(self._read_message(deadline))

    # -- what tests do ---------------------------------------------------------------------------

    def open(self, url: str, bypass_csp: bool = False) -> Visit:
        """Navigate a new tab to `url` as a person would, and wait until the page has loaded.
        `bypass_csp` lets a test run fetch() in a page whose policy allows no connection."""
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        attached = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)
        self.session = attached["sessionId"]
        self._events.clear()
        for domain in ("Page", "Network", "Log", "Runtime"):
            self.send(f"{domain}.enable")
        if bypass_csp:
            self.send("Page.setBypassCSP", {"enabled": True})
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")
        documents = [
            event["params"]
            for event in self._events
            if event.get("method") == "Network.responseReceived" and event["params"].get("type") == "Document"
        ]
        extra = [
            event["params"]["headers"]
            for event in self._events
            if event.get("method") == "Network.requestWillBeSentExtraInfo"
        ]
        response = documents[0]["response"]
        console = [
            f"{event['params']['entry']['level']}: {event['params']['entry']['text']}"
            for event in self._events
            if event.get("method") == "Log.entryAdded"
        ] + [
            f"{event['params']['type']}: {event['params'].get('args')}"
            for event in self._events
            if event.get("method") == "Runtime.consoleAPICalled"
        ]
        return Visit(
            status=response["status"],
            mime_type=response["mimeType"],
            response_headers={name.lower(): value for name, value in response["headers"].items()},
            request_headers={name.lower(): value for name, value in (extra[0] if extra else {}).items()},
            console=console,
        )

    def evaluate(self, expression: str, await_promise: bool = False) -> Any:
        """The JSON value of a JavaScript expression in the page (DevTools runs it whatever the
        page's CSP says; the page itself runs no script)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": await_promise},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def log(self) -> list[str]:
        """Console and log entries that arrived after the page loaded (a blocked resource, say)."""
        self.send("Runtime.evaluate", {"expression": "0"})  # lets pending events arrive
        return [
            f"{event['params']['entry']['level']}: {event['params']['entry']['text']}"
            for event in self._events
            if event.get("method") == "Log.entryAdded"
        ]

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


@contextmanager
def chromium(profile: Path) -> Iterator[Browser]:
    """A headless Chromium with a new, empty profile; closed (then killed if need be) afterwards."""
    executable = shutil.which("chromium")
    # Never a skip: the page's proof is what a real browser shows.
    assert executable, "the browser tests need Chromium: `make system-packages` installs the Debian package"
    profile.mkdir(parents=True, exist_ok=True)
    to_chromium, commands = os.pipe()
    replies, from_chromium = os.pipe()
    # Out of the way of fds 3 and 4, which the child's ends are moved to.
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in (to_chromium, from_chromium)]
    for fd in (to_chromium, from_chromium):
        os.close(fd)

    def give_pipes() -> None:  # in the child: the protocol's fds 3 (commands in) and 4 (replies out)
        os.dup2(high[0], 3)
        os.dup2(high[1], 4)

    process = subprocess.Popen(
        [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(3, 4),  # kept open past the preexec dup2 (close_fds runs after it)
        preexec_fn=give_pipes,  # tests start it from one thread
    )
    for fd in high:
        os.close(fd)
    browser = Browser(process, commands, replies)
    try:
        yield browser
    finally:
        with suppress(OSError, RuntimeError, TimeoutError):
            browser.send("Browser.close", session=False)
        os.close(commands)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
