"""Count S3 requests by operation, and the bytes they read, through botocore's event hooks.

Attach to a client (`client.meta.events`) or to a botocore session (`session.events`)
before it creates clients. Every HTTP attempt counts, retries included: that is what a
bill and a latency budget see. Attach it before a FaultInjector and injected attempts count too.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

# Operations whose response carries no body even though content-length names the object size.
_NO_BODY = frozenset({"HeadObject", "HeadBucket"})


class RequestCounter:
    """Thread-safe tally of S3 requests per operation and response bytes received."""

    def __init__(self, service: str = "s3") -> None:
        self._service = service
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.bytes_read = 0

    def attach(self, events: Any) -> RequestCounter:
        events.register_first(
            f"before-send.{self._service}", self._on_send, unique_id=f"count-send-{id(self)}"
        )
        events.register(
            f"response-received.{self._service}", self._on_response, unique_id=f"count-recv-{id(self)}"
        )
        return self

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.requests.values())

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": dict(sorted(self.requests.items())), "bytes_read": self.bytes_read}

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.bytes_read = 0

    def _on_send(self, event_name: str, **_kwargs: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            self.requests[operation] += 1

    def _on_response(self, event_name: str, response_dict: dict[str, Any] | None = None, **_kw: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if response_dict is None or operation in _NO_BODY:
            return
        length = response_dict.get("headers", {}).get("content-length")
        if length is not None:
            with self._lock:
                self.bytes_read += int(length)
