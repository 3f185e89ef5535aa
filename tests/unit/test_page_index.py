"""A feed's head stops growing with its archive: the newest pages inline, older ones in index objects.

feedpub.publish.pages: a head names index objects of about INDEX_PAGES page descriptors each and
keeps only its newest pages inline. Most tests here make index objects small (`small_index`) so
that a few dozen articles already spread over several of them, at every edge a change can hit."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from feedpub import archive, catalogue
from feedpub.publish import pages
from feedpub.publish.state import FORMAT_VERSION, encode
from tests.support.builders import HOME_PAGE_URL, article, site_yaml
from tests.unit.test_publish_engine import Site

START = datetime(2020, 1, 1, tzinfo=UTC)


def when(hour: int) -> str:
    return (START + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def small_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Index objects of three pages, one page kept inline beyond the window."""
    monkeypatch.setattr(pages, "INDEX_PAGES", 3)
    monkeypatch.setattr(pages, "INLINE_PAGES", 1)


def root_of(site: Site) -> dict[str, Any]:
    root: dict[str, Any] = json.loads(site.output.get("_state/root.json").body)
    return root


def stored(site: Site, key: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(site.output.get(key).body)
    return value


def main_head(site: Site) -> dict[str, Any]:
    return stored(site, root_of(site)["feeds"][""]["head"])


def published(site: Site, count: int, page_size: int = 2, feed_limit: int = 3) -> list[str]:
    """`count` articles, every third tagged, published in batches; their keys, oldest first."""
    site.put("site.yaml", site_yaml(feed_limit=feed_limit, archive_page_size=page_size))
    keys = [f"articles/n{i:04d}.md" for i in range(count)]
    for start in range(0, count, 200):
        batch = keys[start : start + 200]
        for i, key in enumerate(batch, start):
            site.put(key, article(f"N{i}", when(i), ("Third",) if i % 3 == 0 else ()))
        assert not site.publisher.apply(["site.yaml", *batch] if start == 0 else batch).failed_keys
    return keys


def item_id(key: str) -> str:
    return f"{HOME_PAGE_URL}{key.removeprefix('articles/').removesuffix('.md')}/"


def test_a_head_stays_small_while_its_archive_grows_to_a_thousand_pages() -> None:
    # Given a feed growing to 2,000 articles in pages of about two (about 1,000 archive pages)
    site = Site()
    site.put("site.yaml", site_yaml(feed_limit=3, archive_page_size=2))
    sizes: dict[int, int] = {}
    keys = [f"articles/n{i:04d}.md" for i in range(2000)]
    for start in range(0, 2000, 250):
        batch = keys[start : start + 250]
        for i, key in enumerate(batch, start):
            site.put(key, article(f"N{i}", when(i)))
        assert not site.publisher.apply(["site.yaml", *batch] if start == 0 else batch).failed_keys
        sizes[start + 250] = len(encode(main_head(site)))
    head = main_head(site)
    descriptors = pages.all_descriptors(head, site.publisher.state.load)
    assert len(descriptors) > 800
    # Then the head holds a few pages inline and one short entry per index object: from 500 to 2,000
    # articles it grows by about 200 bytes per INDEX_PAGES pages, where every page inline would
    # add about 380 bytes per page (over 280 KB here)
    assert len(head["pages"]) <= pages.INLINE_PAGES + pages.INDEX_PAGES
    grown_pages = len(descriptors) * 1500 // 2000
    assert sizes[2000] - sizes[500] < grown_pages // pages.INDEX_PAGES * 250 + 380 * pages.INDEX_PAGES
    assert sizes[2000] < len(encode(descriptors)) // 8
    # And each index object holds at most INDEX_PAGES descriptors, the inline pages the newest ones
    assert {entry.get("level", 1) for entry in head["index"]} == {1}
    held = [len(site.publisher.state.load(key)["pages"]) for key in pages.index_objects(head)]
    assert max(held) <= pages.INDEX_PAGES
    assert sum(held) + len(head["pages"]) == len(descriptors)
    assert head["pages"] == descriptors[-len(head["pages"]) :]
    site.assert_matches_build()


def levels(head: dict[str, Any]) -> dict[int, int]:
    """How many entries of each level a stored head names."""
    found: dict[int, int] = {}
    for entry in head["index"]:
        found[entry.get("level", 1)] = found.get(entry.get("level", 1), 0) + 1
    return found


@pytest.mark.usefixtures("small_index")
def test_index_entries_go_to_index_objects_of_their_own_so_a_head_stays_bounded() -> None:
    # Given a feed growing to 1,200 articles in pages of about two, with index objects of three
    site = Site()
    site.put("site.yaml", site_yaml(feed_limit=3, archive_page_size=2))
    keys = [f"articles/n{i:04d}.md" for i in range(1200)]
    sizes = []
    for start in range(0, 1200, 150):
        batch = keys[start : start + 150]
        for i, key in enumerate(batch, start):
            site.put(key, article(f"N{i}", when(i)))
        assert not site.publisher.apply(["site.yaml", *batch] if start == 0 else batch).failed_keys
        head = main_head(site)
        # Then the head never holds more than INLINE_PAGES + INDEX_PAGES entries of a level, nor
        # pages inline beyond those and the ones the window (3) needs
        assert max(levels(head).values()) <= pages.INLINE_PAGES + pages.INDEX_PAGES
        assert len(head["pages"]) <= pages.INLINE_PAGES + pages.INDEX_PAGES + 3
        sizes.append(len(encode(head)))
    # And levels come as the archive grows (about 600 pages: five levels of three), so its size
    # stays within a few entries of where it was at 300 articles
    assert max(levels(main_head(site))) >= 4
    assert max(sizes) - sizes[1] < 12 * 250
    # And every page is reached from it, in order
    descriptors = pages.all_descriptors(main_head(site), site.publisher.state.load)
    assert sum(page["count"] for page in descriptors) == 1200
    assert [page["name"] for page in descriptors] == [page.name for page in archive.cut(
        [item_id(key) for key in keys], 2)]  # fmt: skip
    site.assert_matches_build()


@pytest.mark.usefixtures("small_index")
def test_changes_anywhere_in_an_indexed_archive_always_equal_a_build() -> None:
    # Given 120 articles in pages of about two, most of their pages in index objects of three,
    # themselves in index objects of higher levels
    rng = random.Random(14)
    site = Site()
    keys = published(site, 120)
    assert max(levels(main_head(site))) >= 3
    live = set(keys)
    # When old and new articles are edited (some to other dates), deleted, drafted and added, a few
    # at a time: boundaries at the edges of index objects split and merge pages across them
    for step in range(40):
        batch = rng.sample(keys, rng.randint(1, 3))
        for key in batch:
            roll = rng.random()
            if key in live and roll < 0.3:
                site.content.delete(key)
                live.discard(key)
            elif roll < 0.4:
                site.put(key, article(f"{key} draft", when(1), extra="draft: true\n"))
                live.discard(key)
            else:
                hour = rng.randrange(130) if roll < 0.7 else keys.index(key)
                site.put(key, article(f"{key} at {step}", when(hour), ("Third",) if roll < 0.5 else ()))
                live.add(key)
        assert not site.publisher.apply(batch).failed_keys
        # Then every archive document and feed equals a from-scratch build's
        site.assert_matches_build()
    assert main_head(site)["index"], "the archive is still indexed"


def index_reads(site: Site) -> tuple[list[str], list[str]]:
    """Wrap the publish store: the index objects a run reads and writes (cold: a fresh publisher)."""
    reads: list[str] = []
    writes: list[str] = []
    real_get, real_put = site.output.get, site.output.put

    def is_index(body: bytes) -> bool:
        value = json.loads(body) if body.startswith(b"{") else None
        return isinstance(value, dict) and value.keys() == {"pages"}

    def get(key: str) -> Any:
        found = real_get(key)
        if key.startswith("_state/objects/") and is_index(found.body):
            reads.append(key)
        return found

    def put(key: str, body: bytes, **kwargs: Any) -> str:
        if key.startswith("_state/objects/") and is_index(body):
            writes.append(key)
        return real_put(key, body, **kwargs)

    site.output.get, site.output.put = get, put  # type: ignore[method-assign,assignment]
    site.publisher = site.make_publisher()
    return reads, writes


@pytest.mark.usefixtures("small_index")
def test_an_old_edit_reads_and_writes_one_index_object_of_each_level_and_a_new_article_none() -> None:
    # Given 80 articles whose older pages are in index objects
    site = Site()
    keys = published(site, 80)
    head = main_head(site)
    assert len(head["index"]) >= 6
    # When an article in the middle of the history that does not end its page is edited, by a
    # publisher that has read nothing yet
    middle = next(k for k in keys[30:50] if not archive.is_boundary(item_id(k), 2))
    reads, writes = index_reads(site)
    site.put(middle, article("Middle, revised", when(keys.index(middle))))
    assert not site.publisher.apply([middle]).failed_keys
    # Then the main feed's change reads and writes only the index objects above its page: one of
    # each level
    assert 1 <= len(set(reads)) == len(reads) <= max(levels(head))
    assert len(writes) == len(reads)
    assert len(main_head(site)["index"]) == len(head["index"])
    site.assert_matches_build()
    # When a new article arrives, Then no index object is read (one may be written, when the head's
    # oldest inline pages move to one)
    reads.clear()
    writes.clear()
    site.put("articles/new.md", article("New", when(500)))
    assert not site.publisher.apply(["articles/new.md"]).failed_keys
    assert reads == []
    assert len(writes) <= 1
    site.assert_matches_build()


def reachable(site: Site) -> set[str]:
    """Every state object the root reaches, walked here: shards, heads, index objects, pages."""
    root = root_of(site)
    keys = set(root["shards"].values()) | set(root["ids"].values())
    elements: list[dict[str, Any]] = []
    for feed in root["feeds"].values():
        keys.add(feed["head"])
        head = stored(site, feed["head"])
        elements += head.get("index", []) + head["pages"]
    while elements:
        element = elements.pop()
        keys.add(element["object"])
        if "name" not in element:
            elements += stored(site, element["object"])["pages"]
    return keys


@pytest.mark.usefixtures("small_index")
def test_garbage_collection_keeps_every_index_object_and_page_reached_and_drops_the_rest() -> None:
    # Given an indexed archive whose old articles were edited (their index objects replaced)
    site = Site()
    keys = published(site, 90)
    before = reachable(site)
    for index in (5, 33, 61):
        site.put(keys[index], article(f"N{index} revised", when(index)))
        assert not site.publisher.apply([keys[index]]).failed_keys
    live = reachable(site)
    replaced = before - live
    assert any(stored(site, key).keys() == {"pages"} for key in replaced), "an index object was replaced"
    # When garbage is collected long after
    site.now = datetime.now(UTC) + timedelta(hours=2)
    assert site.publisher.collect_garbage() > 0
    # Then exactly the objects the root reaches are left, index objects and their pages included
    assert set(site.output.keys(prefix="_state/objects/")) == live
    # And an edit in every page still finds it: each run still equals a build
    site.publisher = site.make_publisher()
    for index in range(0, 88, 7):
        site.put(keys[index], article(f"N{index} again", when(index)))
        assert not site.publisher.apply([keys[index]]).failed_keys
    site.assert_matches_build()


def downgraded(site: Site) -> None:
    """Rewrite the state as version 5 wrote it: every page descriptor inline in its head."""
    root = root_of(site)
    state = site.publisher.state
    for feed in root["feeds"].values():
        head = stored(site, feed["head"])
        head["pages"] = pages.all_descriptors(head, state.load)
        del head["index"]
        feed["head"] = state.save(head)
    root["version"] = 5
    site.output.put("_state/root.json", encode(root))


def old_state_site() -> tuple[Site, list[str]]:
    site = Site()
    keys = published(site, 150)
    downgraded(site)
    head = main_head(site)
    assert "index" not in head
    assert len(head["pages"]) > pages.INLINE_PAGES + pages.INDEX_PAGES
    site.publisher = site.make_publisher()
    return site, keys


def test_a_head_written_before_index_objects_is_read_and_packed_on_its_next_write() -> None:
    # Given a site whose state was written by version 5 (75 pages inline in the main feed's head)
    site, keys = old_state_site()
    outputs = site.public()
    # When a run has nothing to change, Then it reads the old state and publishes the same bytes
    report = site.publisher.apply([keys[10]])
    assert not report.failed_keys
    assert site.public() == outputs
    # When an old article is edited, Then the outputs equal a build, the root is at the current
    # version and the main feed's head names index objects, with few pages inline
    site.put(keys[10], article("N10 revised", when(10)))
    assert not site.publisher.apply([keys[10]]).failed_keys
    site.assert_matches_build()
    head = main_head(site)
    assert root_of(site)["version"] == FORMAT_VERSION
    assert head["index"]
    assert len(head["pages"]) <= pages.INLINE_PAGES + pages.INDEX_PAGES
    # And the next changes, old and new, still equal a build
    site.content.delete(keys[40])
    site.put("articles/new.md", article("New", when(900)))
    assert not site.publisher.apply([keys[40], "articles/new.md"]).failed_keys
    site.assert_matches_build()


def test_a_rebuild_over_a_state_written_before_index_objects_rewrites_no_archive_document() -> None:
    # Given a site whose state was written by version 5
    site, _ = old_state_site()
    archived = {path for path in site.public() if catalogue.archive_document(path) is not None}
    assert archived
    # When it is rebuilt, Then no archive document is written again and the outputs equal a build
    report = site.publisher.rebuild()
    assert not report.failed_keys
    assert not archived & set(report.written)
    site.assert_matches_build()
    assert main_head(site)["index"]


@pytest.mark.usefixtures("small_index")
def test_a_run_that_died_after_commit_leaves_indexed_archive_documents_to_the_next_run() -> None:
    # Given an indexed archive, and a run that commits an old boundary's deletion and an old edit
    # but dies before writing any output
    site = Site()
    keys = published(site, 90)
    boundary = next(k for k in keys[20:60] if archive.is_boundary(item_id(k), 2))
    site.content.delete(boundary)
    site.put(keys[70], article("N70 revised", when(70)))
    site.apply_dying_after_commit([boundary, keys[70]])
    # When the next run comes, with a fresh publisher, Then it writes and deletes what the commit said
    site.publisher = site.make_publisher()
    site.publisher.publish_due()
    site.assert_matches_build()
