"""The offline build: which records reach the feeds, what is rendered, and what lands on disk."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedpub import build, items
from feedpub.catalogue import FORMATS, PAGE
from feedpub.errors import RecordError, SiteConfigError
from feedpub.model import FeedItem, Record
from tests.support.builders import article, content_dir

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SITE = "title: Film Notes\nbase_url: https://feeds.example.org/\nfeed_limit: {limit}\n"


def make_site(root: Path, articles: dict[str, bytes], limit: int = 20) -> Path:
    return content_dir(root, SITE.format(limit=limit), articles)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return make_site(
        tmp_path / "content",
        {
            "old.md": article("Old news", "2024-01-01", ("Drama",)),
            "new.md": article("New release", "2024-06-01 12:00", ("Drama", "Horror")),
            "draft.md": article("Not yet", "2024-05-01", ("Drama",), extra="draft: true\n"),
            "later.md": article("Scheduled", "2031-06-06 09:00", ("Sequels",)),
            "broken.md": article("Bad date", "2025-13-45"),
        },
    )


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_given_mixed_records_when_checked_then_drafts_scheduled_and_rejected_are_counted_apart(
    content: Path,
) -> None:
    result = build.check_directory(content, NOW)
    assert (result.published, result.drafts, result.scheduled) == (2, 1, 1)
    assert [error.path for error in result.rejected] == ["articles/broken.md"]
    assert result.next_due is not None
    assert result.next_due.year == 2031


def test_given_mixed_records_when_built_then_only_published_records_appear_in_feeds(content: Path) -> None:
    result = build.check_directory(content, NOW)
    main_feed = result.outputs["feed.json"].decode()
    assert "New release" in main_feed
    assert "Old news" in main_feed
    assert "Not yet" not in main_feed
    assert "Scheduled" not in main_feed
    assert "tags/sequels/feed.json" not in result.outputs  # a tag only a scheduled post carries


def test_given_content_when_built_then_every_feed_format_opml_and_xsl_are_produced(content: Path) -> None:
    outputs = build.check_directory(content, NOW).outputs
    expected = {
        f"{prefix}{fmt.file_name}"
        for prefix in ("", "tags/drama/", "tags/horror/")
        for fmt in (*FORMATS, PAGE)  # each feed's page for people beside its documents
    }
    assert set(outputs) == expected | {"feeds.opml", "feed.xsl"}


def test_given_the_same_content_when_built_twice_then_the_outputs_are_byte_identical(
    content: Path, tmp_path: Path
) -> None:
    build.build_directory(content, tmp_path / "one", NOW)
    build.build_directory(content, tmp_path / "two", datetime(2027, 3, 4, tzinfo=UTC))
    assert files(tmp_path / "one") == files(tmp_path / "two")


def test_given_records_beyond_the_feed_limit_when_built_then_each_is_rendered_once_for_feeds_and_archives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_site(
        tmp_path / "content",
        {
            f"a{day}.md": article(f"Day {day}", f"2024-01-{day:02d}", ("Drama", "Horror"))
            for day in range(1, 6)
        },
        limit=2,
    )
    rendered: list[str] = []
    real: Callable[..., FeedItem] = items.to_feed_item

    def counting(record: Record, *args: object) -> FeedItem:
        rendered.append(record.title)
        return real(record, *args)

    monkeypatch.setattr(items, "to_feed_item", counting)
    result = build.check_directory(root, NOW)
    # Then every record is rendered exactly once, though it shows in three feeds or their archives
    assert sorted(rendered) == [f"Day {day}" for day in range(1, 6)]
    assert b"Day 1" in result.outputs[next(p for p in result.outputs if p.startswith("archive/"))]


def test_given_a_hostile_tag_when_built_then_every_file_stays_inside_out_dir(tmp_path: Path) -> None:
    root = make_site(tmp_path / "content", {"x.md": article("Escape", "2024-01-01", ("../../etc", "/abs"))})
    out = tmp_path / "deep" / "out"
    build.build_directory(root, out, NOW)
    outside = {p for p in tmp_path.rglob("*") if p.is_file() and not p.is_relative_to(tmp_path / "content")}
    assert outside
    assert all(path.resolve().is_relative_to(out.resolve()) for path in outside)


def test_given_a_tag_removed_from_every_record_when_rebuilt_then_its_feeds_are_gone(tmp_path: Path) -> None:
    root = make_site(tmp_path / "content", {"x.md": article("Tagged", "2024-01-01", ("Drama", "Horror"))})
    out = tmp_path / "out"
    build.build_directory(root, out, NOW)
    assert (out / "tags" / "horror" / "feed.xml").is_file()
    (root / "articles" / "x.md").write_bytes(article("Tagged", "2024-01-01", ("Drama",)))
    build.build_directory(root, out, NOW)
    assert not (out / "tags" / "horror").exists()
    assert (out / "tags" / "drama" / "feed.xml").is_file()


def test_given_an_unchanged_rebuild_when_built_then_no_file_is_rewritten(
    content: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = build.build_directory(content, out, NOW)
    second = build.build_directory(content, out, NOW)
    assert first.written is not None
    assert second.written is not None
    assert second.written.updated == 0
    assert second.written.unchanged == first.written.updated


def test_given_no_site_yaml_when_built_then_site_error_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "content" / "articles").mkdir(parents=True)
    with pytest.raises(SiteConfigError, match=r"site\.yaml: is missing"):
        build.build_directory(tmp_path / "content", tmp_path / "out", NOW)
    assert not (tmp_path / "out").exists()


def test_given_an_oversized_record_when_loaded_then_it_is_rejected_by_size_and_others_load(
    tmp_path: Path,
) -> None:
    root = make_site(tmp_path / "content", {"ok.md": article("Fine", "2024-01-01")})
    (root / "site.yaml").write_text(SITE.format(limit=20) + "max_record_bytes: 1024\n")
    (root / "articles" / "huge.md").write_bytes(article("Huge", "2024-01-01", body="x" * 2000))
    site = build.load_site(root)
    loaded, rejected = build.load_content(root, site)
    assert [record.title for record in loaded] == ["Fine"]
    assert [error.path for error in rejected] == ["articles/huge.md"]
    assert "max_record_bytes" in rejected[0].reason


def test_given_nested_folders_and_other_files_when_loaded_then_only_records_are_read(tmp_path: Path) -> None:
    root = make_site(tmp_path / "content", {"a.md": article("A", "2024-01-01")})
    (root / "articles" / "2024" / "june").mkdir(parents=True)
    (root / "articles" / "2024" / "june" / "b.json").write_text('{"title": "B", "date": "2024-06-01"}')
    (root / "articles" / "notes.txt").write_text("not a record")
    loaded, rejected = build.load_content(root, build.load_site(root))
    assert sorted(record.path for record in loaded) == ["articles/2024/june/b.json", "articles/a.md"]
    assert rejected == []


def test_given_a_large_site_when_built_by_a_pool_then_records_rejections_and_outputs_match_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = {
        f"a{n:02d}.md": article(f"Post {n}", f"2024-01-{n % 28 + 1:02d}", ("Drama",)) for n in range(30)
    }
    articles["broken.md"] = article("Bad", "2025-13-45")
    articles["empty.md"] = ""
    root = make_site(tmp_path / "content", articles)
    site = build.load_site(root)
    monkeypatch.setattr(build, "PARALLEL_MIN_RECORDS", 2)
    alone, alone_errors = build.load_content(root, site)
    with build.workers_for(len(articles), count=2) as workers:
        assert workers.pool is not None
        pooled, pooled_errors = build.load_content(root, site, workers)
        rendered_by_pool = build.render_site(site, pooled, NOW, workers).outputs
    assert pooled == alone
    assert len(pooled) == 30
    assert [str(error) for error in pooled_errors] == [str(error) for error in alone_errors]
    assert [error.path for error in pooled_errors] == ["articles/broken.md", "articles/empty.md"]
    assert rendered_by_pool == build.render_site(site, alone, NOW).outputs


def test_given_a_reason_spanning_lines_when_reported_then_each_rejection_is_still_one_line() -> None:
    result = build.BuildResult(
        outputs={},
        rejected=[
            RecordError("articles/a.md", "front matter is bad:\n  line 2\r\n  line 3"),
            RecordError("b.md", "x"),
        ],
        next_due=None,
        published=0,
        drafts=0,
        scheduled=0,
        feeds=1,
    )
    out, err = io.StringIO(), io.StringIO()
    build.report(result, out, err)
    assert err.getvalue().splitlines() == [
        "REJECTED articles/a.md: front matter is bad:   line 2   line 3",
        "REJECTED b.md: x",
    ]
    assert "0 published, 2 rejected, 0 drafts, 0 scheduled" in out.getvalue()


def _warned(warnings: list[tuple[str, str]]) -> build.BuildResult:
    return build.BuildResult(
        outputs={},
        rejected=[RecordError("articles/bad.md", "date 'x' is not a valid date")],
        next_due=None,
        published=len(warnings),
        drafts=0,
        scheduled=0,
        feeds=1,
        warnings=tuple(warnings),
    )


SAME_ID = "id '{}' is not a URI, and Jekyll's and Hugo's feeds never used a post's own id (id ignored)"


def test_given_50_posts_with_one_warning_and_1_with_another_then_3_lines_and_a_count_of_the_rest() -> None:
    # Given a migrated blog: each of 50 posts has its WordPress number as id, one has a typo'd key
    warnings = [(f"articles/p{n:02}.md", SAME_ID.format(n)) for n in range(50)]
    warnings.insert(
        20, ("articles/odd.md", "'darft' is not a field feedpub reads (ignored); did you mean 'draft'?")
    )
    out, err = io.StringIO(), io.StringIO()
    # When check reports it
    build.report(_warned(warnings), out, err)
    # Then the rejection, the first three of the shared warning, the other warning in full, and one
    # line that counts the 47 others and says where to see each
    assert err.getvalue().splitlines() == [
        "REJECTED articles/bad.md: date 'x' is not a valid date",
        f"WARN articles/p00.md: {SAME_ID.format(0)}",
        f"WARN articles/p01.md: {SAME_ID.format(1)}",
        f"WARN articles/p02.md: {SAME_ID.format(2)}",
        "WARN articles/odd.md: 'darft' is not a field feedpub reads (ignored); did you mean 'draft'?",
        f"WARN … and 47 more files with the same warning: {SAME_ID.format('…')}; "
        "every one is in the output of --verbose",
    ]
    assert "51 warnings" in out.getvalue()  # the summary counts every warning


def test_given_verbose_when_reported_then_every_file_and_finding_has_its_line() -> None:
    warnings = [(f"articles/p{n:02}.md", SAME_ID.format(n)) for n in range(50)]
    out, err = io.StringIO(), io.StringIO()
    build.report(_warned(warnings), out, err, every_warning=True)
    assert err.getvalue().splitlines()[1:] == [f"WARN {path}: {warning}" for path, warning in warnings]


def test_given_a_warning_only_four_files_share_then_all_four_are_listed() -> None:
    # a summary line would hide one line behind another: nothing is folded
    warnings = [(f"articles/p{n}.md", SAME_ID.format(n)) for n in range(4)]
    out, err = io.StringIO(), io.StringIO()
    build.report(_warned(warnings), out, err)
    assert err.getvalue().splitlines()[1:] == [f"WARN {path}: {warning}" for path, warning in warnings]
