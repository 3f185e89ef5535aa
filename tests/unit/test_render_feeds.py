"""Rendering one feed in three formats: what feed readers and validators see."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feedpub.config import SiteConfig, parse_site
from feedpub.model import Enclosure, FeedItem, FeedSpec, Person
from feedpub.render import headers_for, render_feed, render_opml, render_xsl
from tests.unit.jsonfeed_spec import validate_json_feed
from tests.unit.w3c_rules import check_all, first_problems

SITE = parse_site(
    b"title: Film Notes\nbase_url: https://feeds.example.org/\nhome_page_url: https://www.example.org/\n"
    b"description: Notes on films\nlanguage: en\nauthor: {name: Desk, email: desk@example.org}\n"
)
HUB_SITE = parse_site(
    b"title: Film Notes\nbase_url: https://feeds.example.org/\nhub: https://hub.example.org/\n"
    b"icon: https://www.example.org/icon.png\nfavicon: https://www.example.org/favicon.ico\n"
)
TAG = FeedSpec(prefix="tags/john-wick/", tag="John Wick")


def _item(n: int, **changes: object) -> FeedItem:
    fields: dict[str, object] = {
        "id": f"https://www.example.org/post-{n}/",
        "url": f"https://www.example.org/post-{n}/",
        "title": f"Post {n}",
        "date": datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n),
        "summary": f"Summary {n}",
        "content_html": f'<p>Body {n} <a href="https://www.example.org/x">link</a></p>',
    }
    fields.update(changes)
    return FeedItem.model_validate(fields)


def _assert_clean(site: SiteConfig, outputs: dict[str, bytes]) -> None:
    problems = list(first_problems(check_all(outputs, site.base_url)))
    assert problems == []
    for path, data in outputs.items():
        if path.endswith(".json"):
            validate_json_feed(data)
        else:
            parsed = feedparser.parse(data)
            assert not parsed.bozo, (path, parsed.get("bozo_exception"))


def test_given_items_newest_first_when_rendered_then_every_format_keeps_that_order() -> None:
    items = [_item(3), _item(2), _item(1)]
    outputs = render_feed(SITE, FeedSpec.main(), items)
    assert set(outputs) == {"feed.xml", "atom.xml", "feed.json"}
    for path in ("feed.xml", "atom.xml"):
        assert [e.title for e in feedparser.parse(outputs[path]).entries] == ["Post 3", "Post 2", "Post 1"]
    assert [i["title"] for i in json.loads(outputs["feed.json"])["items"]] == ["Post 3", "Post 2", "Post 1"]
    _assert_clean(SITE, outputs)


def test_given_same_items_when_rendered_twice_then_bytes_are_identical_and_dates_come_from_items() -> None:
    items = [_item(2, updated=datetime(2025, 5, 5, 12, tzinfo=UTC)), _item(1)]
    first, second = render_feed(SITE, TAG, items), render_feed(SITE, TAG, items)
    assert first == second
    rss = feedparser.parse(first["tags/john-wick/feed.xml"]).feed
    atom = feedparser.parse(first["tags/john-wick/atom.xml"]).feed
    assert rss.updated_parsed[:4] == (2025, 5, 5, 12)
    assert atom.updated_parsed[:4] == (2025, 5, 5, 12)


def test_given_tag_feed_when_rendered_then_self_links_point_where_it_is_served() -> None:
    outputs = render_feed(SITE, TAG, [_item(1)])
    rss = feedparser.parse(outputs["tags/john-wick/feed.xml"]).feed
    assert {link.href for link in rss.links if link.rel == "self"} == {
        "https://feeds.example.org/tags/john-wick/feed.xml"
    }
    assert rss.link == "https://www.example.org/"
    assert rss.title == "Film Notes: John Wick"
    document = json.loads(outputs["tags/john-wick/feed.json"])
    assert document["feed_url"] == "https://feeds.example.org/tags/john-wick/feed.json"
    _assert_clean(SITE, outputs)


def test_given_hub_when_rendered_then_every_format_advertises_it() -> None:
    outputs = render_feed(HUB_SITE, FeedSpec.main(), [_item(1)])
    for path in ("feed.xml", "atom.xml"):
        links = feedparser.parse(outputs[path]).feed.links
        assert {link.href for link in links if link.rel == "hub"} == {"https://hub.example.org/"}
    assert json.loads(outputs["feed.json"])["hubs"] == [{"type": "WebSub", "url": "https://hub.example.org/"}]
    _assert_clean(HUB_SITE, outputs)


def test_given_authors_tags_image_enclosure_when_rendered_then_each_format_uses_its_idiom() -> None:
    item = _item(
        1,
        authors=[
            Person(name="Ann Lee", url="https://www.example.org/ann"),
            Person(name="Bo", email="bo@example.org"),
        ],
        tags=["John Wick", "Interviews"],
        image="https://www.example.org/img/a.jpg",
        enclosure=Enclosure(url="https://cdn.example.org/ep1.mp3", mime_type="audio/mpeg", length=12345),
    )
    outputs = render_feed(SITE, FeedSpec.main(), [item])
    rss = feedparser.parse(outputs["feed.xml"]).entries[0]
    assert {t.term for t in rss.tags} == {"John Wick", "Interviews"}
    assert rss.enclosures[0].href == "https://cdn.example.org/ep1.mp3"
    assert rss.enclosures[0].length == "12345"
    # Not every author has an e-mail address, so RSS credits them all with dc:creator.
    rss_root = etree.fromstring(outputs["feed.xml"])
    creators = [e.text for e in rss_root.iter("{http://purl.org/dc/elements/1.1/}creator")]
    assert creators == ["Ann Lee", "Bo"]
    assert rss_root.find(".//item/author") is None
    atom = feedparser.parse(outputs["atom.xml"]).entries[0]
    assert [a.name for a in atom.authors] == ["Ann Lee", "Bo"]
    assert [(link.rel, link.type, link.length) for link in atom.links if link.rel == "enclosure"] == [
        ("enclosure", "audio/mpeg", "12345")
    ]
    entry = json.loads(outputs["feed.json"])["items"][0]
    assert entry["attachments"] == [
        {"url": "https://cdn.example.org/ep1.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 12345}
    ]
    assert entry["image"] == "https://www.example.org/img/a.jpg"
    assert entry["authors"] == [
        {"name": "Ann Lee", "url": "https://www.example.org/ann"},
        {"name": "Bo", "url": "mailto:bo@example.org"},
    ]
    _assert_clean(SITE, outputs)


def test_given_authors_all_with_email_when_rendered_then_rss_uses_author_elements() -> None:
    item = _item(1, authors=[Person(name="Bo", email="bo@example.org")])
    root = etree.fromstring(render_feed(SITE, FeedSpec.main(), [item])["feed.xml"])
    assert [e.text for e in root.iter("author")] == ["bo@example.org (Bo)"]


def test_given_id_that_is_not_an_iri_when_rendered_then_atom_gets_a_stable_urn_and_others_keep_it() -> None:
    outputs = render_feed(SITE, FeedSpec.main(), [_item(1, id="post one")])
    atom_id = feedparser.parse(outputs["atom.xml"]).entries[0].id
    assert atom_id.startswith("urn:uuid:")
    assert (
        atom_id
        == feedparser.parse(render_feed(SITE, FeedSpec.main(), [_item(1, id="post one")])["atom.xml"])
        .entries[0]
        .id
    )
    assert json.loads(outputs["feed.json"])["items"][0]["id"] == "post one"
    guid = etree.fromstring(outputs["feed.xml"]).find(".//guid")
    assert guid is not None
    assert (guid.text, guid.get("isPermaLink")) == ("post one", "false")
    _assert_clean(SITE, outputs)


def test_given_hostile_text_when_rendered_then_it_stays_text_in_every_format() -> None:
    nasty = "A ]]> B <script>alert(1)</script> & \x00\x1b\ufffe C 🎬 שלום"
    item = _item(1, title=nasty, summary=nasty, content_html="<p>x ]]&gt; y</p>", tags=[nasty])
    outputs = render_feed(SITE, FeedSpec.main(), [item])
    expected = "A ]]> B <script>alert(1)</script> &  C 🎬 שלום"
    assert feedparser.parse(outputs["feed.xml"]).entries[0].title == expected
    assert feedparser.parse(outputs["atom.xml"]).entries[0].title == expected
    assert json.loads(outputs["feed.json"])["items"][0]["title"] == expected
    _assert_clean(SITE, outputs)


def test_given_no_items_when_rendered_then_feeds_are_valid_and_dated_at_a_fixed_epoch() -> None:
    outputs = render_feed(SITE, FeedSpec.main(), [])
    assert feedparser.parse(outputs["atom.xml"]).feed.updated.startswith("2000-01-01")
    assert json.loads(outputs["feed.json"])["items"] == []
    _assert_clean(SITE, outputs)


def test_given_xml_feeds_when_rendered_then_they_point_browsers_at_the_stylesheet() -> None:
    outputs = render_feed(SITE, TAG, [_item(1)])
    for path in ("tags/john-wick/feed.xml", "tags/john-wick/atom.xml"):
        assert (
            b'<?xml-stylesheet type="text/xsl" href="https://feeds.example.org/feed.xsl"?>' in outputs[path]
        )
    etree.XSLT(etree.fromstring(render_xsl()))  # the stylesheet itself compiles


@pytest.mark.parametrize("path", ["feed.xml", "atom.xml"])
def test_given_feed_when_transformed_by_the_xsl_then_a_person_sees_titles_and_a_subscribe_hint(
    path: str,
) -> None:
    transform = etree.XSLT(etree.fromstring(render_xsl()))
    page = str(transform(etree.fromstring(render_feed(SITE, FeedSpec.main(), [_item(7)])[path])))
    assert "Post 7" in page
    assert "feed reader" in page
    assert f"https://feeds.example.org/{path}" in page


def test_given_feeds_when_listed_in_opml_then_every_feed_of_every_format_is_there() -> None:
    document = etree.fromstring(render_opml(SITE, [FeedSpec.main(), TAG]))
    urls = {outline.get("xmlUrl") for outline in document.iter("outline") if outline.get("xmlUrl")}
    assert urls == {
        f"https://feeds.example.org/{prefix}{name}"
        for prefix in ("", "tags/john-wick/")
        for name in ("feed.xml", "atom.xml", "feed.json")
    }


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("feed.xml", "application/rss+xml; charset=utf-8"),
        ("tags/x/atom.xml", "application/atom+xml; charset=utf-8"),
        ("tags/x/feed.json", "application/feed+json; charset=utf-8"),
        ("feeds.opml", "text/x-opml; charset=utf-8"),
        ("feed.xsl", "text/xsl; charset=utf-8"),
    ],
)
def test_given_published_path_when_headers_asked_then_type_and_revalidating_cache(
    path: str, content_type: str
) -> None:
    kind, cache = headers_for(path)
    assert kind == content_type
    assert "max-age=" in cache
    assert "stale-while-revalidate=" in cache


def test_given_unknown_path_when_headers_asked_then_refused() -> None:
    with pytest.raises(ValueError, match="not a path feedpub publishes"):
        headers_for("_state/root.json")


# Any text authors can write: hypothesis draws from all of Unicode, controls and surrogates included.
_text = st.text(min_size=1, max_size=60)
_items = st.lists(
    st.builds(
        lambda n, title, summary, body, tags, name: _item(
            n,
            title=title,
            summary=summary,
            content_html=f"<p>{body}</p>",
            tags=tags,
            authors=[Person(name=name)],
        ),
        st.integers(0, 10_000),
        _text,
        _text,
        _text,
        st.lists(_text, max_size=4, unique=True),
        _text,
    ),
    max_size=5,
    unique_by=lambda item: item.id,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=_items, tag=_text)
def test_given_arbitrary_text_when_rendered_then_xml_is_well_formed_readers_agree_and_json_conforms(
    items: list[FeedItem], tag: str
) -> None:
    items = sorted(items, key=lambda item: item.sort_key, reverse=True)
    spec = FeedSpec(prefix="tags/t/", tag=tag)
    outputs = render_feed(SITE, spec, items)
    _assert_clean(SITE, outputs)
    for path in ("tags/t/feed.xml", "tags/t/atom.xml"):
        entries = feedparser.parse(outputs[path]).entries
        assert [e.link for e in entries] == [item.url for item in items]
    assert [i["id"] for i in json.loads(outputs["tags/t/feed.json"])["items"]] == [item.id for item in items]
