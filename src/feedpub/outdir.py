"""Writing a build's outputs into a directory: atomically, idempotently, and only inside it.

Each file is written to a temporary name and renamed into place, so a reader never sees half a
feed; files whose bytes are unchanged are left alone (mtime kept, nothing for a sync to upload).
A manifest records what the build wrote and which directories it created, so a later build can
remove the feeds that are gone (a tag no record carries any more) without touching anything it did
not make itself.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from feedpub import catalogue
from feedpub.archive import is_page_name
from feedpub.errors import FeedpubError
from feedpub.podcast.media import MEDIA_KEY

MANIFEST = ".feedpub-manifest.json"


@dataclass(frozen=True)
class WriteReport:
    out_dir: Path
    updated: int
    unchanged: int
    removed: int


@dataclass
class _Manifest:
    files: set[str] = field(default_factory=set)
    created_dirs: set[str] = field(default_factory=set)


def _read_manifest(root: Path) -> _Manifest:
    path = root / MANIFEST
    if not path.is_file() or path.is_symlink():
        return _Manifest()
    try:
        data = json.loads(path.read_bytes())
        files, created_dirs = data["files"], data["created_dirs"]
    except (ValueError, KeyError, TypeError):
        return _Manifest()  # unreadable: forget what we made rather than guess
    return _Manifest(
        {rel for rel in files if isinstance(rel, str) and _is_feed_file(rel)},
        {rel for rel in created_dirs if isinstance(rel, str) and _is_feed_directory(rel)},
    )


def _inside(root: Path, rel: str) -> Path:
    """root/rel, refusing any path that would leave root (absolute, '..', or through a symlink)."""
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise FeedpubError(f"output path {rel!r} is not a plain relative path")
    target = root.joinpath(*parts)
    if not target.resolve().is_relative_to(root):
        raise FeedpubError(f"output path {rel!r} would be written outside {root}")
    return target


def _ours(root: Path, rel: str) -> Path | None:
    """root/rel if it still lies inside root without passing through a symlink, else None."""
    path = root.joinpath(*rel.split("/"))
    return path if path.parent.resolve() == path.parent and path.parent.is_relative_to(root) else None


def _unchanged(path: Path, data: bytes) -> bool:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size == len(data) and path.read_bytes() == data


def _atomic_write(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _make_parents(root: Path, rel: str, manifest: _Manifest) -> None:
    parents = list(PurePosixPath(rel).parents)[-2::-1]  # outermost first, without "."
    for parent in parents:
        directory = root.joinpath(*parent.parts)
        if not directory.is_dir():
            directory.mkdir()
            manifest.created_dirs.add(parent.as_posix())


def _remove_stale(root: Path, stale_files: set[str], manifest: _Manifest, live: set[str]) -> int:
    """Remove our own files of feeds that are gone, then the feed directories we created and emptied."""
    removed = 0
    for rel in sorted(stale_files):
        path = _ours(root, rel)
        if path is None or path.is_symlink() or not path.is_file():
            continue  # replaced by someone else since: leave it
        path.unlink()
        removed += 1
    live_dirs = {parent.as_posix() for rel in live for parent in PurePosixPath(rel).parents}
    deepest_first = sorted(manifest.created_dirs - live_dirs, key=lambda rel: (-rel.count("/"), rel))
    for rel in deepest_first:
        path = _ours(root, rel)
        if path is None or path.is_symlink() or not path.is_dir():
            continue
        if not any(path.iterdir()):
            path.rmdir()
            manifest.created_dirs.discard(rel)
    return removed


def write_outputs(out_dir: Path, outputs: dict[str, bytes]) -> WriteReport:
    """Write each output atomically; leave byte-identical files alone; drop feeds that are gone."""
    out_dir.mkdir(parents=True, exist_ok=True)
    root = out_dir.resolve()
    manifest = _read_manifest(root)
    updated = unchanged = 0
    for rel, data in sorted(outputs.items()):
        target = _inside(root, rel)
        _make_parents(root, rel, manifest)
        if _unchanged(target, data):
            unchanged += 1
            continue
        _atomic_write(target, data)
        updated += 1
    removed = _remove_stale(root, manifest.files - outputs.keys(), manifest, set(outputs))
    manifest.files = set(outputs)
    _atomic_write(
        root / MANIFEST,
        json.dumps(
            {"files": sorted(manifest.files), "created_dirs": sorted(manifest.created_dirs)}, indent=1
        ).encode(),
    )
    return WriteReport(out_dir=out_dir, updated=updated, unchanged=unchanged, removed=removed)


def _is_feed_file(rel: str) -> bool:
    """Feed documents, episode media and feed directories (_is_feed_directory) are the only things
    that go stale. Anything else in a manifest (say, edited by hand) is not ours to delete."""
    return catalogue.is_feed_output(rel) or MEDIA_KEY.fullmatch(rel) is not None


def _is_feed_directory(rel: str) -> bool:
    if rel in ("", ".", ".."):
        return False
    # a feed's archive/ directory and its pages' directories go with the feed
    parent, _, name = rel.rpartition("/")
    if name == catalogue.ARCHIVE_DIR.rstrip("/"):
        return parent == "" or catalogue.is_feed_id(parent + "/")
    if parent.rpartition("/")[2] == catalogue.ARCHIVE_DIR.rstrip("/") and is_page_name(name):
        return _is_feed_directory(parent)
    return catalogue.is_feed_id(rel + "/")
