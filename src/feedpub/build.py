"""The offline build: content directory -> records -> every feed -> an output directory.

`render_site` turns a whole set of records into every output at once (`feedpub build` and
`check`). The incremental publisher renders the same documents from its state instead
(feedpub.publish.outputs), with the same selection, catalogue and renderers; the tests hold
the two to identical bytes. Only records that appear in some feed are rendered, each once
however many feeds carry it.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TextIO, TypeVar

from feedpub import budget, catalogue, items, records, render, selection
from feedpub.catalogue import Feed
from feedpub.config import SITE_FILE, SiteConfig, parse_site, too_large
from feedpub.errors import RecordError, RecordWarning, SiteConfigError
from feedpub.findings import warning_lines
from feedpub.model import FeedItem, Record
from feedpub.outdir import WriteReport, write_outputs
from feedpub.podcast import check as podcast_check
from feedpub.podcast.media import LocalMedia, MediaInfo, UnreadableMediaError, with_media
from feedpub.sources import skip_reason

ARTICLES_DIR = "articles"
# Starting and stopping two forked workers costs about 0.1 s; parsing a record about 0.17 ms of CPU,
# so a pool pays off from roughly 1,500 records. Below this, one process.
PARALLEL_MIN_RECORDS = 2000
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class BuildResult:
    outputs: dict[str, bytes]  # public path -> bytes
    rejected: list[RecordError]
    next_due: datetime | None  # when the earliest scheduled record becomes due
    published: int
    drafts: int
    scheduled: int
    feeds: int
    written: WriteReport | None = None
    media: tuple[str, ...] = ()  # media files (content keys) the published records' enclosures name
    # (path, warning): what a record's fields or body lost, what the podcast apps would make of it
    warnings: tuple[tuple[str, str], ...] = ()
    skipped: list[RecordError] = field(default_factory=list)  # files under articles/ that are not records
    found: int = 0  # record files found under articles/
    expired: int = 0


def load_site(root: Path) -> SiteConfig:
    path = root / SITE_FILE
    try:
        oversized = too_large(str(path), _regular_file_size(str(path)))
        if oversized is not None:
            raise oversized
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SiteConfigError(str(path), "is missing (every content directory needs one)") from exc
    except OSError as exc:
        raise SiteConfigError(str(path), f"cannot be read: {exc.strerror}") from exc
    except NotARegularFileError as exc:
        raise SiteConfigError(str(path), str(exc)) from exc
    return parse_site(data, str(path))


class NotARegularFileError(Exception):
    """A FIFO, a device or a link to one: reading it could block or never end."""


def _regular_file_size(path: str) -> int:
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise NotARegularFileError("is not a regular file (a FIFO, a device or a link to one)")
    return info.st_size


def record_files(root: Path) -> list[tuple[str, str]]:
    """(content-relative key, file path) for every record under articles/, sorted by key."""
    return content_files(root)[0]


def content_files(root: Path) -> tuple[list[tuple[str, str]], list[RecordError]]:
    """Record files under articles/ (as record_files), and every other file there with why it is skipped."""
    found = []
    skipped = []
    base = os.path.join(root, ARTICLES_DIR)
    for directory, _subdirs, names in os.walk(base):
        inner = os.path.relpath(directory, base)
        folder = ARTICLES_DIR if inner == "." else f"{ARTICLES_DIR}/{inner.replace(os.sep, '/')}"
        for name in names:
            key = f"{folder}/{name}"
            reason = skip_reason(key)
            if reason is None:
                found.append((key, os.path.join(directory, name)))
            else:
                skipped.append(RecordError(key, reason))
    return sorted(found), sorted(skipped, key=lambda skip: skip.path)


@dataclass(frozen=True)
class Workers:
    """Where CPU-bound work runs: this process (no pool), or a pool of `count` processes."""

    pool: ProcessPoolExecutor | None = None
    count: int = 1

    def map(self, work: Callable[[list[T], SiteConfig], list[R]], jobs: list[T], site: SiteConfig) -> list[R]:
        """work(jobs, site), or the same split into contiguous chunks across the pool, order kept."""
        if self.pool is None or len(jobs) < 2:
            return work(jobs, site)
        # A few chunks per worker, so one slow chunk does not hold up the rest.
        size = -(-len(jobs) // (self.count * 4))
        chunks = [jobs[start : start + size] for start in range(0, len(jobs), size)]
        return [result for part in self.pool.map(work, chunks, [site] * len(chunks)) for result in part]


SEQUENTIAL = Workers()


@contextmanager
def workers_for(record_count: int, count: int | None = None) -> Iterator[Workers]:
    """A process pool for a site of this many records, or SEQUENTIAL when one would not pay off.

    YAML, validation and rendering are CPU-bound, so threads would not help. Workers are forked
    so they inherit the imported engine instead of importing it again.
    """
    if count is None:
        count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if count < 2 or record_count < PARALLEL_MIN_RECORDS or "fork" not in mp.get_all_start_methods():
        yield SEQUENTIAL
        return
    with ProcessPoolExecutor(count, mp_context=mp.get_context("fork")) as pool:
        yield Workers(pool, count)


def load_content(
    root: Path, site: SiteConfig, workers: Workers = SEQUENTIAL
) -> tuple[list[Record], list[RecordError]]:
    """Parse every record under root/articles; the ones that cannot be published come back as errors."""
    return load_records(record_files(root), site, workers)


def load_records(
    files: list[tuple[str, str]], site: SiteConfig, workers: Workers = SEQUENTIAL
) -> tuple[list[Record], list[RecordError]]:
    """Parse these (key, path) record files, as listed by record_files."""
    loaded: list[Record] = []
    rejected: list[RecordError] = []
    for outcome in workers.map(_load_files, files, site):
        if isinstance(outcome, Record):
            loaded.append(outcome)
        else:
            rejected.append(outcome)
    return loaded, rejected


def _load_files(files: list[tuple[str, str]], site: SiteConfig) -> list[Record | RecordError]:
    outcomes: list[Record | RecordError] = []
    for key, path in files:
        try:
            outcomes.append(records.parse_record(key, _read_record(key, path, site), site))
        except RecordError as exc:
            outcomes.append(exc)
    return outcomes


def _read_record(key: str, path: str, site: SiteConfig) -> bytes:
    # Size first, so an oversized file is rejected without being read into memory.
    try:
        size = _regular_file_size(path)
        if size > site.max_record_bytes:
            raise RecordError(key, f"is {size} bytes, over max_record_bytes ({site.max_record_bytes})")
        with open(path, "rb") as file:
            return file.read(site.max_record_bytes + 1)  # a file that grew meanwhile is caught by the parser
    except OSError as exc:
        raise RecordError(key, f"cannot be read: {exc.strerror}") from exc
    except NotARegularFileError as exc:
        raise RecordError(key, str(exc)) from exc


def _render_items(jobs: list[tuple[Record, dict[str, str]]], site: SiteConfig) -> list[FeedItem]:
    return [items.render_item(record, site, links.get) for record, links in jobs]


def _render_feeds(feeds: list[tuple[Feed, list[FeedItem]]], site: SiteConfig) -> list[tuple[str, bytes]]:
    return [
        output
        for feed, feed_items in feeds
        for output in items.render_feed_of(site, feed, feed_items).items()
    ]


def render_site(
    site: SiteConfig, loaded: Iterable[Record], now: datetime, workers: Workers = SEQUENTIAL
) -> BuildResult:
    """Every output for these records as of `now`: every feed of the catalogue in its formats, OPML, XSL.

    Every published record is rendered (each shows in a feed or in one of its archive documents),
    once however many feeds show it. A record
    whose item or feed fails to render is rejected with the reason and the site rendered without it.
    """
    kept = list(loaded)
    unrenderable: list[RecordError] = []
    while True:
        try:
            result = _render_site(site, kept, now, workers)
        except items.UnrenderableError as exc:
            unrenderable.append(RecordError(exc.path or "", exc.reason))
            kept = [record for record in kept if record.path != exc.path]
            continue
        return replace(result, rejected=[*result.rejected, *unrenderable])


def _render_site(site: SiteConfig, loaded: list[Record], now: datetime, workers: Workers) -> BuildResult:
    chosen = selection.select(loaded, site, now)
    # Every published record is in some archive page, the records the feeds show too.
    members = [
        record
        for feed_records in [r for _, r in chosen.feeds] + [d.page for d in chosen.archives]
        for record in feed_records
    ]
    shown = list({record.id: record for record in members}.values())
    links = {record.path: record.url for record in loaded}  # links between records: their permalinks
    jobs = [(record, links) for record in shown]
    rendered = dict(zip((record.id for record in shown), workers.map(_render_items, jobs, site), strict=True))
    feeds = [
        (feed, budget.shown(site, feed, [rendered[record.id] for record in feed_records]))
        for feed, feed_records in chosen.feeds
    ]
    # An archive document shows its oldest members as the budget of its whole page has them
    # (the publisher keeps each page's items so: publish/tx.py).
    for doc in chosen.archives:
        page_items = budget.shown(site, doc.feed, [rendered[record.id] for record in doc.page])
        feeds.append((doc.feed, page_items[len(page_items) - len(doc.shown) :]))
    try:
        outputs = dict(workers.map(_render_feeds, feeds, site))
    except items.UnrenderableError as exc:  # a feed names the item at fault: which record is it?
        raise items.UnrenderableError(
            exc.reason, path=next(record.path for record in shown if record.id == exc.item_id)
        ) from None
    outputs[catalogue.OPML.path] = render.render_opml(site, [feed for feed, _ in chosen.feeds])
    outputs[catalogue.XSL.path] = render.render_xsl()
    episodes = [record for record in chosen.published if podcast_check.is_episode(record)]
    warnings = [(r.path, warning) for r in episodes for warning in podcast_check.episode_warnings(r, site)]
    held: list[tuple[str, FeedItem]] = []  # the episodes podcast.xml holds, as the publisher's head of it
    left_out = 0  # and those past its byte budget
    for (feed, feed_records), (_, feed_items) in zip(chosen.feeds, feeds[: len(chosen.feeds)], strict=True):
        if feed.kind is catalogue.PODCASTS:
            held = [(record.path, rendered[record.id]) for record in feed_records[: len(feed_items)]]
            left_out = len(feed_records) - len(feed_items)
    record_warnings = [RecordWarning(r.path, w) for r in sorted(loaded, key=_path) for w in r.warnings]
    return BuildResult(
        outputs=outputs,
        rejected=list(chosen.rejected),
        next_due=chosen.next_due,
        published=len(chosen.published),
        drafts=len(chosen.drafts),
        scheduled=len(chosen.scheduled),
        feeds=len(chosen.feeds),
        media=tuple(sorted({record.media.key for record in chosen.published if record.media})),
        warnings=tuple(record_warnings + warnings + podcast_check.show_warnings(site, held, left_out)),
        expired=len(chosen.expired),
    )


def _path(record: Record) -> str:
    return record.path


def attach_media(
    loaded: list[Record], site: SiteConfig, inspect_file: Callable[[str], MediaInfo | None], where: str
) -> tuple[list[Record], list[RecordError]]:
    """Records whose enclosure is a media file, completed from it (`inspect_file(key)`, None when the
    file is not there); rejected naming `where` the file was looked for."""
    attached: list[Record] = []
    rejected: list[RecordError] = []
    for record in loaded:
        try:
            info = inspect_file(record.media.key) if record.media else None
            attached.append(with_media(record, site, info, where))
        except RecordError as exc:
            rejected.append(exc)
        except UnreadableMediaError as exc:
            rejected.append(RecordError(record.path, f"enclosure {exc}"))
    return attached, rejected


def check_directory(root: Path, now: datetime) -> BuildResult:
    """Validate and render everything in memory; write nothing."""
    site = load_site(root)
    files, skipped = content_files(root)
    with workers_for(len(files)) as workers:
        loaded, rejected = load_records(files, site, workers)
        media = LocalMedia(root)
        loaded, missing = attach_media(loaded, site, media.inspect, f"{root / 'media'}")
        result = render_site(site, loaded, now, workers)
    return replace(_with_rejected(result, [*rejected, *missing]), skipped=skipped, found=len(files))


def build_directory(root: Path, out_dir: Path, now: datetime) -> BuildResult:
    """Build and write (the media files published records name included); raises SiteConfigError
    before anything is written if site.yaml is bad."""
    result = check_directory(root, now)
    outputs = {**result.outputs, **{key: (root / key).read_bytes() for key in result.media}}
    return replace(result, written=write_outputs(out_dir, outputs))


def _with_rejected(result: BuildResult, rejected: list[RecordError]) -> BuildResult:
    return replace(result, rejected=sorted([*rejected, *result.rejected], key=lambda error: error.path))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def report(result: BuildResult, out: TextIO, err: TextIO, every_warning: bool = False) -> None:
    """SKIPPED, REJECTED and WARN lines (err), one per file and finding, then a short summary (out).
    A warning shared by many files lists its first few and one line counting the rest, unless
    `every_warning` (--verbose)."""
    warnings = (
        [f"WARN {path}: {warning}" for path, warning in result.warnings]
        if every_warning
        else warning_lines(result.warnings, "the output of --verbose")
    )
    for line in [
        *(f"SKIPPED {skip.path}: {skip.reason}" for skip in result.skipped),
        *map(str, result.rejected),
        *warnings,
    ]:
        print(" ".join(line.splitlines()), file=err)  # one line each, whatever the reason says
    if not (result.found or result.rejected or result.published):
        print(f"no records found under {ARTICLES_DIR}/ (records are Markdown or JSON files)", file=err)
    due = f", next due at {result.next_due.isoformat()}" if result.next_due else ""
    expired = f", {result.expired} expired" if result.expired else ""
    print(
        f"{result.published} published, {len(result.rejected)} rejected, "
        f"{_plural(result.drafts, 'draft')}, {result.scheduled} scheduled{expired}{due}; "
        f"{_plural(len(result.warnings), 'warning')}, {len(result.skipped)} skipped",
        file=out,
    )
    if result.written:
        w = result.written
        print(
            f"{_plural(result.feeds, 'feed')} written to {w.out_dir} ({w.updated} files updated, "
            f"{w.unchanged} unchanged, {w.removed} removed)",
            file=out,
        )
    else:
        print(f"{_plural(result.feeds, 'feed')} would be written (check writes nothing)", file=out)
