"""RSS 2.0 with content:encoded, dc:creator, atom:link self/hub, built with feedgen."""

from __future__ import annotations

from collections.abc import Sequence

from feedgen.feed import FeedGenerator

from feedpub.config import SiteConfig
from feedpub.model import FeedItem, FeedSpec
from feedpub.render.common import (
    GENERATOR,
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
from feedpub.render.xmltree import ATOM_NS, FEEDGEN_LOCK, add_link, finish


def render_rss(site: SiteConfig, spec: FeedSpec, items: Sequence[FeedItem]) -> bytes:
    self_url = feed_url(site, spec.paths[0])
    title = clean(feed_title(site, spec))
    with FEEDGEN_LOCK:
        fg = FeedGenerator()
        fg.load_extension("dc", atom=False, rss=True)
        fg.load_extension("media", atom=False, rss=True)
        fg.title(title)
        # The channel <link> is the last link feedgen was given: the self link must come first.
        fg.link(href=self_url, rel="self", type="application/rss+xml")
        fg.link(href=site.home, rel="alternate")
        fg.description(clean(feed_description(site, spec)))
        fg.generator(GENERATOR)
        if site.language:
            fg.language(site.language)
        if site.icon:
            # The validator wants the image's title and link to match the channel's.
            fg.image(url=site.icon, title=title, link=site.home)
        fg.lastBuildDate(seconds(feed_updated(items)))
        for item in items:
            _add_item(fg, item)
        root, _ = fg._create_rss()
    channel = root.find("channel")
    if site.hub and channel is not None:
        add_link(channel, f"{{{ATOM_NS}}}link", index=3, href=site.hub, rel="hub")
    return finish(root, stylesheet_url(site))


def _add_item(fg: FeedGenerator, item: FeedItem) -> None:
    entry = fg.add_entry(order="append")  # feedgen prepends by default; items arrive newest first
    entry.title(item_title(item))
    entry.link(href=item.url)
    entry.guid(item.id, permalink=item.id == item.url)
    entry.description(clean(item.summary).strip() or item_title(item))
    if item.content_html:
        entry.content(clean(item.content_html))  # escaped text: CDATA would break on "]]>"
    entry.pubDate(seconds(item.date))
    # RSS <author> must be an e-mail address, and the validator objects to an item that mixes
    # <author> with dc:creator: all authors go one way or the other.
    authors = people(item.authors)
    if authors and all(person.email for person in authors):
        for person in authors:
            entry.author(name=person.name or person.email, email=person.email)
    elif authors:
        entry.dc.dc_creator([person.name or person.email for person in authors])
    for tag in labels(item.tags):
        entry.category(term=tag)
    if item.image:
        entry.media.content(url=item.image, medium="image")
    if item.enclosure:
        entry.enclosure(item.enclosure.url, str(item.enclosure.length), item.enclosure.mime_type)
