"""Rebuilds fanned out over the record shards, and site.yaml changes re-rendered from the state.

Every rebuild here is cut into several parts and several render parts (MIN_RECORDS_PER_PART and
MIN_DOCUMENTS_PER_PART are lowered so that a few dozen records make several), run by LocalRebuilds:
the same plan, part, merge, render and finish steps the state machine runs in Lambda. The
yardstick is always a from-scratch build of the bucket as it is.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from feedpub.publish import MemoryStore, Publisher, StoredObject
from feedpub.publish import pages as pages_module
from feedpub.publish import rebuild as rebuild_module
from feedpub.publish.pages import all_descriptors
from feedpub.publish.rebuild import (
    RECORDS_PER_PART,
    SHARDS,
    LocalRebuilds,
    RebuildRequest,
    RebuildSteps,
    part_count,
    shards_of_part,
)
from feedpub.publish.state import StateStore
from tests.support.audio import tone_mp3
from tests.support.builders import article, site_yaml
from tests.unit.test_podcast_publish import EPISODE, Show, publish_back_catalogue
from tests.unit.test_podcast_publish import SITE as SHOW_SITE
from tests.unit.test_publish_engine import SITE, Site, StartedElsewhere

TAGS = ("Film", "News", "Interviews", "Reviews", "Festivals")


@pytest.fixture(autouse=True)
def _small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    # A few dozen records make several parts, and their archive documents several render parts,
    # as thousands do in production.
    monkeypatch.setattr(rebuild_module, "MIN_RECORDS_PER_PART", 1)
    monkeypatch.setattr(rebuild_module, "MIN_DOCUMENTS_PER_PART", 1)


class Counting(MemoryStore):
    """A content store that counts GETs per key and can run a hook before one."""

    def __init__(self, base: MemoryStore) -> None:
        super().__init__()
        self._base = base
        self.gets: dict[str, int] = {}
        self.before_get: Callable[[str], None] | None = None

    def get(self, key: str) -> StoredObject:
        self.gets[key] = self.gets.get(key, 0) + 1
        if self.before_get is not None:
            self.before_get(key)
        return self._base.get(key)

    def list(self, prefix: str = "") -> Iterator:  # type: ignore[type-arg]
        return self._base.list(prefix)

    def put(self, key: str, body: bytes, **kwargs: object) -> str:  # type: ignore[override]
        return self._base.put(key, body, **kwargs)  # type: ignore[arg-type]

    def delete(self, key: str) -> None:
        self._base.delete(key)

    def articles_read(self) -> int:
        return sum(count for key, count in self.gets.items() if key.startswith("articles/"))


def populate(site: Site, count: int, seed: int = 7) -> list[str]:
    """Articles with tags, drafts, future dates, shared ids and broken ones, spread over the shards."""
    rng = random.Random(seed)
    keys = []
    for number in range(count):
        key = f"articles/post-{number:03d}.md"
        extra = ""
        if number % 11 == 0:
            extra += "draft: true\n"
        if number % 13 == 0:
            extra += f"id: urn:shared:{number % 3}\n"  # the earliest claimant keeps the id
        if number % 17 == 0:
            site.put(key, b"---\ntitle: broken\n")
        else:
            month = "07" if number % 19 == 0 else rng.choice(["01", "02", "03", "04"])  # July: scheduled
            tags = tuple(rng.sample(TAGS, rng.randint(0, 3)))
            date = f"2025-{month}-{rng.randint(1, 28):02d} 10:00"
            site.put(key, article(f"Post {number}", date, tags, extra))
        keys.append(key)
    return keys


def with_rebuilds(site: Site, rebuilds: object, content: MemoryStore | None = None) -> Publisher:
    return Publisher(
        content=content or site.content,
        output=site.output,
        cdn=site.cdn,
        clock=lambda: site.now,
        websub=False,
        rebuilds=rebuilds,  # type: ignore[arg-type]
    )


def render_and_finish(steps: RebuildSteps, plan_id: str, workers: int = 2) -> None:
    """The steps the state machine runs after a merge: its render parts, then its finish."""
    for part in range(parts := steps.render_parts(plan_id, workers)):
        steps.render(plan_id, part, parts)
    assert not steps.finish(plan_id).failed_keys


def retime(site: Site, zone: str, site_yaml: bytes = SITE) -> None:
    """A site.yaml change that needs every record read again (how naive dates are read)."""
    site.put("site.yaml", site_yaml.replace(b"timezone: UTC", f"timezone: {zone}".encode()))


def archive_documents(site: Site) -> list[str]:
    return [path for path in site.public() if "/archive/" in f"/{path}"]


def test_parts_cover_every_shard_once_and_share_the_records_out() -> None:
    for parts in (1, 2, 3, 7, 16, 255, 256):
        covered = [shard for part in range(parts) for shard in shards_of_part(part, parts)]
        assert covered == list(range(SHARDS))
    # Each worker gets the same number of parts, none over the size limit, small sites few parts
    assert part_count(100_000, 16) == 32
    assert 100_000 / part_count(100_000, 16) <= RECORDS_PER_PART
    assert part_count(10_000, 1) * RECORDS_PER_PART >= 10_000
    assert part_count(0, 16) == 1
    assert part_count(10**9, 16) == SHARDS


@pytest.mark.parametrize("workers", [1, 3, 8])
def test_a_rebuild_split_into_parts_equals_a_from_scratch_build(workers: int) -> None:
    # Given a published site of 60 articles (tags, drafts, scheduled, shared ids, broken records),
    # with archive pages of 4 members on average behind feeds of 3 items
    archived = SITE + b"archive_page_size: 4\n"
    site = Site(archived)
    keys = populate(site, 60)
    site.publisher.apply(keys)
    site.assert_matches_build()
    # When site.yaml changes how records are read, and the rebuild runs in parts on `workers` workers
    retime(site, "America/New_York", archived)
    counting = Counting(site.content)
    report = with_rebuilds(site, LocalRebuilds(workers), content=counting).apply(["site.yaml"])
    # Then every output equals a from-scratch build under the new site.yaml, every archive document
    # of every feed included, and each record was read once, by its part (the merge cuts the
    # archive pages from the items the parts rendered)
    assert not report.failed_keys
    site.assert_matches_build()
    assert len(archive_documents(site)) > 30
    assert counting.articles_read() == len(keys), {k: n for k, n in counting.gets.items() if n > 1}
    assert {entry["path"] for entry in site.state_report()["rejected"]} >= {"articles/post-017.md"}  # type: ignore[index]
    # And the rebuild left no lease and no plan behind
    root = json.loads(site.output.get("_state/root.json").body)
    assert "rebuild" not in root
    assert site.output.keys("_state/rebuilds/") == []
    # And incremental publishing goes on from the merged state
    site.put("articles/post-001.md", article("Post 1, revised", "2025-05-01 09:00", ("News",)))
    site.content.delete("articles/post-002.md")
    assert not site.publisher.apply(["articles/post-001.md", "articles/post-002.md"]).failed_keys
    site.assert_matches_build()


def test_a_new_site_is_built_by_a_rebuild_in_parts() -> None:
    # Given a bucket with content and no published state (a new stack)
    site = Site()
    keys = populate(site, 40, seed=3)
    publisher = with_rebuilds(site, LocalRebuilds(4))
    # When the first event arrives
    report = publisher.apply(keys[:1])
    # Then every record is published, as a from-scratch build would
    assert not report.failed_keys
    site.assert_matches_build()


def test_a_failing_part_is_retried_alone_and_the_result_still_equals_a_build() -> None:
    # Given a published site whose rebuild is cut into 4 parts
    site = Site()
    site.publisher.apply(populate(site, 48))
    attempts: dict[int, int] = {}

    def flaky_part(part: int) -> None:
        attempts[part] = attempts.get(part, 0) + 1
        if part == 2 and attempts[part] == 1:
            raise ConnectionError("S3 unreachable while part 2 read its records")

    # When part 2 fails once
    retime(site, "Europe/Paris")
    report = with_rebuilds(site, LocalRebuilds(4, on_part=flaky_part)).apply(["site.yaml"])
    # Then only part 2 runs again, and the result equals a from-scratch build
    assert attempts == {0: 1, 1: 1, 2: 2, 3: 1}
    assert not report.failed_keys
    site.assert_matches_build()


def test_a_part_that_keeps_failing_publishes_nothing_and_gives_the_lease_up() -> None:
    # Given a published site
    site = Site()
    site.publisher.apply(populate(site, 24))
    before = site.public()

    def broken(part: int) -> None:
        if part == 1:
            raise ConnectionError("S3 unreachable")

    # When one part fails on every attempt
    retime(site, "Europe/Paris")
    report = with_rebuilds(site, LocalRebuilds(3, on_part=broken)).apply(["site.yaml"])
    # Then the run fails (the event is retried), the last good feeds stay, and nothing is left held
    assert "site.yaml" in report.failed_keys
    assert site.public() == before
    assert "rebuild" not in json.loads(site.output.get("_state/root.json").body)
    assert site.output.keys("_state/rebuilds/") == []
    # And the retry finishes the job
    assert not site.publisher.apply(["site.yaml"]).failed_keys
    site.assert_matches_build()


def test_a_publish_committed_during_a_rebuild_survives_it() -> None:
    # Given a published site, and publishes that commit while the rebuild's parts run
    site = Site()
    keys = populate(site, 40)
    site.publisher.apply(keys)
    concurrent = site.make_publisher()
    done: list[str] = []

    def publish_meanwhile(part: int) -> None:
        if part == 1 and not done:
            done.append("edit")
            # an edit, a new article and a deletion, each published with its event (old site.yaml)
            site.put("articles/post-003.md", article("Post 3, edited during the rebuild", "2025-04-30 10:00"))
            site.put("articles/new.md", article("Written during the rebuild", "2025-04-29 10:00", ("News",)))
            site.content.delete("articles/post-004.md")
            report = concurrent.apply(["articles/post-003.md", "articles/new.md", "articles/post-004.md"])
            assert not report.failed_keys
            # and an upload whose event is still queued when the merge runs
            site.put("articles/queued.md", article("Uploaded, event queued", "2025-04-28 10:00"))

    # When the rebuild (site.yaml changed) merges after them
    retime(site, "Asia/Tokyo")
    report = with_rebuilds(site, LocalRebuilds(3, on_part=publish_meanwhile)).apply(["site.yaml"])
    # Then nothing they did is lost: the outputs equal a from-scratch build of the bucket as it is now
    assert not report.failed_keys
    site.assert_matches_build()
    feed = site.public()["feed.xml"]
    assert b"Post 3, edited during the rebuild" in feed
    assert b"Written during the rebuild" in feed
    assert b"Uploaded, event queued" in feed
    # And the queued event, when it comes, changes nothing
    assert not site.publisher.apply(["articles/queued.md"]).written


def test_a_crash_of_the_merge_keeps_the_last_good_feeds_and_the_next_run_finishes_the_job() -> None:
    # Given a published site and a rebuild whose merge dies before its commit
    site = Site()
    site.publisher.apply(populate(site, 30))
    before = site.public()
    retime(site, "Asia/Kolkata")
    publisher = with_rebuilds(site, LocalRebuilds(3))
    steps = RebuildSteps(publisher)
    planned = steps.plan("site-yaml-test", RebuildRequest("site.yaml changed"), 3, take_over=False)
    assert planned is not None
    for part in range(planned.parts):
        steps.part(planned.id, part)

    class MergeCrash(BaseException):
        pass

    def die_at_commit(key: str) -> None:
        if key == "_state/root.json":
            raise MergeCrash

    site.output.before_put = die_at_commit
    with pytest.raises(MergeCrash):
        steps.merge(planned.id)
    site.output.before_put = None
    # Then readers still get the last good feeds
    assert site.public() == before
    # When the state machine retries the merge, Then it finishes the job
    retried = RebuildSteps(publisher)
    assert not retried.merge(planned.id).failed_keys
    render_and_finish(retried, planned.id)
    site.assert_matches_build()


def test_the_merge_reads_no_record_again_when_its_parts_rendered_what_the_feeds_show() -> None:
    # Given a published site whose rebuild's parts have read and rendered every record
    site = Site()
    site.publisher.apply(populate(site, 60))
    retime(site, "Pacific/Auckland")
    counting = Counting(site.content)
    steps = RebuildSteps(with_rebuilds(site, LocalRebuilds(4), content=counting))
    planned = steps.plan("site-yaml-items", RebuildRequest("site.yaml changed"), 4, take_over=False)
    assert planned is not None
    assert planned.parts > 1
    for part in range(planned.parts):
        steps.part(planned.id, part)
    assert counting.articles_read() == 60
    counting.gets.clear()
    # When the merge commits their entries
    assert not steps.merge(planned.id).failed_keys
    render_and_finish(steps, planned.id)
    # Then it takes the feeds' items from the parts instead of reading and rendering the records again
    assert counting.articles_read() == 0
    site.assert_matches_build()


def test_the_merge_reads_no_episode_again_when_the_show_holds_more_than_feed_limit() -> None:
    # Given a show of 12 episodes with feed_limit 3 (podcast.xml holds all 12), rebuilt in parts
    show_site = SHOW_SITE.replace(b"language: en\n", b"language: en\nfeed_limit: 3\n")
    show = publish_back_catalogue(12, show_site)
    show.content.put("site.yaml", show_site.replace(b"language: en", b"language: en\ntimezone: Asia/Tokyo"))
    counting = Counting(show.content)
    publisher = Publisher(content=counting, output=show.output, clock=lambda: show.now, websub=False)
    steps = RebuildSteps(publisher)
    planned = steps.plan("site-yaml-show", RebuildRequest("site.yaml changed"), 3, take_over=False)
    assert planned is not None
    for part in range(planned.parts):
        steps.part(planned.id, part)
    counting.gets.clear()
    # When the merge commits their entries
    assert not steps.merge(planned.id).failed_keys
    render_and_finish(steps, planned.id)
    # Then every episode came rendered from the parts, none read again
    assert counting.articles_read() == 0
    show.assert_matches_build()
    assert show.public()["podcast.xml"].count(b"<item>") == 12


def test_an_episode_whose_file_changes_before_the_merge_gets_the_new_enclosure() -> None:
    # Given a published show whose rebuild's parts have read the episode and its media file
    show = Show()
    show.content.put("media/ep12.mp3", tone_mp3(5.0))
    show.content.put("articles/ep12.md", EPISODE)
    show.apply("media/ep12.mp3", "articles/ep12.md")
    show.content.put("site.yaml", SHOW_SITE.replace(b"language: en", b"language: en\ntimezone: Asia/Tokyo"))
    steps = RebuildSteps(show.publisher)
    planned = steps.plan("site-yaml-media", RebuildRequest("site.yaml changed"), 1, take_over=False)
    assert planned is not None
    steps.part(planned.id, 0)
    # When the file is replaced by a longer cut (same record, same record ETag) before the merge
    show.content.put("media/ep12.mp3", tone_mp3(30.0))
    assert not steps.merge(planned.id).failed_keys
    render_and_finish(steps, planned.id)
    # Then the feeds carry the new file's length and duration, not what the part rendered
    show.assert_matches_build()
    assert b"<itunes:duration>30</itunes:duration>" in show.public()["podcast.xml"]


def test_a_rebuild_that_cannot_write_after_its_commit_is_finished_by_the_next_run() -> None:
    # Given a rebuild whose merge commits, then whose render parts and finish cannot write a feed
    site = Site()
    site.publisher.apply(populate(site, 30))
    retime(site, "Asia/Kolkata")
    publisher = with_rebuilds(site, LocalRebuilds(3))

    def bucket_refuses_feeds(key: str) -> None:
        if not key.startswith("_state/"):
            raise ConnectionError("the publish bucket is unreachable")

    site.output.before_put = bucket_refuses_feeds
    report = publisher.apply(["site.yaml"])
    site.output.before_put = None
    assert report.failed_keys
    # When the next run comes (the five-minute due check), Then it writes what the merge committed
    assert not site.publisher.publish_due().failed_keys
    site.assert_matches_build()


def test_a_render_part_that_dies_is_retried_alone_and_the_result_equals_a_build() -> None:
    # Given a rebuild whose archive documents are written by several render parts
    site = Site()
    site.publisher.apply(populate(site, 60))
    retime(site, "Asia/Kolkata")
    attempts: dict[int, int] = {}
    writes = {"archives": 0}

    def count(part: int) -> None:
        attempts[part] = attempts.get(part, 0) + 1

    def die_once_writing_an_archive(key: str) -> None:
        if "/archive/" in f"/{key}" and not key.startswith("_state/"):
            writes["archives"] += 1
            if writes["archives"] == 2:
                raise ConnectionError("the function timed out while writing archive documents")

    publisher = with_rebuilds(site, LocalRebuilds(3, on_render=count))
    site.output.before_put = die_once_writing_an_archive
    # When it runs
    report = publisher.apply(["site.yaml"])
    site.output.before_put = None
    # Then the part that died ran again, alone, and the outputs equal a from-scratch build
    assert not report.failed_keys
    assert len(attempts) > 1
    assert sorted(attempts.values()).count(2) == 1
    assert set(attempts.values()) <= {1, 2}
    site.assert_matches_build()


def test_a_rebuild_superseded_by_a_newer_site_yaml_commits_nothing() -> None:
    # Given a rebuild planned and read under one site.yaml
    site = Site()
    site.publisher.apply(populate(site, 20))
    before = site.public()
    retime(site, "Asia/Tokyo")
    publisher = with_rebuilds(site, LocalRebuilds(2))
    steps = RebuildSteps(publisher)
    planned = steps.plan("site-yaml-first", RebuildRequest("site.yaml changed"), 2, take_over=False)
    assert planned is not None
    for part in range(planned.parts):
        steps.part(planned.id, part)
    # When site.yaml changes again before its merge
    retime(site, "Europe/Berlin")
    report = steps.merge(planned.id)
    # Then it commits nothing and gives its lease up; the newer change's rebuild publishes
    assert report.superseded
    assert site.public() == before
    assert "rebuild" not in json.loads(site.output.get("_state/root.json").body)
    assert not publisher.apply(["site.yaml"]).failed_keys
    site.assert_matches_build()


def test_a_rebuild_in_flight_is_not_started_twice_and_holds_a_first_builds_events() -> None:
    # Given a new stack whose first build runs elsewhere and holds the lease
    site = Site()
    keys = populate(site, 10)
    elsewhere = StartedElsewhere()
    deployed = with_rebuilds(site, elsewhere)
    assert deployed.apply(keys[:2]).rebuild_deferred
    (request,) = elsewhere.requests
    steps = RebuildSteps(deployed)
    planned = steps.plan("no-published-state-1", request, 2, take_over=False)
    assert planned is not None
    # When more events arrive while it runs
    report = deployed.apply(keys[2:4])
    # Then no second rebuild starts, and their keys are retried after the first build commits
    assert len(elsewhere.requests) == 1
    assert report.failed_keys == sorted(keys[2:4])
    # And a second execution for the same site.yaml finds the lease and does nothing
    assert RebuildSteps(deployed).plan("no-published-state-2", request, 2, take_over=False) is None
    for part in range(planned.parts):
        steps.part(planned.id, part)
    assert not steps.merge(planned.id).failed_keys
    render_and_finish(steps, planned.id)
    site.assert_matches_build()
    # And once it has committed, the retried events publish as usual
    assert not deployed.apply(keys[2:4]).failed_keys
    assert not deployed.apply(keys[2:4]).rebuild_deferred


def test_reconcile_hands_many_differences_to_a_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a published site whose records all changed without their events reaching the publisher
    site = Site()
    keys = populate(site, 30)
    site.publisher.apply(keys)
    for number, key in enumerate(keys):
        site.put(key, article(f"Rewritten {number}", "2025-03-03 10:00", ("News",)))
    elsewhere = StartedElsewhere()
    deployed = with_rebuilds(site, elsewhere)
    # When the hourly reconcile finds more differences than it applies in place
    monkeypatch.setattr("feedpub.publish.engine.REBUILD_ABOVE", 10)
    report = deployed.reconcile()
    # Then it starts a rebuild instead, whatever site.yaml is published
    assert report.rebuild_deferred
    assert [request.site_etag for request in elsewhere.requests] == [""]
    # And the same reconcile here, with a local pool, rebuilds them all
    assert not site.publisher.reconcile().failed_keys
    site.assert_matches_build()


# -- site.yaml changes that only re-render the feeds ---------------------------------------------


@pytest.mark.parametrize(
    ("change", "records_read"),
    [
        ((b"title: Test Site", b"title: Renamed Site"), 0),
        ((b"feed_limit: 3", b"feed_limit: 3\ndescription: New words\nlanguage: fr"), 0),
        ((b"feed_limit: 3", b"feed_limit: 2"), 0),
        ((b"feed_limit: 3", b"feed_limit: 5"), None),  # within the reserve: only the newly shown
        ((b"feed_limit: 3", b"feed_limit: 12"), None),  # beyond it: refilled from the shards
        ((b"timezone: UTC", b"timezone: UTC\nhub: https://hub.example.net/"), 0),
        ((b"timezone: UTC", b"timezone: UTC\ncontent: {tags: summary}"), 0),
        ((b"timezone: UTC", b"timezone: UTC\nfeed_max_bytes: 16384"), 0),
        # a new feed of site.yaml over the existing state: regrouped from the shards, its items
        # taken from the pages that held them
        ((b"timezone: UTC", b"timezone: UTC\nfeeds: {films: {tags: {any: [Film]}}}"), 0),
        # archive pages of another size: cut again from the items the old pages hold
        ((b"timezone: UTC", b"timezone: UTC\narchive_page_size: 4"), 0),
    ],
)
def test_a_feed_level_site_yaml_change_re_renders_from_the_state(
    change: tuple[bytes, bytes], records_read: int | None
) -> None:
    # Given a published site of 40 articles, deployed (its render steps run in the state machine)
    site = Site()
    site.publisher.apply(populate(site, 40))
    counting = Counting(site.content)
    elsewhere = StartedElsewhere()
    publisher = with_rebuilds(site, elsewhere, content=counting)
    # When site.yaml changes at feed level only
    site.put("site.yaml", SITE.replace(*change))
    report = publisher.apply(["site.yaml"])
    # Then no rebuild starts: the change is committed from the heads the state keeps, and only the
    # render step of its archive documents (and its finish) is left to the state machine
    assert not report.failed_keys
    assert elsewhere.requests == []
    (plan_id,) = elsewhere.renders
    assert report.rebuild_deferred
    # And once that has run, every document is what a from-scratch build publishes
    render_and_finish(RebuildSteps(publisher), plan_id)
    site.assert_matches_build()
    # And it reads no record, or only those the feeds now show and did not before
    if records_read is not None:
        assert counting.articles_read() == records_read
    else:
        shown = {
            item["id"]
            for path, body in site.public().items()
            if path.endswith("feed.json")
            for item in json.loads(body)["items"]
        }
        assert 0 < counting.articles_read() <= len(shown)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(b"archive_page_size: 4\nfeeds: {films: {tags: {any: [Film]}}}\n", id="a feed added"),
        pytest.param(b"archive_page_size: 6\n", id="archive pages cut again"),
    ],
)
def test_a_membership_change_published_with_edits_of_old_articles_shows_the_edits(change: bytes) -> None:
    # Given a published site of 60 articles, with archive pages of 4 members on average
    site = Site(SITE + b"archive_page_size: 4\n")
    site.publisher.apply(populate(site, 60))
    # When one batch brings a site.yaml that regroups the feeds or cuts their pages again, and old
    # articles edited in place (same date, same tags: their old pages hold their previous version)
    site.put("site.yaml", SITE + change)
    edited = ["articles/post-001.md", "articles/post-002.md"]
    for key in edited:
        site.put(key, site.content.get(key).body.replace(b".\n", b", corrected.\n"))
    report = site.publisher.apply(["site.yaml", *edited])
    # Then every document is what a from-scratch build publishes: the edits, not the old items
    assert not report.failed_keys
    site.assert_matches_build()
    public = site.public()
    assert sum(b"corrected" in public[path] for path in archive_documents(site)) >= 2


SHOW = {
    "description": "A show.",
    "language": "en",
    "image": "https://www.example.org/show.jpg",
    "categories": ["TV & Film"],
    "explicit": False,
    "owner": {"email": "desk@example.org"},
}
PAGED = {"feed_limit": 3, "archive_page_size": 4}
TWO_FEEDS = {"films": {"tags": {"any": ["Film"]}}, "news": {"tags": {"any": ["News"]}}}


def populate_all_kinds(site: Site, count: int) -> list[str]:
    """Articles in tags and author feeds, episodes, drafts, scheduled ones and ones that expire
    (some before NOW, some within the next two months)."""
    rng = random.Random(3)
    keys = []
    for number in range(count):
        extra = "draft: true\n" if number % 11 == 0 else ""
        if number % 7 == 0:
            extra += f"author: {rng.choice(['Ann', 'Bob', 'Cy'])}\n"
        if number % 5 == 0:
            url = f"https://cdn.example.org/ep{number}.mp3"
            extra += f"enclosure: {{url: '{url}', mime_type: audio/mpeg, length: 9}}\nduration: 60\n"
        if number % 13 == 0:
            extra += "expiryDate: 2025-05-15\n" if number % 2 else "expiryDate: 2025-07-15\n"
        month = "07" if number % 19 == 0 else rng.choice(["01", "02", "03", "04"])
        date = f"2025-{month}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:00"
        keys.append(f"articles/all-{number:03d}.md")
        site.put(keys[-1], article(f"Post {number}", date, tuple(rng.sample(TAGS, rng.randint(0, 3))), extra))
    return keys


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            {**PAGED, "feeds": TWO_FEEDS}, {**PAGED, "feeds": {"news": TWO_FEEDS["news"]}}, id="feed removed"
        ),
        pytest.param(
            {**PAGED, "feeds": TWO_FEEDS},
            {**PAGED, "feeds": {**TWO_FEEDS, "films": {"tags": {"any": ["News", "Reviews"]}}}},
            id="selection edited",
        ),
        pytest.param(
            PAGED,
            {**PAGED, "feeds": {"s": {"tags": {"any": ["Film"]}, "content": "summary"}}},
            id="summaries",
        ),
        pytest.param({**PAGED, "archive_page_size": 6}, PAGED, id="pages cut smaller"),
        pytest.param(
            {**PAGED, "podcast": {**SHOW, "episode_limit": 2}},
            {**PAGED, "podcast": {**SHOW, "episode_limit": 2}, "archive_page_size": 3},
            id="archived podcast",
        ),
        pytest.param(
            {**PAGED, "podcast": SHOW}, {**PAGED, "podcast": SHOW, "feeds": TWO_FEEDS}, id="podcast"
        ),
        pytest.param(
            {"archive_page_size": 4, "podcast": {**SHOW, "episode_limit": 2}},
            {"archive_page_size": 3, "podcast": {**SHOW, "episode_limit": 2}},
            id="no main feed pages",
        ),
        pytest.param(
            {**PAGED, "content": {"tags": "summary"}},
            {**PAGED, "content": {"main": "summary"}, "feeds": TWO_FEEDS},
            id="content modes",
        ),
    ],
)
@pytest.mark.parametrize("indexed", [False, True], ids=["inline", "index objects"])
def test_a_membership_change_in_one_batch_with_record_changes_equals_a_build(
    before: dict[str, object], after: dict[str, object], indexed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if indexed:  # heads keep one page inline and index objects of two pages, of several levels
        monkeypatch.setattr(pages_module, "INDEX_PAGES", 2)
        monkeypatch.setattr(pages_module, "INLINE_PAGES", 1)
    # Given a published site of 70 articles of every kind of feed, drafts, scheduled and expiring ones
    site = Site(site_yaml(**before))
    keys = populate_all_kinds(site, 70)
    site.publisher.apply(keys)
    # When one batch brings a site.yaml that regroups the feeds or cuts their pages again, five old
    # articles edited in place, one deleted and two added, two months later (scheduled articles
    # fall due, others expire)
    site.put("site.yaml", site_yaml(**after))
    edited = keys[1:6]
    for key in edited:
        site.put(key, site.content.get(key).body.replace(b"Body", b"Edited body"))
    site.content.delete(keys[8])
    site.put("articles/new-1.md", article("New one", "2025-03-03 03:00", ("Film", "News"), "author: Ann\n"))
    site.put("articles/new-2.md", article("New two", "2025-01-02 03:00", ("Reviews",)))
    site.now += timedelta(days=60)
    publisher = with_rebuilds(site, LocalRebuilds(2))
    report = publisher.apply(["site.yaml", *edited, keys[8], "articles/new-1.md", "articles/new-2.md"])
    # Then every document is what a from-scratch build publishes
    assert not report.failed_keys
    site.assert_matches_build()
    # And the state records what a from-scratch build records: a rebuild rewrites no archive document
    rebuilt = publisher.rebuild()
    assert not rebuilt.failed_keys
    assert [path for path in rebuilt.written if path in archive_documents(site)] == []
    # And so does the change back, made from the pages this one cut
    site.put("site.yaml", site_yaml(**before))
    assert not publisher.apply(["site.yaml"]).failed_keys
    site.assert_matches_build()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"archive_page_size": 2}, id="archive pages cut smaller"),
        pytest.param(
            {"archive_page_size": 2, "feeds": {"longs": {"tags": {"exclude": ["Short"]}}}}, id="a feed added"
        ),
    ],
)
def test_a_membership_change_takes_items_the_main_feed_kept_summary_only_from_other_feeds_in_full(
    change: dict[str, object],
) -> None:
    # Given 48 long articles, each with a tag of its own, under a byte budget that lets a main
    # feed's archive page of about 8 of them hold each summary-only, and a tag's page of one in full
    settings = {"feed_limit": 3, "archive_page_size": 8, "feed_max_bytes": 20_000}
    site = Site(site_yaml(**settings))
    words = random.Random(5)
    keys = []
    for number in range(48):
        keys.append(f"articles/long-{number:02d}.md")
        body = " ".join(words.choice(["alpha", "beta", "gamma", "delta"]) for _ in range(200))
        date = f"2025-02-{number // 2 + 1:02d} {number % 2 + 8:02d}:00"
        site.put(keys[-1], article(f"Long {number}", date, (f"Solo {number}",), body=body))
    site.publisher.apply(keys)

    def main_summary_only() -> int:
        documents = [path for path in archive_documents(site) if "/" not in path.partition("archive/")[0]]
        items = [
            item
            for path in documents
            if path.endswith(".json")
            for item in json.loads(site.public()[path])["items"]
        ]
        return sum("content_html" not in item for item in items)

    summary_only_before = main_summary_only()
    counting = Counting(site.content)
    publisher = with_rebuilds(site, LocalRebuilds(2), content=counting)
    # When site.yaml cuts the archive pages smaller (and adds a feed of every article), so that the
    # main feed's pages now show in full many of the articles they held summary-only
    site.put("site.yaml", site_yaml(**{**settings, **change}))
    report = publisher.apply(["site.yaml"])
    # Then every document is what a from-scratch build publishes
    assert not report.failed_keys
    site.assert_matches_build()
    assert main_summary_only() < summary_only_before - 10
    # And no article is read again: each item shown in full again comes from its tag's old page
    assert counting.articles_read() == 0


def test_a_membership_change_reads_each_old_page_of_the_main_feed_about_once_when_tags_show_summaries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a published site of 200 articles in 5 tags, whose tag feeds are set to summaries (their
    # archive pages hold every item summary-only, which is all they show)
    settings: dict[str, object] = {"feed_limit": 3, "archive_page_size": 4, "content": {"tags": "summary"}}
    site = Site(site_yaml(**settings))
    rng = random.Random(3)
    keys = [f"articles/a{number:03d}.md" for number in range(200)]
    for number, key in enumerate(keys):
        date = f"2025-0{1 + number % 4}-{1 + number % 28:02d} {number % 24:02d}:{number % 60:02d}"
        site.put(key, article(f"A {number}", date, tuple(rng.sample(TAGS, 2))))
    site.publisher.apply(keys)
    root = json.loads(site.output.get("_state/root.json").body)

    def stored(key: str) -> Any:
        return json.loads(site.output.get(key).body)

    main_pages = {page["object"] for page in all_descriptors(stored(root["feeds"][""]["head"]), stored)}
    reads: Counter[str] = Counter()
    load = StateStore.load

    def counted_load(state: StateStore, key: str) -> Any:
        reads[key] += 1
        return load(state, key)

    monkeypatch.setattr(StateStore, "load", counted_load)
    # When site.yaml cuts the archive pages again
    site.put("site.yaml", site_yaml(**{**settings, "archive_page_size": 6}))
    report = with_rebuilds(site, LocalRebuilds(2)).apply(["site.yaml"])
    # Then every document is what a from-scratch build publishes
    assert not report.failed_keys
    site.assert_matches_build()
    # And the main feed's old pages were read about once each (for its own new pages and head),
    # not once for each tag page member its tag held summary-only (a copy in full is looked for
    # only where a page shows it in full)
    assert sum(reads[key] for key in main_pages) <= 2 * len(main_pages)


def test_a_site_yaml_edit_that_changes_no_setting_publishes_nothing_again() -> None:
    site = Site()
    site.publisher.apply(populate(site, 10))
    counting = Counting(site.content)
    publisher = with_rebuilds(site, StartedElsewhere(), content=counting)
    site.put("site.yaml", SITE + b"# a comment\n")
    report = publisher.apply(["site.yaml"])
    assert not report.rebuild_deferred
    assert report.written == []
    assert counting.articles_read() == 0
    # And the state records the new version: the next event does not see a change again
    assert not publisher.apply(["site.yaml"]).written


@pytest.mark.parametrize("seed", range(4))
def test_random_changes_with_rebuilds_in_between_always_equal_a_fresh_build(seed: int) -> None:
    rng = random.Random(seed)
    site = Site()
    keys = populate(site, 30)
    site.publisher.apply(keys)
    zones = ["UTC", "Europe/Paris", "Asia/Tokyo", "America/Denver"]
    for step in range(6):
        # Given edits (with their events) and a site.yaml that may or may not change, time passing
        changed = rng.sample(keys, 5)
        for key in changed:
            date = f"2025-0{rng.randint(1, 6)}-0{rng.randint(1, 9)} 12:00"
            site.put(key, article(f"{key} at {step}", date))
        retime(site, rng.choice(zones))
        site.now += timedelta(days=rng.choice([0, 20]))
        # When they are published in one batch, a rebuild in parts when the time zone changed
        report = with_rebuilds(site, LocalRebuilds(rng.choice([1, 2, 5]))).apply(["site.yaml", *changed])
        # Then the outputs equal a from-scratch build
        assert not report.failed_keys, step
        site.assert_matches_build()


def merged_rebuild(site: Site, zone: str) -> tuple[RebuildSteps, str]:
    """A rebuild of `site` under a new time zone whose merge has committed; its render step not run."""
    retime(site, zone)
    steps = RebuildSteps(with_rebuilds(site, LocalRebuilds(3)))
    planned = steps.plan("site-yaml-render", RebuildRequest("site.yaml changed"), 3, take_over=False)
    assert planned is not None
    for part in range(planned.parts):
        steps.part(planned.id, part)
    assert not steps.merge(planned.id).failed_keys
    return steps, planned.id


def test_the_merge_leaves_the_archive_documents_to_render_parts_that_each_write_a_share() -> None:
    # Given a published site with archive pages, rebuilt under a new time zone
    site = Site()
    site.publisher.apply(populate(site, 60))
    before = site.public()
    steps, plan_id = merged_rebuild(site, "Asia/Kolkata")
    # When the merge has committed, Then readers still get the last good feeds: it wrote none
    assert site.public() == before
    # When its render parts run, Then each writes a share of the archive documents and no feed document
    parts = steps.render_parts(plan_id, 3)
    assert parts > 1
    shares = []
    for part in range(parts):
        written_before = site.public()
        steps.render(plan_id, part, parts)
        changed = {path for path, body in site.public().items() if written_before.get(path) != body}
        assert changed
        assert all("/archive/" in f"/{path}" for path in changed)
        shares.append(changed)
    assert sum(len(share) for share in shares) == len(set().union(*shares))
    # And once the finish step has written the feed documents, the site equals a from-scratch build
    assert not steps.finish(plan_id).failed_keys
    site.assert_matches_build()
    root = json.loads(site.output.get("_state/root.json").body)
    assert root["pending"] == []
    assert "rendering" not in root
    # And the CDN is told about every document the render parts wrote
    invalidated = set(site.cdn.batches[-1])
    assert all(f"/{path}" in invalidated or "/*" in invalidated for share in shares for path in share)


def test_a_publish_committed_while_the_render_parts_run_survives_them() -> None:
    # Given a rebuild whose merge committed, and whose first render part has run
    site = Site()
    keys = populate(site, 60)
    site.publisher.apply(keys)
    steps, plan_id = merged_rebuild(site, "Asia/Kolkata")
    parts = steps.render_parts(plan_id, 3)
    steps.render(plan_id, 0, parts)
    # When an author edits every post and adds one while the other parts have not run yet
    for number, key in enumerate(keys):
        if number % 17:
            site.put(key, article(f"Post {number}, edited during the render", "2025-02-02 10:00", ("News",)))
    site.put("articles/new.md", article("Written during the render", "2025-05-05 10:00", ("Film",)))
    deployed = with_rebuilds(site, StartedElsewhere())
    during = deployed.apply([*keys, "articles/new.md"])
    assert not during.failed_keys
    # Then that publish wrote the archive documents its own change rendered, and left the others
    root = json.loads(site.output.get("_state/root.json").body)
    assert root["rendering"]["plan"] == plan_id
    # When the remaining parts and the finish run
    for part in range(1, parts):
        steps.render(plan_id, part, parts)
    assert not steps.finish(plan_id).failed_keys
    # Then nothing the author did is lost: the outputs equal a from-scratch build of the bucket
    site.assert_matches_build()
    assert any(b"edited during the render" in site.public()[path] for path in archive_documents(site))


def test_a_run_during_the_render_step_writes_no_archive_document_it_did_not_change() -> None:
    # Given a rebuild whose merge committed, its render parts not yet run
    site = Site()
    site.publisher.apply(populate(site, 60))
    steps, plan_id = merged_rebuild(site, "Asia/Kolkata")
    pending = json.loads(site.output.get("_state/root.json").body)["pending"]
    archived = [path for path in pending if "/archive/" in f"/{path}"]
    assert archived
    # When the five-minute due check runs in the meantime
    report = with_rebuilds(site, StartedElsewhere()).publish_due()
    # Then it writes the feed documents but leaves every archive document to the render parts
    assert not report.failed_keys
    assert not [path for path in report.written if "/archive/" in f"/{path}"]
    root = json.loads(site.output.get("_state/root.json").body)
    assert sorted(root["pending"]) == sorted(archived)
    # And the render step then finishes the job
    render_and_finish(steps, plan_id)
    site.assert_matches_build()


def test_a_render_part_racing_a_publish_never_leaves_its_older_documents_served() -> None:
    # Given a rebuild whose merge committed, and an author whose edits are published while a render
    # part is writing: after it rendered its documents, before its writes land
    site = Site()
    keys = populate(site, 60)
    site.publisher.apply(keys)
    steps, plan_id = merged_rebuild(site, "Asia/Kolkata")
    parts = steps.render_parts(plan_id, 3)
    deployed = with_rebuilds(site, StartedElsewhere())
    race = {"done": False}

    def publish_first(key: str) -> None:
        if not race["done"] and "/archive/" in f"/{key}" and not key.startswith("_state/"):
            race["done"] = True
            for number, edited in enumerate(keys):
                if number % 17:
                    site.put(edited, article(f"Post {number}, raced", "2025-02-02 10:00", ("News",)))
            assert not deployed.apply(keys).failed_keys

    site.output.before_put = publish_first
    # When the render parts and the finish run
    for part in range(parts):
        steps.render(plan_id, part, parts)
    site.output.before_put = None
    assert race["done"]
    assert not steps.finish(plan_id).failed_keys
    # Then what readers get equals a from-scratch build: no archive document is left from before the edits
    site.assert_matches_build()


def test_a_feed_limit_change_rewrites_only_the_archive_documents_it_changes() -> None:
    # Given a published site of many archive pages, whose documents were last written by a
    # feed-level change
    paged = SITE + b"archive_page_size: 4\n"
    site = Site(paged)
    site.publisher.apply(populate(site, 60))
    renamed = paged.replace(b"title: Test Site", b"title: Renamed Site")
    site.put("site.yaml", renamed)
    assert not site.publisher.apply(["site.yaml"]).failed_keys
    archived = set(archive_documents(site))
    # When feed_limit grows by one
    site.put("site.yaml", renamed.replace(b"feed_limit: 3", b"feed_limit: 4"))
    report = site.publisher.apply(["site.yaml"])
    # Then readers get what a from-scratch build publishes, and only the documents whose members
    # or links moved were written again (each feed's older documents stay as they were)
    assert not report.failed_keys
    site.assert_matches_build()
    rewritten = {path for path in report.written if path in archived}
    assert rewritten
    assert len(rewritten) < len(archived) / 2
