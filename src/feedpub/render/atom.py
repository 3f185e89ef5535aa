"""Atom 1.0 (RFC 4287), built with feedgen; links added on the tree because feedgen drops their attributes."""

from __future__ import annotations

from collections.abc import Sequence

from feedgen.feed import FeedGenerator
from lxml import etree

from feedpub.config import SiteConfig
from feedpub.model import FeedItem, FeedSpec
from feedpub.render.common import (
    GENERATOR,
    atom_id,
    clean,
    feed_description,
    feed_title,
    feed_updated,
    feed_url,
    item_title,
    labels,
    people,
    seconds,
    stylesheet_url,
)
from feedpub.render.xmltree import FEEDGEN_LOCK, add_link, finish

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def render_atom(site: SiteConfig, spec: FeedSpec, items: Sequence[FeedItem]) -> bytes:
    self_url = feed_url(site, spec.paths[1])
    with FEEDGEN_LOCK:
        fg = FeedGenerator()
        fg.id(self_url)
        fg.title(clean(feed_title(site, spec)))
        fg.subtitle(clean(feed_description(site, spec)))
        fg.link(href=self_url, rel="self", type="application/atom+xml")
        fg.link(href=site.home, rel="alternate", type="text/html")
        if site.hub:
            fg.link(href=site.hub, rel="hub")
        # Atom requires an author on every entry or on the feed: the site stands in when none is named.
        author = site.author
        if author:
            fg.author(
                {k: v for k, v in (("name", author.name), ("email", author.email), ("uri", author.url)) if v}
            )
        else:
            fg.author({"name": clean(site.title)})
        fg.generator(GENERATOR)
        if site.language:
            fg.language(site.language)
        if site.favicon or site.icon:
            fg.icon(site.favicon or site.icon)
        if site.icon:
            fg.logo(site.icon)
        fg.updated(seconds(feed_updated(items)))
        for item in items:
            _add_entry(fg, item)
        root, _ = fg._create_atom()
    for element, item in zip(root.iterfind("entry"), items, strict=True):
        _add_links(element, item)
    return finish(root, stylesheet_url(site))


def _add_entry(fg: FeedGenerator, item: FeedItem) -> None:
    entry = fg.add_entry(order="append")  # feedgen prepends by default; items arrive newest first
    entry.id(atom_id(item.id))
    entry.title(item_title(item))
    entry.updated(seconds(item.updated or item.date))
    entry.published(seconds(item.date))
    for person in people(item.authors):
        fields = (("name", person.name or person.email), ("email", person.email), ("uri", person.url))
        entry.author({k: v for k, v in fields if v})
    # type="html" is escaped text; feedgen's type="CDATA" is not a valid Atom content type.
    entry.content(clean(item.content_html) or item_title(item), type="html")
    summary = clean(item.summary).strip()
    if summary:
        entry.summary(summary)
    for tag in labels(item.tags):
        entry.category(term=tag)


def _add_links(element: etree._Element, item: FeedItem) -> None:
    position = element.index(element.find("title")) + 1
    add_link(element, "link", index=position, href=item.url, rel="alternate", type="text/html")
    if item.enclosure:
        add_link(
            element,
            "link",
            href=item.enclosure.url,
            rel="enclosure",
            type=item.enclosure.mime_type,
            length=str(item.enclosure.length),
        )
    if item.image:
        add_link(element, "link", href=item.image, rel="related", title="image")
    if item.language:
        element.set(XML_LANG, item.language)
