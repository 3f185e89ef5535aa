"""Atom 1.0 (RFC 4287), built with feedgen; links added on the tree because feedgen drops their attributes."""

from __future__ import annotations

import html
from collections.abc import Sequence

from feedgen.feed import FeedGenerator
from lxml import etree

from feedpub.catalogue import ATOM, Feed
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
    people,
    plain_email,
    seconds,
    stylesheet_url,
    uri,
)
from feedpub.render.xmltree import FEEDGEN_LOCK, add_archive_links, add_link, finish

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# feedgen builds its Atom tree without a namespace (it writes xmlns as a plain attribute), so the
# tree is searched by local names. These text constructs it writes as type="text".
_TEXT_CONSTRUCTS = ("title", "subtitle", "summary")


def render_atom(site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> bytes:
    self_url = feed_url(site, feed.path(ATOM))
    with FEEDGEN_LOCK:
        fg = FeedGenerator()
        # Archive documents belong to the feed: they carry its id (RFC 5005 logical feed).
        fg.id(atom_id(feed_url(site, feed.subscription.path(ATOM))))
        fg.title(clean(feed.title(site)))
        fg.subtitle(clean(feed.description(site)))
        fg.link(href=self_url, rel="self", type="application/atom+xml")
        fg.link(href=home_url(site), rel="alternate", type="text/html")
        if site.hub:
            fg.link(href=uri(site.hub), rel="hub")
        # Atom requires an author on every entry or on the feed: the site stands in when none is named.
        feed_people = people(feed.people(site))
        for person in feed_people:
            fg.author(_person(person))
        if not feed_people:
            fg.author({"name": clean(site.title)})
        fg.generator(GENERATOR)
        if language_tag(site.language):
            fg.language(site.language)
        icon = feed.icon(site)
        if site.favicon or icon:
            fg.icon(uri(site.favicon or icon or ""))
        if icon:
            fg.logo(uri(icon))
        fg.updated(seconds(feed_updated(items)))
        for item in items:
            _add_entry(fg, item)
        root, _ = fg._create_atom()
    for element, item in zip(root.iterfind("entry"), items, strict=True):
        _add_links(element, item)
        content = element.find("content")
        if item.summary_only and content is not None and element.find("summary") is not None:
            # A summary-only entry is its summary and its alternate link (RFC 4287 4.1.2); feedgen
            # wants a content or a link it would strip of its attributes, so the content goes here.
            element.remove(content)
    for element in root.iter(*_TEXT_CONSTRUCTS):
        _declare_markup(element)
    _add_archive_links(root, site, feed)
    return finish(root, stylesheet_url(site), namespaces={"fh": FEED_HISTORY_NS})


def _add_archive_links(root: etree._Element, site: SiteConfig, feed: Feed) -> None:
    """RFC 5005: fh:archive and the archive links, among the feed's metadata (before any entry)."""
    add_archive_links(
        root,
        before="entry",
        link_tag="link",
        media_type="application/atom+xml",
        archive_ns=FEED_HISTORY_NS if feed.page is not None else None,
        links=archive_links(site, feed, ATOM),
    )


def _add_entry(fg: FeedGenerator, item: FeedItem) -> None:
    entry = fg.add_entry(order="append")  # feedgen prepends by default; items arrive newest first
    entry.id(atom_id(item.id))
    entry.title(item_title(item))
    entry.updated(seconds(item.updated or item.date))
    entry.published(seconds(item.date))
    for person in people(item.authors):
        entry.author(_person(person))
    # type="html" is escaped text; feedgen's type="CDATA" is not a valid Atom content type.
    entry.content(clean(item.content_html) or html.escape(item_title(item), quote=False), type="html")
    summary = clean(item.summary).strip()
    if summary:
        entry.summary(summary)
    for tag in labels(item.tags):
        entry.category(term=tag)


def _person(person: Person) -> dict[str, str]:
    """An Atom person: a name is required, an e-mail only when it is a plain address."""
    email = person.email if plain_email(person.email) else None
    fields = (
        ("name", person.name or person.email),
        ("email", email),
        ("uri", person.url and uri(person.url)),
    )
    return {key: clean(value) for key, value in fields if value}


def _add_links(element: etree._Element, item: FeedItem) -> None:
    title = element.find("title")
    position = element.index(title) + 1 if title is not None else 0
    add_link(element, "link", index=position, href=uri(item.url), rel="alternate", type="text/html")
    if item.enclosure:
        add_link(
            element,
            "link",
            href=uri(item.enclosure.url),
            rel="enclosure",
            type=item.enclosure.mime_type,
            length=str(item.enclosure.length),
        )
    if item.image:
        add_link(element, "link", href=uri(item.image), rel="related", title="image")
    language = language_tag(item.language)
    if language:
        element.set(XML_LANG, language)


def _declare_markup(element: etree._Element) -> None:
    """Plain text holding "<" or "&" goes out as type="html", escaped: readers show the same text,
    and the validator does not mistake it for undeclared HTML."""
    text = element.text or ""
    if "<" in text or "&" in text:
        element.text = html.escape(text, quote=False)
        element.set("type", "html")
