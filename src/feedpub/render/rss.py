"""RSS 2.0 with content:encoded, dc:creator, media:content and atom:link self/hub, built with feedgen.

`rss_document` is the one RSS writer: feed.xml calls it as it is, podcast.xml with RssExtras that
register feedgen extensions and fill them per channel and per item (feedpub.render.podcast).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from feedgen.feed import FeedGenerator
from lxml import etree

from feedpub.catalogue import RSS, Feed, Format
from feedpub.config import SiteConfig
from feedpub.model import FeedItem, Person
from feedpub.render.common import (
    FEED_HISTORY_NS,
    GENERATOR,
    archive_links,
    atom_id,
    clean,
    feed_updated,
    feed_url,
    home_url,
    item_title,
    labels,
    language_tag,
    looks_like_markup,
    people,
    plain_email,
    seconds,
    stylesheet_url,
    uri,
)
from feedpub.render.xmltree import ATOM_NS, FEEDGEN_LOCK, add_archive_links, add_link, finish

MEDIA_NS = "http://search.yahoo.com/mrss/"
# A name that survives "email (name)" parsing unchanged.
_PLAIN_NAME = re.compile(r"[^()<>\"\\,;:@\[\]&\r\n]+")
# The only <image> formats the validator accepts without an ImageUrlFormat warning.
_IMAGE_EXTENSIONS = ("jpg", "jpeg", "gif", "png")


@dataclass(frozen=True)
class RssExtras:
    """What a kind of RSS feed adds: its own language and image, and feedgen extensions to fill."""

    language: str | None = None  # instead of the site's
    image: str | None = None  # instead of the site's icon
    copyright: str | None = None
    channel: Callable[[FeedGenerator], None] | None = None  # registers extensions, sets channel values
    entry: Callable[[Any, FeedItem], None] | None = None  # fills an item's extension values


def render_rss(site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> bytes:
    return rss_document(site, feed, items, RSS, RssExtras())


def rss_document(
    site: SiteConfig, feed: Feed, items: Sequence[FeedItem], fmt: Format, extras: RssExtras
) -> bytes:
    self_url = feed_url(site, feed.path(fmt))
    title = _plain(feed.title(site))
    language = language_tag(extras.language or site.language)
    image = extras.image or feed.icon(site)
    with FEEDGEN_LOCK:
        fg = FeedGenerator()
        fg.load_extension("dc", atom=False, rss=True)
        if extras.channel is not None:
            extras.channel(fg)  # before the entries: feedgen gives each entry the extensions registered
        fg.title(title)
        # The channel <link> is the last link feedgen was given: the self link must come first.
        fg.link(href=self_url, rel="self", type="application/rss+xml")
        fg.link(href=home_url(site), rel="alternate")
        fg.description(_plain(feed.description(site)))
        fg.generator(GENERATOR)
        if language:
            fg.language(language)
        if extras.copyright:
            fg.copyright(clean(extras.copyright))
        if image and _is_image_url(uri(image)):
            # The validator wants the image's title and link to match the channel's.
            fg.image(url=uri(image), title=title, link=home_url(site))
        fg.lastBuildDate(seconds(feed_updated(items)))
        for item in items:
            entry = _add_item(fg, item)
            if extras.entry is not None:
                extras.entry(entry, item)
        root, _ = fg._create_rss()
    channel = root.find("channel")
    assert channel is not None  # feedgen always writes one
    if site.hub:
        add_link(channel, f"{{{ATOM_NS}}}link", index=3, href=uri(site.hub), rel="hub")
    _add_archive_links(channel, site, feed, fmt)
    for element, item in zip(channel.iterfind("item"), items, strict=True):
        if item.image:
            # feedgen's media extension wraps a lone media:content in a media:group, which the
            # validator rejects (a group is for alternatives): the image goes straight in the item.
            etree.SubElement(element, f"{{{MEDIA_NS}}}content", url=uri(item.image), medium="image")
    return finish(
        root,
        stylesheet_url(site),
        namespaces={"media": MEDIA_NS, "fh": FEED_HISTORY_NS},
        hex_references=True,
    )


def _add_archive_links(channel: etree._Element, site: SiteConfig, feed: Feed, fmt: Format) -> None:
    """RFC 5005 in RSS (its appendix B): atom:link and fh:archive in the channel, before the items."""
    add_archive_links(
        channel,
        before="item",
        link_tag=f"{{{ATOM_NS}}}link",
        media_type="application/rss+xml",
        archive_ns=FEED_HISTORY_NS if feed.page is not None else None,
        links=archive_links(site, feed, fmt),
    )


def _add_item(fg: FeedGenerator, item: FeedItem) -> Any:
    entry = fg.add_entry(order="append")  # feedgen prepends by default; items arrive newest first
    entry.title(_plain(item_title(item)))
    entry.link(href=uri(item.url))
    guid, permalink = _guid(item)
    entry.guid(guid, permalink=permalink)
    # RSS descriptions are HTML: the plain-text summary is escaped so "<" or "&" stay text.
    entry.description(html.escape(clean(item.summary).strip() or item_title(item), quote=False))
    if item.content_html:
        entry.content(clean(item.content_html))  # escaped text: CDATA would break on "]]>"
    entry.pubDate(seconds(item.date))
    authors = people(item.authors)
    if authors and all(_mailable(person) for person in authors):
        for person in authors:
            entry.author(name=person.name or person.email, email=person.email)
    elif authors:
        # RSS <author> must be an e-mail address, and the validator objects to an item that mixes
        # <author> with dc:creator: all authors go one way or the other.
        entry.dc.dc_creator([person.name or person.email for person in authors])
    for tag in labels(item.tags):
        entry.category(term=_plain(tag))
    if item.enclosure:
        entry.enclosure(uri(item.enclosure.url), str(item.enclosure.length), item.enclosure.mime_type)
    return entry


def _guid(item: FeedItem) -> tuple[str, bool]:
    """The guid and whether it is a permalink: only an id that is the item's own URL is one."""
    if item.id == item.url:
        return uri(item.url), True
    guid = clean(item.id).strip()
    # The validator calls short numeric guids not unique enough; those use the stable Atom-style id.
    if not guid or (guid.isdigit() and len(guid) < 9):
        return atom_id(item.id), False
    return guid, False


def _mailable(person: Person) -> bool:
    """Whether RSS <author> can credit this person: a plain address and a name without delimiters."""
    return plain_email(person.email) and (
        person.name is None or _PLAIN_NAME.fullmatch(person.name) is not None
    )


def _plain(text: str) -> str:
    """RSS title, description and category are plain text, but most readers treat them as HTML:
    text that looks like markup is escaped so both kinds of reader show it as written."""
    text = clean(text)
    return html.escape(text, quote=False) if looks_like_markup(text) else text


def _is_image_url(url: str) -> bool:
    extension = url.rsplit(".", 1)[-1].lower()
    return not re.fullmatch(r"\w+", extension) or extension in _IMAGE_EXTENSIONS
