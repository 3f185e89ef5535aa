"""The incremental publisher writes each feed's page exactly when it writes the feed's documents, and
a state published without pages is rebuilt so every feed gets its page at once."""

from __future__ import annotations

import json

from feedpub import catalogue
from feedpub.catalogue import PAGE, main_feed
from feedpub.publish.state import FORMAT_VERSION
from tests.support.builders import article
from tests.unit.test_publish_engine import Site


def publish(site: Site, count: int) -> None:
    keys = []
    for number in range(count):
        key = f"articles/a{number:03d}.md"
        site.put(key, article(f"Article {number}", f"2025-01-{1 + number % 28:02d}", (f"Tag {number % 5}",)))
        keys.append(key)
    site.publisher.apply(keys)


def test_a_changed_record_rewrites_the_pages_of_its_feeds_and_no_others() -> None:
    # Given a site whose records are spread over five tags
    site = Site()
    publish(site, 10)
    # When the newest record's title is edited
    site.put("articles/a009.md", article("Article 9, revised", "2025-01-10", ("Tag 4",)))
    report = site.publisher.apply(["articles/a009.md"])
    # Then the pages of its feeds are written with their documents, no other page is
    pages = sorted(path for path in report.written if path.endswith(".html"))
    assert pages == ["index.html", "tags/tag-4/index.html"]
    assert {"/index.html", "/tags/tag-4/index.html"} <= set(report.invalidation_paths)
    assert b"Article 9, revised" in site.output.get("tags/tag-4/index.html").body
    content_type, _ = site.output.headers("index.html")
    assert content_type == "text/html; charset=utf-8"
    # And the published site equals a from-scratch build
    site.assert_matches_build()


def test_one_changed_record_costs_as_many_writes_on_a_large_site_as_on_a_small_one() -> None:
    feed_writes, archive_writes = [], []
    for size in (10, 240):
        # Given a site of this size
        site = Site()
        publish(site, size)
        # When one record changes, and becomes the newest
        site.put("articles/a009.md", article("Edited", "2025-02-01", ("Tag 4",)))
        written = site.publisher.apply(["articles/a009.md"]).written
        feed_writes.append(sorted(path for path in written if catalogue.archive_document(path) is None))
        archive_writes.append([path for path in written if catalogue.archive_document(path) is not None])
    # Then the same feed documents and pages are written: they do not grow with the site
    assert feed_writes[0] == feed_writes[1]
    assert "tags/tag-4/index.html" in feed_writes[1]
    # And at most two archive documents of each of its two feeds in three formats: the page it left
    # and the newest one, from which the window took an item (archive documents have no page)
    assert len(archive_writes[1]) <= 2 * 2 * 3
    assert not [path for path in archive_writes[1] if path.endswith(".html")]


def test_deleting_a_tags_last_record_removes_its_page_with_its_feed() -> None:
    site = Site()
    site.put("articles/a.md", article("Alpha", "2025-01-01", ("Film",)))
    site.put("articles/b.md", article("Beta", "2025-02-01"))
    site.publisher.apply(["articles/a.md", "articles/b.md"])
    site.content.delete("articles/a.md")
    report = site.publisher.apply(["articles/a.md"])
    assert "tags/film/index.html" in report.deleted
    site.assert_matches_build()


def test_a_state_published_before_pages_existed_is_rebuilt_with_every_page() -> None:
    # Given a site published by a version of feedpub whose feeds had no page (its root names
    # another layout of kinds and formats, and its pages were never written)
    site = Site()
    publish(site, 8)
    root = json.loads(site.output.get("_state/root.json").body)
    root["layout"] = [
        [kind, *(fmt for fmt in formats if fmt != PAGE.name)] for kind, *formats in root["layout"]
    ]
    root["outputs"] = {path: digest for path, digest in root["outputs"].items() if not path.endswith(".html")}
    site.output.put("_state/root.json", json.dumps(root).encode())
    for path in [key for key in site.output.keys(prefix="") if key.endswith(".html")]:
        site.output.delete(path)
    # When the next change arrives
    site.put("articles/a000.md", article("Article 0, edited", "2025-01-01", ("Tag 0",)))
    site.publisher.apply(["articles/a000.md"])
    # Then every feed has its page again, as a from-scratch build has them
    assert site.output.get(main_feed().path(PAGE)).body.startswith(b"<!DOCTYPE html>")
    site.assert_matches_build()
    root = json.loads(site.output.get("_state/root.json").body)
    assert root["version"] == FORMAT_VERSION
    assert ["main", "rss", "atom", "json", "page"] in root["layout"]
