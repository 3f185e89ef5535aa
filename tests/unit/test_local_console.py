"""What `feedpub dev` and `feedpub invoke` say about a publish run, and how warnings read."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest

from feedpub.local.console import HumanLogLines, Narrator, describe_run
from feedpub.publish import PublishReport

TAG_FEEDS = [f"tags/t{n}/{name}" for n in range(3) for name in ("atom.xml", "feed.json", "feed.xml")]


def report(**fields: object) -> PublishReport:
    return PublishReport(**{"published": 5, "duration_s": 0.123, **fields})  # type: ignore[arg-type]


def test_an_edit_is_one_line_naming_the_file_the_outputs_and_the_time() -> None:
    run = report(written=["_state/root.json", "atom.xml", "feed.json", "feed.xml", *TAG_FEEDS])
    assert describe_run(run, "apply", ["articles/a.md"]) == [
        "articles/a.md: wrote 12 files (feed.xml, atom.xml, feed.json and 9 more); "
        "5 articles in the main feed; 0.12 s"
    ]


def test_a_run_that_changed_nothing_public_says_nothing() -> None:
    # Given the 5-second due check, or a draft saved: only private state written
    assert describe_run(report(written=["_state/root.json"], unchanged=3), "due", []) == []
    # But invoke asks for a line whatever happened
    (line,) = describe_run(
        report(next_due=datetime(2031, 6, 6, 8, tzinfo=UTC)), "due", [], quiet_when_unchanged=False
    )
    assert line.startswith("scheduled check: no feed changed;")
    assert line.endswith("next scheduled article due 2031-06-06T08:00+00:00")


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


def test_deletions_and_retries_are_said() -> None:
    run = report(written=["feed.xml"], deleted=["tags/gone/feed.xml"], failed_keys=["articles/x.md"])
    first, retry = describe_run(
        run, "apply", ["articles/a.md", "articles/b.md", "articles/c.md", "articles/d.md"]
    )
    assert first.startswith(
        "articles/a.md, articles/b.md, articles/c.md and 1 more: wrote 1 file (feed.xml), "
        "deleted 1 file (tags/gone/feed.xml);"
    )
    assert retry.startswith("articles/x.md: could not be published now")


def test_the_narrator_stamps_each_line_with_the_time() -> None:
    stream = io.StringIO()
    Narrator(stream)(report(written=["feed.xml"]), "apply", ["site.yaml"])
    line = stream.getvalue()
    assert line.count("\n") == 1
    assert line[2:6:3] == "::"  # HH:MM:SS
    assert line[8:].startswith(" site.yaml: wrote 1 file")


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
