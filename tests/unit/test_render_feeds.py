"""Rendering one feed in three formats: what feed readers and validators see."""

from __future__ import annotations

import html
import json
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feedpub.catalogue import TAGS, headers_for, main_feed
from feedpub.config import SiteConfig, parse_site
from feedpub.model import Enclosure, FeedItem, Person
from feedpub.render import render_feed, render_opml, render_xsl
from tests.support.pages import body_active_content, parse_errors
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
TAG = TAGS.feed("john-wick", "John Wick")


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


def _xml_text(text: str) -> str:
    """Text as every format must carry it: without controls, surrogates, U+FFFD or noncharacters."""
    return "".join(
        c
        for c in text
        if not (
            (unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n\r")
            or c == "\ufffd"
            or 0xFDD0 <= ord(c) <= 0xFDEF
            or ord(c) & 0xFFFE == 0xFFFE
        )
    )


def _shown(detail: Any) -> str:
    """What a reader shows for a feedparser text: HTML-typed values are displayed, not printed raw."""
    return html.unescape(detail.value) if detail.type == "text/html" else detail.value


def _assert_clean(site: SiteConfig, outputs: dict[str, bytes]) -> None:
    problems = list(first_problems(check_all(outputs, site.base_url)))
    assert problems == []
    for path, data in outputs.items():
        if path.endswith(".json"):
            validate_json_feed(data)
        elif path.endswith(".html"):  # the feed's page for people
            assert parse_errors(data) == [], path
            assert body_active_content(data) == [], path
        else:
            parsed = feedparser.parse(data)
            assert not parsed.bozo, (path, parsed.get("bozo_exception"))


def test_given_items_newest_first_when_rendered_then_every_format_keeps_that_order() -> None:
    items = [_item(3), _item(2), _item(1)]
    outputs = render_feed(SITE, main_feed(), items)
    assert set(outputs) == {"feed.xml", "atom.xml", "feed.json", "index.html"}  # and the page for people
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
    outputs = render_feed(HUB_SITE, main_feed(), [_item(1)])
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
    outputs = render_feed(SITE, main_feed(), [item])
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
    root = etree.fromstring(render_feed(SITE, main_feed(), [item])["feed.xml"])
    assert [e.text for e in root.iter("author")] == ["bo@example.org (Bo)"]


def test_given_id_that_is_not_an_iri_when_rendered_then_atom_gets_a_stable_urn_and_others_keep_it() -> None:
    outputs = render_feed(SITE, main_feed(), [_item(1, id="post one")])
    atom_id = feedparser.parse(outputs["atom.xml"]).entries[0].id
    assert atom_id.startswith("urn:uuid:")
    assert (
        atom_id
        == feedparser.parse(render_feed(SITE, main_feed(), [_item(1, id="post one")])["atom.xml"])
        .entries[0]
        .id
    )
    assert json.loads(outputs["feed.json"])["items"][0]["id"] == "post one"
    guid = etree.fromstring(outputs["feed.xml"]).find(".//guid")
    assert guid is not None
    assert (guid.text, guid.get("isPermaLink")) == ("post one", "false")
    _assert_clean(SITE, outputs)


def test_given_hostile_text_when_rendered_then_it_stays_text_in_every_format() -> None:
    nasty = "A ]]> B <script>alert(1)</script> & \x00\x1b\x85\ufffd\ufffe C 🎬 שלום &amp; &#1;"
    item = _item(1, title=nasty, summary=nasty, content_html="<p>x ]]&gt; y</p>", tags=[nasty])
    outputs = render_feed(SITE, main_feed(), [item])
    expected = "A ]]> B <script>alert(1)</script> &  C 🎬 שלום &amp; &#1;"
    title = " ".join(expected.split())  # a title is shown on one line
    for path in ("feed.xml", "atom.xml"):
        entry = feedparser.parse(outputs[path]).entries[0]
        assert _shown(entry.title_detail) == title
        assert _shown(entry.summary_detail) == expected
        assert [tag.term for tag in entry.tags] in ([expected], [html.escape(expected, quote=False)])
    document = json.loads(outputs["feed.json"])["items"][0]
    assert (document["title"], document["summary"], document["tags"]) == (title, expected, [expected])
    _assert_clean(SITE, outputs)


def test_given_no_items_when_rendered_then_feeds_are_valid_and_dated_at_a_fixed_epoch() -> None:
    outputs = render_feed(SITE, main_feed(), [])
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
    page = str(transform(etree.fromstring(render_feed(SITE, main_feed(), [_item(7)])[path])))
    assert "Post 7" in page
    assert "feed reader" in page
    assert f"https://feeds.example.org/{path}" in page


def test_given_feeds_when_listed_in_opml_then_every_feed_of_every_format_is_there() -> None:
    document = etree.fromstring(render_opml(SITE, [main_feed(), TAG]))
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


def _survives_feedparser(text: str) -> bool:
    """feedparser "repairs" any UTF-8 text whose characters all fit in Latin-1 and whose Latin-1
    bytes happen to be valid UTF-8 ("Ã©" becomes "é"), whatever the feed says: such text cannot
    round-trip through it, so the readers-agree property leaves it out."""
    text = _xml_text(text).strip()  # as the renderers write it: titles and names are stripped
    try:
        text.encode("iso-8859-1").decode("utf-8")
    except UnicodeError:
        return True
    return text.isascii()


# Any text authors can write: hypothesis draws from all of Unicode, controls included.
_text = st.text(min_size=1, max_size=60).filter(_survives_feedparser)
# Item ids are anything an author may write in front matter: URLs, words, numbers. Paths are
# arbitrary text too (a permalink may hold any character), under a fixed host.
_ids = st.one_of(_text, st.integers(0, 10**12).map(str), _text.map(lambda t: f"https://www.example.org/{t}"))
_items = st.lists(
    st.builds(
        lambda n, item_id, path, title, summary, body, tags, name: _item(
            n,
            id=item_id,
            url=f"https://www.example.org/{path}/",
            title=title,
            summary=summary,
            content_html=f"<p>{html.escape(body)}</p>",
            tags=tags,
            authors=[Person(name=name)],
        ),
        st.integers(0, 600),
        _ids,
        # (feedparser rewrites "&amp;" in RSS links to "&" whatever the feed says: no "&" in paths)
        st.text(max_size=20).filter(lambda t: not set(t) & set("#?%&")),
        _text,
        _text,
        _text,
        st.lists(_text, max_size=4, unique=True),
        _text,
    ),
    max_size=5,
    # Ids are unique as readers compare them: without surrounding whitespace (the record parser
    # strips ids, and duplicate ids never reach a feed).
    unique_by=lambda item: _xml_text(item.id).strip(),
)


_URL_WHITESPACE = str.maketrans("", "", "\t\n\r")


def _readers_agree(items: list[FeedItem], tag: str) -> None:
    """Well-formed, validator-clean feeds in which readers find each item's link, title and id."""
    items = sorted(items, key=lambda item: item.sort_key, reverse=True)
    outputs = render_feed(SITE, TAGS.feed("t", tag), items)
    _assert_clean(SITE, outputs)
    for path in ("tags/t/feed.xml", "tags/t/atom.xml"):
        parsed = feedparser.parse(outputs[path])
        # Links are plain ASCII URIs that decode back to the address the author gave.
        assert all(entry.link.isascii() for entry in parsed.entries)
        links = [unquote(e.link) for e in parsed.entries]
        # (tabs and newlines are dropped, as browsers drop them from URLs)
        assert links == [_xml_text(item.url).translate(_URL_WHITESPACE).strip() for item in items]
        # A title with nothing printable falls back to the item's link, as readers show it.
        assert [_shown(e.title_detail) for e in parsed.entries] == [
            " ".join(_xml_text(item.title).split()) or entry.link
            for item, entry in zip(items, parsed.entries, strict=True)
        ]
    document = json.loads(outputs["tags/t/feed.json"])
    # Ids stay as written; one with nothing printable left gets a stable urn:uuid instead.
    for published, item in zip(document["items"], items, strict=True):
        assert published["id"] == _xml_text(item.id) or (
            not _xml_text(item.id) and published["id"].startswith("urn:uuid:")
        )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=_items, tag=_text)
def test_given_arbitrary_text_when_rendered_then_xml_is_well_formed_readers_agree_and_json_conforms(
    items: list[FeedItem], tag: str
) -> None:
    _readers_agree(items, tag)


@pytest.mark.soak
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=_items, tag=_text)
def test_soak_given_arbitrary_text_when_rendered_then_readers_agree(items: list[FeedItem], tag: str) -> None:
    # The same property as above over a larger budget (make soak).
    _readers_agree(items, tag)


def test_given_unicode_urls_when_rendered_then_every_format_links_with_plain_ascii_uris() -> None:
    item = _item(
        1,
        id="https://www.example.org/café/",
        url="https://www.example.org/café/",
        image="https://bücher.example/a b.jpg",
        enclosure=Enclosure(url="https://cdn.example.org/épisode 1.mp3", mime_type="audio/mpeg", length=9),
    )
    outputs = render_feed(SITE, main_feed(), [item])
    rss = feedparser.parse(outputs["feed.xml"]).entries[0]
    assert rss.link == "https://www.example.org/caf%C3%A9/"
    assert rss.id == "https://www.example.org/caf%C3%A9/"
    assert rss.enclosures[0].href == "https://cdn.example.org/%C3%A9pisode%201.mp3"
    entry = json.loads(outputs["feed.json"])["items"][0]
    assert entry["image"] == "https://xn--bcher-kva.example/a%20b.jpg"
    _assert_clean(SITE, outputs)


def test_given_ids_the_validator_would_question_when_rendered_then_atom_and_rss_use_stable_stand_ins() -> (
    None
):
    # A short number is "not sufficiently unique" as an RSS guid; an upper-case host is not a
    # canonical Atom id. Both stay as written in JSON Feed and map to the same urn:uuid every time.
    items = [_item(2, id="12345"), _item(1, id="HTTPS://WWW.Example.org/Post/")]
    outputs = render_feed(SITE, main_feed(), items)
    guids = [e.text for e in etree.fromstring(outputs["feed.xml"]).iter("guid")]
    atom_ids = [e.id for e in feedparser.parse(outputs["atom.xml"]).entries]
    assert all(value.startswith("urn:uuid:") for value in [guids[0], *atom_ids])
    assert guids[1] == "HTTPS://WWW.Example.org/Post/"
    assert atom_ids == [
        e.id for e in feedparser.parse(render_feed(SITE, main_feed(), items)["atom.xml"]).entries
    ]
    assert [i["id"] for i in json.loads(outputs["feed.json"])["items"]] == [
        "12345",
        "HTTPS://WWW.Example.org/Post/",
    ]
    _assert_clean(SITE, outputs)


def test_given_author_addresses_rss_cannot_carry_when_rendered_then_they_are_credited_by_name() -> None:
    item = _item(
        1, authors=[Person(name="Ann (editor)", email="ann@example.org"), Person(email="bo@localhost")]
    )
    outputs = render_feed(SITE, main_feed(), [item])
    root = etree.fromstring(outputs["feed.xml"])
    assert root.find(".//item/author") is None
    assert [e.text for e in root.iter("{http://purl.org/dc/elements/1.1/}creator")] == [
        "Ann (editor)",
        "bo@localhost",
    ]
    # Atom keeps every name and only the plain address (feedparser blurs authors' e-mails together).
    atom = etree.fromstring(outputs["atom.xml"])
    people = [
        (a.findtext("{http://www.w3.org/2005/Atom}name"), a.findtext("{http://www.w3.org/2005/Atom}email"))
        for a in atom.iter("{http://www.w3.org/2005/Atom}author")
    ]
    assert people[1:] == [("Ann (editor)", "ann@example.org"), ("bo@localhost", None)]
    _assert_clean(SITE, outputs)


def test_given_an_item_image_when_rendered_then_rss_has_media_content_and_atom_a_related_link() -> None:
    outputs = render_feed(SITE, main_feed(), [_item(1, image="https://www.example.org/a.jpg")])
    root = etree.fromstring(outputs["feed.xml"])
    media = root.find(".//item/{http://search.yahoo.com/mrss/}content")
    assert media is not None
    assert (media.get("url"), media.get("medium")) == ("https://www.example.org/a.jpg", "image")
    assert root.find(".//{http://search.yahoo.com/mrss/}group") is None
    atom = feedparser.parse(outputs["atom.xml"]).entries[0]
    assert [link.href for link in atom.links if link.rel == "related"] == ["https://www.example.org/a.jpg"]
    _assert_clean(SITE, outputs)


def test_given_a_site_icon_not_in_an_rss_image_format_when_rendered_then_only_atom_and_json_show_it() -> None:
    site = parse_site(
        b"title: Film Notes\nbase_url: https://feeds.example.org/\nicon: https://www.example.org/icon.svg\n"
    )
    outputs = render_feed(site, main_feed(), [_item(1)])
    assert etree.fromstring(outputs["feed.xml"]).find("channel/image") is None
    assert feedparser.parse(outputs["atom.xml"]).feed.icon == "https://www.example.org/icon.svg"
    assert json.loads(outputs["feed.json"])["icon"] == "https://www.example.org/icon.svg"
    _assert_clean(site, outputs)


def test_given_a_png_site_icon_when_rendered_then_rss_image_matches_the_channel() -> None:
    site = parse_site(
        b"title: A <b>bold</b> site\nbase_url: https://feeds.example.org/\nicon: https://www.example.org/i.png\n"
    )
    outputs = render_feed(site, main_feed(), [_item(1)])
    channel = feedparser.parse(outputs["feed.xml"]).feed
    assert channel.image.href == "https://www.example.org/i.png"
    assert _shown(channel.title_detail) == "A <b>bold</b> site"
    assert _shown(feedparser.parse(outputs["atom.xml"]).feed.title_detail) == "A <b>bold</b> site"
    _assert_clean(site, outputs)


def test_given_renders_from_many_threads_when_compared_then_every_copy_is_identical() -> None:
    # feedgen formats dates under a process-wide locale; the local pipeline renders from threads.
    items = [_item(n, tags=["x"]) for n in range(5, 0, -1)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        copies = list(pool.map(lambda _: render_feed(SITE, TAG, items), range(24)))
    assert all(copy == copies[0] for copy in copies)


def test_given_a_title_over_several_lines_when_rendered_then_every_format_shows_one_line() -> None:
    # Front matter can carry a folded title ("&\r\n0" once made RSS and Atom readers disagree).
    outputs = render_feed(SITE, main_feed(), [_item(1, title="Fish &\r\n  chips\tat  noon ")])
    for path in ("feed.xml", "atom.xml"):
        assert _shown(feedparser.parse(outputs[path]).entries[0].title_detail) == "Fish & chips at noon"
    assert json.loads(outputs["feed.json"])["items"][0]["title"] == "Fish & chips at noon"
    _assert_clean(SITE, outputs)
