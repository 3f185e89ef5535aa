"""Record → FeedItem: the body rendered once, ready for every feed format."""

from __future__ import annotations

from datetime import UTC, datetime

from feedpub.config import parse_site
from feedpub.items import to_feed_item
from feedpub.model import Enclosure, Person, Record

SITE = parse_site(
    b"title: T\nbase_url: https://feeds.example.org/\nhome_page_url: https://www.example.org/blog\n"
)
DATE = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)


def record(**fields: object) -> Record:
    base: dict[str, object] = {
        "path": "articles/p.md",
        "id": "https://www.example.org/blog/p/",
        "slug": "p",
        "title": "Post",
        "date": DATE,
        "url": "https://www.example.org/blog/p/",
    }
    return Record.model_validate(base | fields)


def test_every_record_field_is_carried_to_the_item() -> None:
    # Given a record using every field, when turned into an item, then the item says the same.
    source = record(
        updated=datetime(2025, 1, 3, tzinfo=UTC),
        authors=(Person(name="Ada", url="https://ada.example/"),),
        tags=("Python", "Web"),
        summary="Front matter summary.",
        image="https://www.example.org/blog/i.png",
        language="en",
        enclosure=Enclosure(url="https://www.example.org/a.mp3", mime_type="audio/mpeg", length=10),
        body="Body *text*.",
    )
    item = to_feed_item(source, SITE)
    assert (item.id, item.url, item.title, item.date, item.updated) == (
        source.id,
        source.url,
        "Post",
        DATE,
        source.updated,
    )
    assert item.authors == source.authors
    assert item.tags == ("Python", "Web")
    assert item.summary == "Front matter summary."
    assert item.image == source.image
    assert item.language == "en"
    assert item.enclosure == source.enclosure
    assert item.content_html == "<p>Body <em>text</em>.</p>\n"


def test_relative_body_urls_resolve_as_a_browser_would_on_the_articles_own_page() -> None:
    # Given an article whose page is https://www.example.org/blog/p/, when its body links
    # relatively, then each link resolves as on that page: beneath it, beside it, at the site's
    # origin, or to a fragment of the article itself (never the home page).
    body = "[next](next/) ![pic](img/p.png) [up](../other/) [root](/about/) [part](#part)"
    item = to_feed_item(record(body=body), SITE)
    assert 'href="https://www.example.org/blog/p/next/"' in item.content_html
    assert 'src="https://www.example.org/blog/p/img/p.png"' in item.content_html
    assert 'href="https://www.example.org/blog/other/"' in item.content_html
    assert 'href="https://www.example.org/about/"' in item.content_html
    assert 'href="https://www.example.org/blog/p/#part"' in item.content_html


def test_without_a_front_matter_summary_the_first_paragraph_is_used() -> None:
    # Given no summary in front matter, when turned into an item, then the summary is the
    # first paragraph as plain text.
    item = to_feed_item(record(body="## Intro\n\nFirst *real* paragraph &amp; more.\n\nSecond."), SITE)
    assert item.summary == "First real paragraph & more."


def test_an_empty_body_gives_empty_content_and_summary() -> None:
    # Given a record with no body, when turned into an item, then content and summary are empty.
    item = to_feed_item(record(body="  \n"), SITE)
    assert (item.content_html, item.summary) == ("", "")


def test_an_item_survives_a_json_round_trip() -> None:
    # Given an item, when stored as JSON (as the publisher does) and read back, then it is equal.
    item = to_feed_item(record(body="Hello ]]> world", tags=("a",)), SITE)
    assert type(item).model_validate_json(item.model_dump_json()) == item
