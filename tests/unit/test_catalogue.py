"""The feed catalogue: the one table of formats and kinds everything else asks.

The CloudFront functions in infra/edge (and their copies inlined in template.yaml) carry patterns
the catalogue generates; after a change to the catalogue, `UPDATE_EDGE=1 pytest
tests/unit/test_catalogue.py` rewrites them, and the diff is reviewed like any other change.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from feedpub import catalogue
from feedpub.catalogue import FORMATS, KINDS, MAIN, PODCASTS, TAGS

REPO = Path(__file__).resolve().parents[2]
EDGE = REPO / "infra" / "edge"
TEMPLATE = REPO / "template.yaml"


@pytest.mark.parametrize(
    "path",
    ["/feed.xml", "/atom.xml", "/feed.json", "/feed.xsl", "/feeds.opml", "/tags/a-b.c_d/atom.xml"],
)
def test_given_a_published_path_then_it_is_public(path: str) -> None:
    assert catalogue.is_public(path)


@pytest.mark.parametrize(
    "path",
    [
        "/_state/report.json",
        "/_state/root.json",
        "/",
        "/tags/x/",
        "/feed.xml.bak",
        "/tags/A/feed.xml",
        "/tags/x/feeds.opml",
        "/tags/x/y/feed.xml",
        "/articles/a.md",
    ],
)
def test_given_anything_else_then_it_is_not_public(path: str) -> None:
    assert not catalogue.is_public(path)


def test_every_document_of_every_kind_is_public_and_maps_back_to_its_feed() -> None:
    # Given a feed of each kind, then each of its documents is a public path that names it again
    for kind in KINDS:
        feed = kind.feed("" if kind in (MAIN, PODCASTS) else "some-slug", "Label")  # single-feed kinds
        for fmt in feed.formats:
            path = feed.path(fmt)
            assert catalogue.is_public("/" + path)
            assert catalogue.document(path) == (feed.id, fmt)
            assert catalogue.feed(feed.id, "Label") == feed
            content_type, cache_control = catalogue.headers_for(path)
            assert content_type == fmt.media_type
            assert "stale-while-revalidate" in cache_control


def test_a_feed_id_no_kind_owns_is_refused() -> None:
    with pytest.raises(ValueError, match="not a feed"):
        catalogue.feed("elsewhere/x/")
    assert catalogue.document("elsewhere/x/feed.xml") is None
    assert catalogue.document("tags/../feed.xml") is None


def test_the_formats_table_names_each_file_once() -> None:
    assert len({fmt.file_name for fmt in FORMATS}) == len(FORMATS)
    assert len({fmt.name for fmt in FORMATS}) == len(FORMATS)
    assert [fmt.file_name for fmt in FORMATS] == ["feed.xml", "atom.xml", "feed.json"]


def test_write_order_puts_what_is_linked_to_first() -> None:
    # Given the stylesheet, a tag feed, the main feed and the OPML list that names them all
    ranks = [catalogue.write_rank(path) for path in ("feed.xsl", "tags/x/feed.xml", "feed.xml", "feeds.opml")]
    # Then they are written in that order
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == len(ranks)


def test_memberships_follow_the_record_facets() -> None:
    from feedpub.config import parse_site

    site = parse_site(b"title: T\nbase_url: https://feeds.example.org/\n")
    facets = {
        "tags": [["john-wick", "John Wick"], ["stunts", "Stunts"]],
        "authors": [["jane-doe", "Jane Doe"]],
    }
    assert catalogue.memberships(facets, site) == [
        ("", None),
        ("tags/john-wick/", "John Wick"),
        ("tags/stunts/", "Stunts"),
        ("authors/jane-doe/", "Jane Doe"),
    ]
    assert catalogue.standing_feeds(site) == [""]
    assert sorted(["tags/b/", "", "tags/a/"], key=catalogue.feed_order) == ["", "tags/a/", "tags/b/"]
    assert TAGS.feed("x").id == "tags/x/"


def pages_literal() -> str:
    """catalogue.page_routes as a JavaScript array of [pattern, replacement] pairs."""
    return (
        "["
        + ", ".join(f"[/{pattern}/, '{replacement}']" for pattern, replacement in catalogue.page_routes())
        + "]"
    )


# The lines of the CloudFront functions generated from the catalogue: (file, variable, value).
EDGE_LINES = [
    ("viewer.js", "PUBLIC_PATH", f"/{catalogue.public_path_pattern()}/"),
    ("viewer.js", "PAGES", pages_literal()),
    ("viewer-response.js", "BROWSER_PLAIN", f"/{catalogue.browser_type_pattern()}/"),
    ("viewer-response.js", "NEGOTIATED", f"/{catalogue.negotiated_type_pattern()}/"),
]


@pytest.mark.parametrize(("source_file", "variable", "value"), EDGE_LINES)
def test_the_cloudfront_functions_carry_the_catalogues_patterns(
    source_file: str, variable: str, value: str
) -> None:
    # Given a CloudFront function and the line the catalogue generates for it
    line = re.compile(rf"var {variable} = (.+);$", flags=re.M)
    wanted = f"var {variable} = {value};"
    for path in (EDGE / source_file, TEMPLATE):
        text = path.read_text(encoding="utf-8")
        found = line.search(text)
        assert found, f"{path.name} has no `var {variable} = …;` line"
        if os.environ.get("UPDATE_EDGE"):
            path.write_text(text.replace(found.group(0), wanted), encoding="utf-8")
            found = line.search(path.read_text(encoding="utf-8"))
            assert found
        # Then the function deployed from the template, and its reviewed source, say what the catalogue says
        assert found.group(0) == wanted, f"{path.name}: run UPDATE_EDGE=1 pytest {Path(__file__).name}"


def test_the_browser_pattern_matches_the_types_the_local_edge_turns_into_xml() -> None:
    pattern = re.compile(catalogue.browser_type_pattern())
    for fmt in FORMATS:
        assert bool(pattern.match(fmt.media_type)) == fmt.xml_for_browsers


def test_a_feeds_page_is_a_document_of_the_feed_but_not_a_feed_to_subscribe_to() -> None:
    # WebSub pings, Link rel="hub" headers and the FeedsWritten metric count feeds, not pages
    for path in ("feed.xml", "atom.xml", "feed.json", "podcast.xml", "tags/x/feed.json"):
        assert catalogue.is_feed_document(path), path
    for path in ("index.html", "podcast.html", "tags/x/index.html", "feeds.opml", "feed.xsl", "media/a.mp3"):
        assert not catalogue.is_feed_document(path), path
    assert catalogue.document("tags/x/index.html") == ("tags/x/", catalogue.PAGE)
