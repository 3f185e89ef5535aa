"""The files a state produces: feeds from heads, the OPML list, the XSL page and the private report.

The renderers (lxml, feedgen) are imported when a file is first rendered, not with this module,
so the Lambda init stays small (see engine.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from feedpub import catalogue
from feedpub.config import SITE_FILE, SiteConfig
from feedpub.model import FeedItem
from feedpub.publish.heads import Head

REPORT_CONTENT_TYPE = "application/json; charset=utf-8"
REPORT_CACHE_CONTROL = "no-store"


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def feed_of(path: str) -> str | None:
    """The id of the feed a published path is a document of, or None for a file that is not a feed."""
    found = catalogue.document(path)
    return None if found is None else found[0]


def render_head(site: SiteConfig, feed_id: str, label: str | None, head: Head) -> dict[str, bytes]:
    from feedpub.render import render_feed

    feed = catalogue.feed(feed_id, label)
    items = [FeedItem.model_validate(member["item"]) for member in head.items[: feed.item_limit(site)]]
    return render_feed(site, feed, items)


def render_list(site: SiteConfig, feeds: Mapping[str, str | None]) -> bytes:
    """feeds.opml: `feeds` (feed id -> label) in catalogue order."""
    from feedpub.render import render_opml

    ordered = sorted(feeds, key=catalogue.feed_order)
    return render_opml(site, [catalogue.feed(feed_id, feeds[feed_id]) for feed_id in ordered])


def render_stylesheet() -> bytes:
    from feedpub.render import render_xsl

    return render_xsl()


def next_change(root: Mapping[str, Any]) -> str | None:
    """When the feeds next change by themselves: a scheduled record falls due or one expires."""
    times = [table[0][0] for table in (root["scheduled"], root["expiring"]) if table]
    return min(times, key=datetime.fromisoformat, default=None)


def render_report(root: Mapping[str, Any]) -> bytes:
    """_state/report.json: every record currently rejected, warned about, scheduled or expiring, and
    what is said of site.yaml and of the podcast show as a whole."""
    report = {
        "rejected": [{"path": key, "reason": reason} for key, reason in sorted(root["rejected"].items())],
        "warnings": [
            {"path": key, "warning": warning}
            for key, warnings in sorted(root["warnings"].items())
            for warning in warnings
        ]
        + [{"path": SITE_FILE, "warning": warning} for warning in root.get("site_warnings", [])]
        + [{"path": path, "warning": warning} for path, warning in root.get("show_warnings", [])],
        "scheduled": [{"path": key, "due": due} for due, key in root["scheduled"]],
        "expiring": [{"path": key, "expires": when} for when, key in root["expiring"]],
        "next_due": next_change(root),
    }
    return json.dumps(report, indent=2, ensure_ascii=False).encode() + b"\n"


def headers(path: str, report_key: str) -> tuple[str, str]:
    if path == report_key:
        return REPORT_CONTENT_TYPE, REPORT_CACHE_CONTROL
    return catalogue.headers_for(path)


def write_rank(path: str) -> int:
    """Write order (catalogue.write_rank): what others link to goes first, the OPML list and report last."""
    return catalogue.write_rank(path)
