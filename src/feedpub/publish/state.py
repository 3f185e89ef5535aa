"""The publisher's private state: immutable objects under one small root.

Layout under the state prefix (default `_state/`) of the publish bucket:

- `root.json` — the commit point, replaced with If-Match. It names every other object:
  `shards` (record metadata, bucketed by a hash of the content key), `ids` (id → claimants,
  bucketed by a hash of the id), `feeds` (one head per feed of the catalogue, by feed id), plus
  the site.yaml text and ETag, the scheduled list, the rejected map, the md5 of every output and `pending`
  (outputs committed but not yet confirmed written).
- `objects/<sha256 prefix>-<random>.json` — shards and heads. Never modified and never
  reused, so any run may cache them, a half-finished run leaves nothing inconsistent
  behind, and `reconcile` can delete the ones no root references once they are old.

A change to one record touches one record shard, one id shard and the heads of its feeds:
its cost does not grow with the number of records.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from feedpub import catalogue
from feedpub.publish.store import NotFoundError, ObjectStore, PreconditionFailedError

# 2: feeds of every catalogue kind, members with a label, record entries with their facets.
# 3: warnings, expiring and site_warnings in the root.
# 4: members with budget weights (full or summary-only items), facets with authors and enclosure type.
# 5: heads describe the feed's archive pages and their published documents (feedpub.publish.pages).
#    podcast.xml's head keeps every episode and how many its document holds (`shown`); the root
#    keeps the show's warnings (`show_warnings`).
# 6: heads keep their newest archive pages inline and name index objects for the older ones
#    (feedpub.publish.pages). A version-5 root is read as it is (its heads list every page inline,
#    which version 6 reads too) and each head is packed on its next write; a publisher that only
#    knows version 5 rebuilds a version-6 state from the content rather than misread it.
FORMAT_VERSION = 6
READABLE_VERSIONS = (5, 6)
SHARD_DIGITS = 2  # 256 shards of each kind
ROOT_NAME = "root.json"
OBJECTS_DIR = "objects/"
REPORT_NAME = "report.json"
# State objects are immutable, so a cache of them never goes stale; it lives as long as the
# publisher (a warm Lambda container, `feedpub dev`), and saves the GETs of the shards the previous
# runs read or wrote. Bounded by their encoded size.
_CACHE_BYTES = 32 * 1024 * 1024

Entry = dict[str, Any]  # a record's metadata in a shard
HeadItem = dict[str, Any]  # {key, date, id, label, item, full, weights}: see tx.new_member


def shard_of(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:SHARD_DIGITS]


def encode(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def empty_root() -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "layout": catalogue.layout(),  # the kinds and formats its feeds were published in
        "site": None,  # {"etag": ..., "text": ...}
        "shards": {},
        "ids": {},
        "feeds": {},  # feed id (catalogue) -> {"head": key, "label": text | None, "count": n}
        "scheduled": [],  # [[iso date, key]], earliest first
        "expiring": [],  # [[iso date, key]] of records in the feeds until then (Hugo's expiryDate)
        "rejected": {},  # key -> reason
        "warnings": {},  # key -> [warning], for records published with something ignored
        "site_warnings": [],  # about the current site.yaml (ids it changed), until site.yaml changes
        "show_warnings": [],  # [[path, warning]] about the podcast show as a whole, as of podcast.xml
        "outputs": {},  # path -> md5 of the bytes committed for it
        "pending": [],  # paths committed but not yet confirmed written
        "media_refs": {},  # media key -> the records whose enclosure names it
        "media": {},  # media key -> what inspecting its last version found (podcast.media.MediaInfo)
    }


class StateStore:
    """Reads and writes state objects; immutable objects are cached as their bytes (they never change)."""

    def __init__(self, store: ObjectStore, prefix: str) -> None:
        self.store = store
        self.prefix = prefix
        self.root_key = prefix + ROOT_NAME
        self.report_key = prefix + REPORT_NAME
        self.objects_prefix = prefix + OBJECTS_DIR
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()

    def load_root(self) -> tuple[dict[str, Any], str | None]:
        """The current root and its ETag, or an empty root and None when nothing was committed yet."""
        try:
            stored = self.store.get(self.root_key)
        except NotFoundError:
            return empty_root(), None
        root = json.loads(stored.body)
        if root.get("version") not in READABLE_VERSIONS or root.get("layout") != catalogue.layout():
            # An unknown format is rebuilt from the content, and so is a state published with other
            # kinds or formats (each feed gains a new format at once); what it says is published
            # is kept, so the rebuild still deletes the outputs that are gone.
            fresh = empty_root()
            if isinstance(root.get("outputs"), dict) and isinstance(root.get("pending"), list):
                fresh["outputs"], fresh["pending"] = root["outputs"], root["pending"]
            return fresh, stored.etag
        root["version"] = FORMAT_VERSION
        return root, stored.etag

    def commit_root(self, root: dict[str, Any], etag: str | None) -> str:
        """Replace the root iff it is still the one read (raises PreconditionFailedError otherwise)."""
        body = encode(root)
        if etag is None:
            return self.store.put(self.root_key, body, content_type="application/json", if_none_match=True)
        return self.store.put(self.root_key, body, content_type="application/json", if_match=etag)

    def load(self, key: str) -> Any:
        """An immutable object, as a private copy the caller may change."""
        with self._lock:
            body = self._cache.get(key)
            if body is not None:
                self._cache.move_to_end(key)
        if body is None:
            body = self.store.get(key).body
            self._remember(key, body)
        return json.loads(body)

    def prefetch(self, keys: Iterable[str], workers: int = 16) -> None:
        """Read into the cache, several at a time, the objects of `keys` it does not hold yet."""
        wanted = set(keys)  # before taking the lock: `keys` may be a generator that loads objects
        with self._lock:
            todo = sorted(key for key in wanted if key not in self._cache)
        if len(todo) <= 1:
            return
        with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
            for key, body in pool.map(lambda key: (key, self.store.get(key).body), todo):
                self._remember(key, body)

    def save(self, value: Any) -> str:
        """Write an immutable object under a name never used before, and return the name.

        The name is the content hash plus a random part: a name is never reused, so garbage
        collection (which deletes old unreferenced names) can never delete an object that a
        run in flight is about to reference again.
        """
        body = encode(value)
        key = f"{self.objects_prefix}{hashlib.sha256(body).hexdigest()[:32]}-{secrets.token_hex(6)}.json"
        # 412 on a fresh name means a retried request whose first attempt already stored it.
        with contextlib.suppress(PreconditionFailedError):
            self.store.put(key, body, content_type="application/json", if_none_match=True)
        self._remember(key, body)
        return key

    def save_all(self, values: list[Any], workers: int = 16) -> list[str]:
        """`save` each value, several at a time; the keys come back in the order of the values."""
        if len(values) <= 1:
            return [self.save(value) for value in values]
        with ThreadPoolExecutor(max_workers=min(workers, len(values))) as pool:
            return list(pool.map(self.save, values))

    def _remember(self, key: str, body: bytes) -> None:
        with self._lock:
            if key in self._cache:
                return
            self._cache[key] = body
            self._cached_bytes += len(body)
            while self._cached_bytes > _CACHE_BYTES and self._cache:
                self._cached_bytes -= len(self._cache.popitem(last=False)[1])


def referenced_objects(root: dict[str, Any], load: Callable[[str], Any]) -> set[str]:
    """Every state object a root references: its shards and heads, the index objects the heads reach
    and the archive pages they all describe (read with `load`: the root lists no page, so that it
    does not grow with them; feedpub.publish.pages)."""
    from feedpub.publish.pages import reached  # pages builds on this module

    keys = set(root["shards"].values()) | set(root["ids"].values())
    for feed in root["feeds"].values():
        keys.add(feed["head"])
        keys.update(element["object"] for element in reached(load(feed["head"]), load))
    return keys


def sort_key(entry: HeadItem) -> tuple[datetime, str]:
    return (datetime.fromisoformat(entry["date"]), entry["id"])
