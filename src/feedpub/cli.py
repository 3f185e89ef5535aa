"""The `feedpub` command: build and check here; publish, dev and invoke register themselves.

Adding a subcommand: give its module an `add_parser(subparsers)` that adds the command's parser
and sets `run=` to a callable taking the parsed arguments and returning the exit status, then list
the module in `PLUGINS`. A plugin module is imported only when one of its commands runs (or when
help lists every command), so `feedpub build` never pays for importing boto3 or moto.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import NoReturn, TypeAlias

from feedpub import __version__
from feedpub.errors import FeedpubError, SiteConfigError

DESCRIPTION = "Publish RSS 2.0, Atom 1.0 and JSON Feed 1.1 from article records."
# command name -> module exposing add_parser(subparsers)
PLUGINS: dict[str, str] = {
    "dev": "feedpub.local.cli_commands",
    "publish": "feedpub.local.cli_commands",
    "invoke": "feedpub.local.cli_commands",
}

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2

# What a plugin's add_parser(subparsers) receives.
Subparsers: TypeAlias = "argparse._SubParsersAction[_Parser]"


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line that says where the help is (argparse prints the whole usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _content_problem(content: Path) -> str | None:
    if not content.exists():
        return f"content directory {content} does not exist (give the folder that holds site.yaml)"
    if not content.is_dir():
        return f"{content} is a file, not a content directory (give the folder that holds site.yaml)"
    return None


def _instant(text: str) -> datetime:
    """--now: an ISO 8601 date-time; a naive one is taken as UTC."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date-time") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _add_now(parser: argparse.ArgumentParser) -> None:
    # Hidden: pins "now" so scheduled posts and tests are reproducible.
    parser.add_argument("--now", type=_instant, default=None, help=argparse.SUPPRESS)


def _add_verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="a WARN line for every file and finding (by default a warning shared by many files "
        "lists the first few and counts the rest)",
    )


def _run_build(args: argparse.Namespace) -> int:
    from feedpub import build  # the engine's imports are only paid for by commands that use them

    if problem := _content_problem(args.content):
        print(f"feedpub: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = build.build_directory(args.content, args.out, args.now or datetime.now(UTC))
    except SiteConfigError as exc:
        print(f"feedpub: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (FeedpubError, OSError) as exc:
        print(f"feedpub: build failed: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    build.report(result, sys.stdout, sys.stderr, every_warning=args.verbose)
    return EXIT_OK


def _run_check(args: argparse.Namespace) -> int:
    from feedpub import build

    if problem := _content_problem(args.content):
        print(f"feedpub: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = build.check_directory(args.content, args.now or datetime.now(UTC))
    except SiteConfigError as exc:
        print(f"feedpub: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (FeedpubError, OSError) as exc:
        print(f"feedpub: check failed: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    build.report(result, sys.stdout, sys.stderr, every_warning=args.verbose)
    return EXIT_REJECTED if result.rejected or not result.found else EXIT_OK


def _add_builtin(subparsers: Subparsers) -> None:
    build = subparsers.add_parser(
        "build",
        help="build every feed from a content directory into an output directory",
        description="Build the main feed, every tag feed (RSS, Atom, JSON Feed), feeds.opml and "
        "feed.xsl. Rejected records are reported and left out; the rest are published.",
    )
    build.add_argument("content", type=Path, metavar="CONTENT_DIR", help="holds site.yaml and articles/")
    build.add_argument("--out", type=Path, required=True, metavar="OUT_DIR", help="where feeds are written")
    _add_now(build)
    _add_verbose(build)
    build.set_defaults(run=_run_build)

    check = subparsers.add_parser(
        "check",
        help="validate a content directory without writing anything",
        description="Validate site.yaml and every record; exit 1 if any record would be rejected "
        "or there is none.",
    )
    check.add_argument("content", type=Path, metavar="CONTENT_DIR", help="holds site.yaml and articles/")
    _add_now(check)
    _add_verbose(check)
    check.set_defaults(run=_run_check)


def _command_of(argv: Sequence[str]) -> str | None:
    return next((arg for arg in argv if not arg.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for `command`'s invocation: plugins load only for their own command, or all of
    them when the command is unknown or absent (so help and errors list every command)."""
    parser = _Parser(prog="feedpub", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"feedpub {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_builtin(subparsers)
    if command in PLUGINS:
        modules = [PLUGINS[command]]
    elif command in subparsers.choices:
        modules = []
    else:
        modules = list(dict.fromkeys(PLUGINS.values()))
    for module in modules:
        importlib.import_module(module).add_parser(subparsers)
    return parser


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: the command unwinds through its clean-up."""


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = _command_of(arguments)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        args = build_parser(command).parse_args(arguments)
        status: int = args.run(args)
        return status
    except BrokenPipeError:
        # The reader of stdout went away (`feedpub invoke … | head -1`): nothing left to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_REJECTED
    except KeyboardInterrupt as exc:
        # `feedpub dev` documents Ctrl-C as its way to stop: exit 0; elsewhere, the shell's 128 + signal.
        if command == "dev":
            return EXIT_OK
        return 128 + (signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT)
    except Exception as exc:
        if os.environ.get("FEEDPUB_TRACEBACK"):
            raise
        summary = (str(exc).strip().splitlines() or [""])[0]
        print(
            f"feedpub: unexpected error ({type(exc).__name__}: {summary}): a bug, please report it "
            "(FEEDPUB_TRACEBACK=1 shows where it happened)",
            file=sys.stderr,
        )
        return EXIT_REJECTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
