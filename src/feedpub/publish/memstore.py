"""An in-memory ObjectStore with S3's semantics (ETags, conditional writes): for tests and dry runs."""

from __future__ import annotations

import builtins
import hashlib
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from feedpub.publish.store import (
    Listing,
    NotFoundError,
    ObjectInfo,
    PreconditionFailedError,
    StoredObject,
    read_error,
)


class MemoryStore:
    """Thread-safe; `writes` counts PUTs and DELETEs; `before_put(key)` lets a test interleave a writer."""

    modified_resolution_s = 0.0  # nothing here reaches a reader by Last-Modified

    def __init__(self) -> None:
        self._objects: dict[str, tuple[bytes, str, str, str | None, datetime]] = {}
        self._lock = threading.RLock()
        self.writes = 0
        self.reads = 0
        self.before_put: Callable[[str], None] | None = None
        self._read_errors: dict[str, Exception] = {}
        self.ranges: builtins.list[tuple[str, int, int]] = []  # every ranged GET: (key, start, end)
        self.copies = 0

    def _current(self, key: str) -> tuple[bytes, str, str, str | None, datetime]:
        if key not in self._objects:
            raise NotFoundError(key)
        if key in self._read_errors:
            error = self._read_errors[key]
            raise read_error(key, error) from error
        return self._objects[key]

    def get(self, key: str) -> StoredObject:
        with self._lock:
            self.reads += 1
            if key not in self._objects:
                raise NotFoundError(key)
            if key in self._read_errors:
                error = self._read_errors[key]
                raise read_error(key, error) from error
            body, etag, *_ = self._objects[key]
            return StoredObject(body, etag)

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        cache_control: str | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        if self.before_put is not None:
            self.before_put(key)  # outside the lock, where a concurrent writer could act
        with self._lock:
            current = self._objects.get(key)
            if if_none_match and current is not None:
                raise PreconditionFailedError(key)
            if if_match is not None and (current is None or current[1] != if_match):
                raise PreconditionFailedError(key)
            etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
            self._objects[key] = (bytes(body), etag, content_type, cache_control, datetime.now(UTC))
            self.writes += 1
            return etag

    def delete(self, key: str) -> None:
        with self._lock:
            self._objects.pop(key, None)
            self.writes += 1

    def list(self, prefix: str = "") -> Iterator[Listing]:
        with self._lock:
            items = sorted((k, v[1], v[4]) for k, v in self._objects.items() if k.startswith(prefix))
        for key, etag, modified in items:
            yield Listing(key, etag, modified)

    def head(self, key: str) -> ObjectInfo:
        with self._lock:
            body, etag, *_ = self._current(key)
            return ObjectInfo(len(body), etag)

    def get_range(self, key: str, start: int, end: int, *, if_match: str) -> builtins.bytes:
        with self._lock:
            self.reads += 1
            body, etag, *_ = self._current(key)
            if etag != if_match:
                raise PreconditionFailedError(key)
            self.ranges.append((key, start, end))
            return body[start : end + 1]

    def copy_from(
        self, source: MemoryStore, key: str, *, if_match: str, content_type: str, cache_control: str
    ) -> None:
        """As S3's CopyObject: the bytes move between the stores, never through the caller."""
        with source._lock:
            body, etag, *_ = source._current(key)
            if etag != if_match:
                raise PreconditionFailedError(key)
        with self._lock:
            self._objects[key] = (body, etag, content_type, cache_control, datetime.now(UTC))
            self.writes += 1
            self.copies += 1

    def fail_reads(self, key: str, error: Exception | None) -> None:
        """Make every GET of `key` fail as S3 would with `error` (e.g. a ClientError for a GLACIER
        object), classified like S3Store's; None lifts it. The object still lists."""
        with self._lock:
            if error is None:
                self._read_errors.pop(key, None)
            else:
                self._read_errors[key] = error

    def headers(self, key: str) -> tuple[str, str | None]:
        """(Content-Type, Cache-Control) the object was stored with."""
        with self._lock:
            _, _, content_type, cache_control, _ = self._objects[key]
            return content_type, cache_control

    def keys(self, prefix: str = "") -> builtins.list[str]:
        with self._lock:
            return sorted(k for k in self._objects if k.startswith(prefix))

    def age(self, key: str, modified: datetime) -> None:
        """Backdate an object's LastModified (garbage-collection tests)."""
        with self._lock:
            body, etag, content_type, cache_control, _ = self._objects[key]
            self._objects[key] = (body, etag, content_type, cache_control, modified)
