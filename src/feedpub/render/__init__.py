"""Rendering: one feed's documents in each of its formats, the OPML list and the XSL page."""

from __future__ import annotations

from collections.abc import Sequence

from feedpub.catalogue import Feed
from feedpub.config import SiteConfig
from feedpub.model import FeedItem
from feedpub.render.opml import render_opml
from feedpub.render.xsl import render_xsl

__all__ = ["render_feed", "render_opml", "render_xsl"]


def render_feed(site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> dict[str, bytes]:
    """Every document of one feed (one per format of its kind); `items` are newest first and limited."""
    return {feed.path(fmt): fmt.render(site, feed, items) for fmt in feed.formats}
