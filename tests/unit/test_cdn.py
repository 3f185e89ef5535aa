"""CloudFront invalidations stay within CloudFront's limits whatever a run changes."""

from __future__ import annotations

from typing import Any

from feedpub.publish.cdn import MAX_FILE_PATHS, MAX_WILDCARDS, CloudFrontInvalidator, coalesce


class RecordingCloudFront:
    def __init__(self) -> None:
        self.batches: list[dict[str, Any]] = []

    def create_invalidation(self, DistributionId: str, InvalidationBatch: dict[str, Any]) -> None:
        self.batches.append(InvalidationBatch)


def _covered(path: str, items: list[str]) -> bool:
    return any(item == path or (item.endswith("*") and path.startswith(item[:-1])) for item in items)


def test_a_usual_run_invalidates_exactly_the_paths_it_changed() -> None:
    # Given a run that changed a few feeds, when invalidated, then exactly those paths are sent, once each
    paths = ["/feed.xml", "/tags/film/feed.xml", "/feed.xml", "/atom.xml"]
    assert coalesce(paths) == ["/atom.xml", "/feed.xml", "/tags/film/feed.xml"]


def test_a_rebuild_of_a_site_with_thousands_of_tag_feeds_is_sent_as_a_wildcard() -> None:
    # Given a rebuild that changed 3 documents of each of 2,000 tags and the main feeds
    # (6,003 paths: CloudFront would refuse them, 3,000 at most may be in progress)
    tags = [f"/tags/t{n}/{name}" for n in range(2000) for name in ("feed.xml", "atom.xml", "feed.json")]
    paths = [*tags, "/feed.xml", "/atom.xml", "/feeds.opml"]
    # When coalesced
    items = coalesce(paths)
    # Then the tag folder is one wildcard, the main files stay exact, and every changed path is covered
    assert items == ["/tags/*", "/atom.xml", "/feed.xml", "/feeds.opml"]
    assert all(_covered(path, items) for path in paths)


def test_many_folders_collapse_largest_first_and_at_worst_to_everything() -> None:
    # Given changes spread over authors, tags and site feeds, beyond the file budget
    spread = [f"/{folder}/x{n}/feed.xml" for folder in ("tags", "authors", "feeds") for n in range(600)]
    items = coalesce(spread)
    # Then the wildcards are few and every path is covered
    assert sum(item.endswith("*") for item in items) <= MAX_WILDCARDS
    assert len(items) <= MAX_FILE_PATHS
    assert all(_covered(path, items) for path in spread)
    # Given thousands of top-level files (no folder to collapse), then the whole site is invalidated
    flat = [f"/file{n}.xml" for n in range(MAX_FILE_PATHS + 1)]
    assert coalesce(flat) == ["/*"]


def test_the_invalidator_sends_one_request_with_the_coalesced_paths_and_none_for_nothing() -> None:
    cloudfront = RecordingCloudFront()
    invalidator = CloudFrontInvalidator(cloudfront, "E123")
    invalidator.invalidate([])
    assert cloudfront.batches == []
    invalidator.invalidate([f"/tags/t{n}/feed.xml" for n in range(MAX_FILE_PATHS + 1)])
    assert [batch["Paths"] for batch in cloudfront.batches] == [{"Quantity": 1, "Items": ["/tags/*"]}]
