"""Make moto's server fast enough for a burst of uploads and a site of 10,000 articles.

moto's queue scans every queued message on each SendMessage and ReceiveMessage, asks a
freezegun-aware clock (about 20 µs a call) per message, and on every message it returns it builds the
whole attribute table again just to read the retention period. With 1,000 messages queued one
ReceiveMessage took over a second and draining the queue took minutes. Each SendMessage also built
the attribute table, whose three message counts scan the whole queue, only to read one FIFO setting,
and each DeleteMessage scanned the queue twice and copied it: every S3 notification and every
delete cost time in proportion to the messages already queued: sending, receiving and deleting
3,000 took 12.1 s here, 1,000 took 1.8 s (now 1.1 s and 0.25 s). And for every request, of
any service, the server lists moto's package directory (a stat per service, about 180) to tell
whether the host names a service: a quarter of the time of an S3 GET. And each of the ~8 backend
look-ups of a request takes a process-wide lock and compares the service's backend table with
every other one in use (a list search through a Python `__eq__`). Behaviour-preserving
replacements:

- the SQS model's clock reads `time.time()` directly (the same instant: moto's clock is the Unix
  epoch in UTC; only freezegun, which `feedpub dev` never uses, could tell them apart);
- the retention check reads the queue's retention period instead of the attribute table;
- the visible messages are yielded as ReceiveMessage asks for them (it stops after at most 10)
  instead of listed in full, and they and the three message counts read the clock once per scan,
  not twice per message;
- while a message is being sent, the attribute table skips the three counts (SendMessage reads
  only ContentBasedDeduplication from it): a send no longer depends on the queue's length;
- DeleteMessage finds the message in one pass (the oldest are deleted first, so it is near the
  front) and leaves the queue as a new list, as moto does;
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
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import moto.backends as moto_backends
import moto.core.base_backend as base_backend
import moto.sqs.exceptions as sqs_exceptions
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


def _now_ms() -> float:
    return time.time() * 1000.0


class _VisibleMessages:
    """`Queue.messages` without building the list: ReceiveMessage iterates it and stops once it has
    its (at most 10) messages, so a receive costs the in-flight messages ahead of them, not the queue.
    Iterated, counted or tested for emptiness, like the list it replaces (moto does nothing else)."""

    def __init__(self, queue: Any) -> None:
        self._messages = queue._messages  # the list as it is now: a delete replaces it with a new one

    def __iter__(self) -> Iterator[Any]:
        now = _now_ms()
        return (m for m in self._messages if now > m.visible_at and not now < m.delayed_until)

    def __bool__(self) -> bool:
        return any(True for _ in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _count_visible(queue: Any) -> int:
    return len(_VisibleMessages(queue))


def _count_delayed(queue: Any) -> int:
    now = _now_ms()
    return sum(1 for m in queue._messages if now < m.delayed_until)


def _count_in_flight(queue: Any) -> int:
    now = _now_ms()
    return sum(1 for m in queue._messages if not now > m.visible_at)


_COUNTS = {
    "approximate_number_of_messages": _count_visible,
    "approximate_number_of_messages_delayed": _count_delayed,
    "approximate_number_of_messages_not_visible": _count_in_flight,
}
_sending = threading.local()


def _not_while_sending(count: Callable[[Any], int]) -> property:
    def counted(queue: Any) -> int:
        # SendMessage builds the attribute table only to read ContentBasedDeduplication.
        return 0 if getattr(_sending, "active", False) else count(queue)

    return property(counted)


def _sending_flagged(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def send_message(*args: Any, **kwargs: Any) -> Any:
        _sending.active = True
        try:
            return original(*args, **kwargs)
        finally:
            _sending.active = False

    return send_message


def _position(messages: list[Any], receipt_handle: str) -> int | None:
    for index, message in enumerate(messages):
        if message.receipt_handle == receipt_handle or receipt_handle in message._old_receipt_handles:
            return index
    return None


def _delete_message(queue: Any, receipt_handle: str) -> None:
    if receipt_handle in queue.deleted_messages:
        return  # deleting again is not an error
    messages = queue._messages
    index = _position(messages, receipt_handle)
    if index is None:
        raise sqs_exceptions.ReceiptHandleIsInvalid()
    message = messages[index]
    queue.pending_messages.discard(message)
    queue.deleted_messages.update(message.all_receipt_handles)
    queue._messages = messages[:index] + messages[index + 1 :]


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
            (sqs_models.SQSBackend, "send_message"),
            (sqs_models.Queue, "delete_message"),
            (sqs_exceptions, "ReceiptHandleIsInvalid"),
        ]
        properties = ("messages", *_COUNTS)
        for owner, name in replaced:
            if not callable(getattr(owner, name, None)):
                missing = f"{owner.__name__}.{name}"
                raise RuntimeError(f"moto has no {missing} any more: feedpub's moto speedups need updating")
        for name in properties:
            if not isinstance(getattr(sqs_models.Queue, name, None), property):
                raise RuntimeError(
                    f"moto has no Queue.{name} any more: feedpub's moto speedups need updating"
                )
        queue = sqs_models.Queue
        queue.messages = property(_VisibleMessages)  # type: ignore[method-assign,assignment]
        for name, count in _COUNTS.items():
            setattr(queue, name, _not_while_sending(count))
        queue.delete_message = _delete_message  # type: ignore[method-assign,assignment]
        sqs_models.SQSBackend.send_message = _sending_flagged(sqs_models.SQSBackend.send_message)  # type: ignore[method-assign]
        sqs_models.unix_time = _wall_clock(sqs_models.unix_time, 1.0)
        sqs_models.unix_time_millis = _wall_clock(sqs_models.unix_time_millis, 1000.0)
        sqs_models.SQSBackend.is_message_valid_based_on_retention_period = _within_retention  # type: ignore[method-assign,assignment]
        moto_backends.list_of_moto_modules = _read_once(moto_backends.list_of_moto_modules)
        backends = base_backend.BackendDict
        backends._create_account_specific_backend = _known_account_first(  # type: ignore[method-assign,assignment]
            backends._create_account_specific_backend
        )
        _applied = True
