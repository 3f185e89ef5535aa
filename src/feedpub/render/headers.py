"""The HTTP headers of every published path: the S3 publisher and the local edge use this one table."""

from __future__ import annotations

# Feeds change when authors publish: short freshness, then serve stale while revalidating so a burst
# of readers never waits on the origin, and keep serving the last good copy if the origin errs.
FEED_CACHE = "public, max-age=300, stale-while-revalidate=86400, stale-if-error=604800"
STYLESHEET_CACHE = "public, max-age=86400, stale-while-revalidate=604800"

_TYPES = {
    "feed.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
    "feeds.opml": "text/x-opml; charset=utf-8",
    "feed.xsl": "text/xsl; charset=utf-8",
}


def headers_for(path: str) -> tuple[str, str]:
    """(Content-Type, Cache-Control) for a published path; unknown names are refused, not guessed."""
    name = path.rpartition("/")[2]
    try:
        content_type = _TYPES[name]
    except KeyError:
        raise ValueError(f"{path!r} is not a path feedpub publishes") from None
    return content_type, STYLESHEET_CACHE if name == "feed.xsl" else FEED_CACHE
