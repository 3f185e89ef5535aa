"""Make moto's server fast enough for a burst of uploads and a site of 10,000 articles.

moto's queue scans every queued message on each SendMessage and ReceiveMessage, asks a
freezegun-aware clock (about 20 µs a call) per message, and on every message it returns it builds the
whole attribute table again just to read the retention period. With 1,000 messages queued one
ReceiveMessage took over a second and draining the queue took minutes. And for every request, of
any service, the server lists moto's package directory (a stat per service, about 180) to tell
whether the host names a service: a quarter of the time of an S3 GET. And each of the ~8 backend
look-ups of a request takes a process-wide lock and compares the service's backend table with
every other one in use (a list search through a Python `__eq__`). Behaviour-preserving
replacements:

- the SQS model's clock reads `time.time()` directly (the same instant: moto's clock is the Unix
  epoch in UTC; only freezegun, which `feedpub dev` never uses, could tell them apart);
- the retention check reads the queue's retention period instead of the attribute table;
- the list of moto's service modules is read once (the installed package does not change);
- a backend look-up for an account the table already holds returns at once: the table only gains
  an account on moto's slow path, which also registers the table, and moto's reset empties both.

Applied once per process, by the code that starts an embedded server (`feedpub dev`, the
benchmarks, the integration tests).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import moto.backends as moto_backends
import moto.core.base_backend as base_backend
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


def _read_once(original: Callable[[], Iterable[str]]) -> Callable[[], tuple[str, ...]]:
    @functools.cache
    def modules() -> tuple[str, ...]:
        return tuple(original())

    return modules


def _known_account_first(original: Callable[[Any, str], None]) -> Callable[[Any, str], None]:
    def create(table: Any, account_id: str) -> None:
        if not dict.__contains__(table, account_id):
            original(table, account_id)

    return create


def apply() -> None:
    """Install the replacements (idempotent); fail loudly if moto no longer has what they replace."""
    global _applied
    with _lock:
        if _applied:
            return
        replaced: list[tuple[Any, str]] = [
            (sqs_models, "unix_time"),
            (sqs_models, "unix_time_millis"),
            (sqs_models.SQSBackend, "is_message_valid_based_on_retention_period"),
            (moto_backends, "list_of_moto_modules"),
            (base_backend.BackendDict, "_create_account_specific_backend"),
        ]
        for owner, name in replaced:
            if not callable(getattr(owner, name, None)):
                missing = f"{owner.__name__}.{name}"
                raise RuntimeError(f"moto has no {missing} any more: feedpub's moto speedups need updating")
        sqs_models.unix_time = _wall_clock(sqs_models.unix_time, 1.0)
        sqs_models.unix_time_millis = _wall_clock(sqs_models.unix_time_millis, 1000.0)
        sqs_models.SQSBackend.is_message_valid_based_on_retention_period = _within_retention  # type: ignore[method-assign,assignment]
        moto_backends.list_of_moto_modules = _read_once(moto_backends.list_of_moto_modules)
        backends = base_backend.BackendDict
        backends._create_account_specific_backend = _known_account_first(  # type: ignore[method-assign,assignment]
            backends._create_account_specific_backend
        )
        _applied = True
