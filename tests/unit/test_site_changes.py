"""Which site.yaml changes need every record read again, and which only re-render the feeds.

The publisher trusts SITE_FIELD_CHANGES: a field marked FEEDS is applied without reading a single
record, from the rendered items its state keeps. So these tests check the table against the code
that reads records, not only against itself: a FEEDS field must not change what any record
parses or renders to.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from feedpub.config import SITE_FIELD_CHANGES, SiteChange, SiteConfig, parse_site, site_change
from feedpub.errors import RecordError
from feedpub.items import to_feed_item
from feedpub.records import parse_record
from tests.support.sample_site import SAMPLE_SITE

# A site that sets every field that may matter to a record, with a podcast show so that episode
# fields are read too.
BASE = {
    "title": "The Cutting Room",
    "base_url": "https://feeds.example.org/",
    "description": "Film news.",
    "language": "en",
    "timezone": "Europe/London",
    "feed_limit": 5,
    "podcast": {
        "image": "https://www.example.org/show.jpg",
        "categories": ["TV & Film > Film Interviews"],
        "explicit": False,
        "owner": {"name": "Film Desk", "email": "desk@example.org"},
        "type": "serial",
    },
}

# Another value for every field that is not RECORDS: the test below fails for one missing here.
ALTERNATIVES: dict[str, Any] = {
    "content": {"tags": "summary", "main": "summary"},
    "feed_max_bytes": 64 * 1024,
    "feeds": {"films": {"tags": {"any": ["Film"]}}},
    "title": "Another Title",
    "description": "Another description.",
    "language": "fr",
    "feed_limit": 30,
    "archive_page_size": 7,
    "hub": "https://hub.example.net/",
    "icon": "https://www.example.org/icon.png",
    "favicon": "https://www.example.org/favicon.ico",
}

# Records that exercise what site.yaml can influence: naive and date-only dates, no author,
# relative links and images, enclosures, episodes, JSON records, a draft, an oversize body, and
# records that are rejected.
CRAFTED = {
    "articles/naive.md": b"---\ntitle: Naive\ndate: 2024-07-01 10:30\n---\nSee [the page](/p/) ![i](i.png)\n",
    "articles/date-only.md": b"---\ntitle: Day\ndate: 2024-06-01\ntags: [A, b]\n---\nBody.\n",
    "articles/no-author.json": b'{"title": "J", "date": "2024-01-02T03:04:05Z", "body": "*x* [r](rel/)"}',
    "articles/episode.md": (
        b"---\ntitle: E1\ndate: 2024-02-02\nepisode: 1\n"
        b"enclosure: {url: /media/e1.mp3, mime_type: audio/mpeg, length: 1000}\n---\nNotes.\n"
    ),
    "articles/unnumbered.md": (
        b"---\ntitle: E?\ndate: 2024-02-03\n"
        b"enclosure: {url: /media/e2.mp3, mime_type: audio/mpeg, length: 1000}\n---\nNotes.\n"
    ),
    "articles/draft.md": b"---\ntitle: D\ndate: 2024-02-04\ndraft: true\nslug: other\n---\n",
    "articles/big.md": b"---\ntitle: Big\ndate: 2024-02-05\n---\n" + b"A paragraph of text.\n\n" * 3000,
    "articles/bad-date.md": b"---\ntitle: Bad\ndate: not a date\n---\n",
    "articles/empty.md": b"",
}


def corpus() -> dict[str, bytes]:
    records = {f"articles/{path.name}": path.read_bytes() for path in (SAMPLE_SITE / "articles").iterdir()}
    return records | CRAFTED


def site(**changes: Any) -> SiteConfig:
    return SiteConfig.model_validate(BASE | changes)


def outcome(key: str, data: bytes, config: SiteConfig) -> Any:
    """What the publisher takes from a record under this site: its item, or why it is rejected."""
    try:
        record = parse_record(key, data, config)
    except RecordError as exc:
        return ("rejected", exc.reason)
    return (record, to_feed_item(record, config))


@functools.cache
def base_outcomes() -> dict[str, Any]:
    return {key: outcome(key, data, site()) for key, data in corpus().items()}


def test_every_site_yaml_field_has_its_cost_in_the_one_table() -> None:
    # Given the SiteConfig model (a colleague may have added a field since)
    # Then the table names every field, and nothing else
    assert set(SITE_FIELD_CHANGES) == set(SiteConfig.model_fields)
    assert set(SITE_FIELD_CHANGES.values()) <= set(SiteChange)


def test_every_field_read_without_the_records_has_another_value_to_test_with() -> None:
    without_records = {
        name for name, change in SITE_FIELD_CHANGES.items() if change is not SiteChange.RECORDS
    }
    assert without_records == set(ALTERNATIVES), (
        "give ALTERNATIVES a value for each field that is not RECORDS"
    )


@pytest.mark.parametrize("field", sorted(ALTERNATIVES))
def test_a_field_applied_without_the_records_changes_nothing_a_record_parses_or_renders_to(
    field: str,
) -> None:
    # Given the same records under two sites that differ in one FEEDS or MEMBERSHIP field
    after = site(**{field: ALTERNATIVES[field]})
    assert getattr(site(), field) != getattr(after, field)
    records = corpus()
    # Then every record parses, renders, or is rejected exactly alike under both
    accepted = 0
    for key, data in records.items():
        under_before = base_outcomes()[key]
        assert under_before == outcome(key, data, after), f"{field} changes what {key} becomes"
        accepted += under_before[0] != "rejected"
    # (and the corpus has both kinds, so the comparison means something)
    assert 0 < accepted < len(records)


def test_site_change_names_the_dearer_kind_of_the_fields_that_differ() -> None:
    base = parse_site((SAMPLE_SITE / "site.yaml").read_bytes())
    assert site_change(base, base) is None
    assert site_change(base, base.model_copy(update={"title": "New"})) is SiteChange.FEEDS
    films = site(feeds={"films": {"tags": {"any": ["Film"]}}}, title="New")
    assert site_change(site(), films) is SiteChange.MEMBERSHIP
    assert site_change(base, base.model_copy(update={"feed_limit": 25, "hub": None})) is SiteChange.FEEDS
    assert site_change(base, base.model_copy(update={"timezone": "UTC"})) is SiteChange.RECORDS
    # A feeds-only field changed together with a records field needs the records
    assert (
        site_change(base, base.model_copy(update={"title": "New", "timezone": "UTC"})) is SiteChange.RECORDS
    )


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("timezone", "UTC", "articles/naive.md"),
        ("home_page_url", "https://elsewhere.example.org/", "articles/naive.md"),
        ("base_url", "https://cdn.example.net/", "articles/date-only.md"),
        ("author", {"name": "Desk"}, "articles/no-author.json"),
        ("max_record_bytes", 4096, "articles/big.md"),
        ("podcast", None, "articles/unnumbered.md"),
    ],
)
def test_a_records_field_can_change_what_a_record_becomes(field: str, value: Any, key: str) -> None:
    # Given one record under two sites that differ in one RECORDS field
    assert SITE_FIELD_CHANGES[field] is SiteChange.RECORDS
    data = corpus()[key]
    # Then what the publisher takes from it differs: that is why these fields need every record
    assert base_outcomes()[key] != outcome(key, data, site(**{field: value}))
