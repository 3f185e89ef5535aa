"""Rebuild benchmark (issue 14): what each kind of site.yaml change costs, and how a rebuild in parts
scales with its workers.

1. S3 requests per kind of site.yaml change, at 1,000 and 10,000 articles, on the embedded S3
   (moto): feed-level changes (the title; feed_limit within and beyond the heads' reserve), changes
   of membership (a feed of `feeds:` added; archive_page_size), and one that needs the records
   (the time zone: a rebuild in parts, plan + parts + merge + render parts + finish).
2. The client CPU of one S3 request (botocore, against moto, in a fresh process).
3. Rebuild wall time for each size and 1, 4 and 16 workers: the plan and the merge in this process,
   the parts in a pool of W worker processes (fresh interpreters, as Lambda runs each invocation),
   handed out as the state machine's Map does; then the render parts, one after the other in this
   process (each measured alone: its CPU and requests), and the finish step. Once on moto, whose
   one server process bounds everything, and once on a simulated S3: each request waits 20-50 ms
   (uniform) and spends the client CPU measured in 2, so the scaling law shows apart from moto.
   From each step's own CPU time, the projected Lambda time of a part, the merge and a render part
   at 1024 MB (0.58 vCPU) against the 900 s timeout, and of the whole rebuild on AWS.

Results go to docs/benchmarks.md between the rebuild markers.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import random
import resource
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.counting import RequestCounter

from bench.support import (
    SITE_YAML,
    article_bytes,
    article_key,
    current_rss_mib,
    generate_site,
    machine_note,
    moto_server,
    peak_rss_mib,
    reset_peak_rss,
    s3_client,
    seed,
    write_section,
)
from feedpub.publish import MemoryStore, Publisher, S3Store
from feedpub.publish.rebuild import LocalRebuilds, RebuildRequest, RebuildSteps, new_plan_id
from feedpub.publish.store import Listing, StoredObject

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
CONTENT = "bench-content"
NOW = datetime(2035, 1, 1, tzinfo=UTC)
LATENCY_S = (0.020, 0.050)  # what one request to real S3 waits, uniform
LAMBDA_VCPU = 1024 / 1769  # Lambda gives one vCPU at 1,769 MB, in proportion below
LAMBDA_TIMEOUT_S = 900
WORKERS = (1, 4, 16)
# Site.yaml changes published one after the other from the first build: (description, kind, edit).
CHANGES = (
    ("title", "feeds", (b"title: Bench Gazette", b"title: Bench Gazette Weekly")),
    ("feed_limit 20 → 25 (heads keep 30)", "feeds", (b"feed_limit: 20", b"feed_limit: 25")),
    ("feed_limit 25 → 40 (heads keep 37)", "feeds", (b"feed_limit: 25", b"feed_limit: 40")),
    ("a comment", "none", (b"language: en\n", b"language: en\n# reviewed\n")),
    (
        "a feed added to `feeds:` (3 tags)",
        "membership",
        (b"# reviewed\n", b"# reviewed\nfeeds:\n  picks: {tags: {any: [Topic 000, Topic 001, Topic 002]}}\n"),
    ),
    (
        "archive_page_size 50 → 40",
        "membership",
        (b"feed_limit: 40\n", b"feed_limit: 40\narchive_page_size: 40\n"),
    ),
    ("timezone", "records", (b"timezone: UTC", b"timezone: Europe/Paris")),
)


# The merge's steps whose RSS --rss-trace prints as each one ends: (module, attribute path).
TRACED_STEPS = (
    ("feedpub.publish.rebuild", "RebuildSteps._items"),
    ("feedpub.publish.tx", "Transaction.settle"),
    ("feedpub.publish.tx", "Transaction.finish_heads"),
    ("feedpub.publish.tx", "Transaction.finish_pages"),
    ("feedpub.publish.outputs", "render_list"),  # once every feed's documents are rendered
    ("feedpub.publish.tx", "Transaction.save_objects"),
    ("feedpub.publish.commit", "Committer.commit"),
    ("feedpub.publish.writer", "OutputWriter.flush"),
)


def _trace_rss(log: Any) -> None:
    """Print this process's RSS and its peak so far as each of TRACED_STEPS ends (--rss-trace):
    where a merge's memory goes, step by step. Wraps them in this process only."""
    import functools
    import importlib

    for module_name, path in TRACED_STEPS:
        *owner_path, name = path.split(".")
        owner: Any = importlib.import_module(module_name)
        for attribute in owner_path:
            owner = getattr(owner, attribute)
        original = getattr(owner, name)

        def traced(*args: Any, _original: Any = original, _path: str = path, **kw: Any) -> Any:
            result = _original(*args, **kw)
            now, peak = _fmt_mib(current_rss_mib()), _fmt_mib(peak_rss_mib())
            log(f"    rss after {_path:<26} now {now} MiB, peak {peak}")
            return result

        setattr(owner, name, functools.wraps(original)(traced))


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---- a simulated S3: real S3's latency and the client's CPU, per request -----------------------


def _spend_cpu(seconds: float) -> None:
    """Hold this thread on the CPU for `seconds` of its own CPU time, as botocore's work does."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


SPILLED = b"\0spilled:"  # what the inner store holds of a body written to a file (never JSON or XML)


class SimulatedS3:
    """Any store, each request made to wait LATENCY_S and to cost `cpu_s` of client CPU; counted.

    `spill`: a directory where the bodies written through it go, the inner store holding only their
    file names, so that what the merge writes (on AWS: to S3) does not count as its memory."""

    def __init__(
        self, inner: Any, cpu_s: float, spill: Path | None = None, latency_s: tuple[float, float] = LATENCY_S
    ) -> None:
        self.inner = inner
        self.cpu_s = cpu_s
        self.spill = spill
        self.latency_s = latency_s
        self.requests: dict[str, int] = {}
        self.modified_resolution_s = 0.0
        self._written = itertools.count()

    def _request(self, operation: str) -> None:
        self.requests[operation] = self.requests.get(operation, 0) + 1
        _spend_cpu(self.cpu_s)
        time.sleep(random.uniform(*self.latency_s))

    def get(self, key: str) -> StoredObject:
        self._request("GetObject")
        return self.stored(key)

    def stored(self, key: str) -> StoredObject:
        """An object as stored, without a request (the benchmark's own reads)."""
        found: StoredObject = self.inner.get(key)
        if self.spill is not None and found.body.startswith(SPILLED):
            return StoredObject((self.spill / found.body[len(SPILLED) :].decode()).read_bytes(), found.etag)
        return found

    def put(self, key: str, body: bytes, **options: Any) -> str:
        self._request("PutObject")
        if self.spill is not None:  # a new file each time: each version gets its own ETag
            name = str(next(self._written))
            (self.spill / name).write_bytes(body)
            body = SPILLED + name.encode()
        etag: str = self.inner.put(key, body, **options)
        return etag

    def delete(self, key: str) -> None:
        self._request("DeleteObject")
        self.inner.delete(key)

    def list(self, prefix: str = "") -> Iterator[Listing]:
        for number, item in enumerate(self.inner.list(prefix)):
            if number % 1000 == 0:
                self._request("ListObjectsV2")
            yield item


class Corpus:
    """The generated site's content bucket, made on demand (every process makes the same bytes)."""

    def __init__(self, size: int, site_yaml: bytes = SITE_YAML) -> None:
        self.size = size
        self.site_yaml = site_yaml
        self._etags: dict[str, str] = {}

    def get(self, key: str) -> StoredObject:
        body = self.site_yaml if key == "site.yaml" else article_bytes(int(key.rsplit("-", 1)[1][:-3]))
        return StoredObject(body, hashlib.md5(body, usedforsecurity=False).hexdigest())

    def list(self, prefix: str = "") -> Iterator[Listing]:
        for number in range(self.size):
            key = article_key(number)
            if key.startswith(prefix):
                if key not in self._etags:
                    self._etags[key] = self.get(key).etag
                yield Listing(key, self._etags[key], NOW)


# ---- the worker processes: one part per task, as one Lambda invocation -------------------------

_worker: dict[str, Any] = {}


def _init_worker(mode: str, setup: dict[str, Any], ready: Any) -> None:
    _set_up_worker(mode, setup)
    ready.wait()  # every worker is up before the first part is handed out


def _set_up_worker(mode: str, setup: dict[str, Any]) -> None:
    if mode == "moto":
        s3 = s3_client(setup["endpoint"], pool=32)
        content, output = S3Store(s3, CONTENT), S3Store(s3, setup["publish"])
    else:
        local = MemoryStore()
        for key, body in setup["objects"].items():
            local.put(key, body.encode())
        content = SimulatedS3(Corpus(setup["size"]), setup["cpu_s"])
        output = SimulatedS3(local, setup["cpu_s"])
        _worker.update(content=content, output=output, local=local)
    publisher = Publisher(content=content, output=output, cdn=None, clock=lambda: NOW, websub=False)
    _worker.update(mode=mode, steps=RebuildSteps(publisher), prefix=setup["prefix"])


def _run_part(task: tuple[str, int, str | None]) -> dict[str, Any]:
    plan_id, part, manifest = task
    if manifest is not None:  # the simulated bucket of this process gets the plan's manifest
        _worker["local"].put(f"{_worker['prefix']}manifest-{part}.json", manifest.encode())
    cpu, started = _cpu_s(), time.monotonic()  # CLOCK_MONOTONIC: comparable across processes
    records = _worker["steps"].part(plan_id, part)
    ended = time.monotonic()
    result = {"part": part, "records": records, "cpu_s": _cpu_s() - cpu, "started": started, "ended": ended}
    if _worker["mode"] == "simulated":  # hand the part's objects to the merge, as S3 would
        result["objects"] = {
            name: _worker["local"].get(f"{_worker['prefix']}{name}").body.decode()
            for name in (f"part-{part}.json", f"items-{part}.json")
        }
    return result


# ---- one rebuild: plan and merge here, parts in W processes -------------------------------------


@dataclass
class Rebuild:
    mode: str
    size: int
    workers: int
    wall_s: float = 0.0
    plan_s: float = 0.0
    parts_s: float = 0.0
    merge_s: float = 0.0
    merge_cpu_s: float = 0.0
    merge_requests: int = 0  # on the simulated store only
    render_s: float = 0.0  # the render parts, one after the other here
    finish_s: float = 0.0
    finish_cpu_s: float = 0.0
    finish_requests: int = 0
    renders: list[dict[str, Any]] = field(default_factory=list)  # each render part: cpu_s, requests
    # This process's RSS when the merge starts (it holds the stores' objects and the corpus) and its
    # peak during the merge (None where the peak cannot be reset: off Linux).
    rss_before_merge_mib: float | None = None
    merge_peak_rss_mib: float | None = None
    parts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def slowest_part_cpu_s(self) -> float:
        return max(part["cpu_s"] for part in self.parts)

    @property
    def part_lambda_s(self) -> float:
        """The slowest part's projected Lambda duration at 1024 MB: its CPU on 0.58 vCPU, or its waits."""
        slowest = max(self.parts, key=lambda part: part["cpu_s"])
        waiting = slowest["records"] * sum(LATENCY_S) / 2 / 16  # 16 GETs in flight
        return max(slowest["cpu_s"] / LAMBDA_VCPU, waiting)

    def _lambda_s(self, cpu_s: float, requests: int) -> float | None:
        """A step's projected Lambda duration at 1024 MB: its CPU on 0.58 vCPU plus its requests'
        waits (16 in flight). Only on the simulated store: on moto, the server runs in this process
        and its CPU would count as the step's."""
        if self.mode != "simulated":
            return None
        return cpu_s / LAMBDA_VCPU + requests * sum(LATENCY_S) / 2 / 16

    @property
    def merge_lambda_s(self) -> float | None:
        return self._lambda_s(self.merge_cpu_s, self.merge_requests)

    @property
    def render_lambda_s(self) -> float | None:
        """The slowest render part's projected Lambda duration (0 when the site has no archive)."""
        times = [self._lambda_s(part["cpu_s"], part["requests"]) for part in self.renders]
        return max((t for t in times if t is not None), default=0.0) if self.mode == "simulated" else None

    @property
    def finish_lambda_s(self) -> float | None:
        return self._lambda_s(self.finish_cpu_s, self.finish_requests)

    def projected_s(self, workers: int) -> float:
        """The whole rebuild on AWS: plan, the rounds of parts the Map runs, the merge, the rounds of
        render parts, the finish (on moto: their CPU on 0.58 vCPU)."""
        rounds = math.ceil(len(self.parts) / workers)
        render_rounds = math.ceil(len(self.renders) / workers)
        merge = self.merge_lambda_s if self.merge_lambda_s is not None else self.merge_cpu_s / LAMBDA_VCPU
        render = (
            self.render_lambda_s
            if self.render_lambda_s is not None
            else max((part["cpu_s"] for part in self.renders), default=0.0) / LAMBDA_VCPU
        )
        finish = self.finish_lambda_s if self.finish_lambda_s is not None else self.finish_cpu_s / LAMBDA_VCPU
        return (
            self.plan_s / LAMBDA_VCPU + rounds * self.part_lambda_s + merge + render_rounds * render + finish
        )


def _rebuild(mode: str, size: int, workers: int, setup: dict[str, Any], log: Any) -> Rebuild:
    """One rebuild from no published state (a fresh publish bucket), timed step by step."""
    with tempfile.TemporaryDirectory(prefix="feedpub-bench-") as spill:
        return _rebuild_in(mode, size, workers, setup, log, Path(spill))


def _rebuild_in(mode: str, size: int, workers: int, setup: dict[str, Any], log: Any, spill: Path) -> Rebuild:
    publish = f"bench-rebuild-{mode}-{size}-{workers}-{random.randrange(10**6)}"
    if mode == "moto":
        s3 = s3_client(setup["endpoint"], pool=32)
        s3.create_bucket(Bucket=publish)
        content, output = S3Store(s3, CONTENT), S3Store(s3, publish)
    else:
        output = SimulatedS3(MemoryStore(), setup["cpu_s"], spill)
        corpus = Corpus(size)
        for _ in corpus.list():  # generating the corpus is the benchmark's work, not the plan's
            pass
        content = SimulatedS3(corpus, setup["cpu_s"])
    publisher = Publisher(content=content, output=output, cdn=None, clock=lambda: NOW, websub=False)
    steps = RebuildSteps(publisher)
    plan_id = new_plan_id("bench", NOW)
    prefix = f"_state/rebuilds/{plan_id}/"
    result = Rebuild(mode, size, workers)
    started = time.perf_counter()
    planned = steps.plan(plan_id, RebuildRequest("bench"), workers, take_over=True)
    assert planned is not None
    result.plan_s = time.perf_counter() - started
    worker_setup = {**setup, "publish": publish, "size": size, "prefix": prefix}
    if mode == "simulated":
        inner = output.inner
        worker_setup["objects"] = {
            name: output.stored(name).body.decode() for name in (f"{prefix}plan.json", "_state/root.json")
        }
    tasks = [
        (
            plan_id,
            part,
            output.stored(f"{prefix}manifest-{part}.json").body.decode() if mode == "simulated" else None,
        )
        for part in range(planned.parts)
    ]
    # The worker processes start (a fresh interpreter each, as a Lambda cold start) before the clock
    # runs: on AWS they start in parallel on their own CPUs, here they would queue for two.
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(workers + 1)
    pool = context.Pool(workers, initializer=_init_worker, initargs=(mode, worker_setup, ready))
    ready.wait()
    parts_started = time.perf_counter()
    with pool:
        for done in pool.imap_unordered(_run_part, tasks):
            for name, body in done.pop("objects", {}).items():
                inner.put(f"{prefix}{name}", body.encode())
            result.parts.append(done)
        result.parts_s = time.perf_counter() - parts_started
    requests_before = _requests(content, output)
    gc.collect()
    result.rss_before_merge_mib = current_rss_mib() if reset_peak_rss() else None
    merge_started, merge_cpu = time.perf_counter(), _cpu_s()
    merged = steps.merge(plan_id)
    result.merge_s = time.perf_counter() - merge_started
    result.merge_cpu_s = _cpu_s() - merge_cpu
    result.merge_requests = _requests(content, output) - requests_before
    if result.rss_before_merge_mib is not None:
        result.merge_peak_rss_mib = peak_rss_mib()
    if merged.failed_keys:
        raise SystemExit(f"{mode} merge of {size} failed: {merged.failed_keys[:5]}")
    render_parts = steps.render_parts(plan_id, workers)
    for part in range(render_parts):
        cpu, requests, started = _cpu_s(), _requests(content, output), time.perf_counter()
        documents = steps.render(plan_id, part, render_parts)
        result.renders.append(
            {
                "documents": documents,
                "cpu_s": _cpu_s() - cpu,
                "requests": _requests(content, output) - requests,
                "wall_s": time.perf_counter() - started,
            }
        )
    result.render_s = sum(part["wall_s"] for part in result.renders)
    cpu, requests, started = _cpu_s(), _requests(content, output), time.perf_counter()
    report = steps.finish(plan_id)
    result.finish_s = time.perf_counter() - started
    result.finish_cpu_s = _cpu_s() - cpu
    result.finish_requests = _requests(content, output) - requests
    # The workers' start-up left out
    result.wall_s = result.plan_s + result.parts_s + result.merge_s + result.render_s + result.finish_s
    if report.failed_keys or report.published != size:
        raise SystemExit(f"{mode} rebuild of {size} published {report.published}: {report.failed_keys[:5]}")
    log(
        f"  {mode:<9} {size:>7,} articles {workers:>2} workers: {result.wall_s:7.1f} s "
        f"(plan {result.plan_s:.1f}, {len(result.parts)} parts {result.parts_s:.1f}, "
        f"merge {result.merge_s:.1f}, {result.merge_requests:,} requests, "
        f"{render_parts} render parts {result.render_s:.1f} "
        f"({sum(part['documents'] for part in result.renders):,} documents), finish {result.finish_s:.1f}); "
        f"slowest part {result.slowest_part_cpu_s:.1f} s CPU, "
        f"render part {max((part['cpu_s'] for part in result.renders), default=0.0):.1f} s CPU; "
        f"merge's peak RSS {_fmt_mib(result.merge_peak_rss_mib)} MiB "
        f"(from {_fmt_mib(result.rss_before_merge_mib)})"
    )
    return result


@dataclass
class Row:
    """The median of each figure over the runs of one configuration (store, size, workers)."""

    mode: str
    size: int
    workers: int
    parts: int
    runs: int
    wall_s: float
    wall_min_s: float
    wall_max_s: float
    plan_s: float
    parts_s: float
    merge_s: float
    slowest_part_cpu_s: float
    part_lambda_s: float
    merge_lambda_s: float | None
    render_parts: int
    render_finish_s: float
    render_lambda_s: float | None
    finish_lambda_s: float | None
    projected_s: float
    rss_before_merge_mib: float | None
    merge_peak_rss_mib: float | None


def _median(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def _medians(rebuilds: list[Rebuild]) -> list[Row]:
    groups: dict[tuple[int, str, int], list[Rebuild]] = {}
    for r in rebuilds:
        groups.setdefault((r.size, r.mode, r.workers), []).append(r)
    rows = []
    for (size, mode, workers), runs in sorted(groups.items()):
        walls = [r.wall_s for r in runs]
        rows.append(
            Row(
                mode=mode,
                size=size,
                workers=workers,
                parts=len(runs[0].parts),
                runs=len(runs),
                wall_s=statistics.median(walls),
                wall_min_s=min(walls),
                wall_max_s=max(walls),
                plan_s=statistics.median(r.plan_s for r in runs),
                parts_s=statistics.median(r.parts_s for r in runs),
                merge_s=statistics.median(r.merge_s for r in runs),
                slowest_part_cpu_s=statistics.median(r.slowest_part_cpu_s for r in runs),
                part_lambda_s=statistics.median(r.part_lambda_s for r in runs),
                merge_lambda_s=_median([r.merge_lambda_s for r in runs]),
                render_parts=len(runs[0].renders),
                render_finish_s=statistics.median(r.render_s + r.finish_s for r in runs),
                render_lambda_s=_median([r.render_lambda_s for r in runs]),
                finish_lambda_s=_median([r.finish_lambda_s for r in runs]),
                projected_s=statistics.median(r.projected_s(workers) for r in runs),
                rss_before_merge_mib=_median([r.rss_before_merge_mib for r in runs]),
                merge_peak_rss_mib=_median([r.merge_peak_rss_mib for r in runs]),
            )
        )
    return rows


def _fmt_s(seconds: float | None) -> str:
    return f"{seconds:.0f}" if seconds is not None else "–"


def _fmt_mib(mib: float | None) -> str:
    return f"{mib:,.0f}" if mib is not None else "–"


def _requests(*stores: Any) -> int:
    """Requests made so far through the simulated stores among `stores`."""
    return sum(sum(store.requests.values()) for store in stores if isinstance(store, SimulatedS3))


# ---- the client CPU of one request, and the cost of each kind of site.yaml change ---------------


def _client_cpu(endpoint: str, requests: int = 300) -> float:
    """Client CPU of one GET (botocore: build, sign, send, parse), in a fresh process against moto."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        measured: float = pool.apply(_measure_gets, (endpoint, requests))
    return measured


def _measure_gets(endpoint: str, requests: int) -> float:
    s3 = s3_client(endpoint)
    key = article_key(0)
    s3.get_object(Bucket=CONTENT, Key=key)["Body"].read()  # connection and first-use costs
    started = _cpu_s()
    for _ in range(requests):
        s3.get_object(Bucket=CONTENT, Key=key)["Body"].read()
    return (_cpu_s() - started) / requests


@dataclass
class ChangeCost:
    size: int
    change: str
    kind: str
    requests: dict[str, int]
    wall_s: float

    @property
    def total(self) -> int:
        return sum(self.requests.values())


def _built(content: Any, output: Any, size: int) -> Publisher:
    """A publisher of the site in `content` (rebuilds on a local pool of 4), which has built it once."""
    publisher = Publisher(
        content=content, output=output, cdn=None, clock=lambda: NOW, websub=False, rebuilds=LocalRebuilds(4)
    )
    if publisher.rebuild().failed_keys:
        raise SystemExit(f"the first build of {size} failed")
    return publisher


def _change_costs(endpoint: str, size: int, log: Any) -> list[ChangeCost]:
    """Publish the site once, then each site.yaml change in turn, counting the S3 requests of each."""
    s3 = s3_client(endpoint, pool=32)
    publish = f"bench-changes-{size}"
    s3.create_bucket(Bucket=publish)
    publisher = _built(S3Store(s3, CONTENT), S3Store(s3, publish), size)
    site_yaml, costs = SITE_YAML, []
    counter = RequestCounter().attach(s3.meta.events)
    for change, kind, (old, new) in CHANGES:
        site_yaml = site_yaml.replace(old, new)
        seed(CONTENT, [("site.yaml", site_yaml)])
        counter.reset()
        started = time.perf_counter()
        report = publisher.apply(["site.yaml"])
        wall = time.perf_counter() - started
        if report.failed_keys or report.rebuild_deferred:
            raise SystemExit(f"{change} at {size} failed: {report.failed_keys[:5]}")
        cost = ChangeCost(size, change, kind, counter.snapshot()["requests"], wall)
        log(f"  {size:>7,} {change:<36} {kind:<8} {cost.total:>7,} requests {wall:6.1f} s")
        costs.append(cost)
    seed(CONTENT, [("site.yaml", SITE_YAML)])
    return costs


@dataclass
class ChangeMemory:
    size: int
    change: str
    kind: str
    rss_before_mib: float
    growth_mib: float
    articles_read: int


class _ReadCounter:
    """A content store that counts the records read."""

    def __init__(self, inner: MemoryStore) -> None:
        self.inner = inner
        self.articles_read = 0

    def get(self, key: str) -> StoredObject:
        self.articles_read += key.startswith("articles/")
        return self.inner.get(key)

    def list(self, prefix: str = "") -> Iterator[Listing]:
        return self.inner.list(prefix)


def _change_memory(size: int, log: Any) -> list[ChangeMemory]:
    """The peak memory of each feed-level and membership site.yaml change, each alone: the site is
    published once in this process (its content in memory, what the publisher writes spilled to
    files, so that it does not count), then before each change a forked child applies it from the
    same state and measures its own peak RSS over its RSS at the fork; the parent applies it too,
    unmeasured, and goes on to the next (the changes build on each other, as in `_change_costs`)."""
    measured: list[ChangeMemory] = []
    with tempfile.TemporaryDirectory(prefix="feedpub-bench-") as spill:
        content = _ReadCounter(MemoryStore())
        for key, body in generate_site(size):
            content.inner.put(key, body)
        output = SimulatedS3(MemoryStore(), 0.0, Path(spill), latency_s=(0.0, 0.0))
        publisher = _built(content, output, size)
        site_yaml = SITE_YAML
        for change, kind, (old, new) in CHANGES:
            site_yaml = site_yaml.replace(old, new)
            content.inner.put("site.yaml", site_yaml)
            if kind in ("feeds", "membership"):
                measured.append(_measured_in_a_child(publisher, content, size, change, kind))
                log(
                    f"  {size:>7,} {change:<36} {kind:<10} peak RSS +{measured[-1].growth_mib:6.1f} MiB "
                    f"over {measured[-1].rss_before_mib:.0f}, {measured[-1].articles_read} records read"
                )
            if publisher.apply(["site.yaml"]).failed_keys:
                raise SystemExit(f"{change} at {size} failed")
    return measured


def _measured_in_a_child(
    publisher: Publisher, content: _ReadCounter, size: int, change: str, kind: str
) -> ChangeMemory:
    """Apply site.yaml in a forked child and return what it measured (its peak RSS growth)."""
    gc.collect()
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # the child: measure, report through the pipe, and leave without cleaning up
        try:
            os.close(reading)
            before = current_rss_mib() or 0.0
            reset_peak_rss()
            content.articles_read = 0
            failed = publisher.apply(["site.yaml"]).failed_keys
            row = [before, peak_rss_mib() - before, content.articles_read, len(failed)]
            os.write(writing, json.dumps(row).encode())
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as pipe:
        answer = pipe.read()
    os.waitpid(child, 0)
    if not answer:
        raise SystemExit(f"the child measuring {change} at {size} died")
    before, growth, read, failed = json.loads(answer)
    if failed:
        raise SystemExit(f"{change} at {size} failed in the child")
    return ChangeMemory(size, change, kind, before, growth, read)


def _memory_report(measured: list[ChangeMemory], load: tuple[str, str]) -> str:
    lines = [
        "### What a site.yaml change holds in memory (`python -m bench rebuild --memory-sizes N`)",
        "",
        machine_note(),
        f"Load average (`uptime`) when the runs started: {load[0]}; when they ended: {load[1]}.",
        "",
        "Generated sites (200 tags, `feed_limit` 20) published once in the benchmark's process, the "
        "content in memory and what the publisher writes spilled to files (on AWS it goes to S3); "
        "then, before each change, a forked child applies it from the same state as the parent "
        "holds it and measures its peak RSS (VmHWM, reset at the fork) over its RSS then: the "
        "memory the change itself takes, as a PublishFunction invocation would on top of what it "
        "holds between runs. The changes build on each other, as in the table of S3 requests. "
        "Records read: the articles the change read again.",
        "",
        "| articles | site.yaml change | kind | RSS at the fork (MiB) | peak RSS growth (MiB) "
        "| records read |",
        "|---:|---|---|---:|---:|---:|",
    ]
    lines += [
        f"| {m.size:,} | {m.change} | {m.kind} | {m.rss_before_mib:.0f} | {m.growth_mib:.1f} "
        f"| {m.articles_read:,} |"
        for m in measured
    ]
    return "\n".join(lines)


# ---- the report -------------------------------------------------------------------------------------


def _fmt_requests(requests: dict[str, int]) -> str:
    return ", ".join(f"{op} {n:,}" for op, n in sorted(requests.items(), key=lambda kv: -kv[1]))


def _report(costs: list[ChangeCost], cpu_s: float, rebuilds: list[Rebuild], load: tuple[str, str]) -> str:
    lines = [
        "## Rebuilds: site.yaml changes and a rebuild in parts (`python -m bench rebuild`)",
        "",
        machine_note(),
        f"Load average (`uptime`) when the runs started: {load[0]}; when they ended: {load[1]}. "
        "Other work on this shared machine inflates wall times, much less the CPU times.",
        "",
        "### What each kind of site.yaml change costs",
        "",
        "Generated sites (200 tags, `feed_limit` 20) on the embedded S3 (moto); each change is "
        "published from the same state by `Publisher.apply(['site.yaml'])`; S3 requests counted per "
        "HTTP attempt. A `records` change runs the whole rebuild here (plan, 4 parts, merge, render "
        "parts, finish); a `feeds` change commits from the state, then runs the render parts and "
        "the finish; a `membership` change does the same after regrouping the feeds from the state's "
        "record shards and reading every archive page (their items are kept, not rendered again).",
        "",
        "| articles | site.yaml change | kind | S3 requests | by operation | wall (s) |",
        "|---:|---|---|---:|---|---:|",
    ]
    for cost in costs:
        lines.append(
            f"| {cost.size:,} | {cost.change} | {cost.kind} | {cost.total:,} "
            f"| {_fmt_requests(cost.requests)} | {cost.wall_s:.1f} |"
        )
    lines += [
        "",
        "### Rebuild time by workers",
        "",
        f"Client CPU of one S3 request (botocore against moto, in a fresh process, 300 GETs): "
        f"**{cpu_s * 1000:.1f} ms**. Each rebuild starts from no published state; the plan and the "
        "merge run in the benchmark's process, the parts in a pool of that many worker processes, "
        "started (and their imports paid) before the clock runs; then the render parts one after the "
        "other in the benchmark's process, each measured alone, and the finish step: *wall here* is plan + "
        "parts + merge + render parts + finish (the render parts would run side by side on AWS). "
        "*moto*: the embedded S3, one server process in the benchmark's own, which bounds every "
        f"row. *simulated*: every request waits {LATENCY_S[0] * 1000:.0f}–{LATENCY_S[1] * 1000:.0f} ms "
        "(uniform) and spends the client CPU above (the parsing is real). A part's *Lambda* time is "
        f"projected from its own CPU time at 1024 MB ({LAMBDA_VCPU:.2f} vCPU), or from its waits "
        f"(16 GETs in flight) if longer; the timeout is {LAMBDA_TIMEOUT_S} s. *On AWS* adds the plan, "
        "the rounds of parts the Map runs with that many workers, the merge, the rounds of render parts "
        "and the finish. The *merge's*, the slowest *render part's* and the *finish's Lambda time* are "
        "each one's CPU at 1024 MB plus its requests' waits (16 in flight), on the simulated store "
        "only (on moto the server shares their process and CPU). *Speed-up*: wall time of 1 "
        "worker over this row's, same store and size. *Merge's peak RSS*: the benchmark process's peak "
        "resident memory during the merge (VmHWM reset when it starts); *before* is its RSS then, "
        "which already holds what the merge does not (the stores' objects, the parts' outputs, the "
        "generated corpus; on moto, the server too), so the merge's own growth is the difference. "
        "RebuildFunction's merge holds the peak less the corpus and stores: bounded by the peak. "
        "Rows of one run share the process, whose RSS keeps what an earlier rebuild freed: a later "
        "row's *before* is inflated, so measure one size per run for its growth. With `--repeat N` each "
        "configuration runs N times, the repeats interleaved (every configuration once, then again) so "
        "that the machine's load spreads over all of them: every figure is the median of its runs, "
        "the wall time followed by its range; with `--repeat-up-to` larger sites run once, in the "
        "first round (the *runs* column says which).",
        "",
        "| store | articles | workers | parts | runs | wall here (s) | speed-up | plan (s) | parts (s) "
        "| merge (s) | render parts | render + finish (s) "
        "| CPU of the slowest part (s) | its Lambda time (s) | merge's Lambda time (s) "
        "| slowest render part's Lambda time (s) | finish's Lambda time (s) | on AWS (s) "
        "| RSS before the merge (MiB) | merge's peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = _medians(rebuilds)
    one_worker = {(r.mode, r.size): r.wall_s for r in rows if r.workers == 1}
    for r in rows:
        base = one_worker.get((r.mode, r.size))
        speed_up = f"{base / r.wall_s:.2f}×" if base else "–"
        spread = f" ({r.wall_min_s:.1f}–{r.wall_max_s:.1f})" if r.runs > 1 else ""
        lines.append(
            f"| {r.mode} | {r.size:,} | {r.workers} | {r.parts} | {r.runs} | {r.wall_s:.1f}{spread} "
            f"| {speed_up} | {r.plan_s:.1f} | {r.parts_s:.1f} | {r.merge_s:.1f} "
            f"| {r.render_parts} | {r.render_finish_s:.1f} "
            f"| {r.slowest_part_cpu_s:.1f} | {r.part_lambda_s:.1f} | {_fmt_s(r.merge_lambda_s)} "
            f"| {_fmt_s(r.render_lambda_s)} | {_fmt_s(r.finish_lambda_s)} "
            f"| {r.projected_s:.0f} | {_fmt_mib(r.rss_before_merge_mib)} | {_fmt_mib(r.merge_peak_rss_mib)} |"
        )
    return "\n".join(lines)


def _reset(endpoint: str) -> None:
    """Empty the embedded S3 (every bucket of the previous size goes)."""
    reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310
    urllib.request.urlopen(reset).close()  # noqa: S310 - our own 127.0.0.1 server


def _uptime() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench rebuild", description=__doc__)
    parser.add_argument("--change-sizes", default="1000,10000", help="sites for the site.yaml changes")
    parser.add_argument("--sizes", default="10000,100000", help="sites to rebuild")
    parser.add_argument("--workers", default=",".join(map(str, WORKERS)))
    parser.add_argument("--stores", default="moto,simulated")
    parser.add_argument(
        "--moto-max",
        type=int,
        default=10_000,
        help="largest site rebuilt on moto (seeding and rebuilding 100,000 there takes most of an hour); "
        "larger ones run on the simulated store only",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of each rebuild configuration (interleaved); the rows give their medians",
    )
    parser.add_argument(
        "--repeat-up-to",
        type=int,
        default=None,
        help="largest site whose rebuilds are repeated (--repeat); larger ones run once, so that one "
        "run holds medians at the small sizes and the large ones side by side",
    )
    parser.add_argument(
        "--memory-sizes",
        default="5000",
        help="sites whose feed-level and membership site.yaml changes are measured for memory, "
        "each in a forked child (its own section of docs/benchmarks.md)",
    )
    parser.add_argument("--no-docs", action="store_true", help="print the report instead of writing docs")
    parser.add_argument(
        "--rss-trace",
        action="store_true",
        help="print the RSS as each step of the merge ends (one size per run)",
    )
    args = parser.parse_args(argv)
    log = lambda line: print(line, flush=True)  # noqa: E731
    if args.rss_trace:
        _trace_rss(log)
    load_before = _uptime()
    change_sizes = [int(size) for size in args.change_sizes.split(",") if size]
    sizes = [int(size) for size in args.sizes.split(",") if size]
    workers = [int(count) for count in args.workers.split(",")]
    stores = args.stores.split(",")
    memory_sizes = [int(size) for size in args.memory_sizes.split(",") if size]
    costs: list[ChangeCost] = []
    rebuilds: list[Rebuild] = []
    memory: list[ChangeMemory] = []
    for size in memory_sizes:  # first, in a process that has held nothing else yet
        memory += _change_memory(size, log)
    if memory:
        memory_report = _memory_report(memory, (load_before, _uptime()))
        if args.no_docs:
            print(memory_report)
        else:
            write_section(DOCS, "rebuild-memory", memory_report)

    def publish() -> None:
        """Write what is measured so far (a long run stopped midway keeps its rows)."""
        report = _report(costs, cpu_s, rebuilds, (load_before, _uptime()))
        if args.no_docs or not (costs or rebuilds):  # a run of the memory table alone keeps the rest
            return
        write_section(DOCS, "rebuild", report)

    cpu_s = 0.0
    if not (change_sizes or sizes):
        return 0
    with moto_server() as endpoint:
        admin = s3_client(endpoint)
        seeded = 0  # the site the embedded S3's content bucket holds

        def seed_moto(size: int) -> None:
            nonlocal seeded
            if seeded != size:
                _reset(endpoint)
                admin.create_bucket(Bucket=CONTENT)
                seed(CONTENT, generate_site(size))
                seeded = size
                log(f"rebuild: {size:,} articles seeded")

        on_moto = [size for size in sizes if "moto" in stores and size <= args.moto_max]
        seed_moto(min([*change_sizes, *on_moto], default=1))
        cpu_s = _client_cpu(endpoint)  # measured once, against the first site seeded
        log(f"rebuild: client CPU per request {cpu_s * 1000:.2f} ms")
        for size in sorted(change_sizes):
            seed_moto(size)
            costs += _change_costs(endpoint, size, log)
            publish()
        for size in sizes:
            if "moto" in stores and size > args.moto_max:
                log(f"rebuild: {size:,} on moto skipped (--moto-max {args.moto_max:,})")
        # Every configuration runs once before any runs again: the sizes past --repeat-up-to are
        # not left waiting behind the repeats of the smaller ones.
        for repeat in range(args.repeat):
            for size in sorted(sizes):
                if repeat and args.repeat_up_to is not None and size > args.repeat_up_to:
                    continue
                for store in stores:
                    if store == "moto" and size > args.moto_max:
                        continue
                    if store == "moto":
                        seed_moto(size)
                    for count in sorted(workers, reverse=True):  # the most workers, the soonest done
                        setup = {"endpoint": endpoint, "cpu_s": cpu_s}
                        rebuilds.append(_rebuild(store, size, count, setup, log))
                        publish()
    if args.no_docs:
        if costs or rebuilds:
            print(_report(costs, cpu_s, rebuilds, (load_before, _uptime())))
    else:
        publish()
        print(f"rebuild: wrote {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
