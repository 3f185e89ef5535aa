"""Concurrent publishers and random change sequences: no lost update, and always the from-scratch result."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest

from feedpub.publish import Publisher
from tests.support.builders import article, site_yaml
from tests.unit.test_publish_engine import Site

TAGS = ("Film", "News", "Interviews", "Reviews", "film")  # "film" folds into Film's feed
# Small feeds and archive pages: every comparison with a from-scratch build covers the archives.
ARCHIVED_SITE = site_yaml(feed_limit=3, archive_page_size=3)


# Every kind of feed at once, and a byte budget small enough that items keep moving between full
# and summary-only as articles come, grow, shrink and go.
KINDS_SITE = site_yaml(
    feed_limit=3,
    feed_max_bytes=16 * 1024,
    authors={
        "jane": {"name": "Jane Doe", "avatar": "https://www.example.org/jane.png"},
        "sam": {"name": "Sam"},
    },
    feeds={
        "jane-on-film": {"tags": {"any": ["Film"]}, "authors": ["jane"]},
        "no-news": {"tags": {"exclude": ["News"]}, "content": "summary"},
    },
    content={"tags": "summary"},
)
AUTHOR_LINES = ("", "author: jane\n", "author: Guest Writer\n", "authors: [jane, sam]\n", "author: [sam]\n")


def random_change(rng: random.Random, site: Site, keys: list[str], kinds: bool = False) -> str:
    """Create, edit, draft, re-date, re-id, break or delete one random article; return its key.

    With `kinds`, articles also change authors and now and then carry a body of several kB."""
    key = rng.choice(keys)
    roll = rng.random()
    if roll < 0.2:
        site.content.delete(key)
        return key
    day = rng.randint(1, 28)
    month = rng.choice(["05", "06"])  # some dates fall after the clock: scheduled
    extra = ""
    if rng.random() < 0.15:
        extra += "draft: true\n"
    if rng.random() < 0.15:
        extra += f"id: urn:shared:{rng.randint(1, 2)}\n"
    if rng.random() < 0.05:
        site.put(key, b"---\ntitle: broken\n")
        return key
    tags = tuple(rng.sample(TAGS, rng.randint(0, 3)))
    body = None
    if kinds:
        extra += rng.choice(AUTHOR_LINES)
        if rng.random() < 0.3:
            body = (
                f"Large article {rng.random()}.\n\n"
                + "A paragraph of <em>some</em> length. " * rng.randint(50, 300)
            )
    title = f"{key} v{rng.randint(1, 10**6)}"
    site.put(key, article(title, f"2025-{month}-{day:02d} 10:00", tags, extra, body=body))
    return key


@pytest.mark.parametrize("seed", range(12))
def test_random_change_sequences_always_equal_a_fresh_build(seed: int) -> None:
    # Given a site and a random sequence of single and batched changes, with time passing
    rng = random.Random(seed)
    site = Site(ARCHIVED_SITE)
    keys = [f"articles/{name}.md" for name in "abcdefghij"]
    for step in range(25):
        changed = {random_change(rng, site, keys) for _ in range(rng.choice([1, 1, 1, 3]))}
        if rng.random() < 0.1:
            site.now += timedelta(days=3)
        # When the publisher applies the changed keys
        report = site.publisher.apply(sorted(changed))
        # Then the published outputs equal a from-scratch build of the bucket as it is now
        assert report.failed_keys == [], f"step {step}"
        site.assert_matches_build()


@pytest.mark.parametrize("seed", range(8))
def test_random_changes_to_every_feed_kind_under_a_tight_budget_always_equal_a_fresh_build(seed: int) -> None:
    # Given a site with author feeds, feeds of site.yaml, a kind set to summary and a 16 kB budget
    rng = random.Random(1000 + seed)
    site = Site(KINDS_SITE)
    keys = [f"articles/{name}.md" for name in "abcdefgh"]
    for step in range(25):
        changed = {random_change(rng, site, keys, kinds=True) for _ in range(rng.choice([1, 1, 2]))}
        if rng.random() < 0.1:
            site.now += timedelta(days=3)
        # When the publisher applies the changed keys
        report = site.publisher.apply(sorted(changed))
        # Then every feed of every kind equals a from-scratch build of the bucket as it is now
        assert report.failed_keys == [], f"step {step}"
        site.assert_matches_build()


def test_commit_race_is_retried_without_losing_either_change() -> None:
    # Given a published site and two publishers
    site = Site(ARCHIVED_SITE)
    site.put("articles/a.md", article("Alpha", "2025-01-01", ("Film",)))
    site.publisher.apply(["articles/a.md"])
    other = site.make_publisher()
    site.put("articles/b.md", article("Beta", "2025-01-02", ("News",)))
    site.put("articles/c.md", article("Gamma", "2025-01-03", ("Film",)))
    fired = threading.Event()

    def another_writer_commits_first(key: str) -> None:
        if key == "_state/root.json" and not fired.is_set():
            fired.set()
            assert other.apply(["articles/c.md"]).failed_keys == []

    # When the other publisher commits between this run's root read and its root write
    site.output.before_put = another_writer_commits_first
    report = site.publisher.apply(["articles/b.md"])
    site.output.before_put = None
    # Then this run retries, and both changes are published
    assert fired.is_set()
    assert report.failed_keys == []
    site.assert_matches_build()
    feed = site.output.get("feed.json").body
    assert b"Beta" in feed
    assert b"Gamma" in feed


@pytest.mark.parametrize("workers", [2, 8])
def test_concurrent_publishers_over_interleaved_changes_converge(workers: int) -> None:
    # Given N threads, each with its own publisher, changing and publishing the same articles
    site = Site(ARCHIVED_SITE)
    keys = [f"articles/{name}.md" for name in "abcdefgh"]
    for key in keys:
        site.put(key, article(key, "2025-01-01", ("Film",)))
    site.publisher.apply(keys)
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        publisher: Publisher = site.make_publisher()
        try:
            for _ in range(10):
                key = random_change(rng, site, keys)
                while publisher.apply([key]).failed_keys:  # SQS would redeliver it
                    pass
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then no update is lost: the outputs equal a from-scratch build of the final content
    assert errors == []
    site.assert_matches_build()
