"""The incremental publisher with every feed kind and the byte budget: author feeds come and go with
their articles, feeds of site.yaml follow site.yaml, and large records never make large state."""

from __future__ import annotations

import json

from feedpub.local.edge import link_header
from feedpub.publish import MemoryStore
from tests.support.builders import article, site_yaml
from tests.unit.test_publish_engine import Site

AUTHORS = {"jane": {"name": "Jane Doe", "bio": "Stunts."}, "sam": {"name": "Sam Roe"}}
SITE = site_yaml(feed_limit=3, authors=AUTHORS, feeds={"film": {"tags": {"any": ["Film"]}}})
AUTHOR_FILES = ("feed.xml", "atom.xml", "feed.json")


def opml(site: Site) -> str:
    return site.output.get("feeds.opml").body.decode()


def test_deleting_an_authors_last_article_removes_their_feeds() -> None:
    # Given Jane's two articles and one by a guest
    site = Site(SITE)
    site.put("articles/a.md", article("Jane one", "2025-01-01", extra="author: jane\n"))
    site.put("articles/b.md", article("Jane two", "2025-01-02", extra="author: jane\n"))
    site.put("articles/c.md", article("Guest", "2025-01-03", extra="author: Guest Writer\n"))
    site.publisher.apply(["articles/a.md", "articles/b.md", "articles/c.md"])
    site.assert_matches_build()
    assert {f"authors/jane/{name}" for name in AUTHOR_FILES} <= set(site.output.keys("authors/"))
    # And each is stored with its format's type and the feeds' cache policy, as the edge serves it
    for name, media_type in zip(
        AUTHOR_FILES, ("application/rss+xml", "application/atom+xml", "application/feed+json"), strict=True
    ):
        content_type, cache_control = site.output.headers(f"authors/jane/{name}")
        assert content_type.startswith(media_type)
        assert "stale-while-revalidate" in (cache_control or "")
        assert link_header(f"authors/jane/{name}", "https://hub.example.org/", "https://feeds.example.org/")
    # When one of Jane's articles goes, her feed stays with the other
    site.content.delete("articles/a.md")
    site.publisher.apply(["articles/a.md"])
    site.assert_matches_build()
    assert [i["title"] for i in json.loads(site.output.get("authors/jane/feed.json").body)["items"]] == [
        "Jane two"
    ]
    # When her last article is deleted, her feeds are deleted and feeds.opml no longer lists them
    site.content.delete("articles/b.md")
    report = site.publisher.apply(["articles/b.md"])
    site.assert_matches_build()
    assert site.output.keys("authors/jane/") == []
    assert {f"authors/jane/{name}" for name in AUTHOR_FILES} <= set(report.deleted)
    assert "/authors/jane/feed.xml" in report.invalidation_paths
    assert "authors/jane/" not in opml(site)
    assert "authors/guest-writer/feed.xml" in opml(site)


def test_an_article_that_changes_author_moves_between_author_feeds() -> None:
    site = Site(SITE)
    site.put("articles/a.md", article("Moving", "2025-01-01", extra="author: jane\n"))
    site.publisher.apply(["articles/a.md"])
    site.put("articles/a.md", article("Moving", "2025-01-01", extra="author: sam\n"))
    site.publisher.apply(["articles/a.md"])
    site.assert_matches_build()
    assert site.output.keys("authors/jane/") == []
    assert "Moving" in site.output.get("authors/sam/feed.json").body.decode()


def test_a_draft_or_a_scheduled_article_gives_its_author_no_feed_until_it_is_published() -> None:
    site = Site(SITE)
    site.put("articles/a.md", article("Draft", "2025-01-01", extra="author: jane\ndraft: true\n"))
    site.put("articles/b.md", article("Later", "2025-07-01", extra="author: sam\n"))  # after the clock
    site.publisher.apply(["articles/a.md", "articles/b.md"])
    site.assert_matches_build()
    assert site.output.keys("authors/") == []
    site.now = site.now.replace(month=8)
    site.publisher.publish_due()
    site.assert_matches_build()
    assert "Later" in site.output.get("authors/sam/feed.json").body.decode()


def test_feeds_of_site_yaml_follow_site_yaml() -> None:
    # Given a site with one feed of site.yaml, published before any article matches it
    site = Site(SITE)
    site.put("articles/a.md", article("Not film", "2025-01-01", ("News",)))
    site.publisher.apply(["articles/a.md"])
    site.assert_matches_build()
    assert json.loads(site.output.get("feeds/film/feed.json").body)["items"] == []
    # When an article matches it, it appears there
    site.put("articles/b.md", article("Film", "2025-01-02", ("Film",)))
    site.publisher.apply(["articles/b.md"])
    site.assert_matches_build()
    assert "Film" in site.output.get("feeds/film/feed.json").body.decode()
    # When site.yaml renames the feed, the old one's documents are deleted and the new one published
    site.put(
        "site.yaml", site_yaml(feed_limit=3, authors=AUTHORS, feeds={"cinema": {"tags": {"any": ["film"]}}})
    )
    site.publisher.apply(["site.yaml"])
    site.assert_matches_build()
    assert site.output.keys("feeds/film/") == []
    assert "feeds/cinema/feed.xml" in opml(site)


def huge_article(title: str, date: str) -> bytes:
    return article(title, date, ("Film",), extra="author: jane\n", body="Its summary.\n\n" + "x" * 900_000)


def state_objects(store: MemoryStore) -> dict[str, int]:
    return {key: len(store.get(key).body) for key in store.keys("_state/objects/")}


def test_records_of_a_megabyte_keep_the_state_small_and_one_change_cheap() -> None:
    # Given 6 articles of 900 kB each, in the main, a tag, an author and a site.yaml feed
    site = Site(
        site_yaml(max_record_bytes=1024 * 1024, authors=AUTHORS, feeds={"film": {"tags": {"any": ["Film"]}}})
    )
    keys = [f"articles/s{n:02d}.md" for n in range(1, 7)]
    for number, key in enumerate(keys, 1):
        site.put(key, huge_article(f"Story {number}", f"2025-01-{number:02d}"))
    site.publisher.apply(keys)
    site.assert_matches_build()
    # Then no feed document and no state object is anywhere near the 5.4 MB of content: a head holds
    # its feed's items as the feed shows them, an archive page its items as its document shows them,
    # each within the 1 MiB budget
    for path in ("feed.xml", "atom.xml", "feed.json", "authors/jane/feed.xml", "feeds/film/atom.xml"):
        assert len(site.output.get(path).body) <= 1024 * 1024, path
    assert max(state_objects(site.output).values()) <= 1024 * 1024
    # When one small article is added to those four feeds
    before = state_objects(site.output)
    site.put("articles/small.md", article("Small news", "2025-02-01", ("Film",), extra="author: jane\n"))
    site.publisher.apply(["articles/small.md"])
    site.assert_matches_build()
    # Then it rewrites four heads and the four archive pages it joins, of at most the budget each,
    # not four times all of the content
    written = {key: size for key, size in state_objects(site.output).items() if key not in before}
    assert max(written.values()) <= 1024 * 1024
    assert 0 < sum(written.values()) <= 8 * 1024 * 1024 + 64 * 1024


def test_an_item_regains_its_content_when_newer_large_ones_go() -> None:
    # Given a small article published before large ones that pushed it past the budget
    site = Site(site_yaml(feed_limit=5, feed_max_bytes=64 * 1024))
    site.put(
        "articles/old.md", article("Old", "2025-01-01", body="Old first paragraph.\n\nOld second paragraph.")
    )
    site.publisher.apply(["articles/old.md"])
    big = [f"articles/big{n}.md" for n in range(3)]
    for number, key in enumerate(big):
        site.put(key, article(f"Big {number}", f"2025-02-0{number + 1}", body="Lead.\n\n" + "y " * 15_000))
    site.publisher.apply(big)
    site.assert_matches_build()
    old = json.loads(site.output.get("feed.json").body)["items"][-1]
    assert old["title"] == "Old"
    assert "content_html" not in old
    # When the large ones are deleted
    for key in big:
        site.content.delete(key)
    site.publisher.apply(big)
    # Then the old article is shown in full again, as a fresh build shows it
    site.assert_matches_build()
    old = json.loads(site.output.get("feed.json").body)["items"][-1]
    assert "Old second paragraph" in old["content_html"]
