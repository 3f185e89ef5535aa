"""Author feeds and feeds of site.yaml through `feedpub dev`, as a reader and a browser get them from
the local edge; an author's feeds go when their last article does."""

from __future__ import annotations

import json
from collections.abc import Iterator

import feedparser
import pytest

from tests.e2e.conftest import RunningPipeline, eventually, fetch, start_pipeline
from tests.support.builders import article
from tests.support.sample_site import SAMPLE_SITE

READER = "application/rss+xml, application/atom+xml, application/json;q=0.9, */*;q=0.8"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
KINDS_YAML = """
authors:
  priya: {name: Priya Natarajan, url: 'https://www.example.org/authors/priya/', bio: Priya edits the news.}
feeds:
  wick-world: {title: The John Wick world, tags: {any: [John Wick, Ballerina]}}
"""


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPipeline]:
    site_yaml = (SAMPLE_SITE / "site.yaml").read_text(encoding="utf-8") + KINDS_YAML
    yield from start_pipeline(tmp_path_factory.mktemp("kinds"), site_yaml)


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("authors/tom-hollis/feed.xml", "application/rss+xml"),
        ("authors/tom-hollis/atom.xml", "application/atom+xml"),
        ("authors/tom-hollis/feed.json", "application/feed+json"),
        ("feeds/wick-world/feed.xml", "application/rss+xml"),
        ("feeds/wick-world/feed.json", "application/feed+json"),
    ],
)
def test_the_edge_serves_author_and_site_yaml_feeds_as_feeds(
    kinds: RunningPipeline, path: str, media_type: str
) -> None:
    # When a feed reader asks for the feed
    status, headers, body = fetch(kinds.url + path, {"Accept": READER})
    # Then it gets the feed with its type, the feeds' cache policy and the security headers
    assert status == 200
    assert headers["Content-Type"].startswith(media_type)
    assert "stale-while-revalidate" in headers["Cache-Control"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    # And a reader finds items in it
    if path.endswith(".json"):
        assert json.loads(body)["items"]
    else:
        parsed = feedparser.parse(body)
        assert not parsed.bozo
        assert parsed.entries


def test_a_browser_navigating_to_an_author_feed_gets_its_page(kinds: RunningPipeline) -> None:
    _, headers, body = fetch(kinds.url + "authors/tom-hollis/feed.xml", {"Accept": BROWSER})
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<h1>The Cutting Room: Tom Hollis</h1>" in body
    # And a request that names text/html without navigating still gets XML its stylesheet can render
    _, headers, _ = fetch(
        kinds.url + "authors/tom-hollis/feed.xml",
        {"Accept": "application/xml, text/html", "Sec-Fetch-Dest": "empty"},
    )
    assert headers["Content-Type"] == "application/xml; charset=utf-8"


def test_feeds_opml_lists_the_author_and_site_yaml_feeds(kinds: RunningPipeline) -> None:
    opml = kinds.feed("feeds.opml").decode()
    assert f"{kinds.url}feeds/wick-world/atom.xml" in opml
    assert f"{kinds.url}authors/tom-hollis/feed.json" in opml
    assert "The John Wick world" in opml


def test_an_authors_feeds_appear_with_their_article_and_go_with_their_last(kinds: RunningPipeline) -> None:
    # Given a new article crediting the site.yaml profile "priya" by key
    kinds.upload("articles/priya-e2e.md", article("Priya on the edge", "2026-11-20", extra="author: priya\n"))
    # Then her feed appears, named and described by her profile
    kinds.wait_for_text("Priya on the edge", "authors/priya/feed.json")
    document = json.loads(kinds.feed("authors/priya/feed.json"))
    assert (document["title"], document["description"]) == (
        "The Cutting Room: Priya Natarajan",
        "Priya edits the news.",
    )
    # When that article, her only one under that key, is deleted
    kinds.s3.delete_object(Bucket=kinds.content_bucket, Key="articles/priya-e2e.md")
    # Then her feed is gone from the edge and from feeds.opml
    eventually(lambda: fetch(kinds.url + "authors/priya/feed.json")[0] == 404, "the author feed to go")
    assert "authors/priya/" not in kinds.feed("feeds.opml").decode()
