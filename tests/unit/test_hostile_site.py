"""Hostile site.yaml values in the settings added since issue 10 (authors, feeds, podcast, permalink).

Given a value no feed could carry, when site.yaml is read, then it is a site error naming the key and
the reason (check and dev exit 2): never a run that fails after reading it, retried for ever while the
last good feeds stay out of date.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from feedpub.config import parse_site
from feedpub.errors import SiteConfigError
from feedpub.publish import MemoryStore, Publisher
from tests.support.builders import article, site_yaml

NOW = datetime(2030, 1, 1, tzinfo=UTC)
SHOW = {
    "image": "https://www.example.org/show.jpg",
    "categories": ["Arts"],
    "explicit": False,
    "owner": {"email": "desk@example.org", "name": "Desk"},
}
FEED = {"tags": {"any": ["Stunts"]}}
# Text the renderers clean to nothing: C0 and C1 controls, noncharacters, a line separator.
BLANK_TEXTS = ["\x01", "\x00\x02 ", "\ufffe", "\x85", " \u2028 \x0b"]


def _with_text(key: str, text: str) -> dict[str, Any]:
    """site.yaml settings (besides title and URLs) with `text` at the dotted `key`."""
    settings: dict[str, Any] = {"description": "Film news.", "language": "en"}
    match key.split("."):
        case ["title"]:
            return {**settings, "title": text}
        case ["description"]:
            return {**settings, "description": text}
        case ["author", "name"]:
            return {**settings, "author": {"name": text}}
        case ["authors", "jane", field]:
            return {**settings, "authors": {"jane": {"name": "Jane", field: text}}}
        case ["feeds", "action", field]:
            return {**settings, "feeds": {"action": {**FEED, field: text}}}
        case ["podcast", "owner", "name"]:
            return {**settings, "podcast": {**SHOW, "owner": {"email": "desk@example.org", "name": text}}}
        case ["podcast", "funding", "0", "text"]:
            funding = [{"url": "https://www.example.org/support/", "text": text}]
            return {**settings, "podcast": {**SHOW, "funding": funding}}
        case ["podcast", field]:
            return {**settings, "podcast": {**SHOW, field: text}}
    raise AssertionError(key)


PRINTED_KEYS = [
    "title",
    "description",
    "author.name",
    "authors.jane.name",
    "authors.jane.bio",
    "feeds.action.title",
    "feeds.action.description",
    "podcast.title",
    "podcast.description",
    "podcast.author",
    "podcast.copyright",
    "podcast.owner.name",
    "podcast.funding.0.text",
]


def _site(settings: dict[str, Any]) -> bytes:
    title = settings.pop("title", "Hostile Times")
    return site_yaml(title, **settings)


@pytest.mark.parametrize("text", BLANK_TEXTS, ids=repr)
@pytest.mark.parametrize("key", PRINTED_KEYS)
def test_given_a_text_of_only_control_characters_when_site_yaml_is_read_then_a_site_error_names_the_key(
    key: str, text: str
) -> None:
    # Given a title, description or name that the renderers would clean to nothing, when site.yaml
    # is parsed, then it is a site error naming that key, and the reason says why.
    with pytest.raises(SiteConfigError) as caught:
        parse_site(_site(_with_text(key, text)))
    assert f"'{key}': has no printable text" in caught.value.reason


@pytest.mark.parametrize("key", PRINTED_KEYS)
def test_given_a_text_with_a_control_character_in_words_when_read_then_the_site_is_accepted(key: str) -> None:
    # Given a text holding words and a stray control character, then site.yaml is accepted (the
    # renderers drop the character): only text with nothing to show is refused.
    assert parse_site(_site(_with_text(key, "Film\x01 Desk")))


@pytest.mark.parametrize(
    "key", ["title", "description", "feeds.action.title", "podcast.title", "podcast.description"]
)
def test_given_a_published_site_when_a_blank_title_or_description_arrives_then_it_is_a_site_error_not_a_retry(
    key: str,
) -> None:
    # Given a published site, when site.yaml changes to a feed title or description of only
    # control characters (which feedgen refused on every run, so the change was retried for
    # ever), then the run reports a site error, fails no key, and the last good feeds stay.
    content, output = MemoryStore(), MemoryStore()
    good_site = _site(_with_text("podcast.copyright", "The Desk"))
    content.put("site.yaml", good_site)
    content.put("articles/a.md", article("Alpha", tags=["Stunts"]))
    publisher = Publisher(content, output, clock=lambda: NOW, websub=False)
    assert publisher.apply(["site.yaml", "articles/a.md"]).failed_keys == []
    published = output.get("feed.xml").body

    content.put("site.yaml", _site(_with_text(key, "\x01")))
    report = publisher.apply(["site.yaml"])

    assert report.failed_keys == []
    assert report.site_error is not None
    assert "has no printable text" in report.site_error
    assert output.get("feed.xml").body == published


@pytest.mark.parametrize(
    "permalink", ["https://www.example.org/:year/:title/", "HTTP://x.example/:title", "  ftp://x/:title"]
)
def test_given_a_permalink_written_as_a_url_when_site_yaml_is_read_then_a_site_error_says_it_is_a_path(
    permalink: str,
) -> None:
    # Given a site permalink written as a whole URL (each record was rejected for a link with a
    # mangled host, "https:/www.example.org/..."), when site.yaml is read, then a site error
    # says a permalink is a path resolved against home_page_url.
    with pytest.raises(SiteConfigError) as caught:
        parse_site(site_yaml(permalink=permalink))
    assert "'permalink'" in caught.value.reason
    assert "is a URL; a permalink is a path on the site" in caught.value.reason


def test_given_a_records_own_permalink_written_as_a_url_when_parsed_then_it_is_ignored_with_a_warning() -> (
    None
):
    # Given a Jekyll post whose own permalink is a whole URL, when parsed, then the site's pattern
    # gives its link and a warning names the field (it was rejected with a mangled URL before).
    from feedpub.records import parse_record

    site = parse_site(site_yaml(permalink="/:year/:title/"))
    data = article("Stunts", date="2024-03-07", extra="permalink: https://elsewhere.example/x/\n")
    record = parse_record("articles/_posts/2024-03-07-stunts.md", data, site)
    assert record.url == "https://www.example.org/2024/stunts/"
    assert any("permalink 'https://elsewhere.example/x/' is a URL" in warning for warning in record.warnings)


def test_given_a_site_yaml_over_a_mebibyte_when_published_then_a_site_error_names_its_size() -> None:
    # Given a site.yaml padded past 1 MiB (the publisher read it whole and kept its text in the
    # state of every later run; `feedpub check` already refused it), when uploaded over a published
    # site, then the publisher reports a site error naming the size, retries nothing and keeps the
    # last good feeds, as check does.
    content, output = MemoryStore(), MemoryStore()
    content.put("site.yaml", site_yaml())
    content.put("articles/a.md", article("Alpha"))
    publisher = Publisher(content, output, clock=lambda: NOW, websub=False)
    publisher.apply(["site.yaml", "articles/a.md"])
    published = output.get("feed.xml").body

    padded = site_yaml("Padded") + b"# " + b"x" * 1024 * 1024 + b"\n"
    content.put("site.yaml", padded)
    report = publisher.apply(["site.yaml"])

    assert report.failed_keys == []
    assert report.site_error == (
        f"site.yaml: is {len(padded)} bytes: a site.yaml holds a few settings (at most 1048576 bytes)"
    )
    assert output.get("feed.xml").body == published
    assert len(output.get("_state/root.json").body) < 100_000


@pytest.mark.parametrize(
    "settings",
    [
        {"podcast": {**SHOW, "new_feed_url": "x" * 20_000}},
        {"podcast": {**SHOW, "image": "https://www.example.org/" + "a" * 20_000 + ".gif"}},
        {"podcast": {**SHOW, "owner": {"email": "@" * 20_000}}},
        {"podcast": {**SHOW, "categories": ["y" * 20_000]}},
        {"podcast": {**SHOW, "guid": "g" * 20_000}},
        {"authors": {"jane": {"name": "Jane", "email": "e" * 20_000}}},
        {"authors": {"jane": {"name": "Jane", "avatar": "javascript:" + "a" * 20_000}}},
        {"permalink": "/:" + "z" * 20_000},
        {"authors": {f"a{n}": {"name": "A", "url": f"ftp://{n}"} for n in range(500)}},
        {"feeds": {"Bad" + "x" * 20_000: FEED}},
    ],
    ids=[
        *("feed url", "image", "owner email", "category", "guid"),
        *("email", "avatar", "permalink", "500 profiles", "feed name"),
    ],
)
def test_given_a_huge_bad_value_when_site_yaml_is_read_then_the_site_error_stays_short(
    settings: dict[str, Any],
) -> None:
    # Given bad values of 20,000 characters (or 500 bad profiles), when site.yaml is read, then the
    # site error still names the key, in a reason short enough for a terminal or a log line: the
    # value is quoted shortened (the whole value was echoed, tens of kilobytes per problem).
    with pytest.raises(SiteConfigError) as caught:
        parse_site(_site({**settings}))
    reason = caught.value.reason
    assert len(reason) < 5_000
    assert reason.startswith(("'podcast.", "'authors.", "'permalink'", "feeds."))
