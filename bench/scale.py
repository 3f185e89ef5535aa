"""Scale benchmark: incremental publishing against the naive way, at 1k, 10k (and 100k) articles.

For each size, against the embedded S3 (moto server): a cold full publish, then one article
added, edited and deleted, and an old (archived) article edited and deleted, each published
incrementally and the naive way (bench/naive.py), plus a replayed event. `--baseline DIR` also
runs another feedpub checkout's publisher (DIR/src first on PYTHONPATH, its own publish bucket)
on the same changes in the same run, for figures side by side. Every measured publish runs in a
fresh subprocess so its peak RSS is honest; S3 requests are counted per HTTP attempt through
botocore's event hooks. Then the Lambda cold start. Results go to docs/benchmarks.md between the
scale markers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.counting import RequestCounter

from bench import cold_start
from bench.naive import naive_publish
from bench.support import (
    REGION,
    article_bytes,
    article_key,
    generate_site,
    machine_note,
    moto_server,
    peak_rss_mib,
    s3_backends_for,
    s3_client,
    seed,
    tag_count,
    write_section,
)
from feedpub.publish import Publisher, S3Store

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
CONTENT, PUBLISH, NAIVE, BASELINE = "bench-content", "bench-publish", "bench-naive", "bench-baseline"
NOW = datetime(2035, 1, 1, tzinfo=UTC)  # after every generated article: nothing is scheduled
CHANGED_TAGS = {"add": ["Topic 007", "Topic 042"], "edit": ["Topic 042", "Topic 099"]}
DEFAULT_SIZES = (1_000, 10_000)
CHANGES = ("add", "edit", "delete", "edit-old", "delete-old")  # one article each, published incrementally
MIB_TO_MB = 1.048576


@dataclass
class Measure:
    size: int
    scenario: str
    way: str
    feed_kinds: str  # "plain" (main, tags, one author) or "all" (50 author profiles, 5 feeds of site.yaml)
    wall_s: float
    requests: dict[str, int]
    bytes_read: int
    peak_rss_mib: float

    @property
    def total(self) -> int:
        return sum(self.requests.values())


# ---- the child: one publish in a fresh interpreter ----------------------------------------------


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    s3 = s3_client(spec["endpoint"], pool=32)
    counter = RequestCounter().attach(s3.meta.events)
    now = datetime.fromisoformat(spec["now"])
    started = time.perf_counter()
    if spec["way"] == "naive":
        naive_publish(s3, CONTENT, NAIVE, now, threads=16)
    else:
        publisher = Publisher(
            content=S3Store(s3, CONTENT),
            output=S3Store(s3, BASELINE if spec["way"] == "baseline" else PUBLISH),
            cdn=None,
            state_prefix="_state/",
            clock=lambda: now,
        )
        report = publisher.rebuild() if spec["action"] == "cold" else publisher.apply(spec["keys"])
        if report.failed_keys:
            raise SystemExit(f"publish failed for {report.failed_keys}")
    wall = time.perf_counter() - started
    return {"wall_s": wall, **counter.snapshot(), "peak_rss_mib": peak_rss_mib()}


def _run_child(
    endpoint: str, size: int, scenario: str, way: str, keys: list[str], kinds: str, baseline: Path | None
) -> Measure:
    spec = {"endpoint": endpoint, "way": way, "action": scenario, "keys": keys, "now": NOW.isoformat()}
    env = dict(os.environ)
    if way == "baseline":
        assert baseline is not None
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(baseline / "src"), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--child", json.dumps(spec)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{way} {scenario} at {size} failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return Measure(
        size,
        scenario,
        way,
        kinds,
        result["wall_s"],
        result["requests"],
        result["bytes_read"],
        result["peak_rss_mib"],
    )


# ---- the parent: sites, changes, tables ---------------------------------------------------------


def _bench_size(
    endpoint: str, size: int, *, naive: bool, kinds: str, baseline: Path | None, log: Any
) -> tuple[list[Measure], list[StateSize]]:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()  # noqa: S310 - our own 127.0.0.1 server
    admin = s3_client(endpoint)
    for bucket in (CONTENT, PUBLISH, NAIVE, BASELINE):
        admin.create_bucket(Bucket=bucket)
    started = time.perf_counter()
    all_kinds = kinds == "all"
    seed(CONTENT, generate_site(size, feed_kinds=all_kinds))
    log(f"  seeded {size} articles ({kinds} feed kinds) in {time.perf_counter() - started:.1f}s")
    measures = []

    def measure(scenario: str, keys: list[str]) -> None:
        ways = ["incremental"] + (["baseline"] if baseline else [])
        ways += ["naive"] if naive and scenario != "replay" else []
        for way in ways:
            m = _run_child(endpoint, size, scenario, way, keys, kinds, baseline)
            log(
                f"  {size:>7} {kinds:<5} {scenario:<10} {way:<11} {m.wall_s:7.2f}s {m.total:>7} requests "
                f"{m.bytes_read:>11} B read {m.peak_rss_mib:6.0f} MiB"
            )
            measures.append(m)

    key = article_key(size)  # the newest article: in the main feed and in its tags' feeds
    # From the middle of the site's history (only archive pages show it), with two tags like the
    # added article, so that every size touches as many feeds.
    old = next(number for number in range(size // 2, size) if tag_count(number) == 2)
    measure("cold", [])
    states = [StateSize(size, kinds, way, *_state_size(admin, bucket)) for way, bucket in _buckets(baseline)]
    seed(CONTENT, [(key, article_bytes(size, tags=CHANGED_TAGS["add"], feed_kinds=all_kinds))])
    measure("add", [key])
    edited = article_bytes(size, tags=CHANGED_TAGS["edit"], title_suffix=" (edited)", feed_kinds=all_kinds)
    seed(CONTENT, [(key, edited)])
    measure("edit", [key])
    s3_backends_for().delete_object(CONTENT, key)
    measure("delete", [key])
    seed(CONTENT, [(article_key(old), article_bytes(old, title_suffix=" (edited)", feed_kinds=all_kinds))])
    measure("edit-old", [article_key(old)])
    s3_backends_for().delete_object(CONTENT, article_key(old))
    measure("delete-old", [article_key(old)])
    measure("replay", [key])
    return measures, states


@dataclass
class StateSize:
    """What every run reads (the root) and what a change to the main feed reads and writes (its head)."""

    size: int
    feed_kinds: str
    way: str
    root_bytes: int
    main_head_bytes: int


def _buckets(baseline: Path | None) -> list[tuple[str, str]]:
    return [("incremental", PUBLISH)] + ([("baseline", BASELINE)] if baseline else [])


def _state_size(s3: Any, bucket: str) -> tuple[int, int]:
    body = s3.get_object(Bucket=bucket, Key="_state/root.json")["Body"].read()
    head = s3.head_object(Bucket=bucket, Key=json.loads(body)["feeds"][""]["head"])
    return len(body), int(head["ContentLength"])


def _fmt_requests(requests: dict[str, int]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(requests.items(), key=lambda kv: -kv[1]))


def _report(
    measures: list[Measure],
    cold: cold_start.ColdStart | None,
    sizes: list[int],
    artifact: cold_start.ArtifactStart | None = None,
    state_sizes: list[StateSize] | None = None,
    baseline: str | None = None,
) -> str:
    modes = list(dict.fromkeys(m.feed_kinds for m in measures))
    # The targets and the naive comparison are about the site as generated before feed kinds
    # (plain) when it was measured; the feed-kinds table below sets the two side by side.
    base = "plain" if "plain" in modes else modes[0]
    by = {(m.size, m.scenario, m.way): m for m in measures if m.feed_kinds == base}
    lines = [
        "## Scale: incremental publishing against the naive way",
        "",
        machine_note(),
        f"Embedded S3: moto server on 127.0.0.1 ({REGION}); sites of {', '.join(f'{s:,}' for s in sizes)} "
        "articles with 200 tags, `feed_limit` 20. Each publish runs in a fresh subprocess (peak RSS is "
        "that process's, interpreter included); S3 requests are counted per HTTP attempt. The moto "
        "server answers in the benchmark's own process, so wall times are bounded by its throughput "
        "(the req/s column), far below real S3's; request counts and bytes are what S3 would see. "
        "`add`, `edit` and `delete` change the newest article; `edit-old` and `delete-old` one from "
        "the middle of the site's history, which only archive pages show. Rerun with "
        "`python -m bench scale` (default sizes 1,000 and 10,000; add 100,000 with "
        "`--sizes 1000,10000,100000`, which takes several minutes more; the naive baseline runs up to "
        "10,000 unless `--naive-up-to` says otherwise)."
        + (f" The `baseline` rows are {baseline}, on the same changes in the same run." if baseline else ""),
        "",
        "Feed kinds: `plain` is the generated site (main, 200 tag feeds, one author); `all` adds 50 "
        "author profiles credited by key (one or two per article) and five feeds of site.yaml selecting "
        "by tags and authors (`--feed-kinds plain,all`).",
        "",
        "| articles | feed kinds | change | way | wall (s) | S3 requests | by operation | bytes read "
        "| peak RSS (MiB) | req/s |",
        "|---:|---|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for m in measures:
        lines.append(
            f"| {m.size:,} | {m.feed_kinds} | {m.scenario} | {m.way} | {m.wall_s:.2f} | {m.total:,} "
            f"| {_fmt_requests(m.requests)} | {m.bytes_read:,} | {m.peak_rss_mib:.0f} "
            f"| {m.total / m.wall_s:.0f} |"
        )
    if state_sizes:
        lines += [
            "",
            "State after the cold publish: the root (read by every run, written by every change) and the "
            "main feed's head (read and written by every change to the main feed; it keeps its newest "
            "archive pages inline and names index objects for the older ones, docs/publisher.md):",
            "",
            "| articles | feed kinds | way | root (bytes) | main feed head (bytes) |",
            "|---:|---|---|---:|---:|",
            *(
                f"| {st.size:,} | {st.feed_kinds} | {st.way} | {st.root_bytes:,} | {st.main_head_bytes:,} |"
                for st in state_sizes
            ),
        ]
    ratio_rows = []
    for size in sizes:
        for change in CHANGES:
            inc, nai = by.get((size, change, "incremental")), by.get((size, change, "naive"))
            if inc and nai:
                ratio_rows.append(
                    f"| {size:,} | {change} | {nai.total / max(inc.total, 1):,.0f}× | "
                    f"{nai.bytes_read / max(inc.bytes_read, 1):,.0f}× | {nai.wall_s / inc.wall_s:,.1f}× |"
                )
    if ratio_rows:
        lines += [
            "",
            "Naive ÷ incremental, same change, same run:",
            "",
            "| articles | change | S3 requests | bytes read | wall time |",
            "|---:|---|---:|---:|---:|",
            *ratio_rows,
        ]
    lines += _feed_kinds_table(measures, sizes, modes)
    if cold is not None:
        lines += [
            "",
            f"Lambda cold start (fresh interpreter: import `handlers.publish` and create its clients), "
            f"median of {cold.runs}: {cold.handler_s * 1000:.0f} ms against {cold.baseline_s * 1000:.0f} ms "
            f'for `python -c "import boto3"` in the same run: **{cold.ratio:.2f}×**.',
        ]
    if artifact is not None:
        lines += [
            "",
            "The same start from the function's layout (dependencies pip-installed into one directory "
            "with feedpub and the handlers; no bytecode written while running, as /var/task is "
            f"read-only), median of {artifact.runs}: {artifact.without_bytecode_s * 1000:.0f} ms without "
            f"bytecode, {artifact.with_bytecode_s * 1000:.0f} ms with the bytecode the Lambda build "
            "(infra/lambda/Makefile) ships.",
        ]
    lines += ["", "### Targets (issue 5)", "", *_targets(by, sizes, cold)]
    return "\n".join(lines)


def _feed_kinds_table(measures: list[Measure], sizes: list[int], modes: list[str]) -> list[str]:
    """Per-change S3 requests of the incremental publisher, each mode of feed kinds side by side."""
    if len(modes) < 2:
        return []
    totals = {(m.size, m.scenario, m.feed_kinds): m.total for m in measures if m.way == "incremental"}
    rows = []
    for size in sizes:
        for change in (*CHANGES, "replay"):
            cells = [
                f"{totals[(size, change, mode)]:,}" if (size, change, mode) in totals else "–"
                for mode in modes
            ]
            rows.append(f"| {size:,} | {change} | " + " | ".join(cells) + " |")
    steady = []
    for mode in modes:
        for change in CHANGES:
            counts = [totals[(size, change, mode)] for size in sizes if (size, change, mode) in totals]
            if len(counts) > 1:  # constant per change: what "incremental stays incremental" means
                same = "same at every size" if max(counts) - min(counts) <= 2 else "**grows with the site**"
                steady.append(f"- {mode}, {change}: {' / '.join(map(str, counts))} ({same})")
    return [
        "",
        "Per-change S3 requests of the incremental publisher, by feed kinds (same run):",
        "",
        "| articles | change | " + " | ".join(modes) + " |",
        "|---:|---|" + "---:|" * len(modes),
        *rows,
        "",
        *steady,
    ]


def _targets(
    by: dict[tuple[int, str, str], Measure], sizes: list[int], cold: cold_start.ColdStart | None
) -> list[str]:
    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**NOT met**"

    out = []
    small, large = min(sizes), max(sizes)
    if len(sizes) > 1:
        for change in CHANGES:
            totals = [by[(s, change, "incremental")].total for s in sizes]
            out.append(
                f"- Per-change S3 requests the same at every size ({change}: "
                f"{' / '.join(map(str, totals))}): {verdict(max(totals) - min(totals) <= 2)}"
            )
        if large >= 100_000:
            for change in CHANGES:
                a, b = by[(small, change, "incremental")].wall_s, by[(large, change, "incremental")].wall_s
                out.append(
                    f"- Per-change wall time at {large:,} ≤ 2× that at {small:,} ({change}: {b:.2f}s vs "
                    f"{a:.2f}s): {verdict(b <= 2 * a)}"
                )
    if (10_000, "add", "naive") in by:
        worst = min(
            by[(10_000, c, "naive")].total / max(by[(10_000, c, "incremental")].total, 1) for c in CHANGES
        )
        out.append(
            f"- ≥ 100× fewer S3 requests than naive at 10,000 (smallest ratio {worst:,.0f}×): "
            f"{verdict(worst >= 100)}"
        )
    if (10_000, "cold", "incremental") in by:
        wall = by[(10_000, "cold", "incremental")].wall_s
        out.append(f"- Cold full publish of 10,000 ≤ 60 s ({wall:.1f}s): {verdict(wall <= 60)}")
    rss = max(by[(large, c, "incremental")].peak_rss_mib for c in CHANGES)
    if large >= 100_000:
        out.append(
            f"- Peak RSS of a one-article change at {large:,} ≤ 200 MB ({rss * MIB_TO_MB:.0f} MB): "
            f"{verdict(rss * MIB_TO_MB <= 200)}"
        )
    else:
        out.append(
            f"- Peak RSS of a one-article change ≤ 200 MB: {rss:.0f} MiB at {large:,} (100,000 not run here)"
        )
    if cold is not None:
        out.append(f"- Cold start ≤ 2.5× bare boto3 ({cold.ratio:.2f}×): {verdict(cold.met)}")
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__)
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="comma-separated site sizes (default 1000,10000; the issue also asks for 100000)",
    )
    parser.add_argument(
        "--naive-up-to",
        type=int,
        default=10_000,
        help="run the naive baseline only for sites up to this size (default 10000: at 100000 each "
        "naive publish reads every record, three times over)",
    )
    parser.add_argument(
        "--feed-kinds",
        default="plain",
        help="comma-separated: plain (the generated site) and/or all (50 author profiles and five feeds "
        "of site.yaml on); e.g. plain,all measures both side by side (default plain)",
    )
    parser.add_argument("--cold-start-runs", type=int, default=15, help="runs of each cold-start process")
    parser.add_argument("--no-cold-start", action="store_true", help="skip the cold-start measurements")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another feedpub checkout (e.g. a worktree of an older commit) whose publisher runs on "
        "the same changes, beside this one",
    )
    parser.add_argument("--no-docs", action="store_true", help="print the report instead of writing docs")
    parser.add_argument(
        "--section",
        default="scale",
        help="the docs/benchmarks.md section to write (default scale; e.g. archives for a comparison "
        "with --baseline that should not replace the scale figures)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(json.loads(args.child))))
        return 0
    sizes = sorted(int(s) for s in args.sizes.split(","))
    modes = [mode.strip() for mode in args.feed_kinds.split(",")]
    if not modes or any(mode not in ("plain", "all") for mode in modes):
        parser.error("--feed-kinds takes plain, all or plain,all")
    measures: list[Measure] = []
    state_sizes: list[StateSize] = []
    baseline = args.baseline.resolve() if args.baseline else None
    with moto_server() as endpoint:
        for size in sizes:
            for mode in modes:
                print(f"scale: {size:,} articles, {mode} feed kinds", flush=True)
                size_measures, size_states = _bench_size(
                    endpoint,
                    size,
                    naive=size <= args.naive_up_to and mode == modes[0],
                    kinds=mode,
                    baseline=baseline,
                    log=lambda s: print(s, flush=True),
                )
                measures += size_measures
                state_sizes += size_states
    cold = artifact = None
    if not args.no_cold_start:
        print("scale: cold start", flush=True)
        cold = cold_start.measure(args.cold_start_runs)
        print("scale: cold start from the function's layout", flush=True)
        artifact = cold_start.measure_artifact()
    described = _describe_checkout(baseline) if baseline else None
    report = _report(measures, cold, sizes, artifact, state_sizes, described)
    if args.section != "scale":
        report = report.replace(
            "## Scale: incremental publishing against the naive way", f"## Scale ({args.section})", 1
        )
    if args.no_docs:
        print(report)
    else:
        write_section(DOCS, args.section, report)
        print(f"scale: wrote {DOCS.relative_to(ROOT)}")
    return 0


def _describe_checkout(path: Path) -> str:
    """The commit a checkout is at, as `git log` shows it in one line."""
    done = subprocess.run(
        ["git", "-C", str(path), "log", "-1", "--format=%h (%s)"],
        capture_output=True,
        text=True,
        check=False,
    )
    line = done.stdout.strip()
    return f"feedpub at {line[:100]}" if line else f"the checkout at {path}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
