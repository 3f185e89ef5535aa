"""What `feedpub dev` and `feedpub invoke` print.

By default, lines for a person: one per publish run that changed something (what triggered it,
what it wrote or deleted, how long it took), one per rejected record or site.yaml error with its
reason, and a one-line warning for anything else that went wrong; nothing while idle. With
`--log-format json` (or `--verbose`), the handlers' own structured logs and metrics instead,
exactly as the Lambda writes them to CloudWatch.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from feedpub.findings import warning_lines
from feedpub.publish.state import REPORT_NAME

if TYPE_CHECKING:
    from feedpub.local.functions import LambdaFunctions
    from feedpub.publish.report import PublishReport

HUMAN, JSON = "human", "json"
LOG_FORMATS = (HUMAN, JSON)
STATE_PREFIX = "_state/"
REPORT_LOGGER = "feedpub.publish.report"  # the engine's lines that the run's report carries too
# Where a folded WARN line says every warning is: dev's bucket outlives the run, invoke's does not;
# --verbose (JSON logs) has a line for each.
EVERY_WARNING_IN_DEV = f"{STATE_PREFIX}{REPORT_NAME} and the output of --verbose"
EVERY_WARNING_IN_INVOKE = "the output of --verbose"
SHOWN_PATHS = 3  # outputs named in a line before "and N more"
# The attributes every LogRecord has: the rest are a log call's `extra` fields.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
}


def add_output_options(parser: argparse.ArgumentParser) -> None:
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=HUMAN,
        help="human: one line per publish that changed something (default); "
        "json: the handlers' structured logs and metrics, as on Lambda",
    )
    output.add_argument(
        "--verbose",
        "-v",
        dest="log_format",
        action="store_const",
        const=JSON,
        default=argparse.SUPPRESS,
        help="the same as --log-format json",
    )


def _names(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:SHOWN_PATHS])
    more = len(paths) - SHOWN_PATHS
    return f"{shown} and {more} more" if more > 0 else shown


# How a line says what became of records (PublishReport.changes): one record, then several.
_ONE = {
    "published": "published {path}",
    "updated": "updated {path}",
    "deleted": "deleted {path}",
    "withdrawn": "took {path} out of the feeds ({why})",
    "draft": "{path} is a draft (not published)",
    "scheduled": "scheduled {path} for {due}",
    "expired": "{path} has expired (not published)",
}
_SEVERAL = {
    "published": "published {count} articles ({paths})",
    "updated": "updated {count} articles ({paths})",
    "deleted": "deleted {count} articles ({paths})",
    "withdrawn": "took {count} articles out of the feeds ({paths})",
    "draft": "{count} drafts not published ({paths})",
    "scheduled": "scheduled {count} articles ({paths})",
    "expired": "{count} expired articles not published ({paths})",
}


def _due(change: dict[str, str]) -> str:
    due = change.get("due")
    return "?" if due is None else datetime.fromisoformat(due).isoformat(timespec="minutes")


def _why(change: dict[str, str]) -> str:
    status = change.get("status")
    if status == "scheduled":
        return f"scheduled for {_due(change)}"
    return "now a draft" if status == "draft" else "expired"


def record_changes(changes: Sequence[dict[str, str]]) -> list[str]:
    """'published articles/a.md', 'updated 4 articles (a, b, c and 1 more)': one phrase per kind of change."""
    phrases = []
    for kind, one in _ONE.items():
        same = [change for change in changes if change["change"] == kind]
        if len(same) == 1:
            (change,) = same
            phrases.append(one.format(path=change["path"], why=_why(change), due=_due(change)))
        elif same:
            paths = _names([change["path"] for change in same])
            phrases.append(_SEVERAL[kind].format(count=len(same), paths=paths))
    return phrases


def feed_names(paths: Sequence[str]) -> str:
    """The feeds these public paths belong to, by name ('site', 'podcast.xml', 'tags/cli'; '11 under
    tags/' past SHOWN_PATHS of a kind), how many of their archive pages, then the other files
    (feeds.opml, media files...)."""
    from feedpub import catalogue

    feeds: set[str] = set()
    archive_pages: set[tuple[str, str]] = set()
    others = []
    for path in paths:
        found = catalogue.document(path)
        archived = None if found is not None else catalogue.archive_document(path)
        if found is not None:
            feeds.add(found[0])
        elif archived is not None:
            feeds.add(archived[0])
            archive_pages.add(archived[:2])
        else:
            others.append(path)
    by_kind: dict[str, list[str]] = {}
    for feed_id in sorted(feeds, key=catalogue.feed_order):
        kind = catalogue.feed(feed_id).kind
        by_kind.setdefault(kind.directory, []).append(feed_id.rstrip("/") or "site")
    names = []
    for directory, found_names in by_kind.items():
        if directory and len(found_names) > SHOWN_PATHS:
            names.append(f"{len(found_names)} under {directory}")
        else:
            names += found_names
    text = ", ".join(names)
    if archive_pages:
        text += f" with {len(archive_pages)} archive page{'s' if len(archive_pages) != 1 else ''}"
    if others:
        text = f"{text} (and {_names(sorted(others))})" if text else _names(sorted(others))
    return text


def trigger_of(action: str, keys: Sequence[str]) -> str | None:
    """What started a run, when the records it changed do not say it."""
    if action == "due":
        return "scheduled check"
    if action == "reconcile":
        return "reconcile"
    return "site.yaml" if "site.yaml" in keys else None


def describe_run(
    report: PublishReport,
    action: str,
    keys: Sequence[str],
    *,
    quiet_when_unchanged: bool = True,
    every_warning_in: str = EVERY_WARNING_IN_DEV,
    trigger: str | None = None,
) -> list[str]:
    """The lines a person needs about one run: what became of the records it changed, the feeds it
    wrote and removed; [] when it changed nothing and `quiet_when_unchanged`. `trigger` names what
    started the run when the caller knows better than the action (trigger_of)."""
    written = [path for path in report.written if not path.startswith(STATE_PREFIX)]
    deleted = [path for path in report.deleted if not path.startswith(STATE_PREFIX)]
    changed = (["rebuilt every feed"] if report.rebuilt else []) + record_changes(report.changes)
    lines = []
    if written or deleted or changed or not quiet_when_unchanged:
        trigger = trigger or trigger_of(action, keys)
        if not changed and report.rejected:  # a published record now rejected: the lines below say why
            changed = [f"rejected {_names([rejection['path'] for rejection in report.rejected])}"]
        what = ", ".join(changed) or "no article changed"
        parts = [f"{trigger}: {what}" if trigger else what]
        if written:
            parts.append(f"feeds written: {feed_names(written)}")
        if deleted:
            parts.append(f"feeds removed: {feed_names(deleted)}")
        if not written and not deleted:
            parts.append("no feed changed")
        articles = "article" if report.published == 1 else "articles"
        parts += [f"{report.published} {articles} in the main feed", f"{report.duration_s:.2f} s"]
        if action == "due" and report.next_due is not None:
            parts.append(f"next scheduled article due {report.next_due.isoformat(timespec='minutes')}")
        lines.append("; ".join(parts))
    if report.site_error:
        lines.append(f"site.yaml error: {report.site_error} (the last good feeds stay served)")
    lines += [f"REJECTED {rejection['path']}: {rejection['reason']}" for rejection in report.rejected]
    warnings = [(warning["path"], warning["warning"]) for warning in report.warnings]
    lines += warning_lines(warnings, every_warning_in)
    if report.failed_keys:
        lines.append(
            f"{_names(report.failed_keys)}: could not be published now (see the warning above); "
            "retried automatically"
        )
    return lines


class Narrator:
    """Writes describe_run's lines, each with the time; safe to call from several threads."""

    def __init__(
        self,
        stream: TextIO,
        quiet_when_unchanged: bool = True,
        timestamps: bool = True,
        every_warning_in: str = EVERY_WARNING_IN_DEV,
        first_reconcile: str | None = None,
    ) -> None:
        self.stream = stream
        # What to call the first reconcile run (`feedpub dev` publishes the directory with one).
        self.first_reconcile = first_reconcile
        self.every_warning_in = every_warning_in
        self.quiet_when_unchanged = quiet_when_unchanged
        self.timestamps = timestamps
        self.runs = 0  # runs told about
        self.site_broken = False  # the last site.yaml read was an error: say when one is not
        self._lock = threading.Lock()

    def __call__(self, report: PublishReport, action: str, keys: Sequence[str]) -> None:
        self.runs += 1
        trigger = None
        if action == "reconcile" and self.first_reconcile:
            trigger, self.first_reconcile = self.first_reconcile, None
        lines = describe_run(
            report,
            action,
            keys,
            quiet_when_unchanged=self.quiet_when_unchanged,
            every_warning_in=self.every_warning_in,
            trigger=trigger,
        )
        if report.site_error:
            self.site_broken = True
        elif self.site_broken and "site.yaml" in keys and not report.failed_keys:
            # Fixed: otherwise a site.yaml put back as it was published would print nothing at all.
            self.site_broken = False
            lines.insert(0, "site.yaml is valid again" + ("" if lines else "; no feed changed"))
        self.write(lines)

    def write(self, lines: Sequence[str]) -> None:
        if not lines:
            return
        stamp = f"{datetime.now():%H:%M:%S} " if self.timestamps else ""
        with self._lock:
            self.stream.write("".join(f"{stamp}{line}\n" for line in lines))
            self.stream.flush()


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class HumanLogLines(logging.Handler):
    """Warnings and errors as one line each (`extra` fields appended, an exception as its one-line
    summary, never a traceback). The handlers' per-run lines are left out: the Narrator says them."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(logging.WARNING)
        self.stream = stream

    def filter(self, record: logging.LogRecord) -> bool:
        in_report = record.name == REPORT_LOGGER or (
            record.name == "feedpub" and record.funcName == "record_report"
        )
        return not in_report

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            extras = {
                name: value
                for name, value in record.__dict__.items()
                if name not in _RECORD_ATTRIBUTES and not name.startswith("_")
            }
            if extras:
                message += " (" + ", ".join(f"{name}: {value}" for name, value in extras.items()) + ")"
            if record.exc_info and record.exc_info[1] is not None:
                message += f": {one_line(record.exc_info[1])}"
            level = "error" if record.levelno >= logging.ERROR else "warning"
            text = " ".join(message.split("\n"))
            self.acquire()
            try:
                self.stream.write(f"{datetime.now():%H:%M:%S} {level}: {text}\n")
                self.stream.flush()
            finally:
                self.release()
        except Exception:
            self.handleError(record)


@contextmanager
def console_output(
    log_format: str, logs: TextIO, narrator: Narrator | None, functions: LambdaFunctions
) -> Iterator[None]:
    """Route the handlers' output for the block.

    human: the structured logs are silenced, metrics (which Powertools prints) dropped, warnings
    go to `logs` as one line each, and `narrator` speaks for every run. json: the structured logs
    and the metrics go to `logs`. In both, sys.stdout is redirected for the block: the command
    writes what it means to print to the stream it saved before."""
    structured = functions.structured_log_handler()
    previous_level, previous_stream = structured.level, getattr(structured, "stream", None)
    package = logging.getLogger("feedpub")
    human = HumanLogLines(logs)
    previous_stdout = sys.stdout
    devnull = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        if log_format == HUMAN:
            structured.setLevel(logging.CRITICAL + 1)
            package.addHandler(human)
            sys.stdout = devnull
            if narrator is not None:
                functions.add_report_listener(narrator)
        else:
            if isinstance(structured, logging.StreamHandler):
                structured.setStream(logs)
            sys.stdout = logs
        yield
    finally:
        sys.stdout = previous_stdout
        if narrator is not None:
            functions.remove_report_listener(narrator)
        package.removeHandler(human)
        structured.setLevel(previous_level)
        if isinstance(structured, logging.StreamHandler) and previous_stream is not None:
            structured.setStream(previous_stream)
        devnull.close()
