"""Which records are published now, which wait, which lose their id, and what each feed shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from feedpub.config import SiteConfig
from feedpub.errors import RecordError
from feedpub.model import FeedSpec, Record
from feedpub.slugs import tag_slug


@dataclass(frozen=True)
class Selection:
    published: list[Record]  # newest first
    drafts: list[Record]
    scheduled: list[Record]  # dated after `now`, soonest first
    next_due: datetime | None  # when the soonest scheduled record becomes due
    rejected: list[RecordError]  # records whose id another record keeps
    feeds: list[tuple[FeedSpec, list[Record]]]  # main feed, then tag feeds by slug; newest first, capped


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
    """Split records as of `now` and fill every feed with its newest `site.feed_limit` records."""
    kept, rejected = resolve_duplicate_ids(records)
    drafts = [record for record in kept if record.draft]
    scheduled = sorted((r for r in kept if not r.draft and r.date > now), key=lambda r: r.sort_key)
    published = sorted(
        (r for r in kept if not r.draft and r.date <= now), key=lambda r: r.sort_key, reverse=True
    )
    return Selection(
        published=published,
        drafts=drafts,
        scheduled=scheduled,
        next_due=scheduled[0].date if scheduled else None,
        rejected=rejected,
        feeds=_feeds(published, site.feed_limit),
    )


def _feeds(published: list[Record], limit: int) -> list[tuple[FeedSpec, list[Record]]]:
    spellings: dict[str, str] = {}  # slug -> the tag as first seen, newest record first
    members: dict[str, list[Record]] = {}
    for record in published:
        for tag in record.tags:
            slug = tag_slug(tag)
            spellings.setdefault(slug, tag)
            tagged = members.setdefault(slug, [])
            if len(tagged) < limit and (not tagged or tagged[-1] is not record):
                tagged.append(record)
    feeds = [(FeedSpec.main(), published[:limit])]
    for slug in sorted(members):
        feeds.append((FeedSpec(prefix=f"tags/{slug}/", tag=spellings[slug]), members[slug]))
    return feeds
