"""Which records are published now, which wait, which lose their id, and what each feed shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from feedpub import archive, catalogue
from feedpub.catalogue import Feed
from feedpub.config import SiteConfig
from feedpub.errors import RecordError
from feedpub.model import Record


@dataclass(frozen=True)
class ArchiveDocument:
    """An archive document and its page: the members it shows and every member of the page, each
    newest first (the feed's byte budget is applied to the whole page: feedpub.budget)."""

    feed: Feed
    shown: list[Record]
    page: list[Record]


@dataclass(frozen=True)
class Selection:
    published: list[Record]  # newest first
    drafts: list[Record]
    scheduled: list[Record]  # due after `now`, soonest first
    next_due: datetime | None  # when the feeds next change by themselves: a record falls due or expires
    rejected: list[RecordError]  # records whose id another record keeps
    feeds: list[tuple[Feed, list[Record]]]  # in catalogue order; each newest first, as many as its kind shows
    # (catalogue.Kind.item_limit)
    # Every archive document (feedpub.archive) of those feeds: the rest of each feed.
    archives: list[ArchiveDocument]
    expired: list[Record] = field(default_factory=list)  # past their expiry date: out of every feed


def _claim_order(record: Record) -> tuple[datetime, str]:
    return (record.date, record.path)


def resolve_duplicate_ids(records: Iterable[Record]) -> tuple[list[Record], list[RecordError]]:
    """Keep one record per id: the earliest dated (ties: the smaller path); reject the others.

    Drafts claim no id, as in the publisher: a draft never blocks a published record.
    """
    winners: dict[str, Record] = {}
    kept: list[Record] = []
    rejected: list[RecordError] = []
    for record in sorted(records, key=_claim_order):
        if record.draft:
            kept.append(record)
            continue
        winner = winners.setdefault(record.id, record)
        if winner is record:
            kept.append(record)
        else:
            rejected.append(RecordError(record.path, f"id '{record.id}' is already used by {winner.path}"))
    return kept, rejected


def select(records: Iterable[Record], site: SiteConfig, now: datetime) -> Selection:
    """Split records as of `now` and fill every feed with the newest records its kind shows."""
    kept, rejected = resolve_duplicate_ids(records)
    drafts = [record for record in kept if record.draft]
    expired = [r for r in kept if not r.draft and r.expires_at is not None and r.expires_at <= now]
    live = [r for r in kept if not r.draft and (r.expires_at is None or r.expires_at > now)]
    scheduled = sorted((r for r in live if r.due > now), key=lambda r: (r.due, r.id))
    published = sorted((r for r in live if r.due <= now), key=lambda r: r.sort_key, reverse=True)
    feeds, archives = _feeds(published, site)
    changes = [r.due for r in scheduled] + [r.expires_at for r in live if r.expires_at is not None]
    return Selection(
        published=published,
        drafts=drafts,
        scheduled=scheduled,
        next_due=min(changes, default=None),
        rejected=rejected,
        feeds=feeds,
        archives=archives,
        expired=expired,
    )


def _feeds(
    published: list[Record], site: SiteConfig
) -> tuple[list[tuple[Feed, list[Record]]], list[ArchiveDocument]]:
    """Every feed of the catalogue with a member (or standing even when empty) and its newest members;
    then every archive document of those feeds with its members.

    A feed's label is the one its newest record gives it (a tag as that record writes it); an
    archive document's, the one the newest record of its page gives it, so that no document but
    the feed's own depends on records outside its page (feedpub.archive)."""
    standing = catalogue.standing_feeds(site)
    members: dict[str, list[tuple[Record, str | None]]] = {feed_id: [] for feed_id in standing}
    for record in published:
        for feed_id, label in catalogue.memberships(catalogue.facets_of(record), site):
            members.setdefault(feed_id, []).append((record, label))
    feeds: list[tuple[Feed, list[Record]]] = []
    archives: list[ArchiveDocument] = []
    for feed_id in sorted(members, key=catalogue.feed_order):
        newest_first = members[feed_id]
        oldest_first = newest_first[::-1]
        limit = catalogue.feed(feed_id).item_limit(site)  # None: it shows every member, no archive
        pages = archive.cut([record.id for record, _ in oldest_first], site.archive_page_size)
        docs = archive.documents([(page.name, page.count) for page in pages], limit)
        by_name = {page.name: page for page in pages}
        for doc in docs:
            page = oldest_first[by_name[doc.name].start : by_name[doc.name].end][::-1]
            document = catalogue.feed(feed_id, page[0][1]).archive_page(doc.name, doc.older, doc.newer)
            records = [record for record, _ in page]
            archives.append(ArchiveDocument(document, records[len(records) - doc.shown :], records))
        feed = catalogue.feed(feed_id, newest_first[0][1] if newest_first else None)
        newest = [record for record, _ in newest_first[:limit]]
        feeds.append((feed.with_older(archive.newest(docs)), newest))
    return feeds, archives
