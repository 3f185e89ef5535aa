"""Sync planning for `feedpub publish`, the watcher and `feedpub dev`'s first upload."""

from __future__ import annotations

import io
from pathlib import Path

from feedpub.local.sync import Digest, ProgressBar, RemoteObject, content_type_for, local_content, plan_sync


def test_unchanged_files_are_not_uploaded_again() -> None:
    # Given a bucket whose ETags are the MD5s of the local files
    local = {"site.yaml": Digest.of(b"a"), "articles/one.md": Digest.of(b"b")}
    remote = {key: RemoteObject(etag=digest.md5) for key, digest in local.items()}
    # When the sync is planned
    plan = plan_sync(local, remote, delete=False)
    # Then nothing is uploaded or deleted
    assert plan.upload == []
    assert plan.delete == []
    assert plan.unchanged == ["articles/one.md", "site.yaml"]


def test_new_and_changed_files_are_uploaded() -> None:
    # Given one file new locally and one whose content differs from the bucket's copy
    local = {"articles/new.md": Digest.of(b"new"), "articles/edited.md": Digest.of(b"v2")}
    remote = {"articles/edited.md": RemoteObject(etag=Digest.of(b"v1").md5)}
    # When planned, then both go up
    assert plan_sync(local, remote, delete=False).upload == ["articles/edited.md", "articles/new.md"]


def test_multipart_etag_falls_back_to_the_sha256_metadata() -> None:
    # Given an object uploaded in parts (ETag is not an MD5) whose sha256 metadata matches the file
    digest = Digest.of(b"big body")
    remote = {
        "articles/big.md": RemoteObject(etag="9b2cf535f27731c974343645a3985328-3", sha256=digest.sha256)
    }
    # When planned, then it counts as unchanged
    assert plan_sync({"articles/big.md": digest}, remote, delete=False).unchanged == ["articles/big.md"]


def test_removed_files_are_deleted_only_when_asked() -> None:
    # Given a key in the bucket that is no longer in the directory
    remote = {"articles/gone.md": RemoteObject(etag="x")}
    # When planned without --delete, then it is kept and reported; with --delete it is deleted
    assert plan_sync({}, remote, delete=False).kept == ["articles/gone.md"]
    assert plan_sync({}, remote, delete=True).delete == ["articles/gone.md"]


def test_only_content_keys_are_collected(tmp_path: Path) -> None:
    # Given a content directory with records, editor temp files, hidden files and stray files
    (tmp_path / "articles" / "sub").mkdir(parents=True)
    for name in (
        "site.yaml",
        "README.txt",
        "articles/a.md",
        "articles/sub/b.json",
        "articles/.c.md.swp",
        "articles/a.md~",
        "articles/#a.md#",
        "articles/.hidden.md",
        "articles/notes.txt",
    ):
        (tmp_path / name).write_text("x")
    # When the content keys are listed, then only site.yaml and the records appear
    assert sorted(local_content(tmp_path)) == ["articles/a.md", "articles/sub/b.json", "site.yaml"]


def test_content_types_name_the_record_formats() -> None:
    assert content_type_for("articles/a.md") == "text/markdown; charset=utf-8"
    assert content_type_for("articles/a.json") == "application/json"
    assert content_type_for("site.yaml") == "application/yaml; charset=utf-8"


def test_progress_bar_draws_on_a_terminal_only() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    # Given a terminal and a log file
    terminal, log = Terminal(), io.StringIO()
    for stream in (terminal, log):
        bar = ProgressBar(2, "uploading", stream)
        bar.advance()
        bar.advance()
    # Then the terminal shows the bar reaching 2/2 and the log stays clean
    assert "[##############################] 2/2" in terminal.getvalue()
    assert log.getvalue() == ""
