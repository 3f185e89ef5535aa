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

from feedpub import archive, catalogue
from feedpub.config import SITE_FILE, SiteConfig
from feedpub.model import FeedItem
from feedpub.podcast.media import MEDIA_KEY
from feedpub.publish import pages
from feedpub.publish.heads import Head
from feedpub.publish.pages import Load

REPORT_CONTENT_TYPE = "application/json; charset=utf-8"
REPORT_CACHE_CONTROL = "no-store"
MEDIA_OUTPUT = "media:"  # root["outputs"] of a media file: this prefix and the ETag of the version copied


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def is_media_path(key: str) -> bool:
    return MEDIA_KEY.fullmatch(key) is not None


def feed_of(path: str) -> str | None:
    """The id of the feed a published path is a document of, or None for a file that is not a feed."""
    found = catalogue.document(path)
    return None if found is None else found[0]


def archive_of(path: str) -> tuple[str, str] | None:
    """(feed id, page) of an archive document, or None for any other path."""
    found = catalogue.archive_document(path)
    return None if found is None else (found[0], found[1])


def render_head(
    site: SiteConfig, feed_id: str, label: str | None, head: Head, load: Load
) -> dict[str, bytes]:
    """A feed's subscription documents: its newest items, and a link to its newest archive document."""
    from feedpub.render import render_feed

    feed = catalogue.feed(feed_id, label)
    items = [FeedItem.model_validate(member["item"]) for member in head.shown_items(feed.item_limit(site))]
    newest = archive.newest(archive_documents(site, feed_id, head, load))
    return render_feed(site, feed.with_older(newest), items)


def archive_documents(site: SiteConfig, feed_id: str, head: Head, load: Load) -> list[archive.Document]:
    """A committed head's archive documents (feedpub.publish.pages.committed_documents: the ones for
    pages an index object describes are placeholders, but those around them link the right names)."""
    return pages.committed_documents(head.pages, catalogue.feed(feed_id).item_limit(site), load)


def render_archive(
    site: SiteConfig, feed_id: str, doc: archive.Document, members: list[Any]
) -> dict[str, bytes]:
    """One archive document in every format: the `doc.shown` oldest members of its page (oldest
    first in `members`), newest first, each in full or summary-only as the page keeps it
    (Transaction.finish_pages), named as the newest member of the page names the feed (so that only
    its page decides it)."""
    from feedpub.render import render_feed

    items = [FeedItem.model_validate(member["item"]) for member in reversed(members[: doc.shown])]
    feed = catalogue.feed(feed_id, members[-1]["label"]).archive_page(doc.name, doc.older, doc.newer)
    return render_feed(site, feed, items)


def archive_outputs(feed_id: str, descriptors: list[dict[str, Any]]) -> dict[str, str]:
    """Path -> digest of the archive documents of a feed that its page descriptors record as published."""
    feed = catalogue.feed(feed_id)
    return {
        feed.page_path(descriptor["name"], fmt): digest
        for descriptor in descriptors
        if not pages.is_index(descriptor)  # an index entry's pages are unchanged: left out on both sides
        for fmt in feed.kind.archive_formats
        if (digest := descriptor.get("documents", {}).get(fmt.name)) is not None
    }


def digest(body: bytes, full_archive: bool = False) -> str:
    """What the state records of an output: its md5, marked for a full archive document, whose
    Cache-Control differs (so a document that becomes full is written again with it)."""
    return md5(body) + ("+immutable" if full_archive else "")


def site_fingerprint(site: SiteConfig) -> str:
    """What of site.yaml may decide an archive document's bytes: every setting but `feed_limit`,
    which decides only which members a document shows and where it links (deferred_digest has
    those), so that a feed_limit change rewrites only the documents it changes."""
    from feedpub import __version__

    settings = site.model_dump_json(exclude={"feed_limit"})
    return hashlib.sha256(f"{__version__}\n{settings}".encode("utf-8", "surrogatepass")).hexdigest()


def deferred_digest(fingerprint: str, feed_id: str, doc: archive.Document, members: list[Any]) -> str:
    """What the state records of an archive document whose commit leaves it to a render step
    (feedpub.publish.rebuild): a hash of everything that decides its bytes (this version of feedpub
    and site.yaml's settings, `site_fingerprint`; the feed, the document's place and the members it
    shows), marked as such. It never equals an md5, so a document recorded either way is written
    again when the other way records it; and a change that leaves a document as it was records the
    same digest, so it is not written."""
    decided = json.dumps(
        [
            fingerprint,
            feed_id,
            members[-1].get("label"),
            [doc.name, doc.shown, doc.older, doc.newer],
            members[: doc.shown],
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    digest = hashlib.sha256(decided.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"inputs:{digest}" + ("+immutable" if doc.full else "")


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


def headers(path: str, report_key: str, full_archive: bool = False) -> tuple[str, str]:
    if path == report_key:
        return REPORT_CONTENT_TYPE, REPORT_CACHE_CONTROL
    return catalogue.headers_for(path, full_archive)


def write_rank(path: str) -> int:
    """Write order (catalogue.write_rank): what others link to goes first, the OPML list and report last."""
    return catalogue.write_rank(path)
