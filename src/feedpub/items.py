"""Record -> FeedItem: a record rendered for feeds, only when some feed shows it.

The body is rendered here, in this process, unless parse_record already rendered it (a body over
feedpub.bounded_render.INLINE_LIMIT renders under the site's limits while the record is parsed).
Whatever rendering an item, or a feed of items, raises is turned into an UnrenderableError naming
the record at fault, so the build and the publisher reject that record and go on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from feedpub.catalogue import Feed, main_feed
from feedpub.config import SiteConfig
from feedpub.errors import describe_failure
from feedpub.links import LinkLookup, resolve_references
from feedpub.markup import render_body, summary_text
from feedpub.model import FeedItem, Record


def to_feed_item(record: Record, site: SiteConfig, lookup: LinkLookup | None = None) -> FeedItem:
    """The record rendered for every feed format: relative URLs in the body resolve as on the article's
    own page; links to other records become their permalinks, found with `lookup` (a content key ->
    link), else from their paths alone."""
    if record.body_html is not None:
        content_html = record.body_html
    elif record.body.strip():
        content_html = render_body(record.body, record.url)
    else:
        content_html = ""
    if lookup is None:
        from feedpub.records import link_from_path

        def lookup(key: str) -> str | None:
            return link_from_path(key, site)

    content_html = resolve_references(content_html, record.path, record.url, lookup)
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
        episode=record.episode,
    )


class UnrenderableError(Exception):
    """A record's item, or a feed showing it, cannot be rendered: the build rejects the record.

    `path` names the record when known; a failed feed names its item's `item_id` instead.
    """

    def __init__(self, reason: str, path: str | None = None, item_id: str | None = None) -> None:
        super().__init__(f"{path or item_id}: {reason}")
        self.reason = reason
        self.path = path
        self.item_id = item_id

    def __reduce__(self) -> tuple[type[UnrenderableError], tuple[str, str | None, str | None]]:
        return (UnrenderableError, (self.reason, self.path, self.item_id))  # crosses the build's pool


_PASS = (KeyboardInterrupt, SystemExit, GeneratorExit)


def render_item(record: Record, site: SiteConfig, lookup: LinkLookup | None = None) -> FeedItem:
    """to_feed_item, with whatever it raises turned into an UnrenderableError naming the record."""
    from feedpub.bounded_render import RendererFailedError

    try:
        return to_feed_item(record, site, lookup)
    except (RendererFailedError, *_PASS):
        raise
    except BaseException as exc:  # nh3/pyo3 panics are BaseExceptions too
        raise UnrenderableError(f"cannot be rendered: {describe_failure(exc)}", path=record.path) from None


def render_feed_of(site: SiteConfig, feed: Feed, feed_items: Sequence[FeedItem]) -> dict[str, bytes]:
    """render_feed; if it fails, the first item that fails alone is named in an UnrenderableError."""
    from feedpub.render import render_feed

    try:
        return render_feed(site, feed, feed_items)
    except _PASS:
        raise
    except BaseException:
        for item in feed_items:
            problem = render_problem(site, item)
            if problem is not None:
                raise UnrenderableError(problem, item_id=item.id) from None
        raise  # no single item is at fault: not a record's problem


def render_problem(site: SiteConfig, item: FeedItem | Mapping[str, Any]) -> str | None:
    """Why this item cannot be written into a feed, tried alone in the main feed's formats; None if it can.

    Asked only after a whole feed failed to render, to find the record at fault.
    """
    from feedpub.render import render_feed

    try:
        render_feed(
            site, main_feed(), [item if isinstance(item, FeedItem) else FeedItem.model_validate(item)]
        )
    except _PASS:
        raise
    except BaseException as exc:  # nh3/pyo3 panics are BaseExceptions too
        return f"cannot be rendered into a feed: {describe_failure(exc)}"
    return None
