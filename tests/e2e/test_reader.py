"""The `reader` library subscribes at the edge: new articles and edits arrive, unchanged polls get 304."""

from __future__ import annotations

from pathlib import Path

import pytest
from reader import Reader, make_reader

from tests.e2e.conftest import RunningPipeline, eventually
from tests.support.builders import article

FEEDS = ("feed.xml", "atom.xml", "feed.json")


@pytest.fixture(scope="module")
def subscribed(dev: RunningPipeline, tmp_path_factory: pytest.TempPathFactory) -> Reader:
    reader = make_reader(str(Path(tmp_path_factory.mktemp("reader")) / "reader.sqlite"))
    for path in FEEDS:
        reader.add_feed(dev.url + path)
    reader.update_feeds(scheduled=False)
    yield reader
    reader.close()


def _titles(reader: Reader, path: str, dev: RunningPipeline) -> set[str]:
    reader.update_feeds(scheduled=False)
    return {entry.title or "" for entry in reader.get_entries(feed=dev.url + path)}


def test_reader_sees_the_sample_site_in_every_format(dev: RunningPipeline, subscribed: Reader) -> None:
    # Given the sample site published by `feedpub dev`, then every feed format lists its articles
    for path in FEEDS:
        feed = subscribed.get_feed(dev.url + path)
        assert feed.last_exception is None, f"{path}: {feed.last_exception}"
        assert feed.title == "The Cutting Room"
        assert len(list(subscribed.get_entries(feed=feed))) >= 5


def test_reader_sees_a_new_article_after_a_boto3_upload(dev: RunningPipeline, subscribed: Reader) -> None:
    # When an author uploads a new article to the content bucket with boto3
    dev.upload("articles/reader-new-arrival.md", article("Reader sees a new arrival", tags=["e2e"]))
    # Then all three subscriptions show it
    for path in FEEDS:
        eventually(lambda path=path: "Reader sees a new arrival" in _titles(subscribed, path, dev), path)


def test_reader_sees_an_edit_saved_in_the_watched_directory(dev: RunningPipeline, subscribed: Reader) -> None:
    # Given an article saved into the watched content directory and seen by the reader
    post = dev.content_dir / "articles" / "reader-edited.md"
    post.write_bytes(article("Reader edit, first draft", tags=["e2e"]))
    eventually(lambda: "Reader edit, first draft" in _titles(subscribed, "atom.xml", dev), "the first draft")
    # When the author saves a new title
    post.write_bytes(article("Reader edit, final title", tags=["e2e"]))
    # Then the reader shows the new title in place of the old one
    titles = eventually(
        lambda: (t := _titles(subscribed, "atom.xml", dev)) and "Reader edit, final title" in t and t,
        "the edit",
    )
    assert "Reader edit, first draft" not in titles


def test_an_unchanged_poll_gets_304(dev: RunningPipeline, subscribed: Reader) -> None:
    # Given the reader is up to date with every feed
    subscribed.update_feeds(scheduled=False)
    seen = len(dev.pipeline.edge.requests)
    # When it polls again with nothing changed
    subscribed.update_feeds(scheduled=False)
    # Then the edge answered each feed with 304 Not Modified (no body sent)
    answers = {
        request.path.lstrip("/"): request.status for request in list(dev.pipeline.edge.requests)[seen:]
    }
    assert answers == dict.fromkeys(FEEDS, 304)
