"""Which records are published now, which wait, which lose their id, and what each feed shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from feedpub import catalogue
from feedpub.catalogue import Feed
from feedpub.config import SiteConfig
from feedpub.errors import RecordError
from feedpub.model import Record


@dataclass(frozen=True)
class Selection:
    published: list[Record]  # newest first
    drafts: list[Record]
    scheduled: list[Record]  # due after `now`, soonest first
    next_due: datetime | None  # when the feeds next change by themselves: a record falls due or expires
    rejected: list[RecordError]  # records whose id another record keeps
    # In catalogue order; each newest first, as many as its kind shows (catalogue.Kind.item_limit).
    feeds: list[tuple[Feed, list[Record]]]
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
    changes = [r.due for r in scheduled] + [r.expires_at for r in live if r.expires_at is not None]
    return Selection(
        published=published,
        drafts=drafts,
        scheduled=scheduled,
        next_due=min(changes, default=None),
        rejected=rejected,
        feeds=_feeds(published, site),
        expired=expired,
    )


def _feeds(published: list[Record], site: SiteConfig) -> list[tuple[Feed, list[Record]]]:
    """Every feed of the catalogue with a member (or standing even when empty), and its newest members.

    A feed's label is the one its newest record gives it (a tag as that record writes it)."""
    labels: dict[str, str | None] = dict.fromkeys(catalogue.standing_feeds(site))
    members: dict[str, list[Record]] = {feed_id: [] for feed_id in labels}
    limits: dict[str, int | None] = {}  # feed id -> how many members it shows (None: all)
    for record in published:
        for feed_id, label in catalogue.memberships(catalogue.facets_of(record), site):
            labels.setdefault(feed_id, label)
            shown = members.setdefault(feed_id, [])
            if feed_id not in limits:
                limits[feed_id] = catalogue.feed(feed_id).item_limit(site)
            limit = limits[feed_id]
            if limit is None or len(shown) < limit:
                shown.append(record)
    return [
        (catalogue.feed(feed_id, labels[feed_id]), members[feed_id])
        for feed_id in sorted(members, key=catalogue.feed_order)
    ]
