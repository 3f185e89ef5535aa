"""The feed kinds of the catalogue beyond main and tags: one feed per author, the feeds site.yaml
names in `feeds:`, and full or summary content per kind. Built offline (render_site), checked as
readers and validators see them; the publisher's side is in test_feed_kinds_publish.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import feedparser
import pytest
from lxml import etree

from feedpub.build import render_site
from feedpub.config import SiteConfig, parse_site
from feedpub.errors import SiteConfigError
from feedpub.records import parse_record
from tests.support.builders import article, site_yaml
from tests.unit.jsonfeed_spec import validate_json_feed
from tests.unit.w3c_rules import check_all, first_problems

NOW = datetime(2026, 1, 1, tzinfo=UTC)
AUTHORS = {
    "jane": {
        "name": "Jane Doe",
        "url": "https://www.example.org/people/jane/",
        "email": "jane@example.org",
        "avatar": "https://www.example.org/people/jane.png",
        "bio": "Jane covers stunts and action cinema.",
    },
    "sam": {"name": "Sam Roe"},
}


def build(site: SiteConfig, records: dict[str, bytes]) -> dict[str, bytes]:
    parsed = [parse_record(f"articles/{name}", data, site) for name, data in records.items()]
    result = render_site(site, parsed, NOW)
    assert result.rejected == []
    return result.outputs


def assert_clean(site: SiteConfig, outputs: dict[str, bytes]) -> None:
    """0 errors and 0 warnings by the validator's rules; JSON Feed documents match the schema."""
    assert list(first_problems(check_all(outputs, site.base_url))) == []
    for path, data in outputs.items():
        if path.endswith("feed.json"):
            validate_json_feed(data)
        elif path.endswith((".xml", ".opml")):
            etree.fromstring(data)


def titles(outputs: dict[str, bytes], path: str) -> list[str]:
    return [item["title"] for item in json.loads(outputs[path])["items"]]


def opml_urls(outputs: dict[str, bytes]) -> set[str]:
    document = etree.fromstring(outputs["feeds.opml"])
    return {outline.get("xmlUrl") for outline in document.iter("outline") if outline.get("xmlUrl")}


# -- authors -------------------------------------------------------------------------------------

AUTHOR_SITE = parse_site(site_yaml(authors=AUTHORS))
AUTHORED = {
    "stunts.md": article("Stunt work", "2025-03-01", ("Stunts",), extra="author: jane\n"),
    "duo.md": article("Written together", "2025-02-01", extra="authors: [jane, sam]\n"),
    "guest.md": article("A guest writes", "2025-01-01", extra="author: Guest Writer\n"),
    "both.md": article("Two keys in author", "2024-12-01", extra="author: [sam, Guest Writer]\n"),
}


def test_every_author_with_a_published_record_gets_their_own_feed_in_every_format() -> None:
    # Given articles by site.yaml authors (by key, alone or in a list) and by a plain name
    outputs = build(AUTHOR_SITE, AUTHORED)
    # Then each author has a feed under authors/<slug>/ in every format with exactly their articles
    assert titles(outputs, "authors/jane/feed.json") == ["Stunt work", "Written together"]
    assert titles(outputs, "authors/sam/feed.json") == ["Written together", "Two keys in author"]
    assert titles(outputs, "authors/guest-writer/feed.json") == ["A guest writes", "Two keys in author"]
    for slug in ("jane", "sam", "guest-writer"):
        for name in ("feed.xml", "atom.xml", "feed.json"):
            assert f"authors/{slug}/{name}" in outputs
            # And feeds.opml lists it, so a reader importing the list finds it
            assert f"https://feeds.example.org/authors/{slug}/{name}" in opml_urls(outputs)
    assert_clean(AUTHOR_SITE, outputs)


def test_an_author_feed_carries_the_profile_of_site_yaml_at_feed_level() -> None:
    outputs = build(AUTHOR_SITE, AUTHORED)
    rss = feedparser.parse(outputs["authors/jane/feed.xml"]).feed
    atom = feedparser.parse(outputs["authors/jane/atom.xml"]).feed
    document = json.loads(outputs["authors/jane/feed.json"])
    # The feed is named after the author and described by their bio
    assert rss.title == atom.title == document["title"] == "Test Site: Jane Doe"
    assert rss.subtitle == atom.subtitle == document["description"] == "Jane covers stunts and action cinema."
    # Its author is the profile, with the link, address and avatar site.yaml gives
    assert atom.author_detail == {
        "name": "Jane Doe",
        "email": "jane@example.org",
        "href": "https://www.example.org/people/jane/",
    }
    assert document["authors"] == [
        {
            "name": "Jane Doe",
            "url": "https://www.example.org/people/jane/",
            "avatar": "https://www.example.org/people/jane.png",
        }
    ]
    assert document["icon"] == "https://www.example.org/people/jane.png"
    assert rss.image.href == "https://www.example.org/people/jane.png"
    # And an item credits the author by the profile's name wherever the feed shows it
    main = json.loads(outputs["feed.json"])
    assert main["items"][0]["authors"][0]["name"] == "Jane Doe"


def test_a_plain_name_is_still_an_author_and_gets_a_feed_named_after_them() -> None:
    outputs = build(AUTHOR_SITE, AUTHORED)
    document = json.loads(outputs["authors/guest-writer/feed.json"])
    assert document["title"] == "Test Site: Guest Writer"
    assert document["description"] == "Articles by Guest Writer from Test Site"
    assert document["authors"] == [{"name": "Guest Writer"}]


def test_without_an_authors_map_names_work_as_before() -> None:
    site = parse_site(site_yaml())
    outputs = build(site, {"a.md": article("Solo", "2025-01-01", extra="author: jane\n")})
    # "jane" is then just a name
    assert json.loads(outputs["authors/jane/feed.json"])["title"] == "Test Site: jane"


# -- feeds of site.yaml --------------------------------------------------------------------------

FEEDS = {
    "action": {
        "title": "Action desk",
        "description": "Stunts and fights, no podcasts",
        "tags": {"any": ["Stunts", "Fights"], "exclude": ["Podcast"]},
    },
    "jane-on-stunts": {"tags": {"all": ["stunts", "interviews"]}, "authors": ["jane"]},
    "quiet": {"tags": {"any": ["Nothing tagged this"]}},
    "no-podcasts": {"tags": {"exclude": ["podcast"]}, "content": "summary"},
}
SELECTED = {
    "a.md": article("Stunts only", "2025-05-01", ("Stunts",)),
    "b.md": article("Fights on a podcast", "2025-04-01", ("Fights", "Podcast")),
    "c.md": article(
        "Jane interviews a stunt double", "2025-03-01", ("Stunts", "Interviews"), "author: jane\n"
    ),
    "d.md": article("Sam interviews a stunt double", "2025-02-01", ("Stunts", "Interviews"), "author: sam\n"),
    "e.md": article("Box office", "2025-01-01", ("Box office",)),
}


@pytest.fixture(scope="module")
def selected() -> tuple[SiteConfig, dict[str, bytes]]:
    site = parse_site(site_yaml(authors=AUTHORS, feeds=FEEDS))
    return site, build(site, SELECTED)


def test_a_feed_of_site_yaml_holds_the_records_its_selection_picks(
    selected: tuple[SiteConfig, dict[str, bytes]],
) -> None:
    site, outputs = selected
    # any of the tags, none of the excluded ones
    assert titles(outputs, "feeds/action/feed.json") == [
        "Stunts only",
        "Jane interviews a stunt double",
        "Sam interviews a stunt double",
    ]
    # all of the tags, by one of the authors
    assert titles(outputs, "feeds/jane-on-stunts/feed.json") == ["Jane interviews a stunt double"]
    # everything but the excluded tag
    assert "Fights on a podcast" not in titles(outputs, "feeds/no-podcasts/feed.json")
    assert len(titles(outputs, "feeds/no-podcasts/feed.json")) == 4
    assert_clean(site, outputs)


def test_a_feed_of_site_yaml_is_published_even_before_anything_matches_it(
    selected: tuple[SiteConfig, dict[str, bytes]],
) -> None:
    _, outputs = selected
    for name in ("feed.xml", "atom.xml", "feed.json"):
        assert f"feeds/quiet/{name}" in outputs
        assert f"https://feeds.example.org/feeds/quiet/{name}" in opml_urls(outputs)
    assert titles(outputs, "feeds/quiet/feed.json") == []


def test_a_feed_of_site_yaml_is_titled_as_site_yaml_says(
    selected: tuple[SiteConfig, dict[str, bytes]],
) -> None:
    _, outputs = selected
    action = feedparser.parse(outputs["feeds/action/atom.xml"]).feed
    assert (action.title, action.subtitle) == ("Action desk", "Stunts and fights, no podcasts")
    # Without a title of its own, the feed is named after the site and its name
    assert json.loads(outputs["feeds/quiet/feed.json"])["title"] == "Test Site: quiet"


@pytest.mark.parametrize(
    ("feeds", "authors", "reason"),
    [
        ({"x": {}}, {}, "feeds.x: selects nothing"),
        ({"x": {"authors": ["bob"]}}, AUTHORS, "feeds.x: authors bob are not keys of `authors:`"),
        (
            {"x": {"tags": {"all": ["a"], "exclude": ["A"]}}},
            {},
            "tags a are both in tags.all and in tags.exclude",
        ),
        (
            {"x": {"tags": {"any": ["b"], "exclude": ["b"]}}},
            {},
            "tags b are both in tags.any and in tags.exclude",
        ),
        ({"Not A Slug": {"tags": {"any": ["a"]}}}, {}, "feeds.Not A Slug: a feed's name is its directory"),
        ({"x": {"tags": {"some": ["a"]}}}, {}, "unknown key 'feeds.x.tags.some'"),
        ({"x": {"tag": ["a"]}}, {}, "unknown key 'feeds.x.tag'"),
        ({"x": {"tags": {"any": ["a"]}, "content": "excerpt"}}, {}, "'feeds.x.content'"),
    ],
)
def test_an_unknown_or_contradictory_selection_is_a_site_error_naming_the_feed(
    feeds: dict[str, Any], authors: dict[str, Any], reason: str
) -> None:
    with pytest.raises(SiteConfigError) as caught:
        parse_site(site_yaml(authors=authors, feeds=feeds))
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"authors": {"jane": {"url": "https://x.org/"}}}, "'authors.jane.name' is required"),
        (
            {"authors": {"jane": {"name": "J", "avatar": "javascript:alert(1)"}}},
            "is not an absolute http(s) URL",
        ),
        ({"authors": {"jane": {"name": "J", "email": "not an address"}}}, "is not an email address"),
        ({"authors": {"Jane": {"name": "J"}, "jane": {"name": "K"}}}, "would share the feed authors/jane/"),
        ({"content": {"tag": "summary"}}, "content.tag: no kind of feed is called that"),
        ({"content": {"tags": "teaser"}}, "'content.tags'"),
        ({"feed_max_bytes": 1000}, "'feed_max_bytes'"),
    ],
)
def test_bad_author_profiles_and_content_settings_are_site_errors(
    settings: dict[str, Any], reason: str
) -> None:
    with pytest.raises(SiteConfigError) as caught:
        parse_site(site_yaml(**settings))
    assert reason in str(caught.value)


# -- full or summary per kind ----------------------------------------------------------------------


def test_a_kind_set_to_summary_carries_summaries_and_links_while_the_others_stay_full() -> None:
    # Given tag feeds set to summary and a feed of site.yaml overriding its kind's default
    site = parse_site(
        site_yaml(
            content={"tags": "summary", "feeds": "summary"},
            feeds={"everything": {"tags": {"exclude": ["none"]}, "content": "full"}},
        )
    )
    body = "A first paragraph long enough to be the summary of this article.\n\nThe rest of the story."
    outputs = build(site, {"a.md": article("Story", "2025-01-01", ("Film",), body=body)})
    # Then the tag feed's items have the summary and the link but not the content, in every format
    rss = etree.fromstring(outputs["tags/film/feed.xml"])
    assert rss.find(".//{http://purl.org/rss/1.0/modules/content/}encoded") is None
    assert rss.findtext(".//item/description").startswith("A first paragraph")
    assert rss.findtext(".//item/link") == "https://www.example.org/a/"
    atom = feedparser.parse(outputs["tags/film/atom.xml"]).entries[0]
    assert "content" not in atom
    assert atom.summary.startswith("A first paragraph")
    assert atom.link == "https://www.example.org/a/"
    item = json.loads(outputs["tags/film/feed.json"])["items"][0]
    assert "content_html" not in item
    assert item["content_text"].startswith("A first paragraph")
    # And the main feed, and the feed that asked for full content, carry the whole story
    for path in ("feed.json", "feeds/everything/feed.json"):
        assert "The rest of the story" in json.loads(outputs[path])["items"][0]["content_html"]
    assert_clean(site, outputs)
