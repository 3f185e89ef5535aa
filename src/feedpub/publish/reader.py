"""A publish run's reads of the content bucket: records (many in parallel, or exactly one version),
the media files they name, and the feed items rendered from them; and a rebuild part's reading of its
records (`read_part`), which the merge takes in (PartEntries).

Record parsing and Markdown rendering are imported by the first read that needs them (see engine.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from feedpub import catalogue
from feedpub.config import SiteConfig
from feedpub.errors import RecordError, describe_failure
from feedpub.model import FeedItem, Record
from feedpub.podcast.media import MediaInfo, with_media
from feedpub.podcast.media import inspect as inspect_media
from feedpub.publish.context import RunContext
from feedpub.publish.failures import RECORD_FAILURES_PASS, PoisonedRecordError, StaleRecordError
from feedpub.publish.store import NotFoundError, StoredObject, UnreadableObjectError
from feedpub.publish.tx import DRAFT, PUBLISHED, REJECTED, Entry, Transaction

log = logging.getLogger("feedpub.publish")

KEEP_PARSED = 256  # parsed records kept per run: a whole site's parsed bodies would not fit in memory


class Missing:
    """A content GET that answered 404: the record was deleted."""


MISSING = Missing()


class Unreadable:
    """A content GET that can never succeed as the object is (archived, undecryptable): a rejection."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def entry(self) -> Entry:
        # No ETag comes with the error: "" never matches a listing, so the hourly reconcile reads the
        # object again and publishes it once it is readable (restored from an archive, say).
        return {"etag": "", "status": REJECTED, "reason": f"cannot be read: {self.reason}"}


def entry_for(
    key: str, stored: StoredObject, site: SiteConfig, attach: Callable[[Record], tuple[Record, str | None]]
) -> tuple[Entry, Record | None]:
    """A record's shard entry from its bytes: parsed metadata, or the reason it is rejected.

    `attach` completes a media enclosure from its file: (the record, the ETag of the file's version),
    or RecordError. An entry names the media file even when it is missing, so that its upload
    brings the record back."""
    from feedpub.podcast.check import episode_warnings
    from feedpub.records import parse_record

    try:
        record = parse_record(key, stored.body, site)
    except RecordError as exc:
        return {"etag": stored.etag, "status": REJECTED, "reason": exc.reason}, None
    media = {"key": record.media.key, "etag": None} if record.media else None
    try:
        record, media_etag = attach(record)
    except RecordError as exc:
        return {"etag": stored.etag, "status": REJECTED, "reason": exc.reason, "media": media}, None
    entry: Entry = {
        "etag": stored.etag,
        "status": DRAFT if record.draft else PUBLISHED,  # settled against the id index later
        "id": record.id,
        "date": record.date.isoformat(),
        "facets": catalogue.facets_of(record),  # what decides the feeds it belongs to
    }
    if media is not None:
        entry["media"] = {"key": media["key"], "etag": media_etag}
    if record.publish_at is not None:
        entry["due"] = record.publish_at.isoformat()
    if record.expires_at is not None:
        entry["expires"] = record.expires_at.isoformat()
    warnings = [*record.warnings, *episode_warnings(record, site)]  # the podcast apps' too
    if warnings:
        entry["warnings"] = warnings
    return entry, record


@dataclass
class PartEntries:
    """What a rebuild's part found: its records' shard entries, the media files they name as
    inspected (media key -> podcast.media.MediaInfo as JSON), the keys it could not read, and how
    many objects it read; and the rendered items of its records that a feed may show (record key
    -> [ETag, FeedItem as JSON text]), so the merge renders none of them again. As text, the merge
    reads a part's items without making objects of every field of every item."""

    entries: dict[str, Entry]
    media: dict[str, Any] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    records_read: int = 0
    items: dict[str, list[Any]] = field(default_factory=dict)


# Where a merge finds the items its parts rendered: given the keys of the records the feeds will
# show, the ones it has, as record key -> (ETag, FeedItem as JSON text): compact, as a merge holds
# every published record's.
ItemSource = Callable[[set[str]], dict[str, tuple[str, bytes]]]


class RecordReader:
    """What one run read of the content bucket, and the reads themselves."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.content, self.report = run.pub.content, run.report
        self.fetched: dict[str, StoredObject | Missing | Unreadable] = {}
        self.records: dict[str, Record] = {}
        self.links: dict[str, str | None] = {}  # permalinks of records other bodies link to
        # Media files as this attempt found them (None: not there), and what the state knew of them.
        self.media: dict[str, MediaInfo | None] = {}
        self.known_media: dict[str, Any] = {}
        self.rendered: dict[tuple[str, str], bytes] = {}  # a merge's parts' items (JSON text), by (key, ETag)

    def read_part(self, keys: Sequence[str]) -> PartEntries:
        """A rebuild part's reading: the shard entry of each record that exists under the run's
        site.yaml, with what was found of the media files they name, and the items a feed shows."""
        site = self.run.site_config()
        self.fetch(keys)
        entries: dict[str, Entry] = {}
        for key in keys:
            stored = self.fetched.get(key)
            if isinstance(stored, Unreadable):
                entries[key] = stored.entry()
            elif isinstance(stored, StoredObject):
                entries[key], record = entry_for(key, stored, site, self.attach)
                if record is not None:
                    self.records[key] = record
        items = self._render_shown(entries, site)
        media = {key: info for key, info in self.known_media.items() if key in self.media}
        return PartEntries(entries, media, sorted(self.report.failed_keys), self.report.records_read, items)

    def _render_shown(self, entries: dict[str, Entry], site: SiteConfig) -> dict[str, list[Any]]:
        """The items of this part's published records: a feed shows its newest, its archive pages
        every other one (feedpub.archive), so the merge reads and renders none of them again; one
        that fails to render is left to the merge."""
        keys = [
            key
            for key, entry in entries.items()
            if entry["status"] == PUBLISHED
            and datetime.fromisoformat(entry["date"]) <= self.run.now
            and catalogue.memberships(entry["facets"], site)
        ]
        items: dict[str, list[Any]] = {}
        for key in sorted(keys):
            try:
                item = self.render(key, entries[key]["etag"])
            except (PoisonedRecordError, StaleRecordError):
                continue
            items[key] = [entries[key]["etag"], item.model_dump_json()]
        return items

    def forget(self) -> None:
        """Before an attempt: what the previous one read may have changed since."""
        self.fetched.clear()
        self.records.clear()
        self.media.clear()
        self.links.clear()

    def keep_parsed(self, key: str, record: Record) -> None:
        """Spare a second parse of a record, while few are kept (a rebuild re-parses the few it shows)."""
        if len(self.records) < KEEP_PARSED:
            self.records[key] = record

    def fetch(self, keys: Iterable[str], prefetch: bool = False) -> None:
        """GET the records (in parallel); a failed GET fails its key, a 404 means deleted.

        `prefetch`: a failed GET is left out instead (the record is read again when it is needed)."""
        todo = [key for key in keys if key not in self.fetched]
        if not todo:
            return

        def get(key: str) -> tuple[str, StoredObject | Missing | Unreadable | None]:
            try:
                return key, self.content.get(key)
            except NotFoundError:
                return key, MISSING
            except UnreadableObjectError as exc:
                log.warning("cannot read %s, and retrying will not help: %s", key, exc.reason)
                return key, Unreadable(exc.reason)
            except Exception as exc:
                log.warning("cannot read %s: %s", key, exc)
                return key, None

        with ThreadPoolExecutor(max_workers=max(1, min(self.run.pub.workers, len(todo)))) as pool:
            for key, result in pool.map(get, todo):
                if result is None:
                    if not prefetch:
                        self.report.failed_keys.append(key)
                else:
                    self.fetched[key] = result
                    self.report.records_read += isinstance(result, StoredObject)

    def media_info(self, media_key: str) -> MediaInfo | None:
        """What a media file says of itself now (None: not in the content bucket), read by a HEAD and,
        for a version the state has not seen, a few ranged GETs of that version."""
        if media_key in self.media:
            return self.media[media_key]
        try:
            head = self.content.head(media_key)
        except (NotFoundError, UnreadableObjectError):
            info = None
        else:
            known = self.known_media.get(media_key)
            if known and known.get("etag") == head.etag:
                info = MediaInfo.model_validate(known)
            else:

                def read_range(start: int, end: int) -> bytes:
                    return self.content.get_range(media_key, start, end, if_match=head.etag)

                info = inspect_media(media_key, head.size, head.etag, read_range)
                self.known_media[media_key] = info.model_dump()
        self.media[media_key] = info
        return info

    def attach(self, record: Record) -> tuple[Record, str | None]:
        """The record with its media enclosure completed from the file, and that file's ETag."""
        if record.media is None:
            return record, None
        info = self.media_info(record.media.key)
        return with_media(
            record, self.run.site_config(), info, "the content bucket"
        ), info.etag if info else None

    def media_moved(self, entry: Entry) -> bool:
        """Whether the media file an entry names is not the version it was made with (or is gone)."""
        media = entry.get("media")
        if not media:
            return False
        info = self.media_info(media["key"])
        return (info.etag if info else None) != media["etag"]

    def has_item(self, key: str, tx: Transaction) -> bool:
        entry = tx.entry(key)
        return entry is not None and (
            (key, entry["etag"]) in self.rendered or tx.rendered(key, entry["etag"])
        )

    def render(self, key: str, etag: str) -> FeedItem:
        """The record's feed item, for a record joining a feed (the transaction keeps it, as JSON, for
        every feed and page it joins); what reading or rendering this version raises is its rejection."""
        from feedpub.bounded_render import RendererFailedError
        from feedpub.items import to_feed_item
        from feedpub.records import parse_record

        site = self.run.site_config()
        if (key, etag) in self.rendered:  # by a rebuild's part (the transaction keeps it from now on)
            return FeedItem.model_validate_json(self.rendered.pop((key, etag)))
        record = self.records.get(key)
        stored = None if record is not None else self.version(key, etag)
        try:
            if stored is not None:  # accepted once, but the parser may be stricter now
                record, _ = self.attach(parse_record(key, stored.body, site))
            assert record is not None
            return to_feed_item(record, site, self.link_of)
        except RecordError as exc:
            raise PoisonedRecordError(key, etag, exc.reason) from exc
        except (RendererFailedError, *RECORD_FAILURES_PASS):
            raise
        except BaseException as exc:  # nh3 panics arrive as pyo3's PanicException, a BaseException
            raise PoisonedRecordError(key, etag, f"cannot be rendered: {describe_failure(exc)}") from exc

    def version(self, key: str, etag: str) -> StoredObject:
        """The bytes of exactly this version of a record, as fetched by this run or read now."""
        stored = self.fetched.get(key)
        if not isinstance(stored, StoredObject):
            try:
                stored = self.content.get(key)  # transient errors fail the run: it is retried
            except NotFoundError as exc:
                raise StaleRecordError(key) from exc
            except UnreadableObjectError as exc:
                raise PoisonedRecordError(key, etag, f"cannot be read: {exc.reason}") from exc
            self.report.records_read += 1
        if stored.etag != etag:
            raise StaleRecordError(key)
        return stored

    def link_of(self, key: str) -> str | None:
        """The permalink of another record a body links to: read and parsed as a build would."""
        from feedpub.records import parse_record

        if key not in self.links:
            record = self.records.get(key)
            if record is None:
                try:
                    stored = self.content.get(key)  # other errors fail the run: it is retried
                    self.report.records_read += 1
                    record = parse_record(key, stored.body, self.run.site_config())
                except (NotFoundError, UnreadableObjectError, RecordError):
                    record = None
            self.links[key] = None if record is None else record.url
        return self.links[key]
