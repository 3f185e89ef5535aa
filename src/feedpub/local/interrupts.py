"""Ctrl-C and SIGTERM for a command that starts servers and child processes (`feedpub dev`).

The first signal stops the command at whatever moment it arrives. While start-up is under way it
raises StopRequested in the main thread, so start-up unwinds through its `finally` blocks and the
parts already started are stopped; once the command runs, it wakes `wait_for_stop()`. Further
signals are ignored while the stop itself runs, so it is never cut short halfway.

`deferred()` marks the few steps that must not be split (start a child process and register it
for the stop): a signal arriving inside one is acted on as the block ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from types import FrameType, TracebackType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequested(BaseException):
    """A stop signal arrived during start-up (BaseException: no `except Exception` swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Phase(Enum):
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"


_active: StopSignals | None = None


class StopSignals:
    """Installs the SIGINT and SIGTERM handlers for its `with` block (main thread only)."""

    def __init__(self) -> None:
        self._phase = _Phase.STARTING
        self._stop = threading.Event()
        self._deferring = 0
        self._pending: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        global _active
        self._previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}
        _active = self
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        global _active
        _active = None
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    @property
    def stop_requested(self) -> bool:
        return self._phase is _Phase.STOPPING

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self._phase is _Phase.STOPPING:
            return
        if self._deferring:
            self._pending = signum
            return
        starting = self._phase is _Phase.STARTING
        self._phase = _Phase.STOPPING
        self._stop.set()
        if starting:
            raise StopRequested(signum)

    def running(self) -> None:
        """Start-up is over: a signal now wakes wait_for_stop() instead of raising."""
        if self._phase is _Phase.STARTING:
            self._phase = _Phase.RUNNING

    def stopping(self) -> None:
        """The stop has begun: signals are ignored from now on."""
        self._phase = _Phase.STOPPING

    def wait_for_stop(self) -> None:
        self._stop.wait()

    @contextmanager
    def _deferred(self) -> Iterator[None]:
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1
            if not self._deferring and self._pending is not None:
                signum, self._pending = self._pending, None
                self._handle(signum, None)  # raises StopRequested during start-up


@contextmanager
def deferred() -> Iterator[None]:
    """No stop signal splits this block (it takes effect as the block ends); a no-op without StopSignals."""
    active = _active
    if active is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    with active._deferred():
        yield
