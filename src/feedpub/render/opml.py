"""feeds.opml (OPML 2.0): every feed, grouped by format, for readers that import subscription lists."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from feedpub.catalogue import Feed, Format
from feedpub.config import SiteConfig
from feedpub.render.common import clean, feed_url, home_url


def render_opml(site: SiteConfig, feeds: Sequence[Feed]) -> bytes:
    """One group per format with an OPML label, listing every feed published in it, in `feeds` order."""
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = clean(f"{site.title}: feeds")
    etree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = etree.SubElement(opml, "body")
    formats: list[Format] = []
    for feed in feeds:
        formats += [fmt for fmt in feed.formats if fmt.opml_label and fmt not in formats]
    for fmt in formats:
        label = fmt.opml_label or fmt.name
        group = etree.SubElement(body, "outline", text=label, title=label)
        for feed in feeds:
            if fmt not in feed.formats:
                continue
            title = clean(feed.title(site))
            etree.SubElement(
                group,
                "outline",
                type=fmt.opml_type,
                text=title,
                title=title,
                xmlUrl=feed_url(site, feed.path(fmt)),
                htmlUrl=home_url(site),
            )
    return etree.tostring(opml, encoding="UTF-8", xml_declaration=True, pretty_print=True)
