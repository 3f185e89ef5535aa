"""Make moto's SQS model fast enough for a burst of uploads (the embedded AWS only).

moto's queue scans every queued message on each SendMessage and ReceiveMessage, asks a
freezegun-aware clock (about 20 µs a call) per message, and on every message it returns it builds the
whole attribute table again just to read the retention period. With 1,000 messages queued one
ReceiveMessage took over a second and draining the queue took minutes. Two behaviour-preserving
replacements bring that down to milliseconds:

- the SQS model's clock reads `time.time()` directly (the same instant: moto's clock is the Unix
  epoch in UTC; only freezegun, which `feedpub dev` never uses, could tell them apart);
- the retention check reads the queue's retention period instead of the attribute table.

Applied once, to the running process, and only by the code that starts the embedded server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import moto.sqs.models as sqs_models

_applied = False
_lock = threading.Lock()


def _wall_clock(original: Callable[..., float], scale: float) -> Callable[..., float]:
    def now(dt: Any = None) -> float:
        return time.time() * scale if dt is None else original(dt)

    return now


def _within_retention(backend: Any, queue_name: str, message: Any) -> bool:
    queue = backend.get_queue(queue_name)
    retain_until_s = int(queue.message_retention_period) + message.sent_timestamp / 1000
    return bool(retain_until_s > time.time())


def apply() -> None:
    """Install the replacements (idempotent); fail loudly if moto no longer has what they replace."""
    global _applied
    with _lock:
        if _applied:
            return
        for name in ("unix_time", "unix_time_millis"):
            if not callable(getattr(sqs_models, name, None)):
                raise RuntimeError(f"moto.sqs.models.{name} is gone: feedpub's moto speedups need updating")
        if not hasattr(sqs_models.SQSBackend, "is_message_valid_based_on_retention_period"):
            raise RuntimeError("moto's SQS retention check moved: feedpub's moto speedups need updating")
        sqs_models.unix_time = _wall_clock(sqs_models.unix_time, 1.0)
        sqs_models.unix_time_millis = _wall_clock(sqs_models.unix_time_millis, 1000.0)
        sqs_models.SQSBackend.is_message_valid_based_on_retention_period = _within_retention  # type: ignore[method-assign,assignment]
        _applied = True
