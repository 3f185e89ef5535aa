"""Reliability figures: run the soak suites (`pytest -m soak`) and publish what they recorded.

The soak tests (tests/integration/test_reliability.py, tests/unit/test_hostile_input.py)
record runs, faults injected, failures and losses through tests/support/soak.py; this
writes them to docs/benchmarks.md between the reliability markers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.support.soak import SUMMARY_ENV, summary_path

from bench.support import machine_note, write_section

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
SOAK_TESTS = ["tests/integration/test_reliability.py", "tests/unit/test_hostile_input.py"]


def run_soak(summary: Path) -> int:
    env = {**os.environ, SUMMARY_ENV: str(summary)}
    command = [sys.executable, "-m", "pytest", "-m", "soak", "-p", "no:xdist", "-q", *SOAK_TESTS]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def render(summary: dict[str, Any], status: int | None) -> str:
    lines = [
        "## Reliability: faults, crashes, concurrency, hostile input",
        "",
        machine_note(),
        "Rerun with `python -m bench reliability`, which runs the soak tests (`pytest -m soak`) and "
        "collects what they recorded; `--collect` publishes what the last `make soak` recorded instead. "
        + (
            "Suites without a row did not complete in that run."
            if status is None
            else f"Soak run exit status: {status} "
            f"({'all passed' if status == 0 else 'FAILURES, see the test output'})."
        ),
        "",
        "| suite | runs | faults injected | failed runs (retried) | data lost or corrupted |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, label in (
        ("faults_10pct", "S3 faults at 10% of requests"),
        ("faults_30pct", "S3 faults at 30% of requests"),
    ):
        f = summary.get(name)
        if f:
            lines.append(
                f"| {label} | {f['publishes']} publishes | {f['faults_injected']} | {f['failed_publishes']} "
                f"({f['failed_before_any_write']} before any write, {f['failed_mid_flush']} mid-flush) "
                f"| {f['corrupted_or_lost_outputs']} |"
            )
    if c := summary.get("crashes"):
        lines.append(
            f"| killed between two writes | {c['crash_points']} crash points over {c['batches']} batches "
            f"| {c['crash_points']} crashes | {c['crash_points']} (redelivered) | {c['problems']} |"
        )
    if c := summary.get("concurrency"):
        lines.append(
            f"| {c['runners']} concurrent runs, interleaved changes | {c['rounds']} rounds | – | – "
            f"| {c['lost_updates']} lost updates |"
        )
    if h := summary.get("hostile_input"):
        lines.append(
            f"| hostile records (hypothesis) | {h['examples']} examples ({h.get('rejected', 0)} rejected, "
            f"{h.get('published', 0)} published) | – | 0 crashes | 0 invalid XML/JSON |"
        )
        lines.append(f"| XSS corpus | {h['xss_vectors']} vectors × 4 renderings | – | – | 0 active content |")
    if b := summary.get("hostile_publisher"):
        lines.append(
            f"| hostile batches through the publisher (hypothesis, MemoryStore) | {b['batches']} batches, "
            f"each applied then rebuilt ({b.get('published', 0)} records published, {b.get('rejected', 0)} "
            f"named in report.json, {b.get('scheduled', 0)} scheduled, {b.get('draft', 0)} drafts) | – "
            "| 0 failed runs | 0 good records lost, 0 records unaccounted for |"
        )
    if s := summary.get("hostile_sites"):
        lines.append(
            f"| hostile sites: authors, feeds, podcast, permalinks, episodes, media (hypothesis, MemoryStore "
            f"and `feedpub check`) | {s['sites']} sites, each applied, rebuilt and checked "
            f"({s.get('site errors', 0)} site errors; {s.get('sites accepted', 0)} accepted, "
            f"{s.get('podcast sites', 0)} with a show: {s.get('records published', 0)} records published, "
            f"{s.get('records rejected', 0)} named in report.json, {s.get('scheduled', 0)} scheduled, "
            f"{s.get('expired', 0)} expired, {s.get('drafts', 0)} drafts) | – | 0 failed runs, 0 retried "
            "site errors | 0 good records lost, 0 records unaccounted for, 0 check/publish disagreements |"
        )
    if p := summary.get("pathological_markdown"):
        shapes = p["shapes"]
        rejected = sorted(name for name, shape in shapes.items() if shape["outcome"] == "rejected")
        slowest = max(shape["seconds"] for shape in shapes.values())
        published = len(shapes) - len(rejected)
        lines.append(
            f"| pathological Markdown, {p['bytes']:,} bytes | {len(shapes)} shapes ({published} "
            f"published, {len(rejected)} rejected by a render limit: {', '.join(rejected) or 'none'}; "
            f"slowest {slowest:.1f} s) | – | 0 crashes | 0 active content |"
        )
    lines += [
        "",
        "A failed run is one that reported its keys failed (SQS redelivers them) or raised.",
        "S3 cannot write several objects atomically, so a run that fails *after* committing its state,",
        "while writing outputs (“mid-flush”), may leave some outputs at their new bytes: the tests check",
        "that every public output is then byte-identical to either its previous version or a build of",
        "exactly the record versions its committed state names (a failed run may publish the records it",
        "could read; the rest are retried), that those versions are the previously published or the",
        "current ones, that every completed run equals a from-scratch build, and that the next run",
        "converges to one. “Data lost or corrupted” counts outputs or versions that were neither.",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reliability", description=__doc__)
    parser.add_argument("--no-docs", action="store_true", help="print the figures instead of writing docs")
    parser.add_argument(
        "--collect",
        action="store_true",
        help=f"do not run the soak: publish what ${SUMMARY_ENV} (or the default) holds",
    )
    args = parser.parse_args(argv)
    status: int | None
    if args.collect:
        status, path = None, summary_path()
        summary = json.loads(path.read_text()) if path.exists() else {}
    else:
        with tempfile.TemporaryDirectory() as scratch:
            summary_file = Path(scratch, "soak.json")
            status = run_soak(summary_file)
            summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    report = render(summary, status)
    if args.no_docs:
        print(report)
    else:
        write_section(DOCS, "reliability", report)
        print(f"reliability: wrote {DOCS.relative_to(ROOT)}")
    return status or 0
