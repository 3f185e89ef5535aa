"""The page for people (feedpub.render.page): what a browser navigating to a feed is shown.

Each test renders the page of a feed from items, then reads it as a browser would (html5lib, the
WHATWG parsing algorithm, and lxml for the DOM) and checks what a person sees.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import quote

import lxml.html
import pytest
from markupsafe import escape

from feedpub.catalogue import KINDS, PAGE, PODCASTS, TAGS, Feed, main_feed
from feedpub.config import SiteConfig, parse_site
from feedpub.markup import render_body
from feedpub.model import Enclosure, FeedItem, Person
from feedpub.podcast.episode import Episode
from feedpub.render import render_feed
from feedpub.render.page import CONTENT_SECURITY_POLICY, render_page
from tests.support.pages import body_active_content, parse_errors

SITE_YAML = b"""
title: The Cutting Room
base_url: https://feeds.example.org/
home_page_url: https://www.example.org/
description: Film news and interviews.
language: en
timezone: Europe/London
podcast:
  image: https://www.example.org/show.jpg
  categories: [TV & Film > Film Interviews]
  explicit: false
  owner: {name: Desk, email: podcast@example.org}
"""
HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)> & </title>'


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return parse_site(SITE_YAML)


def item(title: str = "Ballerina opens", **fields: object) -> FeedItem:
    values: dict[str, object] = {
        "id": "https://www.example.org/ballerina/",
        "url": "https://www.example.org/ballerina/",
        "title": title,
        "date": datetime(2024, 4, 5, 23, 30, tzinfo=UTC),
        "summary": "The spin-off opens this week.",
        "content_html": "<p>The spin-off opens <em>this week</em>.</p>",
        "tags": ("John Wick", "Box office"),
        "authors": (Person(name="Ana Critic"),),
    }
    values.update(fields)
    return FeedItem.model_validate(values)


def dom(page: bytes) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(page)


def text(page: bytes) -> str:
    return " ".join(dom(page).text_content().split())


def test_given_a_feed_then_its_page_names_it_and_says_how_to_subscribe(site: SiteConfig) -> None:
    # When the main feed's page is rendered
    page = render_page(site, main_feed(), [item()])
    root = dom(page)
    # Then it is valid HTML with the feed's title and description
    assert parse_errors(page) == []
    assert root.findtext(".//title") == "The Cutting Room"
    assert root.findtext(".//h1") == "The Cutting Room"
    assert "Film news and interviews." in text(page)
    assert root.get("lang") == "en"
    # And the subscribe box gives the feed's address, in a field and for each reader
    address = "https://feeds.example.org/feed.xml"
    assert root.get_element_by_id("address").get("value") == address
    links = {a.text_content(): a.get("href") for a in root.xpath("//section[@class='subscribe']//a")}
    encoded = quote(address, safe="")
    assert links["Feedly"] == f"https://feedly.com/i/subscription/feed%2F{encoded}"
    assert links["Inoreader"] == f"https://www.inoreader.com/?add_feed={encoded}"
    assert links["NewsBlur"] == f"https://www.newsblur.com/?url={encoded}"
    assert links["The Old Reader"] == f"https://theoldreader.com/feeds/subscribe?url={encoded}"
    assert links["Atom 1.0"] == "https://feeds.example.org/atom.xml"
    assert links["JSON Feed 1.1"] == "https://feeds.example.org/feed.json"
    assert "Miniflux" in text(page)
    assert "FreshRSS" in text(page)
    # And readers that are handed the page find the feeds (autodiscovery)
    alternates = [(link.get("type"), link.get("href")) for link in root.iterfind(".//link[@rel='alternate']")]
    assert alternates == [
        ("application/rss+xml", address),
        ("application/atom+xml", "https://feeds.example.org/atom.xml"),
        ("application/feed+json", "https://feeds.example.org/feed.json"),
    ]


def test_given_items_then_each_shows_its_title_link_readable_date_people_and_tags(site: SiteConfig) -> None:
    page = render_page(site, main_feed(), [item(updated=datetime(2024, 5, 1, 9, tzinfo=UTC))])
    (article,) = dom(page).iterfind(".//article")
    heading = article.find(".//h3/a")
    assert heading.text == "Ballerina opens"
    assert heading.get("href") == "https://www.example.org/ballerina/"
    # The date as people read it, in the site's time zone (23:30 UTC is the next day in London)
    times = article.findall(".//time")
    assert [t.text for t in times] == ["6 April 2024", "1 May 2024"]
    assert times[0].get("datetime") == "2024-04-06T00:30:00+01:00"
    meta = " ".join(article.find(".//p[@class='meta']").text_content().split())
    assert meta == "6 April 2024 · updated 1 May 2024 · by Ana Critic"
    (author,) = article.xpath(".//p[@class='meta']/a")
    assert author.get("href") == "https://feeds.example.org/authors/ana-critic/index.html"
    # The summary shows; the full content is one click away, as the feed carries it
    assert "The spin-off opens this week." in article.text_content()
    assert article.find(".//details/p/em").text == "this week"
    tags = {a.text: a.get("href") for a in article.iterfind(".//ul[@class='tags']//a")}
    assert tags == {
        "John Wick": "https://feeds.example.org/tags/john-wick/index.html",
        "Box office": "https://feeds.example.org/tags/box-office/index.html",
    }


def test_given_a_podcast_then_each_episode_has_a_player_and_the_apps_links(site: SiteConfig) -> None:
    episodes = [
        item(
            "Episode 12",
            enclosure=Enclosure(
                url="https://feeds.example.org/media/ep12.mp3", mime_type="audio/mpeg", length=3_210_000
            ),
            episode=Episode(number=12, season=1, duration=3725),
        ),
        item(
            "Video extra",
            id="urn:x:2",
            enclosure=Enclosure(url="https://cdn.example.org/extra.mp4", mime_type="video/mp4", length=9_000),
            episode=Episode(episode_type="bonus", duration=95),
        ),
    ]
    page = render_page(site, PODCASTS.feed(""), episodes)
    root = dom(page)
    assert parse_errors(page) == []
    # Then each episode can be played in the page, and downloaded
    (audio,) = root.iterfind(".//audio")
    (video,) = root.iterfind(".//video")
    assert audio.get("src") == "https://feeds.example.org/media/ep12.mp3"
    assert video.get("src") == "https://cdn.example.org/extra.mp4"
    assert audio.get("controls") is not None
    assert audio.get("preload") == "none"
    assert "(MP3, 3.2 MB)" in text(page)
    assert "season 1 · episode 12 · 1 h 02 min" in text(page)
    assert "bonus · 1 min 35 s" in text(page)
    # And the subscribe links are the podcast apps' own
    address = "https://feeds.example.org/podcast.xml"
    links = {a.text_content(): a.get("href") for a in root.xpath("//section[@class='subscribe']//a")}
    assert links["Apple Podcasts"] == "podcast://feeds.example.org/podcast.xml"
    assert links["Overcast"] == f"overcast://x-callback-url/add?url={quote(address, safe='')}"
    assert links["Pocket Casts"] == "pktc://subscribe/feeds.example.org/podcast.xml"
    assert links["AntennaPod"].startswith(
        f"https://antennapod.org/deeplink/subscribe?url={quote(address, safe='')}&"
    )
    assert root.findtext(".//main/h2") == "Episodes"


def test_given_an_enclosure_that_is_not_audio_or_video_then_there_is_no_player(site: SiteConfig) -> None:
    pdf = Enclosure(url="https://www.example.org/press-kit.pdf", mime_type="application/pdf", length=1000)
    page = render_page(site, main_feed(), [item(enclosure=pdf)])
    assert dom(page).find(".//audio") is None
    assert dom(page).find(".//video") is None


HOSTILE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    'https://www.example.org/"onmouseover="alert(1)',
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_given_hostile_urls_then_nothing_active_reaches_the_page(site: SiteConfig, url: str) -> None:
    # Given an item whose link, image and enclosure are hostile URLs
    enclosure = Enclosure(url=url, mime_type="audio/mpeg", length=10)
    page = render_page(site, main_feed(), [item(url=url, image=url, enclosure=enclosure)])
    # Then the page is valid, and no link, image or player carries anything but an http(s) URL
    assert parse_errors(page) == []
    assert body_active_content(page) == []
    for element in dom(page).iter("a", "img", "audio", "video", "link"):
        for attribute in ("href", "src"):
            value = element.get(attribute)
            assert value is None or re.match(r"https?://[^/\s\"]", value), (element.tag, value)


def test_given_hostile_text_everywhere_then_it_shows_as_text(site: SiteConfig) -> None:
    # Given a site, a feed label, an item, its tags and its authors all named with markup
    hostile_site = parse_site(
        SITE_YAML.replace(
            b"title: The Cutting Room", b"title: '" + HOSTILE.encode().replace(b"'", b"''") + b"'"
        ).replace(b"description: Film news and interviews.", b"description: '" + HOSTILE.encode() + b"'")
    )
    feed = TAGS.feed("x", HOSTILE)
    hostile = item(HOSTILE, summary=HOSTILE, tags=(HOSTILE,), authors=(Person(name=HOSTILE),))
    page = render_page(hostile_site, feed, [hostile])
    # Then the page parses without error, has no script or handler anywhere, and shows the text as written
    assert parse_errors(page) == []
    assert body_active_content(page) == []
    root = dom(page)
    assert root.find(".//script") is None
    assert not any(name.startswith("on") for element in root.iter() for name in element.attrib)
    assert root.findtext(".//title") == f"{HOSTILE}: {HOSTILE}"
    assert root.findtext(".//h3/a") == HOSTILE
    assert HOSTILE in root.text_content()
    assert str(escape(HOSTILE)) in page.decode()


def test_the_page_allows_no_script_and_only_its_own_style(site: SiteConfig) -> None:
    page = render_page(site, main_feed(), [item()])
    root = dom(page)
    (policy,) = root.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert policy == CONTENT_SECURITY_POLICY
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'none'"
    # The one inline stylesheet is allowed by its hash, so browsers apply it
    (style,) = root.iterfind(".//style")
    digest = base64.b64encode(hashlib.sha256(style.text.encode()).digest()).decode()
    assert directives["style-src"] == f"'sha256-{digest}'"
    # ... and the hash is that of the very bytes the page carries between its style tags
    (emitted,) = re.findall(rb"<style>(.*?)</style>", page, re.DOTALL)
    assert (
        directives["style-src"] == f"'sha256-{base64.b64encode(hashlib.sha256(emitted).digest()).decode()}'"
    )
    assert b"\n" not in emitted  # the Nu Html Checker matches a one-line style only


def test_given_a_table_with_aligned_columns_then_the_page_aligns_them_by_its_own_style(
    site: SiteConfig,
) -> None:
    # Given an item whose Markdown table aligns its columns, and raw HTML cells naming an alignment
    # and a value that is none
    markdown = (
        "| Rank | Film | Gross |\n|---:|:---|:---:|\n| 1 | Ballerina | $25 M |\n\n"
        '<table><tr><td align="JUSTIFY" colspan="2">a</td><td align="middle">b</td></tr></table>\n'
    )
    content = render_body(markdown, "https://www.example.org/ballerina/")
    assert 'align="right"' in content  # what the feeds carry, and readers honour
    page = render_page(site, main_feed(), [item(content_html=content)])
    # Then the page's cells carry its alignment classes instead of HTML's obsolete align attribute
    # (its policy allows no style attribute), and its stylesheet says what each class does
    root = dom(page)
    cells = root.xpath("//article//th | //article//td")
    assert not [cell for cell in cells if "align" in cell.attrib]
    assert [cell.get("class") for cell in root.xpath("//article//th")] == [
        "align-right",
        "align-left",
        "align-center",
    ]
    assert [(cell.get("class"), cell.get("colspan")) for cell in root.xpath("//article//table[2]//td")] == [
        ("align-justify", "2"),
        (None, None),
    ]
    style = root.findtext(".//style")
    for alignment in ("left", "right", "center", "justify"):
        assert f".align-{alignment}{{text-align:{alignment}}}" in style
    assert parse_errors(page) == []


def test_an_empty_feed_gets_a_page_that_says_so(site: SiteConfig) -> None:
    page = render_page(site, TAGS.feed("x", "Horror"), [])
    assert parse_errors(page) == []
    assert "Nothing published here yet." in text(page)


def test_every_kind_publishes_its_page_beside_its_feed_documents(site: SiteConfig) -> None:
    # Given a feed of every kind, when its documents are rendered, then the page is one of them,
    # rendered the same way twice (the publisher compares bytes to decide what to write)
    for kind in KINDS:
        feed = kind.feed("some-slug", "Label")
        feed = feed if kind.slug_of(feed.id) == "some-slug" else Feed(kind, "")
        outputs = render_feed(site, feed, [item()])
        page = outputs[feed.path(PAGE)]
        assert page == render_feed(site, feed, [item()])[feed.path(PAGE)]
        assert parse_errors(page) == []
        assert dom(page).get_element_by_id("address").get("value").startswith("https://feeds.example.org/")


def test_given_markup_in_every_value_then_only_the_item_content_reaches_the_page_as_markup(
    site: SiteConfig,
) -> None:
    # Given an item whose content is sanitised HTML and whose other values all hold markup
    marked = "<b>bold</b>"
    page = render_page(
        site,
        TAGS.feed("x", marked),
        [
            item(
                marked,
                summary=marked,
                tags=(marked,),
                authors=(Person(name=marked),),
                content_html=f"<p>{marked}</p>",
            )
        ],
    )
    # Then the content's <b> is an element, and every other value shows as text
    root = dom(page)
    (article,) = root.iterfind(".//article")
    assert [element.text for element in article.iter("b")] == ["bold"]
    assert article.find("details/p/b") is not None
    assert page.decode().count(str(escape(marked))) >= 5  # title, heading, summary, author, tag


def test_the_page_template_escapes_everything_and_refuses_a_missing_value() -> None:
    # The template environment autoescapes every template and a value the template names but the
    # page does not pass is an error, not an empty string
    from jinja2 import UndefinedError

    from feedpub.render import page

    assert page._TEMPLATES.autoescape is True
    with pytest.raises(UndefinedError):
        page._PAGE.render()


def test_control_characters_in_any_value_never_reach_the_page(site: SiteConfig) -> None:
    # Given text with characters HTML cannot carry (a NUL, a form feed, a C1 control)
    page = render_page(site, TAGS.feed("x", "Hor\x00ror\x0c"), [item("Bal\x85lerina")])
    # Then the page shows the text without them
    assert parse_errors(page) == []
    root = dom(page)
    assert [root.findtext(".//h1"), root.findtext(".//h3/a")] == ["The Cutting Room: Horror", "Ballerina"]
