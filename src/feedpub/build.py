"""The offline build: content directory -> records -> every feed -> an output directory.

`render_site` is the one function that turns records into every output; the publisher reuses it.
Only records that appear in some feed are rendered, each once however many feeds carry it.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TextIO

from feedpub import items, records, render, selection
from feedpub.config import SITE_FILE, SiteConfig, parse_site
from feedpub.errors import RecordError, SiteConfigError
from feedpub.model import OPML_PATH, XSL_PATH, FeedItem, Record
from feedpub.outdir import WriteReport, write_outputs

ARTICLES_DIR = "articles"
# Below this many records one process is faster than starting a pool (measured: docs/benchmarks.md).
PARALLEL_MIN_RECORDS = 2000


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


def load_site(root: Path) -> SiteConfig:
    path = root / SITE_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SiteConfigError(str(path), "is missing (every content directory needs one)") from exc
    except OSError as exc:
        raise SiteConfigError(str(path), f"cannot be read: {exc.strerror}") from exc
    return parse_site(data, str(path))


def record_files(root: Path) -> list[tuple[str, str]]:
    """(content-relative key, file path) for every record under articles/, sorted by key."""
    found = []
    prefix = len(str(root)) + 1
    for directory, _subdirs, names in os.walk(root / ARTICLES_DIR):
        for name in names:
            path = os.path.join(directory, name)
            key = path[prefix:].replace(os.sep, "/")
            if records.is_record_path(key):
                found.append((key, path))
    return sorted(found)


def _workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def load_content(
    root: Path, site: SiteConfig, workers: int | None = None
) -> tuple[list[Record], list[RecordError]]:
    """Parse every record under root/articles; the ones that cannot be published come back as errors.

    Large sites are parsed by a pool of processes (YAML and validation are CPU-bound, so threads
    would not help); small ones in this process, where starting workers would cost more than it saves.
    """
    files = record_files(root)
    workers = _workers() if workers is None else workers
    if workers < 2 or len(files) < PARALLEL_MIN_RECORDS or "fork" not in mp.get_all_start_methods():
        loaded, failed = _load_files(files, site)
    else:
        # Contiguous chunks, a few per worker so one slow chunk does not hold up the rest;
        # map() keeps their order, so the result is the same as in one process.
        size = -(-len(files) // (workers * 4))
        chunks = [files[start : start + size] for start in range(0, len(files), size)]
        # fork: workers inherit the imported engine instead of importing it again.
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            parts = list(pool.map(_load_files, chunks, [site] * len(chunks)))
        loaded = [record for part, _ in parts for record in part]
        failed = [failure for _, part in parts for failure in part]
    return loaded, [RecordError(path, reason) for path, reason in failed]


def _load_files(files: list[tuple[str, str]], site: SiteConfig) -> tuple[list[Record], list[tuple[str, str]]]:
    # Failures travel as (path, reason): RecordError's two-argument constructor does not pickle.
    loaded: list[Record] = []
    failed: list[tuple[str, str]] = []
    for key, path in files:
        try:
            loaded.append(records.parse_record(key, _read_record(key, path, site), site))
        except RecordError as exc:
            failed.append((exc.path, exc.reason))
    return loaded, failed


def _read_record(key: str, path: str, site: SiteConfig) -> bytes:
    # Size first, so an oversized file is rejected without being read into memory.
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > site.max_record_bytes:
                raise RecordError(key, f"is {size} bytes, over max_record_bytes ({site.max_record_bytes})")
            return file.read()
    except OSError as exc:
        raise RecordError(key, f"cannot be read: {exc.strerror}") from exc


def render_site(site: SiteConfig, loaded: Iterable[Record], now: datetime) -> BuildResult:
    """Every output for these records as of `now`: all feeds in all formats, OPML and XSL."""
    chosen = selection.select(list(loaded), site, now)
    rendered: dict[str, FeedItem] = {}
    outputs: dict[str, bytes] = {}
    for spec, feed_records in chosen.feeds:
        feed_items = []
        for record in feed_records:
            if record.id not in rendered:
                rendered[record.id] = items.to_feed_item(record, site)
            feed_items.append(rendered[record.id])
        outputs.update(render.render_feed(site, spec, feed_items))
    outputs[OPML_PATH] = render.render_opml(site, [spec for spec, _ in chosen.feeds])
    outputs[XSL_PATH] = render.render_xsl()
    return BuildResult(
        outputs=outputs,
        rejected=list(chosen.rejected),
        next_due=chosen.next_due,
        published=len(chosen.published),
        drafts=len(chosen.drafts),
        scheduled=len(chosen.scheduled),
        feeds=len(chosen.feeds),
    )


def check_directory(root: Path, now: datetime) -> BuildResult:
    """Validate and render everything in memory; write nothing."""
    site = load_site(root)
    loaded, rejected = load_content(root, site)
    result = render_site(site, loaded, now)
    return _with_rejected(result, rejected)


def build_directory(root: Path, out_dir: Path, now: datetime) -> BuildResult:
    """Build and write; raises SiteConfigError before anything is written if site.yaml is bad."""
    result = check_directory(root, now)
    return replace(result, written=write_outputs(out_dir, result.outputs))


def _with_rejected(result: BuildResult, rejected: list[RecordError]) -> BuildResult:
    return replace(result, rejected=sorted([*rejected, *result.rejected], key=lambda error: error.path))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def report(result: BuildResult, out: TextIO, err: TextIO) -> None:
    """One REJECTED line per rejected record (err), then a one-paragraph summary (out)."""
    for error in result.rejected:
        print(error, file=err)
    due = f", next due at {result.next_due.isoformat()}" if result.next_due else ""
    print(
        f"{result.published} published, {len(result.rejected)} rejected, "
        f"{_plural(result.drafts, 'draft')}, {result.scheduled} scheduled{due}",
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
