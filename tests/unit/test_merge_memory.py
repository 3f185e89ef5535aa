"""What a rebuild's merge and a feed-level site.yaml change hold at once (issue 14): a few archive
pages' items, and compressed outputs.

A merge renders every archive document of the site before its commit and writes them after it;
held as they were, the items of every page and the documents of every feed made its memory grow by
about 41 MiB per 1,000 articles (docs/benchmarks.md). These tests count what is held, not how long
anything takes, and check that the result is still what a from-scratch build publishes.
"""

from __future__ import annotations

import json
import tracemalloc
import weakref
from typing import Any

import pytest

from feedpub.publish import Publisher
from feedpub.publish import rebuild as rebuild_module
from feedpub.publish.bodies import Bodies
from feedpub.publish.heads import cap_for
from feedpub.publish.pages import FeedPages
from feedpub.publish.rebuild import LocalRebuilds
from feedpub.publish.state import StateStore
from feedpub.publish.tx import Transaction
from tests.unit.test_publish_engine import SITE, Site
from tests.unit.test_publish_rebuild import Counting, archive_documents, populate

WORKERS = 2  # the publisher's parallel writes: at most twice as many page objects wait for theirs
FEED_LIMIT = 3  # SITE's: the items each feed's own document shows


class _Item(dict[str, Any]):
    """An item as a member holds it, whose end can be watched (weakref.finalize)."""


class ItemsAlive:
    """Counts the items given out while they are alive, and the most alive when a page is finished."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.live = self.given = self.most = 0
        finish_page = Transaction.finish_page

        def counted_page(tx: Transaction, feed_id: str, name: str) -> None:
            finish_page(tx, feed_id, name)
            self.most = max(self.most, self.live)

        monkeypatch.setattr(Transaction, "finish_page", counted_page)

    def watched(self, item: dict[str, Any]) -> _Item:
        """The item, counted until it is gone."""
        watched = _Item(item)
        weakref.finalize(watched, self._gone)
        self.live += 1
        self.given += 1
        return watched

    def _gone(self) -> None:
        self.live -= 1


def writing_two_at_once(site: Site, rebuilds: LocalRebuilds | None = None) -> Publisher:
    """The site's publisher, with WORKERS parallel writes."""
    return Publisher(
        content=site.content,
        output=site.output,
        cdn=site.cdn,
        clock=lambda: site.now,
        websub=False,
        workers=WORKERS,
        rebuilds=rebuilds,
    )


@pytest.fixture(autouse=True)
def _small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    # A few hundred records make several parts, as thousands do in production.
    monkeypatch.setattr(rebuild_module, "MIN_RECORDS_PER_PART", 1)


def test_a_merge_holds_the_items_of_a_few_archive_pages_at_a_time_and_still_equals_a_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a new site of 360 articles in 5 tags, with archive pages of 4 members on average: over
    # a hundred pages in six feeds
    site = Site(SITE + b"archive_page_size: 4\n")
    keys = populate(site, 360)
    # (every item a feed head or an archive page is given is counted while it is alive)
    alive = ItemsAlive(monkeypatch)
    item_json = Transaction._item_json

    def counted_item(tx: Transaction, key: str, etag: str) -> dict[str, Any]:
        return alive.watched(item_json(tx, key, etag))

    monkeypatch.setattr(Transaction, "_item_json", counted_item)
    # When its first event starts a rebuild in parts, merged by a publisher writing 2 objects at once
    publisher = writing_two_at_once(site, LocalRebuilds(3))
    report = publisher.apply(keys[:1])
    # Then every record is published as a from-scratch build publishes it, archives included
    assert not report.failed_keys
    site.assert_matches_build()
    assert len(archive_documents(site)) > 3 * 100
    # And every member of every page was given its item, but never more at once than the pages
    # waiting for their object to be written (twice the workers), the page being finished and the
    # one before it, and what the feed heads show: a small part of the site's items
    root = json.loads(site.output.get("_state/root.json").body)
    memberships = sum(feed["count"] for feed in root["feeds"].values())
    pages = [site.output.get(key).body for key in site.output.keys("_state/objects/")]
    largest = max(len(json.loads(body).get("members", [])) for body in pages)
    bound = (2 * WORKERS + 2) * largest + len(root["feeds"]) * FEED_LIMIT
    assert alive.given >= memberships
    assert alive.most <= bound
    assert bound < memberships / 4


def test_rendered_outputs_are_held_compressed_and_read_back_unchanged() -> None:
    # Given the archive documents of a published site, as a rebuild's merge renders them
    site = Site(SITE + b"archive_page_size: 4\n")
    site.publisher.apply(populate(site, 120))
    documents = {path: site.output.get(path).body for path in archive_documents(site)}
    raw = sum(len(body) for body in documents.values())
    # When they are held until the flush
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        bodies = Bodies()
        for path, body in documents.items():
            bodies[path] = body
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # Then they take less than a third of their size, and each is written back byte for byte
    assert held < raw / 3
    assert {path: bodies[path] for path in bodies} == documents


def test_a_feed_level_site_yaml_change_reads_a_few_archive_pages_at_a_time_and_equals_a_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a published site of 360 articles in 5 tags, with archive pages of 4 members on average:
    # over a hundred pages in six feeds
    site = Site(SITE + b"archive_page_size: 4\n")
    site.publisher.apply(populate(site, 360))
    # (the pages whose members are in memory are counted, over every feed, as they are read and let go)
    instances: list[FeedPages] = []
    held = most = read = 0
    members, release, init = FeedPages.members, FeedPages.release, FeedPages.__init__

    def count() -> None:
        nonlocal held, most
        held = sum(len(pages._members) for pages in instances)
        most = max(most, held)

    def registered(pages: FeedPages, *args: Any, **kwargs: Any) -> None:
        init(pages, *args, **kwargs)
        instances.append(pages)

    def counted_members(pages: FeedPages, name: str) -> list[Any]:
        nonlocal read
        read += name not in pages._members
        found = members(pages, name)
        count()
        return found

    def counted_release(pages: FeedPages, name: str) -> None:
        release(pages, name)
        count()

    monkeypatch.setattr(FeedPages, "__init__", registered)
    monkeypatch.setattr(FeedPages, "members", counted_members)
    monkeypatch.setattr(FeedPages, "release", counted_release)
    publisher = writing_two_at_once(site)
    # When the site's title changes (every feed and archive document carries it)
    site.put("site.yaml", site.content.get("site.yaml").body.replace(b"Test Site", b"Renamed Site"))
    report = publisher.apply(["site.yaml"])
    # Then every document is what a from-scratch build under the new site.yaml publishes
    assert not report.failed_keys
    site.assert_matches_build()
    documents = archive_documents(site)
    assert len(documents) > 3 * 100
    assert all(b"Renamed Site" in site.public()[path] for path in documents)
    # And every page was read, but never more at once than the pages waiting for their object to
    # be written (twice the workers) and the page being finished and the one before it
    assert read > 100
    assert most <= 2 * WORKERS + 2


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            b"archive_page_size: 4\nfeeds: {films: {tags: {any: [Film, News]}}}\n", id="a feed added"
        ),
        pytest.param(b"archive_page_size: 6\n", id="archive pages cut again"),
    ],
)
def test_a_membership_change_takes_its_items_from_a_few_old_pages_at_a_time_and_equals_a_build(
    change: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a published site of 360 articles in 5 tags, with archive pages of 4 members on average:
    # over a hundred pages in six feeds
    site = Site(SITE + b"archive_page_size: 4\n")
    site.publisher.apply(populate(site, 360))
    counting = Counting(site.content)
    # (every item read from a page object is counted while it is alive, and the most alive at once
    # as each new page is finished)
    alive = ItemsAlive(monkeypatch)
    load = StateStore.load

    def counted_load(state: StateStore, key: str) -> Any:
        value = load(state, key)
        for member in value.get("members", ()) if isinstance(value, dict) else ():
            if member["item"] is not None:
                member["item"] = alive.watched(member["item"])
        return value

    monkeypatch.setattr(StateStore, "load", counted_load)
    publisher = writing_two_at_once(site, LocalRebuilds(2))
    publisher.content = counting
    # When site.yaml changes which records belong to which feed, or how its pages are cut
    site.put("site.yaml", site.content.get("site.yaml").body.replace(b"archive_page_size: 4\n", change))
    report = publisher.apply(["site.yaml"])
    # Then every document is what a from-scratch build under the new site.yaml publishes
    assert not report.failed_keys
    site.assert_matches_build()
    assert len(archive_documents(site)) > 60
    # And the items came from the old pages, not from the records: none is read again
    root = json.loads(site.output.get("_state/root.json").body)
    memberships = sum(feed["count"] for feed in root["feeds"].values())
    assert alive.given >= memberships / 2
    assert counting.articles_read() == 0
    # And never more were alive at once than the new pages waiting for their object to be written
    # (twice the workers), the page being finished and the one before it, an old page of the feed
    # and one of the main feed, and what the feed heads keep: a small part of the site's items
    pages = [site.output.get(key).body for key in site.output.keys("_state/objects/")]
    largest = max(len(json.loads(body).get("members", [])) for body in pages)
    heads = len(root["feeds"]) * (cap_for(FEED_LIMIT) or 0)
    bound = (2 * WORKERS + 4) * largest + heads
    assert alive.most <= bound
    assert bound < memberships / 2
