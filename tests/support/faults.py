"""Fault injection at the botocore level: what S3 and the network do to a real publisher.

`FaultInjector` hooks `before-send` so a fault happens where a real one would, below
botocore's retry logic: a 503 SlowDown or a 500 InternalError is a canned HTTP response,
a connection reset is raised before the request leaves, and a read timeout is raised
*after* the request reached the server (a write may have landed although the client saw
an error). `CrashAfterWrites` simulates the Lambda dying between two writes.

Both need a real HTTP endpoint (a moto server): under `mock_aws` moto answers from its own
before-send hook, which would still apply a request this module pretends to have failed.
"""

from __future__ import annotations

import random
import threading
import time
import types
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import botocore.endpoint
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
from botocore.httpsession import URLLib3Session

FAULT_KINDS = ("slowdown", "internal", "reset", "timeout")
WRITE_OPERATIONS = frozenset(
    {"PutObject", "DeleteObject", "DeleteObjects", "CopyObject", "CompleteMultipartUpload"}
)

_ERROR_STATUS = {
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
    "internal": (500, "InternalError", "We encountered an internal error. Please try again."),
}


class SimulatedCrash(BaseException):
    """The process died. A BaseException, so no `except Exception` in the publisher can swallow it."""


class _CannedBody:
    """The minimal raw-stream interface botocore reads an error body through."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self._data

    def read(self, *_args: Any, **_kwargs: Any) -> bytes:
        data, self._data = self._data, b""
        return data


def _error_response(url: str, kind: str) -> AWSResponse:
    status, code, message = _ERROR_STATUS[kind]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>FAULT</RequestId></Error>"
    ).encode()
    headers = HTTPHeaders()
    headers["Content-Type"] = "application/xml"
    headers["Content-Length"] = str(len(body))
    return AWSResponse(url, status, headers, _CannedBody(body))


class FaultInjector:
    """Fail a fraction `rate` of S3 requests (each attempt, retries included) with a random fault kind.

    Deterministic for a given seed and request order. `operations` and `url_contains` narrow
    which requests may fail. Set `active = False` to let the faults stop; `injected` tallies
    what was done.
    """

    def __init__(
        self,
        rate: float,
        *,
        seed: int = 0,
        kinds: tuple[str, ...] = FAULT_KINDS,
        operations: frozenset[str] | None = None,
        url_contains: str | None = None,
    ) -> None:
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; choose from {FAULT_KINDS}")
        self.rate = rate
        self.kinds = kinds
        self.operations = operations
        self.url_contains = url_contains
        self.active = True
        self.injected: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._http = URLLib3Session()

    def attach(self, events: Any) -> FaultInjector:
        # First, so that no other before-send hook (a request counter, say) decides the response.
        events.register_first("before-send.s3", self._before_send, unique_id=f"faults-{id(self)}")
        return self

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.injected.values())

    def _choose(self, operation: str, url: str) -> str | None:
        if not self.active or (self.operations is not None and operation not in self.operations):
            return None
        if self.url_contains is not None and self.url_contains not in url:
            return None
        with self._lock:
            if self._rng.random() >= self.rate:
                return None
            kind = self._rng.choice(self.kinds)
            self.injected[kind] += 1
            return kind

    def _before_send(self, event_name: str, request: Any, **_kwargs: Any) -> AWSResponse | None:
        kind = self._choose(event_name.rsplit(".", 1)[-1], request.url)
        if kind is None:
            return None
        if kind == "reset":
            raise ConnectionClosedError(endpoint_url=request.url)
        if kind == "timeout":
            self._http.send(request)  # the server acts on it; only the answer is lost
            raise ReadTimeoutError(endpoint_url=request.url)
        return _error_response(request.url, kind)


class CrashAfterWrites:
    """Let `allowed` S3 writes through, then die: that write and every later request raise SimulatedCrash.

    `after_write` (if given) runs after each completed write, so a test can check the
    public invariants at every moment between two writes.
    """

    def __init__(self, allowed: int, after_write: Callable[[str], None] | None = None) -> None:
        self.allowed = allowed
        self.after_write = after_write
        self.writes_done = 0
        self.crashed = False
        self._lock = threading.Lock()

    def attach(self, events: Any) -> CrashAfterWrites:
        events.register_first("before-send.s3", self._before_send, unique_id=f"crash-{id(self)}")
        events.register("after-call.s3", self._after_call, unique_id=f"crash-after-{id(self)}")
        return self

    def _before_send(self, event_name: str, **_kwargs: Any) -> None:
        with self._lock:
            if not self.crashed and event_name.rsplit(".", 1)[-1] in WRITE_OPERATIONS:
                self.crashed = self.writes_done >= self.allowed
            if self.crashed:
                raise SimulatedCrash(f"simulated crash after {self.writes_done} writes")

    def _after_call(self, event_name: str, **_kwargs: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if operation not in WRITE_OPERATIONS:
            return
        with self._lock:
            self.writes_done += 1
        if self.after_write is not None:
            self.after_write(operation)


def skip_backoff(monkeypatch: Any) -> None:
    """Make botocore retry at once instead of sleeping its backoff, so fault tests stay fast.

    Only the endpoint's retry sleep changes; the retry decisions and attempt limits are botocore's own.
    """
    public = {name: getattr(time, name) for name in dir(time) if not name.startswith("_")}
    fast_time = types.SimpleNamespace(**public)
    fast_time.sleep = lambda _seconds: None
    monkeypatch.setattr(botocore.endpoint, "time", fast_time)
