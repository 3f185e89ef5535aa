"""Rebuilds that fan out: every record read again, in parts that run in parallel, merged in one
commit, whose archive documents are then written by render parts that run in parallel.

A rebuild (a site.yaml change that needs the records, a lost state, many records changed without
their events) has five steps, the same code wherever they run:

1. plan: take the rebuild lease in the state root (If-Match), LIST the content, group the records
   by the state's record shard (a part is a contiguous range of shards) and write one manifest per
   part under `_state/rebuilds/<plan>/`.
2. part, many at once: read and parse the records of one manifest under the plan's site.yaml and
   write their shard entries. A part that fails is retried alone; it writes nothing else.
3. merge: one commit from every part's entries with the publisher's protocol (`Publisher.merge`):
   records committed or changed since the parts read them are read again after the root, and the
   root is replaced with If-Match, so a publish committed during the rebuild is never lost. It
   renders no archive document: it records what decides each one (outputs.deferred_digest),
   leaves it pending and takes the render lease (root["rendering"]); it writes nothing public, so
   a merge that dies leaves the last good outputs served.
4. render, many at once: a share of the pending archive documents (render_part_of), rendered from
   the committed state and written, then taken out of `pending` unless what decides them changed
   meanwhile (`OutputWriter.write_archives`, publish/writer.py). Retried alone.
5. finish: an ordinary flush (feed documents after the archive documents they link to, whatever
   the render parts left, deletions), which ends the render lease; one CDN invalidation for all.

`StepFunctionsRebuilds` starts RebuildStateMachine (template.yaml), whose steps call RebuildFunction
(handlers/rebuild.py); `LocalRebuilds` runs the same steps in this process on a pool of threads
(`feedpub dev`, the command line, tests). Abandon (after a step fails for good) gives both leases
up: the next run's flush then writes whatever is still pending.

The lease (root["rebuild"]: plan, site.yaml ETag, expiry) keeps a second rebuild of the same
site.yaml from starting while one is in flight, and tells the merge whether it is still the
rebuild the state waits for. It lapses after LEASE_S, the state machine's own timeout.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import random
import re
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from feedpub.config import SITE_FILE, parse_site
from feedpub.errors import SiteConfigError
from feedpub.publish import outputs
from feedpub.publish.reader import PartEntries
from feedpub.publish.report import PublishReport
from feedpub.publish.state import SHARD_DIGITS, encode, shard_of
from feedpub.publish.store import NotFoundError, PreconditionFailedError, StoredObject, UnreadableObjectError

if TYPE_CHECKING:
    from feedpub.publish.engine import Publisher

log = logging.getLogger("feedpub.publish")

REBUILDS_DIR = "rebuilds/"  # under the state prefix
LEASE_S = 3600  # RebuildStateMachine's TimeoutSeconds
SHARDS = 16**SHARD_DIGITS
# A part reads at most this many records (about 16 s of a 1024 MB Lambda, docs/benchmarks.md),
# and a small site is not cut into parts of fewer than MIN_RECORDS_PER_PART.
RECORDS_PER_PART = 5000
MIN_RECORDS_PER_PART = 250
# A render part writes at most this many archive documents (about two minutes of a 1024 MB Lambda:
# 1,516 took 41 s at 100,000 articles, docs/benchmarks.md), and no fewer than MIN_DOCUMENTS_PER_PART
# unless the site has fewer.
DOCUMENTS_PER_PART = 4000
MIN_DOCUMENTS_PER_PART = 200
PART_ATTEMPTS = 3  # LocalRebuilds' retries of a part (or the finish), as the state machine's Retry


@dataclass(frozen=True)
class RebuildRequest:
    reason: str  # for the logs and the execution's name
    # The site.yaml version this rebuild is for: a plan that finds it published does nothing.
    # Empty: rebuild whatever is published.
    site_etag: str = ""


@dataclass(frozen=True)
class PlannedRebuild:
    id: str
    reason: str
    site: StoredObject  # the site.yaml every part parses with
    parts: int

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.id,
            "reason": self.reason,
            "site": {"etag": self.site.etag, "text": self.site.body.decode("utf-8")},
            "parts": self.parts,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlannedRebuild:
        site = StoredObject(data["site"]["text"].encode("utf-8"), data["site"]["etag"])
        return cls(data["plan"], data["reason"], site, data["parts"])


class RebuildRunner(Protocol):
    # True when the steps run in other processes: a live lease then means a rebuild is in flight.
    concurrent: bool

    def run(self, publisher: Publisher, request: RebuildRequest) -> PublishReport | None:
        """Rebuild: the merge's report when done here, None when started elsewhere."""
        ...

    def render(self, publisher: Publisher, plan_id: str) -> PublishReport | None:
        """Write what a committed feed-level site.yaml change left pending (the render parts and the
        finish of a rebuild, without its plan, parts and merge): the finish's report when done here,
        None when started elsewhere."""
        ...


class PartFailedError(Exception):
    """Records of a part could not be read (throttling, 5xx): the part is retried."""


def live_lease(root: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    lease: dict[str, Any] | None = root.get("rebuild")
    return lease if lease is not None and lease["until"] > now.timestamp() else None


def new_plan_id(reason: str, now: datetime | None = None) -> str:
    """A name for a plan that is also a valid Step Functions execution name (80 characters at most)."""
    words = re.sub(r"[^a-z0-9]+", "-", reason.lower()).strip("-")[:40].strip("-") or "rebuild"
    return f"{words}-{(now or datetime.now(UTC)):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def part_count(records: int, workers: int) -> int:
    """How many parts a rebuild of `records` is cut into for `workers` parallel workers: each worker
    gets the same number of parts of at most RECORDS_PER_PART records, and no part is needlessly small."""
    return _parts(records, workers, RECORDS_PER_PART, MIN_RECORDS_PER_PART, SHARDS)


def render_part_count(documents: int, workers: int) -> int:
    """How many render parts write `documents` archive documents (0 for none), as part_count cuts records."""
    if documents == 0:
        return 0
    return _parts(documents, workers, DOCUMENTS_PER_PART, MIN_DOCUMENTS_PER_PART, documents)


def _parts(work: int, workers: int, most: int, least: int, limit: int) -> int:
    workers = max(1, workers)
    rounds = max(1, math.ceil(work / (workers * most)))
    return max(1, min(limit, workers * rounds, math.ceil(work / least)))


def render_part_of(feed_id: str, page: str, parts: int) -> int:
    """The render part that writes a page's archive documents (all its formats: rendered together)."""
    digest = hashlib.sha1(f"{feed_id}\n{page}".encode("utf-8", "surrogatepass"), usedforsecurity=False)
    return int.from_bytes(digest.digest()[:8], "big") % parts


def shards_of_part(part: int, parts: int) -> range:
    """The record shards (as numbers) part `part` of `parts` covers: contiguous, all covered once."""
    return range(part * SHARDS // parts, (part + 1) * SHARDS // parts)


class RebuildSteps:
    """The five steps (and the clean-up after a failure) over one publisher's stores and state."""

    def __init__(self, publisher: Publisher) -> None:
        self.pub = publisher
        self.state = publisher.state
        self.report = PublishReport()  # what the plan found (a site.yaml error, say)

    def _dir(self, plan_id: str) -> str:
        return f"{self.state.prefix}{REBUILDS_DIR}{plan_id}/"

    def plan(
        self, plan_id: str, request: RebuildRequest, workers: int, take_over: bool
    ) -> PlannedRebuild | None:
        """Take the lease and write the manifests; None when there is nothing to do: the site.yaml
        asked for is published already, another rebuild of it holds the lease (unless `take_over`),
        or site.yaml is unusable (`self.report.site_error`)."""
        from feedpub.records import is_record_path

        for attempt in range(self.pub.attempts):
            root, etag = self.state.load_root()
            now = self.pub.clock()
            site = self._site()
            if site is None:
                return None
            published = root["site"]["etag"] if root["site"] else None
            if request.site_etag and published == request.site_etag and root.get("rebuild") is None:
                log.info("rebuild %s: site.yaml %s is published already", plan_id, request.site_etag)
                return None
            lease = live_lease(root, now)
            if lease and lease["plan"] != plan_id and lease["site"] == site.etag and not take_over:
                log.info("rebuild %s: %s is rebuilding this site.yaml already", plan_id, lease["plan"])
                return None
            root["rebuild"] = {"plan": plan_id, "site": site.etag, "until": now.timestamp() + LEASE_S}
            try:
                self.state.commit_root(root, etag)
                break
            except PreconditionFailedError:
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
        else:
            raise PreconditionFailedError(self.state.root_key)
        # Listed after the lease is committed: the merge reads again whatever changes after this.
        keys = sorted(item.key for item in self.pub.content.list("articles/") if is_record_path(item.key))
        parts = part_count(len(keys), workers)
        manifests: list[list[str]] = [[] for _ in range(parts)]
        owner = [0] * SHARDS
        for part in range(parts):
            for shard in shards_of_part(part, parts):
                owner[shard] = part
        for key in keys:
            manifests[owner[int(shard_of(key), 16)]].append(key)
        planned = PlannedRebuild(plan_id, request.reason, site, parts)
        directory = self._dir(plan_id)
        writes: list[tuple[str, Any]] = [
            (f"{directory}manifest-{part}.json", keys) for part, keys in enumerate(manifests)
        ]
        writes.append((f"{directory}plan.json", planned.to_json()))
        self._put_all(writes)
        log.info("rebuild %s (%s): %d records in %d parts", plan_id, request.reason, len(keys), parts)
        return planned

    def part(self, plan_id: str, part: int) -> int:
        """Read and parse the records of one part; write their entries. Returns how many it wrote."""
        planned = self.load(plan_id)
        keys: list[str] = json.loads(self.pub.output.get(f"{self._dir(plan_id)}manifest-{part}.json").body)
        found = self.pub.read_entries(keys, parse_site(planned.site.body))
        if found.failed:
            raise PartFailedError(
                f"rebuild {plan_id} part {part}: {len(found.failed)} of {len(keys)} records could not be "
                f"read (first {found.failed[0]}); the part is retried"
            )
        # The items go in an object of their own: the merge reads them only once it knows which
        # records the feeds show, and keeps only those.
        self._put_all(
            [
                (f"{self._dir(plan_id)}items-{part}.json", found.items),
                (f"{self._dir(plan_id)}part-{part}.json", {"entries": found.entries, "media": found.media}),
            ]
        )
        return len(found.entries)

    def merge(self, plan_id: str) -> PublishReport:
        """Commit every part's entries as the new state (Publisher.merge), then delete the plan."""
        planned = self.load(plan_id)
        parts = PartEntries({})
        names = [f"{self._dir(plan_id)}part-{part}.json" for part in range(planned.parts)]
        with ThreadPoolExecutor(max_workers=max(1, min(self.pub.workers, len(names)))) as pool:
            for body in pool.map(lambda name: self.pub.output.get(name).body, names):
                part = json.loads(body)
                parts.entries.update(part["entries"])
                parts.media.update(part["media"])
        report = self.pub.merge(planned, parts, lambda needed: self._items(plan_id, planned.parts, needed))
        if report.superseded or report.site_error:  # nothing committed, and nothing to retry
            self.release(plan_id)
        if not report.failed_keys:
            self.clean_up(plan_id)
        return report

    def render_parts(self, plan_id: str, workers: int) -> int:
        """How many render parts write the archive documents the merge of `plan_id` left pending."""
        root, _ = self.state.load_root()
        if (root.get("rendering") or {}).get("plan") != plan_id:
            return 0
        documents = sum(1 for path in root["pending"] if outputs.archive_of(path) is not None)
        return render_part_count(documents, workers)

    def render(self, plan_id: str, part: int, parts: int) -> int:
        """Write one render part's archive documents; returns how many it wrote. What it wrote is
        noted in the plan (before it leaves `pending`) for the finish step's CDN invalidation."""
        name = f"{self._dir(plan_id)}rendered-{part}.json"

        def note(written: set[str]) -> None:
            with contextlib.suppress(NotFoundError):  # an earlier attempt of this part noted some
                written = written | set(json.loads(self.pub.output.get(name).body))
            if written:
                self._put_all([(name, sorted(written))])

        return len(self.pub.write_archives(plan_id, part, parts, note).written)

    def finish(self, plan_id: str) -> PublishReport:
        """Write what the commit left pending besides the render parts' documents (feed documents,
        the OPML list, pages that are gone), end the render step and delete the plan."""
        prefix = f"{self._dir(plan_id)}rendered-"
        noted = [listing.key for listing in self.pub.output.list(prefix)]
        written = [path for name in noted for path in json.loads(self.pub.output.get(name).body)]
        report = self.pub.finish_rendering(plan_id, written)
        if not report.failed_keys:
            self.clean_up(plan_id)
        return report

    def _items(self, plan_id: str, parts: int, needed: set[str]) -> dict[str, tuple[str, bytes]]:
        """The items the parts rendered of the records in `needed`, each as JSON text (a part that
        wrote none, planned by an earlier version of the function, leaves its records to the merge).
        Two parts are read at a time: each is parsed whole (its items as text, not as objects)."""

        def read(part: int) -> dict[str, tuple[str, bytes]]:
            try:
                stored = self.pub.output.get(f"{self._dir(plan_id)}items-{part}.json")
            except NotFoundError:
                return {}
            rendered = json.loads(stored.body)
            # JSON text; an item as an object was written by a part of the previous version
            return {
                key: (etag, item.encode() if isinstance(item, str) else encode(item))
                for key, (etag, item) in rendered.items()
                if key in needed
            }

        found: dict[str, tuple[str, bytes]] = {}
        with ThreadPoolExecutor(max_workers=max(1, min(2, parts))) as pool:
            for items in pool.map(read, range(parts)):
                found.update(items)
        return found

    def abandon(self, plan_id: str) -> None:
        """After a failed step: give the lease up (if this plan holds it) and delete the plan."""
        self.release(plan_id)
        self.clean_up(plan_id)

    def release(self, plan_id: str) -> None:
        """Give up the lease, or end the render step (the next flush then writes what it left pending)."""
        for _ in range(self.pub.attempts):
            root, etag = self.state.load_root()
            held = [
                name for name in ("rebuild", "rendering") if (root.get(name) or {}).get("plan") == plan_id
            ]
            if not held:
                return
            for name in held:
                del root[name]
            try:
                self.state.commit_root(root, etag)
                return
            except PreconditionFailedError:
                continue
        log.warning("rebuild %s: could not give its lease up; it lapses within %d s", plan_id, LEASE_S)

    def clean_up(self, plan_id: str) -> None:
        names = [listing.key for listing in self.pub.output.list(self._dir(plan_id))]
        if names:
            with ThreadPoolExecutor(max_workers=min(self.pub.workers, len(names))) as pool:
                list(pool.map(self.pub.output.delete, names))

    def load(self, plan_id: str) -> PlannedRebuild:
        return PlannedRebuild.from_json(
            json.loads(self.pub.output.get(f"{self._dir(plan_id)}plan.json").body)
        )

    def _site(self) -> StoredObject | None:
        """site.yaml as it is now, if it can be published (otherwise the report says why)."""
        try:
            stored = self.pub.content.get(SITE_FILE)
            parse_site(stored.body)
        except NotFoundError:
            self.report.site_error = str(SiteConfigError(SITE_FILE, "is missing from the content bucket"))
            return None
        except UnreadableObjectError as exc:
            self.report.site_error = str(SiteConfigError(SITE_FILE, f"cannot be read: {exc.reason}"))
            return None
        except SiteConfigError as exc:
            self.report.site_error = str(exc)
            return None
        return stored

    def _put_all(self, writes: list[tuple[str, Any]]) -> None:
        def put(write: tuple[str, Any]) -> None:
            self.pub.output.put(write[0], encode(write[1]), content_type="application/json")

        with ThreadPoolExecutor(max_workers=max(1, min(self.pub.workers, len(writes)))) as pool:
            list(pool.map(put, writes))


def collect_rebuilds(publisher: Publisher, older_than: float) -> int:
    """Delete what plans left under `_state/rebuilds/` (a crashed process) once older than the lease
    and `older_than` seconds of grace, unless its plan holds the lease."""
    root, _ = publisher.state.load_root()
    holder = (root.get("rebuild") or {}).get("plan")
    prefix = f"{publisher.state.prefix}{REBUILDS_DIR}"
    cutoff = publisher.clock().timestamp() - LEASE_S - older_than
    removed = 0
    for listing in publisher.output.list(prefix):
        plan_id = listing.key[len(prefix) :].partition("/")[0]
        if plan_id != holder and listing.last_modified.timestamp() < cutoff:
            publisher.output.delete(listing.key)
            removed += 1
    return removed


class LocalRebuilds:
    """Runs a rebuild's steps here and now: the parts on a pool of `workers` threads, each retried
    alone up to PART_ATTEMPTS times, as the state machine does."""

    concurrent = False

    def __init__(
        self,
        workers: int = 4,
        on_part: Callable[[int], None] | None = None,
        on_render: Callable[[int], None] | None = None,
    ) -> None:
        self.workers = workers
        # Called before each attempt at a part and at a render part (tests inject failures here).
        self.on_part = on_part
        self.on_render = on_render

    def run(self, publisher: Publisher, request: RebuildRequest) -> PublishReport:
        steps = RebuildSteps(publisher)
        plan_id = new_plan_id(request.reason, publisher.clock())
        planned = steps.plan(plan_id, request, self.workers, take_over=True)
        if planned is None:
            return steps.report
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            done = list(pool.map(lambda part: self._part(steps, plan_id, part), range(planned.parts)))
        if not all(done):
            steps.abandon(plan_id)
            return PublishReport(failed_keys=[SITE_FILE])
        merged = steps.merge(plan_id)
        if merged.failed_keys or merged.superseded or merged.site_error:
            return merged
        return combined(merged, self.render(publisher, plan_id))

    def render(self, publisher: Publisher, plan_id: str) -> PublishReport:
        steps = RebuildSteps(publisher)
        parts = steps.render_parts(plan_id, self.workers)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            list(pool.map(lambda part: self._render(steps, plan_id, part, parts), range(parts)))
        finished = steps.finish(plan_id)
        if finished.failed_keys:  # once more, as the state machine retries it; then the next flush's
            finished = steps.finish(plan_id)
            if finished.failed_keys:
                steps.abandon(plan_id)
        return finished

    def _part(self, steps: RebuildSteps, plan_id: str, part: int) -> bool:
        for attempt in range(PART_ATTEMPTS):
            try:
                if self.on_part is not None:
                    self.on_part(part)
                steps.part(plan_id, part)
                return True
            except Exception:
                log.exception("rebuild %s part %d failed (attempt %d)", plan_id, part, attempt + 1)
                time.sleep(0.05 * 2**attempt)
        return False

    def _render(self, steps: RebuildSteps, plan_id: str, part: int, parts: int) -> None:
        """A render part, retried alone; one that keeps failing leaves its documents to the finish."""
        for attempt in range(PART_ATTEMPTS):
            try:
                if self.on_render is not None:
                    self.on_render(part)
                steps.render(plan_id, part, parts)
                return
            except Exception:
                log.exception("rebuild %s render part %d failed (attempt %d)", plan_id, part, attempt + 1)
                time.sleep(0.05 * 2**attempt)


def combined(merged: PublishReport, finished: PublishReport) -> PublishReport:
    """A rebuild's report: what its merge committed, and what its render parts and finish wrote."""
    return replace(
        merged,
        written=finished.written,
        deleted=finished.deleted,
        unchanged=merged.unchanged + finished.unchanged,
        invalidation_paths=finished.invalidation_paths,
        failed_keys=finished.failed_keys,
        next_due=finished.next_due,
        published=finished.published,
        hub_failures=finished.hub_failures,
        duration_s=merged.duration_s + finished.duration_s,
    )


class StepFunctionsRebuilds:
    """Starts RebuildStateMachine; its executions run the steps in RebuildFunction invocations."""

    concurrent = True

    def __init__(self, state_machine_arn: str, client: Any = None, client_config: Any = None) -> None:
        self.state_machine_arn = state_machine_arn
        self._client = client
        self._client_config = client_config

    def run(self, publisher: Publisher, request: RebuildRequest) -> None:
        name = new_plan_id(request.reason, publisher.clock())
        self._start(name, {"reason": request.reason, "site_etag": request.site_etag})
        log.info("rebuild %s started: %s", name, request.reason)

    def render(self, publisher: Publisher, plan_id: str) -> None:
        # An execution named after the plan (the render lease names it; Abandon ends it) that
        # starts at the render parts.
        self._start(plan_id, {"render": plan_id})
        log.info("render step %s started", plan_id)

    def _start(self, name: str, payload: dict[str, str]) -> None:
        if self._client is None:
            import boto3

            # Made when a process first needs it: most never start a rebuild, and a client costs
            # a cold start tens of milliseconds.
            self._client = boto3.client("stepfunctions", config=self._client_config)
        self._client.start_execution(
            stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(payload)
        )
