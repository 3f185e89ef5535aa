"""Complete archives (RFC 5005) through `feedpub dev`: a reader at the local edge follows prev-archive
from the feed to every article once; full archive pages come with an immutable Cache-Control, the
newest one with the feeds' own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import feedparser
import pytest

from feedpub import build, catalogue
from tests.e2e.conftest import RunningPipeline, fetch, start_pipeline
from tests.support.sample_site import SAMPLE_SITE

READER = "application/rss+xml, application/atom+xml, application/json;q=0.9, */*;q=0.8"


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPipeline]:
    # The sample site (7 articles) with feeds of 2 items and archive pages of 2 members on average
    site_yaml = (SAMPLE_SITE / "site.yaml").read_text(encoding="utf-8")
    assert "feed_limit: 20\n" in site_yaml
    site_yaml = site_yaml.replace("feed_limit: 20\n", "feed_limit: 2\narchive_page_size: 2\n")
    yield from start_pipeline(tmp_path_factory.mktemp("archived"), site_yaml)


def test_a_reader_follows_the_archives_at_the_edge_to_every_article_once(archived: RunningPipeline) -> None:
    # Given the articles of the sample site, as many published as its offline build publishes
    published = build.check_directory(archived.content_dir, datetime.now(UTC)).published
    newest = [entry.id for entry in feedparser.parse(archived.feed("feed.xml")).entries]
    assert len(newest) == 2
    # When a reader follows prev-archive from feed.xml over HTTP
    ids: list[str] = []
    dates: list[object] = []
    documents: list[tuple[str, dict[str, str]]] = []
    url: str | None = archived.url + "feed.xml"
    while url:
        status, headers, body = fetch(url, {"Accept": READER})
        assert status == 200, url
        parsed = feedparser.parse(body)
        assert not parsed.bozo, url
        ids += [entry.id for entry in parsed.entries]
        dates += [entry.published_parsed for entry in parsed.entries]
        documents.append((url, headers))
        older = [link.href for link in parsed.feed.get("links", []) if link.get("rel") == "prev-archive"]
        assert all(link.startswith(archived.url) for link in older)  # feedpub dev links its own edge
        url = older[0] if older else None
    # Then it gets every published article once, newest first, over several archive documents
    assert len(ids) == len(set(ids)) == published >= 5
    assert ids[:2] == newest
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
    assert len(documents) >= 3
    # And full archive pages are immutable for a year, while the feed and the newest page (which a
    # new article can still change) keep the feeds' short policy
    (_, feed_headers), (newest_url, newest_headers), *full = documents
    assert "stale-while-revalidate" in feed_headers["Cache-Control"]
    assert newest_headers["Cache-Control"] == catalogue.FEED_CACHE, newest_url
    assert full
    for page_url, headers in full:
        assert headers["Cache-Control"] == catalogue.ARCHIVE_CACHE, page_url
        assert headers["Content-Type"].startswith("application/rss+xml")
