"""The files a state produces: feeds from heads, the OPML list, the XSL page and the private report.

The renderers (lxml, feedgen) are imported when a file is first rendered, not with this module,
so the Lambda init stays small (see engine.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from feedpub.config import SiteConfig
from feedpub.model import FEED_FORMATS, OPML_PATH, XSL_PATH, FeedItem, FeedSpec
from feedpub.publish.heads import Head

REPORT_CONTENT_TYPE = "application/json; charset=utf-8"
REPORT_CACHE_CONTROL = "no-store"


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def spec_for(prefix: str, tag: str | None) -> FeedSpec:
    return FeedSpec(prefix=prefix, tag=tag) if prefix else FeedSpec.main()


def feed_prefix(path: str) -> str | None:
    """The feed a path belongs to ("" for the main feed), or None for a file that is not a feed."""
    directory, _, name = path.rpartition("/")
    if name not in FEED_FORMATS:
        return None
    return directory + "/" if directory else ""


def render_head(site: SiteConfig, prefix: str, tag: str | None, head: Head) -> dict[str, bytes]:
    from feedpub.render import render_feed

    items = [FeedItem.model_validate(member["item"]) for member in head.items[: site.feed_limit]]
    return render_feed(site, spec_for(prefix, tag), items)


def render_list(site: SiteConfig, feeds: Mapping[str, str | None]) -> bytes:
    """feeds.opml: the main feed first, then the tag feeds by slug."""
    from feedpub.render import render_opml

    specs = [spec_for(prefix, feeds[prefix]) for prefix in sorted(feeds)]
    return render_opml(site, specs)


def render_stylesheet() -> bytes:
    from feedpub.render import render_xsl

    return render_xsl()


def render_report(root: Mapping[str, Any]) -> bytes:
    """_state/report.json: every currently rejected record and every scheduled one, for authors."""
    report = {
        "rejected": [{"path": key, "reason": reason} for key, reason in sorted(root["rejected"].items())],
        "scheduled": [{"path": key, "due": due} for due, key in root["scheduled"]],
        "next_due": root["scheduled"][0][0] if root["scheduled"] else None,
    }
    return json.dumps(report, indent=2, ensure_ascii=False).encode() + b"\n"


def headers(path: str, report_key: str) -> tuple[str, str]:
    from feedpub.render import headers_for

    if path == report_key:
        return REPORT_CONTENT_TYPE, REPORT_CACHE_CONTROL
    return headers_for(path)


def write_rank(path: str, report_key: str) -> int:
    """Write order: what others link to goes first (the stylesheet, tag feeds), the OPML list last."""
    if path == XSL_PATH:
        return 0
    if path.startswith("tags/"):
        return 1
    if path == OPML_PATH:
        return 3
    if path == report_key:
        return 4
    return 2
