"""Offline build: `feedpub build` vs `hugo` on the same 10,000 generated posts with 50 tags.

Both build the home feed and one feed per tag, 20 items each (feedpub in three formats plus
OPML and XSL, Hugo in RSS only, no HTML pages). Runs alternate in one process so both see the
same machine state; each run starts from an empty output directory. Wall time is measured
around the child process and peak RSS comes from that child's own rusage (os.wait4).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import corpus

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- offline-build:start -->", "<!-- offline-build:end -->"
# Later than every generated post, so nothing is held back as scheduled.
NOW = "2026-01-01T00:00:00Z"
SAMPLE_EVERY_S = 0.01


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float  # user + system, the child and every process it waited for
    peak_rss_mib: float  # the largest single process (exact, from rusage)
    peak_tree_rss_mib: float  # the whole process tree at once (sampled; shared pages counted per process)


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of pid and all its descendants right now (0 once it has exited)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        proc = Path(f"/proc/{current}")
        try:
            status = (proc / "status").read_text()
            for task in (proc / "task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue  # gone between listing and reading
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


def run_child(cmd: list[str], cwd: Path) -> Run:
    """Run cmd to completion; fail loudly (with its stderr) if it does not exit 0."""
    peak_tree = 0
    done = threading.Event()

    def sample(pid: int) -> None:
        nonlocal peak_tree
        while not done.wait(SAMPLE_EVERY_S):
            peak_tree = max(peak_tree, _tree_rss_kib(pid))

    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        sampler = threading.Thread(target=sample, args=(child.pid,))
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} exited {child.returncode}:\n{errors.read().decode()}")
    peak = usage.ru_maxrss  # KiB on Linux
    return Run(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=peak / 1024,
        peak_tree_rss_mib=max(peak, peak_tree) / 1024,
    )


def _items(feed: Path) -> list[str]:
    """Item titles of an RSS file in document order (our own output, so trusted XML)."""
    channel = ET.parse(feed).getroot().find("channel")  # noqa: S314
    assert channel is not None, f"{feed} has no channel"
    return [item.findtext("title", "") for item in channel.iter("item")]


def expected_titles(posts: list[corpus.Post]) -> list[str]:
    newest = sorted(posts, key=lambda post: post.date, reverse=True)
    return [post.title for post in newest[: corpus.FEED_LIMIT]]


def verify_feedpub(out: Path, posts: list[corpus.Post], tag_count: int) -> None:
    assert _items(out / "feed.xml") == expected_titles(posts), "feedpub main feed has the wrong items"
    tag_dirs = [path for path in (out / "tags").iterdir() if path.is_dir()]
    assert len(tag_dirs) == tag_count, f"feedpub wrote {len(tag_dirs)} tag feeds, expected {tag_count}"
    for tag_dir in tag_dirs:
        assert all((tag_dir / name).is_file() for name in ("feed.xml", "atom.xml", "feed.json")), tag_dir
        assert 0 < len(_items(tag_dir / "feed.xml")) <= corpus.FEED_LIMIT, tag_dir
    assert (out / "feeds.opml").is_file(), "feedpub wrote no OPML"
    assert (out / "feed.xsl").is_file(), "feedpub wrote no XSL"


def verify_hugo(out: Path, posts: list[corpus.Post], tag_count: int) -> None:
    assert _items(out / "index.xml") == expected_titles(posts), "Hugo home feed has the wrong items"
    tag_feeds = list((out / "tags").glob("*/index.xml"))
    assert len(tag_feeds) == tag_count, f"Hugo wrote {len(tag_feeds)} tag feeds, expected {tag_count}"
    for feed in tag_feeds:
        assert 0 < len(_items(feed)) <= corpus.FEED_LIMIT, feed


def machine() -> dict[str, str]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    hugo = subprocess.run(["hugo", "version"], capture_output=True, text=True, check=True).stdout.split()
    return {
        "CPU": f"{model}, {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))})",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Hugo": hugo[1] if len(hugo) > 1 else "unknown",
    }


def render_section(
    args: argparse.Namespace, runs: dict[str, list[Run]], info: dict[str, str], load: tuple[float, float]
) -> str:
    def median(name: str, field: Callable[[Run], float]) -> float:
        return statistics.median(field(run) for run in runs[name])

    def ratio(field: Callable[[Run], float]) -> float:
        return median("feedpub", field) / median("hugo", field)

    rows = []
    for name in ("feedpub", "hugo"):
        walls = ", ".join(f"{run.wall_s:.2f}" for run in runs[name])
        rows.append(
            f"| {name} | {median(name, lambda r: r.wall_s):.2f} s | "
            f"{median(name, lambda r: r.cpu_s):.2f} s | "
            f"{median(name, lambda r: r.peak_rss_mib):.0f} MiB | "
            f"{median(name, lambda r: r.peak_tree_rss_mib):.0f} MiB | {walls} |"
        )
    wall_ratio, rss_ratio = ratio(lambda r: r.wall_s), ratio(lambda r: r.peak_tree_rss_mib)
    verdict = "met" if wall_ratio <= 2 and rss_ratio <= 1 else "NOT met"
    machine_lines = "\n".join(f"- {key}: {value}" for key, value in info.items())
    return f"""{START}
## Offline build: feedpub vs Hugo

Regenerated by `make bench` (`python -m bench offline-build`);
last run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.

Corpus: {args.articles:,} generated posts (2–6 Markdown paragraphs, 1–4 of {args.tags} tags each, dates
over ten years; seed {args.seed}), written identically as feedpub records and Hugo pages. feedpub
builds the main feed and every tag feed in RSS 2.0, Atom 1.0 and JSON Feed 1.1 plus OPML and XSL
(`feedpub build`, the installed CLI); Hugo builds its home and tag RSS feeds only (`hugo --quiet`,
`[services.rss] limit = 20`, posts listed but never rendered as pages). {corpus.FEED_LIMIT} items per feed.
Runs alternate feedpub/Hugo, {args.repeat} each after one warm-up each, every run into an empty
output directory; both outputs are checked (same newest {corpus.FEED_LIMIT} titles, {args.tags} tag feeds).

CPU is user + system time of the process and everything it waited for. Peak RSS is the largest
single process (exact, from rusage); tree RSS is the whole process tree at its fullest, sampled
every {SAMPLE_EVERY_S * 1000:.0f} ms (feedpub parses large sites in a pool of processes; their shared
pages count once per process, so this over-states feedpub's real footprint). The memory target is
judged on tree RSS.

| tool | median wall | median CPU | median peak RSS | median tree RSS | wall per run (s) |
|---|---|---|---|---|---|
{chr(10).join(rows)}

feedpub / Hugo: wall **{wall_ratio:.2f}×**, CPU **{ratio(lambda r: r.cpu_s):.2f}×**,
tree RSS **{rss_ratio:.2f}×**. Target (wall ≤ 2×, tree RSS ≤ 1×): **{verdict}**.

Machine (load average {load[0]:.1f} at the start of the runs, {load[1]:.1f} at the end; other work on a
shared machine inflates wall times, CPU times much less):
{machine_lines}
{END}"""


def write_docs(section: str) -> None:
    text = DOCS.read_text("utf-8") if DOCS.exists() else "# Benchmarks\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.write_text(text, "utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench offline-build", description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--tags", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--no-docs", action="store_true", help="print the figures, leave docs/ alone")
    args = parser.parse_args(argv)

    feedpub = Path(sys.executable).with_name("feedpub")
    hugo = shutil.which("hugo")
    if not feedpub.exists() or hugo is None:
        print(f"needs the feedpub CLI ({feedpub}) and hugo on PATH", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="feedpub-bench-") as tmp:
        work = Path(tmp)
        posts = corpus.make_posts(args.articles, args.tags, args.seed)
        corpus.write_feedpub_site(work / "content", posts)
        corpus.write_hugo_site(work / "hugo", posts)
        commands = {
            "feedpub": [str(feedpub), "build", "content", "--out", "out-feedpub", "--now", NOW],
            "hugo": [hugo, "--quiet", "--source", "hugo", "--destination", str(work / "out-hugo")],
        }
        runs: dict[str, list[Run]] = {"feedpub": [], "hugo": []}
        load_before = os.getloadavg()[0]
        for rep in range(args.repeat + 1):
            for name, cmd in commands.items():
                shutil.rmtree(work / f"out-{name}", ignore_errors=True)
                run = run_child(cmd, work)
                if rep:  # the first round only warms the page cache
                    runs[name].append(run)
                print(
                    f"{name:8} run {rep}: {run.wall_s:6.2f} s wall {run.cpu_s:6.2f} s CPU "
                    f"{run.peak_rss_mib:6.0f} MiB peak {run.peak_tree_rss_mib:6.0f} MiB tree",
                    flush=True,
                )
        load = (load_before, os.getloadavg()[0])
        verify_feedpub(work / "out-feedpub", posts, args.tags)
        verify_hugo(work / "out-hugo", posts, args.tags)

    section = render_section(args, runs, machine(), load)
    print(section)
    if not args.no_docs:
        write_docs(section)
        print(f"wrote {DOCS.relative_to(ROOT)}")
    return 0
