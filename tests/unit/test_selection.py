"""Selection: what is published now, what waits, who keeps a duplicate id, what each feed shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feedpub.catalogue import TAGS, main_feed
from feedpub.config import parse_site
from feedpub.model import Record
from feedpub.selection import resolve_duplicate_ids, select

SITE = parse_site(b"title: T\nbase_url: https://feeds.example.org/\nfeed_limit: 3\n")
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def record(
    name: str, days_ago: float, *, tags: tuple[str, ...] = (), draft: bool = False, id: str = ""
) -> Record:
    return Record(
        path=f"articles/{name}.md",
        id=id or f"https://feeds.example.org/{name}/",
        slug=name,
        title=name,
        date=NOW - timedelta(days=days_ago),
        url=f"https://feeds.example.org/{name}/",
        tags=tags,
        draft=draft,
    )


def names(records: list[Record]) -> list[str]:
    return [r.slug for r in records]


def test_published_records_are_newest_first_and_the_main_feed_is_capped() -> None:
    # Given five records in random order and feed_limit 3, when selected, then all five are
    # published newest first and the main feed shows the newest three.
    chosen = select(
        [record("c", 3), record("a", 1), record("e", 5), record("b", 2), record("d", 4)], SITE, NOW
    )
    assert names(chosen.published) == ["a", "b", "c", "d", "e"]
    main_spec, main_records = chosen.feeds[0]
    assert main_spec.subscription == main_feed()
    assert names(main_records) == ["a", "b", "c"]
    # and the two older records are in the main feed's one archive document, which it links to,
    # on a page that holds all five
    (doc,) = [doc for doc in chosen.archives if doc.feed.id == ""]
    assert names(doc.shown) == ["d", "e"]
    assert names(doc.page) == ["a", "b", "c", "d", "e"]
    assert main_spec.older == doc.feed.page


def test_records_with_the_same_date_are_ordered_by_id_for_a_stable_output() -> None:
    # Given two records at the same instant, when selected in either input order, then the
    # order is the same: descending id.
    first, second = record("x", 1, id="urn:a"), record("y", 1, id="urn:b")
    assert names(select([first, second], SITE, NOW).published) == ["y", "x"]
    assert names(select([second, first], SITE, NOW).published) == ["y", "x"]


def test_drafts_are_left_out_of_every_feed() -> None:
    # Given a draft tagged like a published record, when selected, then it is counted as a
    # draft and appears in no feed.
    chosen = select([record("live", 1, tags=("t",)), record("wip", 0.5, tags=("t",), draft=True)], SITE, NOW)
    assert names(chosen.drafts) == ["wip"]
    assert names(chosen.published) == ["live"]
    assert all("wip" not in names(feed) for _, feed in chosen.feeds)


def test_future_records_wait_and_the_soonest_is_reported_as_next_due() -> None:
    # Given two records dated in the future and one dated exactly now, when selected, then the
    # one at `now` is published, the future ones are scheduled soonest first, and next_due is
    # the soonest date.
    chosen = select([record("later", -2), record("soon", -1), record("now", 0)], SITE, NOW)
    assert names(chosen.published) == ["now"]
    assert names(chosen.scheduled) == ["soon", "later"]
    assert chosen.next_due == NOW + timedelta(days=1)


def test_nothing_scheduled_means_no_next_due() -> None:
    # Given only past records and a future draft, when selected, then nothing is due.
    chosen = select([record("a", 1), record("b", -1, draft=True)], SITE, NOW)
    assert chosen.next_due is None
    assert chosen.scheduled == []


def test_a_duplicate_id_stays_with_the_earlier_record_and_the_later_is_rejected_naming_both() -> None:
    # Given two records claiming one id, when selected, then the earlier-dated one is published
    # and the other is rejected with a message naming the id and both files.
    chosen = select([record("new", 1, id="urn:x"), record("old", 9, id="urn:x")], SITE, NOW)
    assert names(chosen.published) == ["old"]
    assert [(e.path, e.reason) for e in chosen.rejected] == [
        ("articles/new.md", "id 'urn:x' is already used by articles/old.md")
    ]
    assert (
        str(chosen.rejected[0]) == "REJECTED articles/new.md: id 'urn:x' is already used by articles/old.md"
    )


def test_a_tie_on_date_gives_the_id_to_the_smaller_path() -> None:
    # Given two records with the same id and date, when selected in either order, then the
    # lexically smaller path keeps the id.
    one, two = record("b-file", 1, id="urn:x"), record("a-file", 1, id="urn:x")
    for order in ([one, two], [two, one]):
        chosen = select(order, SITE, NOW)
        assert names(chosen.published) == ["a-file"]
        assert [e.path for e in chosen.rejected] == ["articles/b-file.md"]


def test_a_draft_never_blocks_an_id_but_a_scheduled_record_does() -> None:
    # Given an earlier draft with a live record's id, and an earlier live record with a
    # scheduled one's id, when selected, then the draft blocks nothing and the scheduled one
    # (later) loses its id.
    chosen = select(
        [
            record("draft", 9, id="urn:d", draft=True),
            record("live", 1, id="urn:d"),
            record("first", 5, id="urn:s"),
            record("future", -1, id="urn:s"),
        ],
        SITE,
        NOW,
    )
    assert names(chosen.published) == ["live", "first"]
    assert [e.path for e in chosen.rejected] == ["articles/future.md"]
    assert chosen.scheduled == []


def test_resolve_duplicate_ids_is_usable_on_its_own() -> None:
    # Given three claimants of one id, when resolved, then one is kept and two rejected.
    kept, rejected = resolve_duplicate_ids(
        [record(n, d, id="urn:x") for n, d in (("c", 1), ("a", 3), ("b", 2))]
    )
    assert names(kept) == ["a"]
    assert sorted(e.path for e in rejected) == ["articles/b.md", "articles/c.md"]
    assert {e.reason for e in rejected} == {"id 'urn:x' is already used by articles/a.md"}


def test_each_tag_gets_a_feed_sorted_by_slug_with_its_newest_records() -> None:
    # Given tags spelt differently on different records, when selected, then each tag slug
    # gets one feed (after the main feed, in slug order), named with the spelling on its newest
    # record, holding its newest feed_limit records.
    records = [
        record("p1", 1, tags=("Web Dev",)),
        record("p2", 2, tags=("web-dev", "Python")),
        record("p3", 3, tags=("WEB DEV",)),
        record("p4", 4, tags=("Web Dev", "python")),
        record("p5", 5, tags=("Art",)),
    ]
    feeds = select(records, SITE, NOW).feeds
    assert [spec.subscription for spec, _ in feeds] == [
        main_feed(),
        TAGS.feed("art", "Art"),
        TAGS.feed("python", "Python"),
        TAGS.feed("web-dev", "Web Dev"),
    ]
    by_prefix = {spec.id: names(feed) for spec, feed in feeds}
    assert by_prefix["tags/web-dev/"] == ["p1", "p2", "p3"]
    assert by_prefix["tags/python/"] == ["p2", "p4"]
    assert by_prefix["tags/art/"] == ["p5"]


def test_tags_only_on_drafts_scheduled_or_rejected_records_get_no_feed() -> None:
    # Given tags used only by a draft, a scheduled record and a record that lost its id, when
    # selected, then none of those tags has a feed.
    chosen = select(
        [
            record("keeper", 5, id="urn:x"),
            record("loser", 1, id="urn:x", tags=("lost",)),
            record("wip", 1, tags=("draft-only",), draft=True),
            record("future", -1, tags=("future-only",)),
        ],
        SITE,
        NOW,
    )
    assert [spec.id for spec, _ in chosen.feeds] == [""]


def test_no_records_still_gives_an_empty_main_feed() -> None:
    # Given no records, when selected, then there is exactly the main feed, empty.
    chosen = select([], SITE, NOW)
    assert chosen.feeds == [(main_feed(), [])]
    assert (chosen.published, chosen.drafts, chosen.rejected) == ([], [], [])
