"""What `feedpub dev` and `feedpub invoke` say about a publish run, and how warnings read."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest

from feedpub.local.console import EVERY_WARNING_IN_INVOKE, HumanLogLines, Narrator, describe_run
from feedpub.publish import PublishReport

TAG_FEEDS = [f"tags/t{n}/{name}" for n in range(3) for name in ("atom.xml", "feed.json", "feed.xml")]


def report(**fields: object) -> PublishReport:
    return PublishReport(**{"published": 5, "duration_s": 0.123, **fields})  # type: ignore[arg-type]


def test_an_edit_is_one_line_naming_the_article_what_became_of_it_the_feeds_and_the_time() -> None:
    run = report(
        written=["_state/root.json", "atom.xml", "feed.json", "feed.xml", *TAG_FEEDS],
        changes=[{"path": "articles/a.md", "change": "updated"}],
    )
    assert describe_run(run, "apply", ["articles/a.md"]) == [
        "updated articles/a.md; feeds written: site, tags/t0, tags/t1, tags/t2; "
        "5 articles in the main feed; 0.12 s"
    ]


def test_a_batch_says_each_kind_of_change_once_and_names_a_few_articles() -> None:
    # Given a batch that published five articles, deleted one and saw a draft and a scheduled one
    published = [{"path": f"articles/p{n}.md", "change": "published"} for n in range(5)]
    run = report(
        written=["feed.xml", "feeds.opml", "podcast.xml", "media/ep.mp3"]
        + [f"tags/t{n}/feed.xml" for n in range(11)]
        + ["authors/jane/feed.xml"],
        deleted=["tags/gone/feed.xml", "tags/gone/atom.xml"],
        changes=[
            *published,
            {"path": "articles/old.md", "change": "deleted"},
            {"path": "articles/wip.md", "change": "draft", "status": "draft"},
            {"path": "articles/next.md", "change": "scheduled", "status": "scheduled",
             "due": "2031-06-06T09:00:00+01:00"},
        ],
    )  # fmt: skip
    (line,) = describe_run(run, "apply", [change["path"] for change in run.changes])
    # Then one line: the articles by what became of them, the feeds by name (many tags counted)
    assert line == (
        "published 5 articles (articles/p0.md, articles/p1.md, articles/p2.md and 2 more), "
        "deleted articles/old.md, articles/wip.md is a draft (not published), "
        "scheduled articles/next.md for 2031-06-06T09:00+01:00; "
        "feeds written: site, podcast.xml, 11 under tags/, authors/jane (and feeds.opml, media/ep.mp3); "
        "feeds removed: tags/gone; 5 articles in the main feed; 0.12 s"
    )


def test_archive_pages_count_with_their_feeds() -> None:
    page, other = "0" * 11 + "1", "0" * 11 + "2"
    run = report(
        written=["feed.xml", f"archive/{page}/feed.xml", f"archive/{page}/atom.xml",
                 f"tags/t0/archive/{other}/feed.json"],
        changes=[{"path": "articles/old.md", "change": "updated"}],
    )  # fmt: skip
    (line,) = describe_run(run, "apply", ["articles/old.md"])
    assert line.startswith("updated articles/old.md; feeds written: site, tags/t0 with 2 archive pages;")


def test_an_article_taken_out_of_the_feeds_says_why() -> None:
    for status, due, why in (
        ("draft", None, "now a draft"),
        ("scheduled", "2031-06-06T08:00:00+00:00", "scheduled for 2031-06-06T08:00+00:00"),
        ("expired", None, "expired"),
    ):
        change = {"path": "articles/a.md", "change": "withdrawn", "status": status}
        if due:
            change["due"] = due
        run = report(written=["feed.xml"], deleted=["tags/a/feed.xml"], changes=[change])
        (line,) = describe_run(run, "apply", ["articles/a.md"])
        assert line.startswith(f"took articles/a.md out of the feeds ({why}); feeds written: site; ")


def test_a_site_yaml_change_and_a_rebuild_say_so() -> None:
    (restyled,) = describe_run(report(written=["feed.xml", "atom.xml"]), "apply", ["site.yaml"])
    assert restyled.startswith("site.yaml: no article changed; feeds written: site;")
    (rebuilt,) = describe_run(report(written=["feed.xml"], rebuilt=True), "apply", ["site.yaml"])
    assert rebuilt.startswith("site.yaml: rebuilt every feed; feeds written: site;")


def test_a_run_that_changed_nothing_public_says_nothing() -> None:
    # Given the 5-second due check, or a replayed event: only private state written
    assert describe_run(report(written=["_state/root.json"], unchanged=3), "due", []) == []
    # But invoke asks for a line whatever happened
    (line,) = describe_run(
        report(next_due=datetime(2031, 6, 6, 8, tzinfo=UTC)), "due", [], quiet_when_unchanged=False
    )
    assert line.startswith("scheduled check: no article changed; no feed changed;")
    assert line.endswith("next scheduled article due 2031-06-06T08:00+00:00")


def test_a_new_draft_is_said_though_no_feed_changes() -> None:
    run = report(written=["_state/root.json"], changes=[{"path": "articles/d.md", "change": "draft"}])
    assert describe_run(run, "apply", ["articles/d.md"]) == [
        "articles/d.md is a draft (not published); no feed changed; 5 articles in the main feed; 0.12 s"
    ]


def test_rejections_and_site_errors_get_a_line_each_with_their_reason() -> None:
    run = report(
        rejected=[{"path": "articles/bad.md", "reason": "date '03/07/2024' is not a valid date"}],
        site_error=None,
    )
    assert describe_run(run, "apply", ["articles/bad.md"]) == [
        "REJECTED articles/bad.md: date '03/07/2024' is not a valid date"
    ]
    broken = report(site_error="site.yaml: unknown key 'feed_limt'")
    assert describe_run(broken, "apply", ["site.yaml"]) == [
        "site.yaml error: site.yaml: unknown key 'feed_limt' (the last good feeds stay served)"
    ]


def test_warnings_are_a_line_each_as_check_prints_them() -> None:
    run = report(warnings=[{"path": "articles/a.md", "warning": "'image' is ignored: not a URL"}])
    assert describe_run(run, "apply", ["articles/a.md"]) == [
        "WARN articles/a.md: 'image' is ignored: not a URL"
    ]


def test_a_published_article_now_rejected_and_retries_are_said() -> None:
    run = report(
        written=["feed.xml"],
        deleted=["tags/gone/feed.xml"],
        rejected=[{"path": "articles/a.md", "reason": "bad date"}],
        failed_keys=["articles/x.md"],
    )
    first, rejected, retry = describe_run(run, "apply", ["articles/a.md", "articles/x.md"])
    assert first.startswith("rejected articles/a.md; feeds written: site; feeds removed: tags/gone;")
    assert rejected == "REJECTED articles/a.md: bad date"
    assert retry.startswith("articles/x.md: could not be published now")


def test_the_narrator_stamps_each_line_with_the_time() -> None:
    stream = io.StringIO()
    Narrator(stream)(report(written=["feed.xml"]), "apply", ["site.yaml"])
    line = stream.getvalue()
    assert line.count("\n") == 1
    assert line[2:6:3] == "::"  # HH:MM:SS
    assert line[8:].startswith(" site.yaml: no article changed; feeds written: site;")


def test_a_site_yaml_error_put_right_is_said_even_when_no_feed_changes() -> None:
    # Given a site.yaml error on the console
    stream = io.StringIO()
    narrator = Narrator(stream, timestamps=False)
    narrator(report(site_error="site.yaml: unknown key 'feed_limt'"), "apply", ["site.yaml"])
    # When site.yaml is put back as it was published (nothing to write), then an article changes
    narrator(report(), "apply", ["site.yaml"])
    narrator(report(written=["feed.xml"], changes=[{"path": "articles/a.md", "change": "updated"}]),
             "apply", ["articles/a.md"])  # fmt: skip
    # Then the fix is one line of its own, said once
    assert stream.getvalue().splitlines()[1:] == [
        "site.yaml is valid again; no feed changed",
        "updated articles/a.md; feeds written: site; 5 articles in the main feed; 0.12 s",
    ]


def test_dev_calls_its_first_publish_start_up_and_later_checks_reconcile() -> None:
    # Given the narrator `feedpub dev` uses, whose first run publishes the directory (a reconcile)
    stream = io.StringIO()
    narrator = Narrator(stream, timestamps=False, first_reconcile="start-up")
    published = [{"path": "articles/a.md", "change": "published"}]
    # When that run and a later periodic reconcile each publish an article
    narrator(report(written=["feed.xml"], changes=published), "reconcile", [])
    narrator(report(written=["feed.xml"], changes=published), "reconcile", [])
    # Then the first line says start-up, the later one what it is
    first, later = stream.getvalue().splitlines()
    assert first.startswith("start-up: published articles/a.md; feeds written: site;")
    assert later.startswith("reconcile: published articles/a.md;")


@pytest.fixture
def human_lines() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = HumanLogLines(stream)
    package = logging.getLogger("feedpub")
    package.addHandler(handler)
    yield package, stream
    package.removeHandler(handler)


def test_a_warning_with_an_exception_is_one_line_without_traceback(
    human_lines: tuple[logging.Logger, io.StringIO],
) -> None:
    _, stream = human_lines
    try:
        raise ConnectionError("the embedded S3 went away\nsecond line")
    except ConnectionError:
        logging.getLogger("feedpub.publish").exception("cannot read %s", "site.yaml")
    (line,) = stream.getvalue().splitlines()
    assert line.endswith("error: cannot read site.yaml: ConnectionError: the embedded S3 went away")


def test_what_the_report_says_is_not_repeated_as_a_warning(
    human_lines: tuple[logging.Logger, io.StringIO],
) -> None:
    _, stream = human_lines
    logging.getLogger("feedpub.publish.report").warning("REJECTED %s: %s", "articles/x.md", "bad date")
    logging.getLogger("feedpub.publish").info("reconcile: 3 records listed")  # info: never shown
    assert stream.getvalue() == ""


def test_extra_fields_are_appended(human_lines: tuple[logging.Logger, io.StringIO]) -> None:
    _, stream = human_lines
    logging.getLogger("feedpub.local").warning("unreadable message", extra={"message_id": "m-1"})
    assert stream.getvalue().rstrip().endswith("warning: unreadable message (message_id: m-1)")


def test_a_warning_shared_by_many_files_lists_three_and_counts_the_rest_in_report_json() -> None:
    # Given a run that warns about 50 migrated posts the same way and one in another way
    same = "'tag' is read as 'tags' (Jekyll's singular form); write tags: to be sure"
    warnings = [{"path": f"articles/p{n:02}.md", "warning": same} for n in range(50)]
    warnings.append({"path": "articles/odd.md", "warning": "has no title: 'odd' is taken from the file name"})
    run = report(warnings=warnings)
    # When the dev console describes it, Then three lines, the other warning, and one count
    assert describe_run(run, "apply", ["articles/p00.md"])[-5:] == [
        f"WARN articles/p00.md: {same}",
        f"WARN articles/p01.md: {same}",
        f"WARN articles/p02.md: {same}",
        "WARN articles/odd.md: has no title: 'odd' is taken from the file name",
        f"WARN … and 47 more files with the same warning: {same}; "
        "every one is in _state/report.json and the output of --verbose",
    ]
    assert len(run.warnings) == 51  # the report itself keeps every one
    # invoke's bucket is gone after the run: its line points to --verbose only
    invoked = describe_run(run, "apply", ["articles/p00.md"], every_warning_in=EVERY_WARNING_IN_INVOKE)
    assert invoked[-1].endswith("; every one is in the output of --verbose")
