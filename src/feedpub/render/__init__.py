"""Rendering: one feed's three formats, the OPML list, the XSL page, and each path's HTTP headers."""

from __future__ import annotations

from collections.abc import Sequence

from feedpub.config import SiteConfig
from feedpub.model import FeedItem, FeedSpec
from feedpub.render.atom import render_atom
from feedpub.render.common import feed_title, feed_url
from feedpub.render.headers import headers_for
from feedpub.render.jsonfeed import render_json
from feedpub.render.opml import render_opml
from feedpub.render.rss import render_rss
from feedpub.render.xsl import render_xsl

__all__ = ["feed_title", "feed_url", "headers_for", "render_feed", "render_opml", "render_xsl"]


def render_feed(site: SiteConfig, spec: FeedSpec, items: Sequence[FeedItem]) -> dict[str, bytes]:
    """RSS, Atom and JSON Feed of one feed; `items` are newest first and already limited."""
    rss_path, atom_path, json_path = spec.paths
    return {
        rss_path: render_rss(site, spec, items),
        atom_path: render_atom(site, spec, items),
        json_path: render_json(site, spec, items),
    }
