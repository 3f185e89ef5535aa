"""Record -> FeedItem: the one place Markdown is rendered, so callers render only what feeds show."""

from __future__ import annotations

from feedpub.config import SiteConfig
from feedpub.markup import directory_url, render_body, summary_text
from feedpub.model import FeedItem, Record


def to_feed_item(record: Record, site: SiteConfig) -> FeedItem:
    """The record rendered for every feed format: relative URLs in the body resolve against the home page."""
    if record.body_html is not None:
        content_html = record.body_html
    elif record.body.strip():
        content_html = render_body(record.body, directory_url(site.home))
    else:
        content_html = ""
    return FeedItem(
        id=record.id,
        url=record.url,
        title=record.title,
        date=record.date,
        updated=record.updated,
        authors=record.authors,
        tags=record.tags,
        summary=record.summary or summary_text(content_html),
        content_html=content_html,
        image=record.image,
        language=record.language,
        enclosure=record.enclosure,
    )
