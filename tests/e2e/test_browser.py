"""Headless Chromium opens feed URLs at the edge of `feedpub dev` and sees each feed's page, not XML;
feed readers opening the same URLs get the feeds.

The screenshots are kept under test-artifacts/browser/ (one per feed) for a person to look at.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import pytest
from reader import make_reader

from tests.e2e.conftest import REPO, RunningPipeline, fetch
from tests.support.chromium import Browser, chromium

ARTIFACTS = REPO / "test-artifacts" / "browser"
# A feed of every kind the sample site has, by a document of each format, and the page it shows
FEED_URLS = {
    "feed.xml": ("The Cutting Room", "feed.xml"),
    "atom.xml": ("The Cutting Room", "feed.xml"),
    "feed.json": ("The Cutting Room", "feed.xml"),
    "podcast.xml": ("The Cutting Room Podcast", "podcast.xml"),
    "tags/john-wick/atom.xml": ("The Cutting Room: John Wick", "tags/john-wick/feed.xml"),
    "authors/priya-natarajan/feed.json": (
        "The Cutting Room: Priya Natarajan",
        "authors/priya-natarajan/feed.xml",
    ),
}

JAVA_DEFAULT_ACCEPT = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Browser:
    with chromium(tmp_path_factory.mktemp("chromium") / "profile") as opened:
        yield opened


def item_titles(dev: RunningPipeline, path: str) -> list[str]:
    """The titles of a feed's items, read from the feed as a reader gets it."""
    parsed = feedparser.parse(dev.feed(path))
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [entry.title for entry in parsed.entries]


@pytest.mark.parametrize("path", FEED_URLS)
def test_a_browser_opening_a_feed_url_sees_the_feeds_page(
    dev: RunningPipeline, browser: Browser, path: str
) -> None:
    title, subscribe_path = FEED_URLS[path]
    # When a person opens the feed's URL in Chromium
    visit = browser.open(dev.url + path)
    # Then the response is the feed's HTML page, not the feed, sent with the edge's security policy
    assert visit.status == 200
    assert visit.mime_type == "text/html"
    assert "default-src 'none'" in visit.response_headers["content-security-policy"]
    assert "Sec-Fetch-Dest" in visit.response_headers["vary"]
    page = browser.evaluate(
        """JSON.stringify({
            type: document.contentType,
            title: document.title,
            heading: document.querySelector('h1').textContent,
            text: document.body.innerText,
            address: document.getElementById('address').value,
            markup: document.documentElement.outerHTML.slice(0, 200),
            width: getComputedStyle(document.body).maxWidth,
        })"""
    )
    shown = json.loads(page)
    assert shown["type"] == "text/html"
    assert not re.search(r"<(rss|feed|channel)[\s>]", shown["markup"])
    assert shown["title"] == shown["heading"] == title
    # And it gives the address to subscribe to, and lists every item of the feed
    assert shown["address"] == dev.url + subscribe_path
    assert "Subscribe" in shown["text"]
    for item_title in item_titles(dev, subscribe_path):
        assert item_title in shown["text"]
    # And its stylesheet applied (its hash matches the page's own policy) with nothing blocked
    assert shown["width"] != "none"
    assert not [line for line in browser.log() if "Content Security Policy" in line]
    # And a screenshot shows it
    shot = browser.screenshot(ARTIFACTS / (path.replace("/", "_") + ".png"))
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_browser_plays_an_episode_from_the_podcast_page(dev: RunningPipeline, browser: Browser) -> None:
    # Given the podcast's page open in Chromium
    browser.open(dev.url + "podcast.xml")
    # When the episode's player loads it (from media/ at the edge, by range)
    duration = browser.evaluate(
        """new Promise((resolve) => {
            const player = document.querySelector('audio');
            player.addEventListener('loadedmetadata', () => resolve(player.duration));
            player.addEventListener('error', () => resolve('error ' + player.error.code));
            player.preload = 'metadata';
            player.load();
        })""",
        await_promise=True,
    )
    # Then the browser knows how long the episode is: the page may play it and the edge serves it
    assert isinstance(duration, int | float), duration
    assert duration > 0


def test_a_browser_that_shows_a_feeds_page_still_gets_the_feed_when_a_script_fetches_its_url(
    dev: RunningPipeline, browser: Browser
) -> None:
    # Given a browser that navigated to a feed's URL and keeps the page it got (max-age=300)
    url = dev.url + "tags/john-wick/feed.xml"
    assert browser.open(url, bypass_csp=True).mime_type == "text/html"
    # When a script on the same site fetches that URL, as a web feed reader does
    fetched = json.loads(
        browser.evaluate(
            f"""fetch({json.dumps(url)}).then(async (response) => JSON.stringify({{
                type: response.headers.get('content-type'),
                start: (await response.text()).slice(0, 200),
            }}))""",
            await_promise=True,
        )
    )
    # Then the browser's cache does not hand it the page (Vary names what told them apart): it
    # gets the feed
    assert fetched["type"].startswith("application/rss+xml"), fetched
    assert "<rss" in fetched["start"]
    # And navigating to the URL again still shows the page
    again = browser.open(url)
    assert again.mime_type == "text/html"
    assert browser.evaluate("document.querySelector('h1').textContent") == "The Cutting Room: John Wick"


@pytest.mark.parametrize("path", FEED_URLS)
def test_feed_readers_at_the_same_urls_get_the_feeds(dev: RunningPipeline, path: str, tmp_path: Path) -> None:
    # When curl (Accept: */*), and a fetcher on Java's HttpURLConnection (whose default Accept lists
    # text/html first), ask for the URL a browser got the page from
    for accept in ("*/*", JAVA_DEFAULT_ACCEPT):
        status, headers, body = fetch(dev.url + path, {"Accept": accept})
        # Then each gets the feed itself
        assert status == 200
        assert not headers["Content-Type"].startswith("text/html"), accept
        assert body.lstrip().startswith(b"<?xml" if not path.endswith(".json") else b"{")
    # And feedparser (with its own Accept) and `reader` read the feed's items from it
    if not path.endswith(".json"):  # feedparser 6 reads XML feeds only
        parsed = feedparser.parse(dev.url + path)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.entries
    reader = make_reader(str(tmp_path / "reader.sqlite"))
    try:
        reader.add_feed(dev.url + path)
        reader.update_feeds(scheduled=False)
        feed = reader.get_feed(dev.url + path)
        assert feed.last_exception is None, feed.last_exception
        assert list(reader.get_entries(feed=feed))
    finally:
        reader.close()
