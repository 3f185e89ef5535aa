"""The edge's decisions: which paths reach the bucket, 304s, gzip and WebSub Link headers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedpub.infra_spec import EdgeSpec, load_pipeline_spec
from feedpub.local.conditional import entity_tags, http_date, not_modified
from feedpub.local.edge import accepts_gzip, for_browsers, link_header, origin_key, should_compress

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
MODIFIED = datetime(2026, 11, 23, 12, 0, 0, 500_000, tzinfo=UTC)


@pytest.fixture(scope="module")
def edge_spec() -> EdgeSpec:
    return load_pipeline_spec(TEMPLATE).edge


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/", "feed.xml"),
        ("/feed.xml", "feed.xml"),
        ("/atom.xml?utm=x", "atom.xml"),
        ("/tags/ballerina/feed.json", "tags/ballerina/feed.json"),
        ("/authors/jane-doe/atom.xml", "authors/jane-doe/atom.xml"),
        ("/feeds/action/feed.xml", "feeds/action/feed.xml"),
        ("/authors/jane-doe/root.json", None),
        ("/feeds.opml", "feeds.opml"),
        ("/archive/0123456789ab/feed.xml", "archive/0123456789ab/feed.xml"),
        ("/tags/ballerina/archive/0123456789ab/feed.json", "tags/ballerina/archive/0123456789ab/feed.json"),
        ("/archive/0123456789ab/root.json", None),
        ("/archive/feed.xml", None),
        ("/_state/report.json", None),
        ("/_state/root.json", None),
        ("/tags/../_state/root.json", None),
        ("/articles/a.md", None),
        ("/feed.xml/", None),
    ],
)
def test_only_public_outputs_reach_the_bucket(edge_spec: EdgeSpec, path: str, key: str | None) -> None:
    # Given a request path, then the edge maps it to a public key or answers 404 (None) itself
    assert origin_key(path, edge_spec) == key


def test_if_none_match_with_the_current_etag_is_not_modified() -> None:
    assert not_modified({"if-none-match": '"abc"'}, '"abc"', MODIFIED)
    assert not_modified({"if-none-match": 'W/"abc", "def"'}, '"abc"', MODIFIED)
    assert not_modified({"if-none-match": "*"}, '"abc"', MODIFIED)
    assert not not_modified({"if-none-match": '"old"'}, '"abc"', MODIFIED)


def test_if_none_match_wins_over_if_modified_since() -> None:
    # Given a stale ETag but a recent date, then the ETag decides (RFC 9110)
    headers = {"if-none-match": '"old"', "if-modified-since": "Tue, 24 Nov 2026 00:00:00 GMT"}
    assert not not_modified(headers, '"abc"', MODIFIED)


def test_if_modified_since_compares_whole_seconds() -> None:
    # Given the Last-Modified the edge sent (sub-second part dropped), then it counts as not modified
    assert not_modified({"if-modified-since": "Mon, 23 Nov 2026 12:00:00 GMT"}, '"a"', MODIFIED)
    assert not not_modified({"if-modified-since": "Mon, 23 Nov 2026 11:59:59 GMT"}, '"a"', MODIFIED)
    assert not not_modified({"if-modified-since": "yesterday"}, '"a"', MODIFIED)
    assert not not_modified({}, '"a"', MODIFIED)


@pytest.mark.parametrize(
    "since",
    [
        "Mon, 01 Jan 99999999999 00:00:00 GMT",  # overflows the C integer the date parser uses
        "Fri, 31 Dec 9999 23:59:59 -2359",  # past year 9999 once in UTC, and not GMT
        "Mon, 01 Jan 2024 25:00:00 GMT",
        "Mon, 01 Jan 2024 23:59:60 GMT",
        "Mon, 30 Feb 2024 00:00:00 GMT",
        "Mon, 01 Jan 2024 00:00:00 +9999",
        "Mon, 01 Jan 2024 00:00:00 +0100",  # an HTTP-date is always GMT
        "Mon, 01 Jan 2024 00:00:00 GMT, Tue, 02 Jan 2024 00:00:00 GMT",  # two fields joined
        "Mon, 01 Jan " + "9" * 5000 + " 00:00:00 GMT",
        "",
        "0",
        "\x00\xff",
    ],
)
def test_a_malformed_if_modified_since_is_ignored_as_cloudfront_does(since: str) -> None:
    # Given an If-Modified-Since that is no valid HTTP-date, then it is ignored: the full response
    assert http_date(since) is None
    assert not not_modified({"if-modified-since": since}, '"a"', MODIFIED)


def test_the_three_http_date_forms_are_read() -> None:
    expected = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert http_date("Sun, 06 Nov 1994 08:49:37 GMT") == expected
    assert http_date("Sunday, 06-Nov-94 08:49:37 GMT") == expected
    assert http_date("Sun Nov  6 08:49:37 1994") == expected


@pytest.mark.parametrize(
    ("field", "tags"),
    [
        ('"abc"', ['"abc"']),
        ('W/"abc", "def"', ['"abc"', '"def"']),
        ('"a,b", "c"', ['"a,b"', '"c"']),  # a comma may sit inside a tag
        (' ,, "x" ,', ['"x"']),  # empty list members are allowed
        ("*", ["*"]),
        ("abc", None),  # unquoted
        ('"abc', None),
        ('"a" "b"', None),
        ('"a"b', None),
        ("W/", None),
        ('*, "a"', None),
        ('"\x00"', None),
    ],
)
def test_if_none_match_lists_are_read_strictly_and_a_malformed_one_is_ignored(
    field: str, tags: list[str] | None
) -> None:
    assert entity_tags(field) == tags


def test_a_malformed_if_none_match_falls_back_to_if_modified_since() -> None:
    # Given an unreadable If-None-Match and a valid If-Modified-Since, then the date decides
    headers = {"if-none-match": "not-a-tag", "if-modified-since": "Mon, 23 Nov 2026 12:00:00 GMT"}
    assert not_modified(headers, '"abc"', MODIFIED)
    assert not not_modified({"if-none-match": "not-a-tag"}, '"abc"', MODIFIED)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("*", True),
        ("identity", False),
        (None, False),
    ],
)
def test_gzip_only_when_the_client_accepts_it(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_small_and_binary_objects_are_not_compressed() -> None:
    assert should_compress("application/rss+xml; charset=utf-8", 5000)
    assert not should_compress("application/rss+xml; charset=utf-8", 200)
    assert not should_compress("image/png", 5000)


def test_feeds_advertise_hub_and_self_when_a_hub_is_configured() -> None:
    base = "http://127.0.0.1:8080/"
    assert (
        link_header("tags/x/atom.xml", "https://hub.example/", base)
        == '<https://hub.example/>; rel="hub", <http://127.0.0.1:8080/tags/x/atom.xml>; rel="self"'
    )
    assert link_header("feed.xml", None, base) is None
    assert link_header("feeds.opml", "https://hub.example/", base) is None


def test_browsers_get_rss_and_atom_as_xml_so_the_xsl_page_renders() -> None:
    navigation = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    reader = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.1"
    rss = "application/rss+xml; charset=utf-8"
    assert for_browsers(rss, navigation) == "application/xml; charset=utf-8"
    assert for_browsers("application/atom+xml; charset=utf-8", navigation) == "application/xml; charset=utf-8"
    # Feed readers and JSON Feed keep the registered types
    assert for_browsers(rss, reader) == rss
    assert for_browsers(rss, None) == rss
    assert (
        for_browsers("application/feed+json; charset=utf-8", navigation)
        == "application/feed+json; charset=utf-8"
    )


def test_websub_link_headers_name_feeds_not_their_pages() -> None:
    hub, base = "https://hub.example/", "https://feeds.example.org/"
    assert link_header("feed.xml", hub, base) == f'<{hub}>; rel="hub", <{base}feed.xml>; rel="self"'
    assert link_header("index.html", hub, base) is None
    assert link_header("tags/x/index.html", hub, base) is None
