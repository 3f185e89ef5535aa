"""feeds.opml (OPML 2.0): every feed, grouped by format, for readers that import subscription lists."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from feedpub.config import SiteConfig
from feedpub.model import FeedSpec
from feedpub.render.common import clean, feed_title, feed_url, home_url

_FORMATS = (("RSS 2.0", "rss", 0), ("Atom 1.0", "atom", 1), ("JSON Feed 1.1", "json", 2))


def render_opml(site: SiteConfig, specs: Sequence[FeedSpec]) -> bytes:
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = clean(f"{site.title}: feeds")
    etree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = etree.SubElement(opml, "body")
    for label, kind, index in _FORMATS:
        group = etree.SubElement(body, "outline", text=label, title=label)
        for spec in specs:
            title = clean(feed_title(site, spec))
            etree.SubElement(
                group,
                "outline",
                type=kind,
                text=title,
                title=title,
                xmlUrl=feed_url(site, spec.paths[index]),
                htmlUrl=home_url(site),
            )
    return etree.tostring(opml, encoding="UTF-8", xml_declaration=True, pretty_print=True)
