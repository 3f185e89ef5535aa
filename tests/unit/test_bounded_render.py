"""Large bodies render in a child process under the site's CPU and memory limits.

A body too costly to render is a rejection of its record (reported, never retried); a renderer
that cannot run at all is a fault (the key is retried) and never a rejection.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from feedpub.bounded_render import INLINE_LIMIT, RendererFailedError
from feedpub.config import parse_site
from feedpub.errors import RecordError, SiteConfigError
from feedpub.items import to_feed_item
from feedpub.markup import render_body
from feedpub.records import parse_record
from tests.support.builders import article
from tests.support.sample_site import SAMPLE_SITE
from tests.unit.test_publish_engine import SITE, Site

SEED = SAMPLE_SITE / "articles" / "ballerina-john-wick-spinoff.md"
BASE = "https://www.example.org/"


def long_article(size: int) -> str:
    """Real prose (the seed article's body, repeated) of about `size` characters."""
    body = SEED.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    return (body * (size // len(body) + 1))[:size]


def test_given_a_long_article_when_parsed_then_its_body_renders_as_it_would_in_process() -> None:
    # Given 200 kB of ordinary Markdown (over the in-process limit)
    body = long_article(200_000)
    site = parse_site(SITE)
    data = f"---\ntitle: Long read\ndate: 2025-01-01\n---\n{body}".encode()
    # When parsed, Then the child's rendering is the one the feed item carries, byte for byte
    record = parse_record("articles/long.md", data, site)
    assert record.body_html == render_body(record.body, BASE)
    assert to_feed_item(record, site).content_html == record.body_html


def test_given_a_short_body_then_no_child_process_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no way to start a child process, When a record whose body is at the in-process limit
    # is parsed and rendered, Then it renders anyway: short bodies never pay for a process
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    site = parse_site(SITE)
    body = long_article(INLINE_LIMIT)
    record = parse_record(
        "articles/short.md", f"---\ntitle: Short\ndate: 2025-01-01\n---\n{body}".encode(), site
    )
    assert len(record.body) == INLINE_LIMIT
    assert record.body_html is None
    assert to_feed_item(record, site).content_html == render_body(body, BASE)
    # and one character more does need the child
    with pytest.raises(RendererFailedError, match="cannot start the renderer process"):
        parse_record("articles/long.md", f"---\ntitle: Long\ndate: 2025-01-01\n---\n{body}x".encode(), site)


def test_given_no_renderer_when_a_long_article_is_published_then_its_key_is_retried_not_rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a published article
    site = Site()
    site.put("articles/a.md", article("Alpha", "2025-01-01"))
    site.publisher.apply(["articles/a.md"])
    before = site.public()
    # When its long new version arrives while the renderer process cannot start
    site.put("articles/a.md", f"---\ntitle: Alpha 2\ndate: 2025-01-01\n---\n{long_article(100_000)}".encode())
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    report = site.publisher.apply(["articles/a.md"])
    # Then the key fails (SQS redelivers it), nothing is rejected and the feeds are as they were
    assert report.failed_keys == ["articles/a.md"]
    assert report.rejected == []
    assert site.public() == before
    # When the renderer works again, Then the long version is published
    monkeypatch.undo()
    site.publisher.apply(["articles/a.md"])
    site.assert_matches_build()
    assert b"Alpha 2" in site.public()["feed.xml"]


def test_given_a_body_over_the_cpu_limit_in_a_batch_then_it_alone_is_rejected() -> None:
    # Given a site allowing 1 s of CPU per body, one good article and one whose 300 kB body is a
    # run of "[" (about 9 s of CPU in markdown-it-py here)
    site = Site(SITE + b"render_cpu_seconds: 1\n")
    site.put("articles/good.md", article("Good", "2025-01-01"))
    site.put("articles/slow.md", article("Slow", "2025-01-02").replace(b"Body of Slow.", b"[" * 300_000))
    # When both arrive in one batch
    report = site.publisher.apply(["articles/good.md", "articles/slow.md"])
    # Then the good one is published, the slow one rejected naming the limit, and no key is retried
    assert not report.failed_keys
    assert [(r["path"], "render_cpu_seconds" in r["reason"]) for r in report.rejected] == [
        ("articles/slow.md", True)
    ]
    site.assert_matches_build()
    assert b"Good" in site.public()["feed.xml"]
    assert b"Slow" not in site.public()["feed.xml"]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("render_cpu_seconds: 0", "'render_cpu_seconds': Input should be greater than or equal to 1"),
        ("render_memory_mib: 16", "'render_memory_mib': Input should be greater than or equal to 64"),
        ("render_cpu_seconds: soon", "'render_cpu_seconds': Input should be a valid integer"),
    ],
)
def test_given_an_impossible_render_limit_then_site_yaml_is_refused_naming_it(
    setting: str, message: str
) -> None:
    with pytest.raises(SiteConfigError) as caught:
        parse_site(SITE + setting.encode() + b"\n")
    assert message in caught.value.reason


def test_given_a_body_whose_rendering_raises_in_the_child_then_its_record_is_rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a renderer process that reports the body itself failed to render (exit status 4),
    # When a long record is parsed, Then the record is rejected with the child's one-line reason
    # (the record's fault: retrying would only fail again), not retried as a machine fault
    def failed_child(*args: object, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        return subprocess.CompletedProcess(args, 4, b"", b"Traceback ...\nValueError: boom\n")

    monkeypatch.setattr(subprocess, "run", failed_child)
    body = long_article(INLINE_LIMIT + 10)
    with pytest.raises(RecordError) as caught:
        parse_record(
            "articles/x.md", f"---\ntitle: X\ndate: 2025-01-01\n---\n{body}".encode(), parse_site(SITE)
        )
    assert caught.value.reason == "body cannot be rendered: ValueError: boom"
