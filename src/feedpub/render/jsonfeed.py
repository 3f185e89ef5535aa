"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), written from the spec: feedgen has none."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from feedpub.catalogue import JSON_FEED, Feed
from feedpub.config import SiteConfig
from feedpub.model import FeedItem, Person
from feedpub.render.common import (
    atom_id,
    clean,
    feed_url,
    home_url,
    item_title,
    labels,
    language_tag,
    people,
    seconds,
    uri,
)

VERSION = "https://jsonfeed.org/version/1.1"


def render_json(site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> bytes:
    document: dict[str, Any] = {
        "version": VERSION,
        "title": clean(feed.title(site)),
        "home_page_url": home_url(site),
        # An archive page is part of the feed: feed_url names the feed, next_url the older page.
        "feed_url": feed_url(site, feed.subscription.path(JSON_FEED)),
        "description": clean(feed.description(site)),
    }
    icon = feed.icon(site)
    if icon:
        document["icon"] = uri(icon)
    if site.favicon:
        document["favicon"] = uri(site.favicon)
    authors = _authors(people(feed.people(site)))
    if authors:
        document["authors"] = authors
    if language_tag(site.language):
        document["language"] = site.language
    if site.hub:
        document["hubs"] = [{"type": "WebSub", "url": uri(site.hub)}]
    if feed.older is not None:
        document["next_url"] = feed_url(site, feed.page_path(feed.older, JSON_FEED))
    document["items"] = [_item(item) for item in items]
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def _item(item: FeedItem) -> dict[str, Any]:
    # The id is kept as written (only characters no feed can carry are dropped).
    entry: dict[str, Any] = {
        "id": clean(item.id) or atom_id(item.id),
        "url": uri(item.url),
        "title": item_title(item),
    }
    # The spec wants content_html or content_text on every item: an empty body falls back to text.
    if item.content_html:
        entry["content_html"] = clean(item.content_html)
    else:
        entry["content_text"] = clean(item.summary).strip() or item_title(item)
    if clean(item.summary).strip():
        entry["summary"] = clean(item.summary).strip()
    if item.image:
        entry["image"] = uri(item.image)
    entry["date_published"] = seconds(item.date).isoformat()
    if item.updated:
        entry["date_modified"] = seconds(item.updated).isoformat()
    authors = _authors(people(item.authors))
    if authors:
        entry["authors"] = authors
    if labels(item.tags):
        entry["tags"] = labels(item.tags)
    if language_tag(item.language):
        entry["language"] = item.language
    if item.enclosure:
        entry["attachments"] = [
            {
                "url": uri(item.enclosure.url),
                "mime_type": item.enclosure.mime_type,
                "size_in_bytes": item.enclosure.length,
            }
        ]
    return entry


def _authors(people: Sequence[Person]) -> list[dict[str, str]]:
    """JSON Feed authors have name, url and avatar; an e-mail-only author is reached by a mailto: URL."""
    authors = []
    for person in people:
        author = {}
        if person.name:
            author["name"] = person.name
        if person.url:
            author["url"] = person.url
        elif person.email:
            author["url"] = uri(f"mailto:{person.email}")
        if person.avatar:
            author["avatar"] = person.avatar
        if author:
            authors.append(author)
    return authors
