"""Concurrent handler runs over interleaved changes: no lost update, whatever the interleaving."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest

from tests.integration.conftest import SITE_YAML, Pipeline
from tests.support.builders import article

TAGS = ("Film", "News", "Reviews", "Interviews")
KEYS = [f"articles/post-{n:02d}.md" for n in range(12)]


def change_one(site: Pipeline, rng: random.Random) -> str:
    """Edit (title, date, tags), delete or re-create one article; return its key."""
    key = rng.choice(KEYS)
    if rng.random() < 0.2:
        site.remove(key)
    else:
        tags = rng.sample(TAGS, rng.randint(0, 2))
        day = rng.randint(1, 28)
        site.upload(key, article(f"{key} rev {rng.randint(0, 10**6)}", f"2024-02-{day:02d}", tags))
    return key


def deliver_until_done(site: Pipeline, event: dict[str, Any]) -> None:
    """Invoke the handler; redeliver failed messages as SQS would (bounded)."""
    for _ in range(20):
        failures = {item["itemIdentifier"] for item in site.invoke(event)["batchItemFailures"]}
        if not failures:
            return
        event = {"Records": [m for m in event["Records"] if m["messageId"] in failures]}
    raise AssertionError("messages kept failing")


@pytest.mark.parametrize(("runs", "rounds"), [(2, 20), (8, 8)])
def test_concurrent_runs_over_interleaved_changes_equal_a_fresh_build(
    pipeline: Pipeline, runs: int, rounds: int
) -> None:
    # Given a published site
    site = pipeline
    site.upload("site.yaml", SITE_YAML)
    for key in KEYS:
        site.upload(key, article(key, "2024-01-01", ["Film"]))
    deliver_until_done(site, site.event(KEYS))
    errors: list[BaseException] = []
    for round_number in range(rounds):

        def author_and_function(seed: int) -> None:
            # When authors change articles and the handler runs concurrently for each change
            rng = random.Random(seed)
            try:
                keys = [change_one(site, rng) for _ in range(rng.randint(1, 2))]
                deliver_until_done(site, site.event(keys))
            except BaseException as exc:
                errors.append(exc)

        threads = [
            threading.Thread(target=author_and_function, args=(round_number * 100 + n,)) for n in range(runs)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Then no update is lost: the feeds equal a from-scratch build of the final content
        assert errors == [], f"round {round_number}"
        site.assert_matches_build()
