"""The local pipeline's base_url override: the publisher reads every site.yaml pointing at the edge,
whoever uploaded it, through the engine's one code path (a content store in front of the bucket)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedpub.config import parse_site
from feedpub.local.site_override import LocalBaseUrlStore, with_base_url
from feedpub.publish import MemoryStore, Publisher

EDGE = "http://127.0.0.1:8080/"
SITE = (
    b"title: T\nbase_url: https://feeds.example.org/\n"
    b"hub: https://hub.example.org/\ntimezone: Europe/London\n"
)
ARTICLE = b"---\ntitle: Hello\ndate: 2024-01-02\ntags: [news]\n---\nBody.\n"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_base_url_is_replaced_and_every_other_setting_kept() -> None:
    site = parse_site(with_base_url(SITE, EDGE))
    assert site.base_url == EDGE
    assert site.hub == "https://hub.example.org/"
    assert site.timezone == "Europe/London"
    assert site.title == "T"


@pytest.mark.parametrize(
    "body",
    [
        b"title: [unclosed",  # not YAML
        b"- a list\n",  # not a mapping
        b"title: T\n",  # no base_url: the author must hear it is missing
        b"\xff\xfe not utf-8",
        b"title: T\nbase_url: x\nn: " + b"9" * 5000 + b"\n",  # a number Python refuses to read
        b"a: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",  # nested past the reader's limit
    ],
)
def test_a_site_yaml_the_engine_would_refuse_is_passed_on_unchanged(body: bytes) -> None:
    # Given a site.yaml with a problem, then the override leaves it to the engine to report as it is
    assert with_base_url(body, EDGE) == body


def test_dates_and_quoted_values_read_back_the_same() -> None:
    body = b"title: '2024-01-01'\nbase_url: https://x.example/\ndescription: 'yes'\nlanguage: 'no'\n"
    site = parse_site(with_base_url(body, EDGE))
    assert (site.title, site.description, site.language) == ("2024-01-01", "yes", "no")


def publish_with(content: MemoryStore) -> tuple[MemoryStore, Publisher]:
    output = MemoryStore()
    publisher = Publisher(LocalBaseUrlStore(content, EDGE), output, clock=lambda: NOW, websub=False)
    return output, publisher


def test_whoever_uploads_site_yaml_the_feeds_link_to_the_edge() -> None:
    # Given a content bucket holding the author's site.yaml (production base_url), as `aws s3 sync` leaves it
    content = MemoryStore()
    content.put("site.yaml", SITE)
    content.put("articles/hello.md", ARTICLE)
    output, publisher = publish_with(content)
    # When the local publisher publishes it
    assert publisher.rebuild().site_error is None
    feed = output.get("feed.xml").body
    # Then self links and OPML point at the edge, never at the production domain
    assert f'href="{EDGE}feed.xml"'.encode() in feed
    assert b"feeds.example.org" not in feed
    assert EDGE.encode() in output.get("feeds.opml").body
    # And when site.yaml is uploaded again with another title, the override still holds
    content.put("site.yaml", SITE.replace(b"title: T", b"title: Renamed"))
    publisher.apply(["site.yaml"])
    feed = output.get("feed.xml").body
    assert b"Renamed" in feed
    assert b"feeds.example.org" not in feed
    # And the bucket keeps the author's bytes
    assert content.get("site.yaml").body.startswith(b"title: Renamed\nbase_url: https://feeds.example.org/")


def test_the_override_counts_as_part_of_site_yaml_version() -> None:
    # Given the same site.yaml read through two overrides, then their ETags differ (a new edge URL is
    # a change of site.yaml), and listing reports the ETag a read returns
    content = MemoryStore()
    content.put("site.yaml", SITE)
    one, other = LocalBaseUrlStore(content, EDGE), LocalBaseUrlStore(content, "http://127.0.0.1:9090/")
    assert one.get("site.yaml").etag != other.get("site.yaml").etag
    listed = {item.key: item.etag for item in one.list()}
    assert listed["site.yaml"] == one.get("site.yaml").etag
