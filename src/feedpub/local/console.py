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

if TYPE_CHECKING:
    from feedpub.local.functions import LambdaFunctions
    from feedpub.publish.report import PublishReport

HUMAN, JSON = "human", "json"
LOG_FORMATS = (HUMAN, JSON)
STATE_PREFIX = "_state/"
REPORT_LOGGER = "feedpub.publish.report"  # the engine's lines that the run's report carries too
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


MAIN_OUTPUTS = ("feed.xml", "atom.xml", "feed.json", "feeds.opml")


def _names(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:SHOWN_PATHS])
    more = len(paths) - SHOWN_PATHS
    return f"{shown} and {more} more" if more > 0 else shown


def _outputs(verb: str, paths: list[str]) -> str:
    """'wrote 9 files (feed.xml, atom.xml, feed.json and 6 more)': the main feeds named first."""
    ordered = sorted(
        paths,
        key=lambda p: (p.count("/"), MAIN_OUTPUTS.index(p) if p in MAIN_OUTPUTS else len(MAIN_OUTPUTS), p),
    )
    return f"{verb} {len(paths)} {'file' if len(paths) == 1 else 'files'} ({_names(ordered)})"


def trigger_of(action: str, keys: Sequence[str]) -> str:
    """What started a run, in words."""
    if action == "due":
        return "scheduled check"
    if action == "reconcile":
        return "reconcile"
    return _names(list(keys)) if keys else "publish"


def describe_run(
    report: PublishReport, action: str, keys: Sequence[str], *, quiet_when_unchanged: bool = True
) -> list[str]:
    """The lines a person needs about one run: [] when it changed nothing and `quiet_when_unchanged`."""
    written = [path for path in report.written if not path.startswith(STATE_PREFIX)]
    deleted = [path for path in report.deleted if not path.startswith(STATE_PREFIX)]
    trigger = trigger_of(action, keys)
    lines = []
    if written or deleted or not quiet_when_unchanged:
        changes = [
            _outputs(verb, paths) for verb, paths in (("wrote", written), ("deleted", deleted)) if paths
        ]
        what = ", ".join(changes) if changes else "no feed changed"
        articles = "article" if report.published == 1 else "articles"
        line = f"{trigger}: {what}; {report.published} {articles} in the main feed; {report.duration_s:.2f} s"
        if action == "due" and report.next_due is not None:
            line += f"; next scheduled article due {report.next_due.isoformat(timespec='minutes')}"
        lines.append(line)
    if report.site_error:
        lines.append(f"site.yaml error: {report.site_error} (the last good feeds stay served)")
    lines += [f"REJECTED {rejection['path']}: {rejection['reason']}" for rejection in report.rejected]
    lines += [f"WARN {warning['path']}: {warning['warning']}" for warning in report.warnings]
    if report.failed_keys:
        lines.append(
            f"{_names(report.failed_keys)}: could not be published now (see the warning above); "
            "retried automatically"
        )
    return lines


class Narrator:
    """Writes describe_run's lines, each with the time; safe to call from several threads."""

    def __init__(self, stream: TextIO, quiet_when_unchanged: bool = True, timestamps: bool = True) -> None:
        self.stream = stream
        self.quiet_when_unchanged = quiet_when_unchanged
        self.timestamps = timestamps
        self.runs = 0  # runs told about
        self._lock = threading.Lock()

    def __call__(self, report: PublishReport, action: str, keys: Sequence[str]) -> None:
        self.runs += 1
        self.write(describe_run(report, action, keys, quiet_when_unchanged=self.quiet_when_unchanged))

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
