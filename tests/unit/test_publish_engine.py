"""The incremental publisher against in-memory stores: each change must leave exactly the outputs a
from-scratch build of the same content would produce, and touch nothing else."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedpub.build import render_site
from feedpub.config import parse_site
from feedpub.errors import RecordError
from feedpub.publish import MemoryStore, Publisher, StoredObject
from feedpub.publish.rebuild import RebuildRequest
from feedpub.records import parse_record
from tests.support.builders import article, site_yaml

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SITE = site_yaml(feed_limit=3)


class RecordingCDN:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def invalidate(self, paths: list[str]) -> None:
        if paths:
            self.batches.append(list(paths))


class Site:
    """A content store, a publish store and a publisher with a settable clock."""

    def __init__(self, site_yaml: bytes = SITE) -> None:
        self.content = MemoryStore()
        self.output = MemoryStore()
        self.cdn = RecordingCDN()
        self.now = NOW
        self.content.put("site.yaml", site_yaml)
        self.publisher = self.make_publisher()

    def make_publisher(self) -> Publisher:
        return Publisher(
            content=self.content,
            output=self.output,
            cdn=self.cdn,
            clock=lambda: self.now,
            websub=False,  # type: ignore[arg-type]
        )

    def put(self, key: str, body: bytes) -> None:
        self.content.put(key, body)

    def public(self) -> dict[str, bytes]:
        keys = [key for key in self.output.keys(prefix="") if not key.startswith("_state/")]
        return {key: self.output.get(key).body for key in keys}

    def expected(self) -> dict[str, bytes]:
        site = parse_site(self.content.get("site.yaml").body)
        records = []
        for key in self.content.keys("articles/"):
            try:
                records.append(parse_record(key, self.content.get(key).body, site))
            except RecordError:
                continue
        return render_site(site, records, self.now).outputs

    def assert_matches_build(self) -> None:
        public, expected = self.public(), self.expected()
        assert sorted(public) == sorted(expected)
        for path, body in expected.items():
            assert public[path] == body, f"{path} differs from a from-scratch build"

    def state_report(self) -> dict[str, object]:
        return json.loads(self.output.get("_state/report.json").body)

    def apply_dying_after_commit(self, keys: list[str]) -> None:
        """Apply `keys` as a run that commits its state but dies before writing or deleting any output."""
        real_put, real_delete = self.output.put, self.output.delete

        def dying(*args: object, **kwargs: object) -> str:
            raise RuntimeError("the function timed out")

        def put_state_only(key: str, body: bytes, **kwargs: object) -> str:
            return real_put(key, body, **kwargs) if key.startswith("_state/") else dying()  # type: ignore[arg-type]

        self.output.put, self.output.delete = put_state_only, dying  # type: ignore[method-assign,assignment]
        try:
            assert self.publisher.apply(keys).failed_keys
        finally:
            self.output.put, self.output.delete = real_put, real_delete  # type: ignore[method-assign]


@pytest.fixture
def site() -> Site:
    return Site()


def test_first_upload_publishes_main_and_tag_feeds_with_headers(site: Site) -> None:
    # Given two articles sharing a tag, When the publisher applies them
    site.put("articles/a.md", article("Alpha", "2025-01-01", ("News", "Film")))
    site.put("articles/b.md", article("Beta", "2025-02-01", ("News",)))
    report = site.publisher.apply(["articles/a.md", "articles/b.md"])
    # Then every feed a from-scratch build makes is published, with feed headers
    site.assert_matches_build()
    assert "tags/news/feed.xml" in report.written
    assert "tags/film/atom.xml" in report.written
    assert report.published == 2
    assert not report.failed_keys
    content_type, cache_control = site.output.headers("feed.xml")
    assert "xml" in content_type
    assert "stale-while-revalidate" in (cache_control or "")
    assert site.cdn.batches == [sorted(report.invalidation_paths)]
    assert "/feed.xml" in report.invalidation_paths


def test_edit_moves_item_between_tag_feeds_and_removes_emptied_ones(site: Site) -> None:
    # Given a published article tagged Film
    site.put("articles/a.md", article("Alpha", "2025-01-01", ("Film",)))
    site.put("articles/b.md", article("Beta", "2025-02-01", ("News",)))
    site.publisher.apply(["articles/a.md", "articles/b.md"])
    # When its title changes and its tag becomes News
    site.put("articles/a.md", article("Alpha, revised", "2025-01-01", ("News",)))
    report = site.publisher.apply(["articles/a.md"])
    # Then the News feed shows it, the emptied Film feed is gone, and all equals a fresh build
    site.assert_matches_build()
    assert "tags/film/feed.xml" in report.deleted
    assert b"Alpha, revised" in site.output.get("tags/news/feed.json").body
    assert "/tags/film/feed.xml" in report.invalidation_paths


def test_delete_removes_item_and_tag_feed(site: Site) -> None:
    # Given two published articles, When one is deleted from the content bucket
    site.put("articles/a.md", article("Alpha", "2025-01-01", ("Film",)))
    site.put("articles/b.md", article("Beta", "2025-02-01"))
    site.publisher.apply(["articles/a.md", "articles/b.md"])
    site.content.delete("articles/a.md")
    report = site.publisher.apply(["articles/a.md"])
    # Then it is gone from the main feed, its tag feed is removed, and OPML no longer lists it
    site.assert_matches_build()
    assert b"Alpha" not in site.output.get("feed.json").body
    assert set(report.deleted) == {
        "tags/film/feed.xml",
        "tags/film/atom.xml",
        "tags/film/feed.json",
        "tags/film/index.html",
    }


def test_replayed_event_writes_and_invalidates_nothing(site: Site) -> None:
    # Given a published article
    site.put("articles/a.md", article("Alpha", "2025-01-01", ("Film",)))
    site.publisher.apply(["articles/a.md"])
    writes, batches = site.output.writes, len(site.cdn.batches)
    # When the same event is delivered again (twice, in one batch and alone)
    first = site.publisher.apply(["articles/a.md", "articles/a.md"])
    second = site.publisher.apply(["articles/a.md"])
    # Then nothing is written and nothing invalidated
    assert site.output.writes == writes
    assert len(site.cdn.batches) == batches
    assert first.written == second.written == []
    assert first.invalidation_paths == []


def test_event_for_unchanged_content_in_any_order_is_harmless(site: Site) -> None:
    # Given an article created then deleted, When the events arrive in reverse order
    site.put("articles/a.md", article("Alpha", "2025-01-01"))
    site.publisher.apply(["articles/a.md"])
    site.content.delete("articles/a.md")
    site.publisher.apply(["articles/a.md"])  # the delete event, processed first
    site.publisher.apply(["articles/a.md"])  # the stale create event arrives late
    # Then the feeds follow the bucket as it is now: the article stays deleted
    site.assert_matches_build()
    assert b"Alpha" not in site.output.get("feed.json").body


def test_duplicate_id_keeps_earlier_record_and_promotes_the_other_when_it_goes(site: Site) -> None:
    # Given two articles claiming one id
    same = "id: urn:x:1\n"
    site.put("articles/old.md", article("Old", "2025-01-01", extra=same))
    site.put("articles/new.md", article("New", "2025-03-01", extra=same))
    report = site.publisher.apply(["articles/new.md", "articles/old.md"])
    # Then the earlier one is published and the later one is reported, naming both
    site.assert_matches_build()
    assert report.rejected == [
        {"path": "articles/new.md", "reason": "id 'urn:x:1' is already used by articles/old.md"}
    ]
    assert site.state_report()["rejected"] == report.rejected
    # When the earlier one is deleted, Then the later one takes its place and the report clears
    site.content.delete("articles/old.md")
    site.publisher.apply(["articles/old.md"])
    site.assert_matches_build()
    assert b'"New"' in site.output.get("feed.json").body
    assert site.state_report()["rejected"] == []


def test_malformed_record_is_reported_and_the_rest_published(site: Site) -> None:
    # Given one good and one malformed article in the same batch
    site.put("articles/good.md", article("Good", "2025-01-01"))
    site.put("articles/bad.md", b"---\ntitle: [unclosed\n---\nbody")
    report = site.publisher.apply(["articles/good.md", "articles/bad.md"])
    # Then the good one is published, the bad one reported with a reason, and no key fails
    site.assert_matches_build()
    assert [r["path"] for r in report.rejected] == ["articles/bad.md"]
    assert not report.failed_keys
    assert site.state_report()["rejected"][0]["path"] == "articles/bad.md"  # type: ignore[index]
    # When it is fixed, Then it is published and leaves the report
    site.put("articles/bad.md", article("Fixed", "2025-02-01"))
    site.publisher.apply(["articles/bad.md"])
    site.assert_matches_build()
    assert site.state_report()["rejected"] == []


def test_scheduled_record_appears_when_due(site: Site) -> None:
    # Given an article dated in the future
    site.put("articles/now.md", article("Now", "2025-05-01"))
    site.put("articles/later.md", article("Later", "2025-06-02 09:00"))
    report = site.publisher.apply(["articles/now.md", "articles/later.md"])
    # Then it is not published yet and the report says when it falls due
    assert b"Later" not in site.output.get("feed.json").body
    assert report.next_due == datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    assert site.publisher.publish_due().written == []  # not due: nothing to do
    # When its time has come and the schedule runs
    site.now = NOW + timedelta(days=2)
    due = site.publisher.publish_due()
    # Then it is published, and nothing remains scheduled
    site.assert_matches_build()
    assert "feed.xml" in due.written
    assert due.next_due is None


def test_draft_is_never_published(site: Site) -> None:
    site.put("articles/d.md", article("Secret", "2025-01-01", extra="draft: true\n"))
    site.put("articles/p.md", article("Public", "2025-01-02"))
    site.publisher.apply(["articles/d.md", "articles/p.md"])
    site.assert_matches_build()
    assert b"Secret" not in site.output.get("feed.json").body


def test_feed_head_refills_after_many_deletions(site: Site) -> None:
    # Given more articles than a feed shows plus its reserve (feed_limit 3)
    keys = [f"articles/n{i:02d}.md" for i in range(14)]
    for i, key in enumerate(keys):
        site.put(key, article(f"N{i}", f"2025-01-{i + 1:02d}", ("All",)))
    site.publisher.apply(keys)
    # When the newest ones are deleted one at a time, beyond the head's reserve
    for key in reversed(keys[3:]):
        site.content.delete(key)
        site.publisher.apply([key])
        # Then each feed always shows the newest remaining articles
        site.assert_matches_build()


def test_older_record_added_below_a_full_head_changes_only_the_archive_page_that_holds_it(
    site: Site,
) -> None:
    # Given a full main feed, When an article older than every shown one is added
    keys = [f"articles/n{i:02d}.md" for i in range(10)]
    for i, key in enumerate(keys):
        site.put(key, article(f"N{i}", f"2025-02-{i + 1:02d}"))
    site.publisher.apply(keys)
    site.put("articles/old.md", article("Old", "2024-01-01"))
    report = site.publisher.apply(["articles/old.md"])
    # Then no subscription document is rewritten: only the oldest archive page, which now holds it
    assert report.invalidation_paths == ["/archive/000000000000/atom.xml", "/archive/000000000000/feed.json",
                                         "/archive/000000000000/feed.xml"]  # fmt: skip
    site.assert_matches_build()


def test_invalid_site_yaml_publishes_nothing_and_does_not_loop(site: Site) -> None:
    # Given a published site
    site.put("articles/a.md", article("Alpha", "2025-01-01"))
    site.publisher.apply(["articles/a.md"])
    before = site.public()
    # When site.yaml becomes invalid
    site.put("site.yaml", b"title: [broken")
    report = site.publisher.apply(["site.yaml", "articles/a.md"])
    # Then the report names the problem, nothing changes, and no key is retried
    assert report.site_error is not None
    assert "site.yaml" in report.site_error
    assert report.failed_keys == []
    assert site.public() == before


def test_site_yaml_change_rebuilds_every_feed(site: Site) -> None:
    site.put("articles/a.md", article("Alpha", "2025-01-01", ("Film",)))
    site.publisher.apply(["articles/a.md"])
    # When the site title changes
    site.put("site.yaml", SITE.replace(b"Test Site", b"Renamed Site"))
    report = site.publisher.apply(["site.yaml"])
    # Then every feed is re-rendered with it
    site.assert_matches_build()
    assert "tags/film/feed.xml" in report.written


class FlakyStore(MemoryStore):
    """A store whose GETs of some keys fail like a network error would."""

    def __init__(self, base: MemoryStore, failing: set[str]) -> None:
        super().__init__()
        self._base = base
        self.failing = failing

    def get(self, key: str) -> StoredObject:
        if key in self.failing:
            raise ConnectionError(f"simulated network failure reading {key}")
        return self._base.get(key)

    def list(self, prefix: str = ""):  # type: ignore[no-untyped-def]
        return self._base.list(prefix)


def test_failed_content_read_fails_the_key_and_keeps_published_feeds(site: Site) -> None:
    # Given a published article
    site.put("articles/a.md", article("Alpha", "2025-01-01"))
    site.publisher.apply(["articles/a.md"])
    before = site.public()
    # When reading its newer version fails (after the client's retries)
    site.put("articles/a.md", article("Alpha 2", "2025-01-01"))
    flaky = Publisher(
        content=FlakyStore(site.content, {"articles/a.md"}), output=site.output, clock=lambda: site.now
    )
    report = flaky.apply(["articles/a.md"])
    # Then the key fails (to be retried), and the feeds are exactly as they were — never treated as a delete
    assert report.failed_keys == ["articles/a.md"]
    assert site.public() == before
    # When the read works again, Then the change is published
    site.publisher.apply(["articles/a.md"])
    site.assert_matches_build()


def test_rebuild_with_unreadable_record_publishes_nothing() -> None:
    # Given a first publish where one record cannot be read
    site = Site()
    site.put("articles/a.md", article("Alpha", "2025-01-01"))
    site.put("articles/b.md", article("Beta", "2025-01-02"))
    flaky = Publisher(
        content=FlakyStore(site.content, {"articles/b.md"}), output=site.output, clock=lambda: site.now
    )
    report = flaky.apply(["articles/a.md"])
    # Then nothing is published (a feed missing Beta would be wrong) and the keys are retried
    assert "articles/a.md" in report.failed_keys
    assert site.public() == {}
    assert json.loads(site.output.get("_state/root.json").body)["site"] is None


def test_run_that_died_after_commit_is_finished_by_the_next_run(site: Site) -> None:
    # Given a run that commits its state but dies before writing the feeds
    site.put("articles/a.md", article("Alpha", "2025-01-01"))
    site.publisher.apply(["articles/a.md"])
    site.put("articles/b.md", article("Beta", "2025-01-02"))
    real_put = site.output.put
    calls = {"n": 0}

    def dying_put(key: str, body: bytes, **kwargs: object) -> str:
        if not key.startswith("_state/"):
            raise RuntimeError("the function timed out")
        calls["n"] += 1
        return real_put(key, body, **kwargs)  # type: ignore[arg-type]

    site.output.put = dying_put  # type: ignore[method-assign]
    failed = site.publisher.apply(["articles/b.md"])
    site.output.put = real_put  # type: ignore[method-assign]
    assert failed.failed_keys == ["articles/b.md"]
    assert calls["n"] > 0
    # When the next scheduled run comes (no new event at all)
    site.publisher.publish_due()
    # Then the committed change reaches the feeds
    site.assert_matches_build()


def test_a_run_that_loses_its_flush_and_gives_up_leaves_its_late_writes_pending(site: Site) -> None:
    # Given a published site, and run A publishing an edit of a.md with a single attempt: while A
    # writes feed.xml, run B publishes b.md completely (commits, writes feed.xml, clears pending),
    # so A's feed.xml, from the older state, lands after B's
    site.put("articles/a.md", article("Alpha", "2025-01-01"))
    site.put("articles/b.md", article("Beta", "2025-01-02"))
    site.publisher.apply(["articles/a.md", "articles/b.md"])
    site.put("articles/a.md", article("Alpha revised", "2025-01-01"))
    real_put = site.output.put
    armed = [True]

    def put_after_another_run(key: str, body: bytes, **kwargs: object) -> str:
        if key == "feed.xml" and armed:
            armed.clear()
            site.put("articles/b.md", article("Beta revised", "2025-01-02"))
            assert not site.make_publisher().apply(["articles/b.md"]).failed_keys
        return real_put(key, body, **kwargs)  # type: ignore[arg-type]

    site.output.put = put_after_another_run  # type: ignore[method-assign]
    one_attempt = Publisher(
        content=site.content, output=site.output, clock=lambda: site.now, websub=False, attempts=1
    )
    # When A's commit of its cleared root fails (B's came first) and A gives up
    report = one_attempt.apply(["articles/a.md"])
    site.output.put = real_put  # type: ignore[method-assign]
    assert report.failed_keys == ["articles/a.md"]
    assert b"Beta revised" not in site.output.get("feed.xml").body  # A's late bytes are served
    # Then the newest state lists what A wrote as pending, and the retried event puts it right
    assert "feed.xml" in json.loads(site.output.get("_state/root.json").body)["pending"]
    assert not site.publisher.apply(["articles/a.md"]).failed_keys
    site.assert_matches_build()


def test_reconcile_heals_lost_events_and_collects_old_state(site: Site) -> None:
    # Given changes whose events were lost
    site.put("articles/a.md", article("Alpha", "2025-01-01", ("Film",)))
    site.publisher.apply(["articles/a.md"])
    site.put("articles/b.md", article("Beta", "2025-01-02"))
    site.content.delete("articles/a.md")
    # When reconcile runs
    report = site.publisher.reconcile()
    # Then the feeds match the bucket
    site.assert_matches_build()
    assert "tags/film/feed.xml" in report.deleted
    # And state objects no longer referenced are deleted once old enough
    site.now = datetime.now(UTC) + timedelta(hours=2)
    before = len(site.output.keys("_state/objects/"))
    removed = site.publisher.collect_garbage()
    assert removed > 0
    assert len(site.output.keys("_state/objects/")) == before - removed
    site.publisher.apply(["articles/b.md"])  # the state still reads back after collection
    site.assert_matches_build()


def test_reconcile_rebuilds_after_a_site_yaml_change_no_run_finished(site: Site) -> None:
    # Given a published site whose site.yaml then changed (a new title, and a time zone that moves
    # a naive date), while the queue-driven run for it never finished (timed out on a large site)
    site.put("articles/a.md", article("Alpha", "2025-01-01 23:30"))
    site.publisher.apply(["articles/a.md"])
    site.put("site.yaml", SITE.replace(b"Test Site", b"Renamed Site").replace(b"UTC", b"Asia/Tokyo"))
    # When the scheduled reconcile runs
    report = site.publisher.reconcile()
    # Then it rebuilt every feed from the new settings
    assert not report.failed_keys
    site.assert_matches_build()
    assert b"Renamed Site" in site.public()["feed.xml"]
    assert b"<pubDate>Wed, 01 Jan 2025 23:30:00 +0900</pubDate>" in site.public()["feed.xml"]


class StartedElsewhere:
    """A RebuildRunner like StepFunctionsRebuilds: it records the rebuilds and render steps it is
    asked to start."""

    concurrent = True

    def __init__(self) -> None:
        self.requests: list[RebuildRequest] = []
        self.renders: list[str] = []

    def run(self, publisher: Publisher, request: RebuildRequest) -> None:
        self.requests.append(request)

    def render(self, publisher: Publisher, plan_id: str) -> None:
        self.renders.append(plan_id)


def test_publisher_whose_rebuilds_run_elsewhere_starts_one_and_reads_and_writes_nothing(site: Site) -> None:
    # Given a published site and a publisher whose rebuilds run elsewhere (the deployed stack)
    site.put("articles/a.md", article("Alpha", "2025-01-01"))
    site.publisher.apply(["articles/a.md"])
    before = site.public()
    elsewhere = StartedElsewhere()
    queue_driven = Publisher(
        content=site.content, output=site.output, clock=lambda: site.now, rebuilds=elsewhere
    )
    # When site.yaml changes how records are read (the time zone), in one batch with a new article
    site.put("site.yaml", SITE.replace(b"timezone: UTC", b"timezone: Asia/Tokyo"))
    site.put("articles/b.md", article("Beta", "2025-01-02 10:00"))
    report = queue_driven.apply(["site.yaml", "articles/b.md"])
    # Then it starts one rebuild for that site.yaml, fails nothing, reads no record and writes nothing
    assert report.rebuild_deferred
    assert [request.site_etag for request in elsewhere.requests] == [site.content.get("site.yaml").etag]
    assert not report.failed_keys
    assert report.records_read == 1  # site.yaml
    assert site.public() == before
    # When the hourly reconcile finds that site.yaml still unpublished, Then it starts the rebuild again
    assert queue_driven.reconcile().rebuild_deferred
    assert len(elsewhere.requests) == 2
    # And once a rebuild has run, every feed equals a from-scratch build under the new site.yaml
    assert not site.publisher.reconcile().failed_keys
    site.assert_matches_build()
    assert b"+09:00" in site.public()["feed.json"]


def test_report_object_lists_rejected_and_scheduled(site: Site) -> None:
    site.put("articles/bad.md", b"not a record")
    site.put("articles/later.md", article("Later", "2026-01-01"))
    site.publisher.apply(["articles/bad.md", "articles/later.md"])
    report = site.state_report()
    assert report["rejected"][0]["path"] == "articles/bad.md"  # type: ignore[index]
    assert report["scheduled"] == [{"path": "articles/later.md", "due": "2026-01-01T00:00:00+00:00"}]
    content_type, cache_control = site.output.headers("_state/report.json")
    assert content_type.startswith("application/json")
    assert cache_control == "no-store"


def test_the_report_says_what_became_of_each_record_a_run_changed(site: Site) -> None:
    def changes(report: object) -> list[tuple[str, str]]:
        return [(c["path"], c["change"]) for c in report.changes]  # type: ignore[attr-defined]

    # Given a first publication (a rebuild from nothing): every record is new
    site.put("articles/a.md", article("Alpha", "2025-01-01"))
    site.put("articles/d.md", article("Draft", "2025-01-01", extra="draft: true\n"))
    site.put("articles/bad.md", b"not a record")
    first = site.publisher.apply(["articles/a.md", "articles/d.md", "articles/bad.md"])
    assert changes(first) == [("articles/a.md", "published"), ("articles/d.md", "draft")]
    assert [r["path"] for r in first.rejected] == ["articles/bad.md"]  # said there, not in changes
    # When a published article is edited, then it is updated; a replayed event changes nothing
    site.put("articles/a.md", article("Alpha, revised", "2025-01-01"))
    assert changes(site.publisher.apply(["articles/a.md"])) == [("articles/a.md", "updated")]
    assert changes(site.publisher.apply(["articles/a.md"])) == []
    # When it is rescheduled, it leaves the feeds and the change says until when
    site.put("articles/a.md", article("Alpha", "2025-06-02 09:00"))
    (withdrawn,) = site.publisher.apply(["articles/a.md"]).changes
    assert withdrawn == {
        "path": "articles/a.md", "change": "withdrawn", "status": "scheduled",
        "due": "2025-06-02T09:00:00+00:00",
    }  # fmt: skip
    # When its date comes, the due check publishes it
    site.now = NOW + timedelta(days=2)
    assert changes(site.publisher.publish_due()) == [("articles/a.md", "published")]
    # When the draft is deleted, and a new article is scheduled
    site.content.delete("articles/d.md")
    site.put("articles/later.md", article("Later", "2026-01-01"))
    run = site.publisher.apply(["articles/d.md", "articles/later.md"])
    assert changes(run) == [("articles/d.md", "deleted"), ("articles/later.md", "scheduled")]
    # And a rebuild over published feeds says it rebuilt rather than listing every record
    site.put("site.yaml", site_yaml(feed_limit=3, timezone="Asia/Tokyo"))
    rebuilt = site.publisher.apply(["site.yaml"])
    assert rebuilt.rebuilt
    assert rebuilt.changes == []


@pytest.mark.parametrize("lost", ["edit", "delete"])
def test_record_changed_without_an_event_is_taken_in_when_it_becomes_visible(site: Site, lost: str) -> None:
    # Given four articles in a feed that shows three (the oldest waits in the head's reserve)
    keys = [f"articles/n{i}.md" for i in range(4)]
    for i, key in enumerate(keys):
        site.put(key, article(f"N{i}", f"2025-01-0{i + 1}"))
    site.publisher.apply(keys)
    # And the oldest one changes (or goes) in the bucket, but its event is lost
    if lost == "edit":
        site.put(keys[0], article("N0 revised", "2025-01-01"))
    else:
        site.content.delete(keys[0])
    # When the newest is deleted, so the oldest would become visible
    site.content.delete(keys[3])
    report = site.publisher.apply([keys[3]])
    # Then the feed shows the oldest as it is now (or not at all), never a stale version
    assert report.failed_keys == []
    site.assert_matches_build()


def _publish_batches(site: Site, batches: int, per_batch: int) -> list[int]:
    """Publish `batches` batches of new articles over ten tags; the publish-store reads of each."""
    reads = []
    for batch in range(batches):
        keys = []
        for n in range(batch * per_batch, (batch + 1) * per_batch):
            key = f"articles/p{n:03d}.md"
            site.put(key, article(f"Post {n}", f"2025-01-01T{n % 24:02d}:{n % 60:02d}:00Z", (f"T{n % 10}",)))
            keys.append(key)
        before = site.output.reads
        site.publisher.apply(keys)
        reads.append(site.output.reads - before)
    return reads


def test_given_a_warm_publisher_when_the_next_batch_arrives_then_it_reads_only_the_root(site: Site) -> None:
    # Given a publisher that already published a batch (as a warm Lambda container or `feedpub dev`)
    # When more batches arrive, touching shards and feeds the earlier batches wrote
    reads = _publish_batches(site, batches=3, per_batch=20)
    # Then the state objects come from its cache: of the publish bucket it reads the root alone
    assert reads[1:] == [1, 1]
    site.assert_matches_build()


def test_given_a_state_cache_too_small_to_hold_anything_then_the_publisher_reads_and_stays_correct(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a cache bound smaller than any state object (every object is evicted at once)
    monkeypatch.setattr("feedpub.publish.state._CACHE_BYTES", 1)
    # When batches arrive, then the state objects are read back from the bucket, and the feeds are right
    reads = _publish_batches(site, batches=3, per_batch=20)
    assert all(count > 1 for count in reads[1:])
    site.assert_matches_build()


# -- Hugo's publishDate and expiryDate, warnings, and ids a site.yaml change moves ------------------


def test_expiring_record_leaves_the_feeds_when_its_expiry_date_passes(site: Site) -> None:
    # Given a published article whose Hugo expiryDate is tomorrow, beside one that never expires
    site.put("articles/sale.md", article("Sale", "2025-05-01", ("Deals",), extra="expiryDate: 2025-06-02\n"))
    site.put("articles/keep.md", article("Keep", "2025-05-02", ("Deals",)))
    report = site.publisher.apply(["articles/sale.md", "articles/keep.md"])
    # Then it is in every feed it belongs to until then, and the run says when the feeds change next
    assert b"Sale" in site.public()["tags/deals/feed.json"]
    assert report.next_due == datetime(2025, 6, 2, tzinfo=UTC)
    assert site.state_report()["expiring"] == [
        {"path": "articles/sale.md", "expires": "2025-06-02T00:00:00+00:00"}
    ]
    site.assert_matches_build()
    # When its expiry passes and the due check runs
    site.now = NOW + timedelta(days=1)
    due = site.publisher.publish_due()
    # Then it has left the main and the tag feed, exactly as a build from scratch at that time
    assert {"feed.xml", "tags/deals/feed.xml"} <= set(due.written)
    assert b"Sale" not in site.public()["feed.json"]
    assert b"Sale" not in site.public()["tags/deals/feed.json"]
    assert due.next_due is None
    site.assert_matches_build()
    assert site.state_report()["expiring"] == []


def test_expired_record_stays_out_after_a_rebuild_and_a_later_publish_date_schedules(site: Site) -> None:
    # Given an already expired article and one whose Hugo publishDate is later than its date
    site.put("articles/old.md", article("Gone", "2025-01-01", extra="expiryDate: 2025-02-01\n"))
    site.put("articles/soon.md", article("Soon", "2025-05-01", extra="publishDate: 2025-06-03T08:00:00Z\n"))
    site.publisher.rebuild()
    # Then neither is published yet; the next change is the publish date
    assert b"Gone" not in site.public()["feed.json"]
    assert b"Soon" not in site.public()["feed.json"]
    assert site.state_report()["next_due"] == "2025-06-03T08:00:00+00:00"
    site.assert_matches_build()
    # When the publish date has come
    site.now = datetime(2025, 6, 3, 8, 0, tzinfo=UTC)
    site.publisher.publish_due()
    # Then it appears, still dated by its `date`, and the incremental state equals a rebuild
    feed = json.loads(site.public()["feed.json"])
    assert [item["title"] for item in feed["items"]] == ["Soon"]
    assert feed["items"][0]["date_published"] == "2025-05-01T00:00:00+00:00"
    site.assert_matches_build()


def test_report_lists_every_current_warning_not_only_the_last_runs(site: Site) -> None:
    # Given two records published with a field ignored (a typo and an image with no URL)
    site.put("articles/a.md", article("A", "2025-01-01", extra="darft: true\n"))
    site.put("articles/b.md", article("B", "2025-01-02", extra="image: {alt: no url}\n"))
    first = site.publisher.apply(["articles/a.md", "articles/b.md"])
    assert [w["path"] for w in first.warnings] == ["articles/a.md", "articles/b.md"]
    # When another record is published in a later run
    site.put("articles/c.md", article("C", "2025-01-03"))
    later = site.publisher.apply(["articles/c.md"])
    # Then that run found no warning, yet report.json still lists both, and both records are published
    assert later.warnings == []
    warnings = site.state_report()["warnings"]
    assert [(w["path"], w["warning"].split(" ")[0]) for w in warnings] == [  # type: ignore[index, union-attr]
        ("articles/a.md", "'darft'"),
        ("articles/b.md", "image"),
    ]
    assert "did you mean 'draft'?" in warnings[0]["warning"]  # type: ignore[index]
    assert json.loads(site.public()["feed.json"])["items"][-1]["title"] == "A"
    # When the typo is fixed, then its warning is gone
    site.put("articles/a.md", article("A", "2025-01-01"))
    site.publisher.apply(["articles/a.md"])
    assert [w["path"] for w in site.state_report()["warnings"]] == ["articles/b.md"]  # type: ignore[index, union-attr]


def test_a_site_yaml_change_that_moves_published_ids_is_reported_with_the_count(site: Site) -> None:
    # Given two published articles (ids from their file names) and one with its own id
    site.put("articles/a.md", article("Alpha", "2025-01-01"))
    site.put("articles/b.md", article("Beta", "2025-01-02"))
    site.put("articles/c.md", article("Gamma", "2025-01-03", extra="id: urn:example:c\n"))
    site.publisher.apply(["articles/a.md", "articles/b.md", "articles/c.md"])
    # When site.yaml adds a permalink pattern, which gives the first two new links and ids
    site.put("site.yaml", SITE + b"permalink: /:year/:month/:title/\n")
    report = site.publisher.apply(["site.yaml"])
    # Then the run and report.json say how many published items readers will see again
    expected = "this site.yaml gives 2 already-published items a new id"
    assert [w["path"] for w in report.warnings] == ["site.yaml"]
    assert report.warnings[0]["warning"].startswith(expected)
    assert site.state_report()["warnings"][0]["warning"].startswith(expected)  # type: ignore[index]
    site.assert_matches_build()
    # And a later run of another kind keeps the notice until site.yaml changes again
    site.put("articles/d.md", article("Delta", "2025-01-04"))
    site.publisher.apply(["articles/d.md"])
    assert site.state_report()["warnings"][0]["path"] == "site.yaml"  # type: ignore[index]
    site.put("site.yaml", SITE + b"permalink: /:year/:month/:title/\ndescription: same links\n")
    site.publisher.apply(["site.yaml"])
    assert site.state_report()["warnings"] == []


@pytest.mark.parametrize("blog", ["jekyll", "hugo", "wordpress-hugo"])
def test_a_migrated_blog_published_in_batches_equals_a_build_from_scratch(blog: str) -> None:
    # Given a Jekyll or Hugo blog as it was copied in (tests/fixtures), with permalinks, bundles,
    # links between posts, an expired post and files that are not records
    root = Path(__file__).resolve().parents[1] / "fixtures" / blog
    migrated = Site((root / "site.yaml").read_bytes())
    keys = sorted(p.relative_to(root).as_posix() for p in (root / "articles").rglob("*") if p.is_file())
    for key in keys:
        migrated.put(key, (root / key).read_bytes())
    # When its files arrive in two batches, in an order where links point at posts not yet published
    migrated.publisher.apply(keys[::2])
    migrated.publisher.apply(keys[1::2])
    # Then the feeds equal a build from scratch of the same content, and report.json lists the warnings
    migrated.assert_matches_build()
    assert migrated.state_report()["warnings"]
