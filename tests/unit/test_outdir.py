"""Writing build outputs: atomic, unchanged files untouched, stale tag feeds removed, never outside."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feedpub.errors import FeedpubError
from feedpub.outdir import MANIFEST, write_outputs

FORMATS = ("feed.xml", "atom.xml", "feed.json")


def feeds(*prefixes: str, marker: bytes = b"v1") -> dict[str, bytes]:
    return {
        f"{prefix}{name}": marker + f" {prefix}{name}".encode() for prefix in prefixes for name in FORMATS
    }


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def test_given_empty_dir_when_written_then_every_output_is_there_and_no_temp_file_is_left(
    tmp_path: Path,
) -> None:
    outputs = feeds("", "tags/drama/")
    report = write_outputs(tmp_path / "out", outputs)
    assert tree(tmp_path / "out") == outputs
    assert (report.updated, report.unchanged, report.removed) == (6, 0, 0)
    assert not [p for p in (tmp_path / "out").rglob("*.tmp")]


def test_given_previous_build_when_same_bytes_written_then_files_are_not_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(out, feeds("", "tags/drama/"))
    old = out / "feed.xml"
    os.utime(old, ns=(1_000_000_000, 1_000_000_000))
    report = write_outputs(out, feeds("", "tags/drama/"))
    assert old.stat().st_mtime_ns == 1_000_000_000
    assert (report.updated, report.unchanged) == (0, 6)


def test_given_previous_build_when_bytes_change_then_only_changed_files_are_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(out, feeds("", "tags/drama/"))
    changed = {**feeds("", "tags/drama/"), "feed.xml": b"v2"}
    report = write_outputs(out, changed)
    assert (out / "feed.xml").read_bytes() == b"v2"
    assert (report.updated, report.unchanged) == (1, 5)


def test_given_a_tag_that_is_gone_when_rebuilt_then_its_feeds_and_directory_are_removed(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    write_outputs(out, feeds("", "tags/drama/", "tags/horror/"))
    report = write_outputs(out, feeds("", "tags/drama/"))
    assert not (out / "tags" / "horror").exists()
    assert tree(out) == feeds("", "tags/drama/")
    assert report.removed == 3


def test_given_someone_elses_file_in_a_gone_tag_dir_when_rebuilt_then_that_file_and_dir_are_kept(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    write_outputs(out, feeds("", "tags/horror/"))
    (out / "tags" / "horror" / "notes.txt").write_text("mine")
    write_outputs(out, feeds(""))
    assert (out / "tags" / "horror" / "notes.txt").read_text() == "mine"
    assert not (out / "tags" / "horror" / "feed.xml").exists()


def test_given_directories_feedpub_did_not_create_when_rebuilt_then_they_are_left_alone(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    (out / "tags" / "handmade").mkdir(parents=True)
    (out / "tags" / "other-tool" / "feed.xml").parent.mkdir()
    (out / "tags" / "other-tool" / "feed.xml").write_text("not ours")
    write_outputs(out, feeds(""))
    write_outputs(out, feeds(""))
    assert (out / "tags" / "handmade").is_dir()
    assert (out / "tags" / "other-tool" / "feed.xml").read_text() == "not ours"


def test_given_a_gone_tag_dir_replaced_by_a_symlink_when_rebuilt_then_the_link_target_is_untouched(
    tmp_path: Path,
) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    write_outputs(out, feeds("", "tags/horror/"))
    elsewhere.mkdir()
    (elsewhere / "feed.xml").write_text("precious")
    for name in FORMATS:
        (out / "tags" / "horror" / name).unlink()
    (out / "tags" / "horror").rmdir()
    (out / "tags" / "horror").symlink_to(elsewhere, target_is_directory=True)
    write_outputs(out, feeds(""))
    assert (elsewhere / "feed.xml").read_text() == "precious"
    assert (out / "tags" / "horror").is_symlink()


@pytest.mark.parametrize("path", ["tags/../../escape/feed.xml", "/tmp/escape/feed.xml", "tags//feed.xml", ""])
def test_given_a_path_that_leaves_out_dir_when_written_then_it_is_refused_and_nothing_lands_outside(
    tmp_path: Path, path: str
) -> None:
    with pytest.raises(FeedpubError, match="output path"):
        write_outputs(tmp_path / "out", {path: b"x"})
    assert not (tmp_path / "escape").exists()


def test_given_tags_dir_is_a_symlink_outside_when_written_then_it_is_refused(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "tags").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(FeedpubError, match="outside"):
        write_outputs(out, feeds("tags/drama/"))
    assert list(elsewhere.iterdir()) == []


def test_given_a_hand_edited_manifest_naming_outside_paths_when_rebuilt_then_nothing_outside_is_deleted(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    write_outputs(out, feeds(""))
    (tmp_path / "victim.xml").write_text("keep")
    (out / MANIFEST).write_text(
        '{"files": ["../victim.xml", "tags/../../victim.xml"], "created_dirs": [".."]}'
    )
    write_outputs(out, feeds(""))
    assert (tmp_path / "victim.xml").read_text() == "keep"
