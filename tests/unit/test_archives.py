"""Complete archives (RFC 5005 section 4): every feed gives a new subscriber its whole history.

The paging itself (feedpub.archive), the publisher keeping archive pages incrementally (each run
equal to a from-scratch build, full pages never rewritten by new articles), and readers following
prev-archive / next_url with feedparser to exactly every published record, once, newest first."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser

from feedpub import archive, build, catalogue
from feedpub.publish import pages
from tests.support.builders import BASE_URL, HOME_PAGE_URL, article, content_dir, site_yaml
from tests.unit import w3c_rules
from tests.unit.jsonfeed_spec import validate_json_feed
from tests.unit.test_publish_engine import Site

START = datetime(2020, 1, 1, tzinfo=UTC)


def when(hour: int) -> str:
    return (START + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ")


def item_id(name: str) -> str:
    return f"{HOME_PAGE_URL}{name}/"


# -- how pages are cut ---------------------------------------------------------------------------


def documents_of(ids: list[str], page_size: int, window: int) -> dict[str, tuple[object, ...]]:
    """Each archive document of a feed with these members (oldest first): its items and links."""
    pages = archive.cut(ids, page_size)
    starts = {page.name: page.start for page in pages}
    docs = archive.documents([(page.name, page.count) for page in pages], window)
    return {
        doc.name: (
            tuple(ids[starts[doc.name] : starts[doc.name] + doc.shown]),
            doc.older,
            doc.newer,
            doc.full,
        )
        for doc in docs
    }


def test_a_new_article_never_changes_a_full_archive_document() -> None:
    # Given a feed growing one article at a time (feed_limit 5, pages of about 10)
    ids = [item_id(f"p{i}") for i in range(400)]
    full_before: dict[str, tuple[object, ...]] = {}
    for count in range(1, len(ids) + 1):
        docs = documents_of(ids[:count], 10, 5)
        # Then every document that was full is still there, unchanged
        for name, content in full_before.items():
            assert docs[name] == content
        full_before = {name: content for name, content in docs.items() if content[3]}
    # And the pages hold about page_size items each, every item exactly once outside the window
    shown = [item for content in documents_of(ids, 10, 5).values() for item in content[0]]  # type: ignore[attr-defined]
    assert shown == ids[:-5]
    assert 20 <= len(archive.cut(ids, 10)) <= 60


def test_a_deletion_changes_only_the_page_that_holds_the_item() -> None:
    ids = [item_id(f"p{i}") for i in range(300)]
    before = {page.name: ids[page.start : page.end] for page in archive.cut(ids, 10)}
    for gone in random.Random(5).sample(range(300), 60):
        # When one member is removed
        rest = ids[:gone] + ids[gone + 1 :]
        after = {page.name: rest[page.start : page.end] for page in archive.cut(rest, 10)}
        holder = next(name for name, members in before.items() if ids[gone] in members)
        changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
        # Then only its page changes; a boundary's page also takes in the next page, which goes
        if archive.is_boundary(ids[gone], 10):
            assert changed <= {holder, archive.name_after(ids[gone])}
        else:
            assert changed == {holder}


# -- the publisher keeps them ----------------------------------------------------------------------


def archive_paths(site: Site) -> list[str]:
    return [path for path in site.public() if catalogue.archive_document(path) is not None]


def is_immutable(site: Site, path: str) -> bool:
    return "immutable" in (site.output.headers(path)[1] or "")


def test_new_articles_leave_full_archive_pages_alone_and_every_run_equals_a_build() -> None:
    # Given a site with small feeds and pages
    site = Site(site_yaml(feed_limit=3, archive_page_size=4))
    for i in range(40):
        full = {path for path in archive_paths(site) if is_immutable(site, path)}
        # When articles arrive one at a time, newest last
        key = f"articles/n{i:02d}.md"
        site.put(key, article(f"N{i}", when(i), ("Even",) if i % 2 == 0 else ()))
        report = site.publisher.apply([key])
        # Then no full archive page is written again, and the outputs equal a from-scratch build
        assert not full & set(report.written)
        site.assert_matches_build()
    immutable = [path for path in archive_paths(site) if is_immutable(site, path)]
    assert immutable, "forty articles in pages of four leave full pages"
    assert catalogue.ARCHIVE_CACHE in {site.output.headers(path)[1] for path in immutable}
    newest = [path for path in archive_paths(site) if not is_immutable(site, path)]
    assert {site.output.headers(path)[1] for path in newest} == {catalogue.FEED_CACHE}


def test_a_new_article_that_writes_a_tag_differently_renames_the_feed_but_no_full_page() -> None:
    # Given a tag feed with full archive pages, its articles writing the tag "Film"
    site = Site(site_yaml(feed_limit=3, archive_page_size=4))
    keys = [f"articles/f{i:02d}.md" for i in range(30)]
    for i, key in enumerate(keys):
        site.put(key, article(f"F{i}", when(i), ("Film",)))
    site.publisher.apply(keys)
    full = {path for path in archive_paths(site) if path.startswith("tags/") and is_immutable(site, path)}
    assert full
    # When a new article writes it "FILM"
    site.put("articles/new.md", article("New", when(40), ("FILM",)))
    report = site.publisher.apply(["articles/new.md"])
    # Then the tag's feed is called FILM, while each archive document keeps the name its own newest
    # article gives it: no full page is written again, and the outputs equal a build
    assert b"Articles tagged \xe2\x80\x9cFILM\xe2\x80\x9d" in site.public()["tags/film/feed.xml"]
    assert not full & set(report.written)
    site.assert_matches_build()


def archived_site(count: int = 40) -> tuple[Site, list[str]]:
    site = Site(site_yaml(feed_limit=3, archive_page_size=4))
    keys = [f"articles/n{i:02d}.md" for i in range(count)]
    for i, key in enumerate(keys):
        site.put(key, article(f"N{i}", when(i)))
    site.publisher.apply(keys)
    return site, keys


def page_of(site: Site, title: str) -> set[str]:
    """The archive documents that show an item with this title."""
    return {path for path in archive_paths(site) if f">{title}<".encode() in site.public()[path]}


def test_an_edit_or_a_deletion_rewrites_only_the_archive_page_that_holds_the_item() -> None:
    # Given forty published articles, and an old one that does not end its page
    site, keys = archived_site()
    index = next(i for i in range(5, 30) if not archive.is_boundary(item_id(f"n{i:02d}"), 4))
    holder = page_of(site, f"N{index}")
    assert len(holder) == 2  # its RSS and Atom documents (feed.json escapes no ">")
    # When it is edited
    site.put(keys[index], article(f"N{index} revised", when(index)))
    edited = site.publisher.apply([keys[index]])
    # Then only its page's three documents are written, and the outputs equal a build
    page = {path.rpartition("/")[0] for path in holder}
    assert {path.rpartition("/")[0] for path in edited.written if not path.startswith("_state/")} == page
    site.assert_matches_build()
    # When it is deleted, Then the same holds
    site.content.delete(keys[index])
    deleted = site.publisher.apply([keys[index]])
    assert {path.rpartition("/")[0] for path in deleted.written if not path.startswith("_state/")} == page
    assert not page_of(site, f"N{index} revised")
    site.assert_matches_build()


def test_a_boundary_deletion_merges_two_pages_and_each_run_equals_a_build() -> None:
    site, keys = archived_site()
    index = next(i for i in range(1, 30) if archive.is_boundary(item_id(f"n{i:02d}"), 4))
    site.content.delete(keys[index])
    report = site.publisher.apply([keys[index]])
    # Then the page after it is gone and the outputs equal a build
    assert any(f"archive/{archive.name_after(item_id(f'n{index:02d}'))}/" in path for path in report.deleted)
    site.assert_matches_build()


def test_drafted_scheduled_and_due_records_move_between_pages() -> None:
    site, keys = archived_site()
    old = keys[6]
    # When an archived article becomes a draft, Then it leaves its page
    site.put(old, article("N6", when(6), extra="draft: true\n"))
    site.publisher.apply([old])
    assert not page_of(site, "N6")
    site.assert_matches_build()
    # When it is published again, Then it is back in the page its date puts it in
    site.put(old, article("N6", when(6)))
    site.publisher.apply([old])
    assert page_of(site, "N6")
    site.assert_matches_build()
    # When it is moved to the future, Then it leaves every feed until its date comes
    due = site.now + timedelta(days=1)
    site.put(old, article("N6", due.strftime("%Y-%m-%dT%H:%M:%SZ")))
    site.publisher.apply([old])
    assert not page_of(site, "N6")
    assert b">N6<" not in site.public()["feed.xml"]
    site.assert_matches_build()
    site.now = due + timedelta(minutes=1)
    site.publisher.publish_due()
    assert b">N6<" in site.public()["feed.xml"]
    site.assert_matches_build()


def test_a_changing_sequence_of_additions_edits_and_deletions_always_equals_a_build() -> None:
    rng = random.Random(12)
    site = Site(site_yaml(feed_limit=3, archive_page_size=3))
    live: set[str] = set()
    for step in range(60):
        keys = []
        for _ in range(rng.randint(1, 4)):
            key = f"articles/r{rng.randrange(30):02d}.md"
            if key in live and rng.random() < 0.3:
                site.content.delete(key)
                live.discard(key)
            else:
                tags = rng.sample(["a", "b", "c"], rng.randint(0, 2))
                site.put(key, article(f"R{step}-{key}", when(rng.randrange(200)), tags))
                live.add(key)
            keys.append(key)
        report = site.publisher.apply(keys)
        assert not report.failed_keys
        site.assert_matches_build()


def state_root(site: Site) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(site.output.get("_state/root.json").body)
    return loaded


def test_the_root_names_no_archive_page_so_it_does_not_grow_with_them() -> None:
    # Given the same forty articles published in pages of about four and in one page
    small, _ = archived_site()
    large = Site(site_yaml(feed_limit=3, archive_page_size=1000))
    keys = [f"articles/n{i:02d}.md" for i in range(40)]
    for i, key in enumerate(keys):
        large.put(key, article(f"N{i}", when(i)))
    large.publisher.apply(keys)
    assert len(archive_paths(small)) > 5 * len(archive_paths(large))
    # Then the root every run reads and writes lists the same outputs and feeds either way: neither
    # archive documents nor page objects are in it (the feed heads hold them)
    small_root, large_root = state_root(small), state_root(large)
    assert small_root["outputs"].keys() == large_root["outputs"].keys()  # type: ignore[attr-defined]
    assert small_root["feeds"] == {"": {"label": None, "count": 40, "head": small_root["feeds"][""]["head"]}}  # type: ignore[index]
    assert b"archive/" not in small.output.get("_state/root.json").body


def test_garbage_collection_keeps_every_archive_page_the_heads_name() -> None:
    # Given archived articles, several of them edited since (old pages become garbage)
    site, keys = archived_site()
    for index in (3, 11, 25):
        site.put(keys[index], article(f"N{index} revised", when(index)))
        site.publisher.apply([keys[index]])
    # When garbage is collected long after
    site.now = datetime.now(UTC) + timedelta(hours=2)
    assert site.publisher.collect_garbage() > 0
    # Then an edit in every page still finds its page: each run still equals a build
    for index in range(0, 37, 4):
        site.put(keys[index], article(f"N{index} again", when(index)))
        assert not site.publisher.apply([keys[index]]).failed_keys
        site.assert_matches_build()


def test_a_rebuild_rewrites_no_unchanged_archive_document_and_removes_the_pages_that_are_gone() -> None:
    # Given archived articles
    site, _ = archived_site()
    before = set(archive_paths(site))
    # When the site is rebuilt with nothing changed, Then no archive document is written again
    rebuilt = site.publisher.rebuild()
    assert not rebuilt.failed_keys
    assert not before & set(rebuilt.written)
    # When site.yaml cuts pages of another size, Then the old pages go and the new ones come
    site.put("site.yaml", site_yaml(feed_limit=3, archive_page_size=7))
    resized = site.publisher.apply(["site.yaml"])
    assert set(resized.deleted) >= before - set(archive_paths(site))
    site.assert_matches_build()


def test_a_run_that_died_after_commit_leaves_its_archive_documents_to_the_next_run() -> None:
    # Given archived articles, and a run that commits but dies before writing or deleting outputs
    site, keys = archived_site()
    index = next(i for i in range(1, 30) if archive.is_boundary(item_id(f"n{i:02d}"), 4))
    site.content.delete(keys[index])  # two pages become one: a document goes, another changes
    site.put("articles/new.md", article("New", when(100)))
    site.apply_dying_after_commit([keys[index], "articles/new.md"])
    # When the next scheduled run comes, Then it writes and deletes what the commit said
    site.publisher.publish_due()
    site.assert_matches_build()


def test_the_pages_a_rebuild_cuts_at_once_are_the_pages_the_publisher_keeps() -> None:
    # Given a feed changed by many additions, edits (new dates) and deletions, one batch at a time
    rng = random.Random(7)
    site = Site(site_yaml(feed_limit=3, archive_page_size=3))
    keys = [f"articles/c{i:02d}.md" for i in range(40)]
    for step in range(30):
        batch = rng.sample(keys, 5)
        for key in batch:
            if rng.random() < 0.3:
                site.content.delete(key)
            else:
                site.put(
                    key, article(f"C{step}", when(rng.randrange(100)), ("a",) if rng.random() < 0.5 else ())
                )
        assert not site.publisher.apply(batch).failed_keys
    # When the main feed's members are cut again all at once (what a rebuild's merge step does)
    root = state_root(site)
    head = json.loads(site.output.get(root["feeds"][""]["head"]).body)  # type: ignore[index]
    descriptors = pages.all_descriptors(head, site.publisher.state.load)
    kept = [(page, json.loads(site.output.get(page["object"]).body)["members"]) for page in descriptors]
    members = [member for _, page_members in kept for member in page_members]
    rebuilt = pages.cut_members(members, 3)
    # Then they are the same pages, with the same members and boundaries
    assert [(d["name"], d["count"], d["last"], m) for d, m in rebuilt] == [
        (d["name"], d["count"], d["last"], m) for d, m in kept
    ]
    assert len(rebuilt) > 3


# -- what a reader gets --------------------------------------------------------------------------


def follow(outputs: dict[str, bytes], path: str) -> list[str]:
    """Item ids from a feed document and every archive document its prev-archive chain reaches."""
    ids: list[str] = []
    seen: set[str] = set()
    while path:
        assert path not in seen, f"the archive chain loops at {path}"
        seen.add(path)
        parsed = feedparser.parse(outputs[path])
        assert not parsed.bozo, parsed.get("bozo_exception")
        ids += [entry.id for entry in parsed.entries]
        links = [link.href for link in parsed.feed.get("links", []) if link.get("rel") == "prev-archive"]
        path = links[0].removeprefix(BASE_URL) if links else ""
    return ids


def follow_json(outputs: dict[str, bytes], path: str) -> list[str]:
    ids: list[str] = []
    while path:
        document = json.loads(outputs[path])
        ids += [item["id"] for item in document["items"]]
        path = document.get("next_url", "").removeprefix(BASE_URL)
    return ids


def test_following_the_archives_gives_every_record_once_newest_first_on_a_large_site(tmp_path: Path) -> None:
    # Given a site of 1,200 articles, half of them tagged, built from scratch (default page size)
    count = 1200
    records = {f"a{i:04d}.md": article(f"A{i}", when(i), ("Odd",) if i % 2 else ()) for i in range(count)}
    root = content_dir(tmp_path / "content", site_yaml(), records)
    outputs = build.check_directory(root, datetime(2026, 1, 1, tzinfo=UTC)).outputs
    newest_first = [item_id(f"a{i:04d}") for i in reversed(range(count))]
    # When a reader follows prev-archive from feed.xml, atom.xml and a tag feed, and next_url from
    # feed.json, Then it gets exactly every published record once, newest first
    assert follow(outputs, "feed.xml") == newest_first
    assert follow(outputs, "atom.xml") == newest_first
    assert follow_json(outputs, "feed.json") == newest_first
    assert follow(outputs, "tags/odd/feed.xml") == [i for i in newest_first if int(i[-5:-1]) % 2]
    # And the subscription documents still show feed_limit items, archives are not in feeds.opml
    assert len(feedparser.parse(outputs["feed.xml"]).entries) == 20
    assert b"archive/" not in outputs["feeds.opml"]


def test_the_published_archives_are_followed_to_every_record(tmp_path: Path) -> None:
    # Given articles published through the incremental publisher in batches, some edited and deleted
    site = Site(site_yaml(feed_limit=5, archive_page_size=6))
    keys = [f"articles/b{i:03d}.md" for i in range(150)]
    for start in range(0, len(keys), 25):
        for i in range(start, start + 25):
            site.put(keys[i], article(f"B{i}", when(i), ("Tagged",) if i % 3 == 0 else ()))
        site.publisher.apply(keys[start : start + 25])
    for i in range(0, 150, 7):
        site.content.delete(keys[i])
    site.publisher.apply(keys[0:150:7])
    site.assert_matches_build()
    published = [item_id(f"b{i:03d}") for i in reversed(range(150)) if i % 7]
    outputs = site.public()
    # Then following the chains gives every published record once, newest first
    assert follow(outputs, "feed.xml") == published
    assert follow(outputs, "atom.xml") == published
    assert follow_json(outputs, "feed.json") == published
    assert follow(outputs, "tags/tagged/atom.xml") == [i for i in published if int(i[-4:-1]) % 3 == 0]


LARGE_TAGS = ("Film", "News", "Interviews", "Reviews", "Travel", "Food", "Music", "Books")
AUTHORS = ("Ada Lovelace", "Grace Hopper", "Alan Turing")


def test_following_the_archives_of_a_large_site_published_incrementally_gives_every_record() -> None:
    # Given 360 articles with tags and authors, dated out of upload order, published in batches
    rng = random.Random(2026)
    site = Site(site_yaml(feed_limit=5, archive_page_size=8))
    shown: dict[str, tuple[int, tuple[str, ...]]] = {}  # key -> (hour, tags) of the published ones
    keys = [f"articles/l{i:04d}.md" for i in range(360)]

    def publish(key: str) -> None:
        hour, tags = rng.randrange(6000), tuple(rng.sample(LARGE_TAGS, rng.randint(0, 3)))
        site.put(key, article(key, when(hour), tags, f"author: {rng.choice(AUTHORS)}\n"))
        shown[key] = (hour, tags)

    for start in range(0, len(keys), 120):
        for key in keys[start : start + 120]:
            publish(key)
        assert not site.publisher.apply(keys[start : start + 120]).failed_keys
    # When batches of them are edited (new dates and tags), deleted, drafted or scheduled
    for _ in range(4):
        batch = rng.sample(keys, 30)
        for key in batch:
            roll = rng.random()
            if roll < 0.35:
                site.content.delete(key)
            elif roll < 0.45:
                site.put(key, article(key, when(1), ("Film",), "draft: true\n"))
            elif roll < 0.5:
                site.put(key, article(key, "2099-01-01", ("Film",)))
            else:
                publish(key)
                continue
            shown.pop(key, None)
        assert not site.publisher.apply(batch).failed_keys
    # Then following prev-archive (next_url) from every feed in every format gives exactly its
    # published records, each once, newest first
    outputs = site.public()

    def newest_first(members: list[str]) -> list[str]:
        ids = {key: item_id(key.removeprefix("articles/").removesuffix(".md")) for key in members}
        return [ids[key] for key in sorted(members, key=lambda key: (shown[key][0], ids[key]), reverse=True)]

    everything = newest_first(list(shown))
    assert len(everything) > 270
    assert follow(outputs, "feed.xml") == everything
    assert follow(outputs, "atom.xml") == everything
    assert follow_json(outputs, "feed.json") == everything
    for tag in LARGE_TAGS:
        tagged = newest_first([key for key, (_, tags) in shown.items() if tag in tags])
        directory = f"tags/{tag.lower()}/"
        assert follow(outputs, directory + "feed.xml") == tagged, tag
        assert follow(outputs, directory + "atom.xml") == tagged, tag
        assert follow_json(outputs, directory + "feed.json") == tagged, tag
    # And the publisher's outputs equal a from-scratch build
    site.assert_matches_build()


def test_every_archive_document_passes_the_validator_rules_and_the_json_feed_schema(tmp_path: Path) -> None:
    records = {
        f"v{i:03d}.md": article(f"V{i} & <friends>", when(i), ("Tag",) if i % 2 else ()) for i in range(90)
    }
    root = content_dir(tmp_path / "content", site_yaml(feed_limit=5, archive_page_size=8), records)
    outputs = build.check_directory(root, datetime(2026, 1, 1, tzinfo=UTC)).outputs
    archived = {path: body for path, body in outputs.items() if catalogue.archive_document(path)}
    assert len(archived) > 20
    assert not [path for path in outputs if "/archive/" in f"/{path}" and path not in archived]
    # Then the W3C validator's rules find nothing, on the archives and the feeds that link them
    found = w3c_rules.check_all(outputs, BASE_URL)
    assert not list(w3c_rules.first_problems(found))
    assert sum(1 for path in found if catalogue.archive_document(path)) == 2 * len(archived) // 3
    # And every JSON archive page is valid JSON Feed 1.1 naming the feed it belongs to
    for path, body in archived.items():
        if path.endswith(".json"):
            document = validate_json_feed(body)
            assert document["feed_url"] == BASE_URL + path.split("archive/")[0] + "feed.json"


def test_archive_paths_are_public_at_the_edge_and_nothing_else_under_archive() -> None:
    assert catalogue.is_public("/archive/0123456789ab/feed.xml")
    assert catalogue.is_public("/tags/python/archive/0123456789ab/feed.json")
    assert catalogue.is_public("/archive/0123456789ab/podcast.xml")
    assert not catalogue.is_public("/archive/0123456789ab/other.xml")
    assert not catalogue.is_public("/archive/0123456789ab/index.html")  # archive pages have no page
    assert not catalogue.is_public("/archive/not-a-page/feed.xml")
    assert catalogue.archive_document("tags/python/archive/0123456789ab/atom.xml") == (
        "tags/python/",
        "0123456789ab",
        catalogue.ATOM,
    )
    assert (
        catalogue.headers_for("archive/0123456789ab/feed.xml", full_archive=True)[1]
        == catalogue.ARCHIVE_CACHE
    )


def test_a_rebuilt_output_directory_drops_archive_pages_that_are_gone(tmp_path: Path) -> None:
    # Given a site built with archives into public/
    records = {f"o{i:02d}.md": article(f"O{i}", when(i)) for i in range(30)}
    root = content_dir(tmp_path / "content", site_yaml(feed_limit=3, archive_page_size=4), records)
    out = tmp_path / "public"
    build.build_directory(root, out, datetime(2026, 1, 1, tzinfo=UTC))
    assert any((out / "archive").iterdir())
    # When most articles are deleted and the site is built again
    for i in range(27):
        (root / "articles" / f"o{i:02d}.md").unlink()
    build.build_directory(root, out, datetime(2026, 1, 1, tzinfo=UTC))
    # Then no archive page or directory is left behind
    assert not (out / "archive").exists()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "atom.xml", "feed.json", "feed.xml", "feed.xsl", "feeds.opml", "index.html",
    ]  # fmt: skip


def podcast_links(feed: bytes, rel: str) -> list[str]:
    parsed = feedparser.parse(feed)
    return [link.href for link in parsed.feed.get("links", []) if link.get("rel") == rel]


def test_podcast_xml_pages_its_back_catalogue_only_under_an_episode_limit() -> None:
    from tests.unit.test_podcast_publish import SITE as SHOW_SITE
    from tests.unit.test_podcast_publish import publish_back_catalogue

    # Given a show of 20 episodes without an episode limit
    show = publish_back_catalogue(20, SHOW_SITE.replace(b"language: en\n", b"language: en\nfeed_limit: 3\n"))
    # Then podcast.xml holds them all and has no archive page
    assert not [path for path in show.public() if path.endswith("/podcast.xml")]
    assert podcast_links(show.public()["podcast.xml"], "prev-archive") == []
    # Given the same show with an episode limit of 4 and pages of 3 episodes on average
    limited = SHOW_SITE.replace(b"language: en\n", b"language: en\narchive_page_size: 3\n")
    show = publish_back_catalogue(20, limited + b"  episode_limit: 4\n")
    outputs = show.public()
    pages = sorted(path for path in outputs if path.startswith("archive/") and path.endswith("/podcast.xml"))
    assert len(pages) >= 2
    # When an app follows prev-archive, or the paged-feed `next` AntennaPod and gPodder follow
    # Then both give every episode once, newest first, and the two links agree on every document
    ids = follow(outputs, "podcast.xml")
    assert len(ids) == len(set(ids)) == 20
    path = "podcast.xml"
    while older := podcast_links(outputs[path], "prev-archive"):
        assert podcast_links(outputs[path], "next") == older
        path = older[0].removeprefix("https://feeds.example.org/")
    # And the publisher equals a from-scratch build after an old episode goes
    show.content.delete("articles/ep2.md")
    show.apply("articles/ep2.md")
    show.assert_matches_build()
    assert len(follow(show.public(), "podcast.xml")) == 19
