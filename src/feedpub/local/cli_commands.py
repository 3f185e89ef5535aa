"""The `dev`, `publish` and `invoke` subcommands (registered in feedpub.cli.PLUGINS).

Every failure is one line on stderr that names the problem and what to do about it, never a
traceback: exit 2 when the command could not start (options, content directory, ports), 1 when it
ran and failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from feedpub.cli import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, Subparsers
from feedpub.config import SITE_FILE

if TYPE_CHECKING:
    from feedpub.local.interrupts import StopSignals

# What `pip install 'feedpub[local]'` adds; dev and invoke need all of it.
LOCAL_EXTRA_MODULES = ("moto", "flask", "watchdog")


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535; 0 picks a free one)")
    return port


def _bucket(text: str) -> str:
    from feedpub.local.aws_errors import bucket_name

    try:
        return bucket_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _endpoint(text: str) -> str:
    from feedpub.local.aws_errors import endpoint_problem

    if problem := endpoint_problem(text, "--endpoint-url"):
        raise argparse.ArgumentTypeError(problem.removeprefix("--endpoint-url "))
    return text.strip()


def add_parser(subparsers: Subparsers) -> None:
    from feedpub.local.console import add_output_options

    dev = subparsers.add_parser(
        "dev",
        help="run the whole pipeline locally: embedded S3 + SQS, the real handler, an HTTP edge",
        description="Start an embedded S3 + SQS, upload CONTENT, publish it with the Lambda handler and "
        "serve the feeds like CloudFront. Saving a file in CONTENT republishes within a second. "
        "Ctrl-C (or SIGTERM) stops it.",
    )
    dev.add_argument("--content", type=Path, default=Path("content"), metavar="DIR", help="default: content")
    dev.add_argument("--host", default="127.0.0.1", help="edge address (default 127.0.0.1)")
    dev.add_argument(
        "--port", type=port_number, default=8080, help="edge port (default 8080; 0: any free one)"
    )
    dev.add_argument(
        "--s3-port",
        type=port_number,
        default=4566,
        help="S3 + SQS endpoint port (default 4566; 0: any free one)",
    )
    add_output_options(dev)
    _add_template(dev)
    dev.set_defaults(run=run_dev)

    publish = subparsers.add_parser(
        "publish",
        help="sync a content directory to a content bucket (by checksum)",
        description="Upload new and changed site.yaml and articles/** to BUCKET; delete keys no longer "
        "in CONTENT_DIR only with --delete. Uses the usual AWS credentials, profile and region settings.",
    )
    publish.add_argument("content", type=Path, metavar="CONTENT_DIR")
    publish.add_argument("--bucket", required=True, type=_bucket, metavar="NAME", help="a name or s3://NAME")
    publish.add_argument(
        "--endpoint-url", type=_endpoint, metavar="URL", help="e.g. the S3 endpoint `feedpub dev` prints"
    )
    publish.add_argument("--delete", action="store_true", help="delete bucket keys not in CONTENT_DIR")
    publish.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    publish.set_defaults(run=run_publish)

    invoke = subparsers.add_parser(
        "invoke",
        help="run a handler once on an event file against an embedded S3 (sam local invoke, no Docker)",
        description="Start an embedded S3, set it up as it stood just before EVENT, apply EVENT's change "
        "(upload the keys it creates from CONTENT, delete those it removes), run the handler the event "
        "is for (SQS → publish, {action} → schedule), print the handler's response on stdout and what "
        "the run did on stderr.",
    )
    invoke.add_argument("event", type=Path, metavar="EVENT.json")
    invoke.add_argument(
        "--content", type=Path, default=Path("content"), metavar="DIR", help="default: content"
    )
    invoke.add_argument(
        "--s3-port", type=port_number, default=0, help="embedded S3 port (default: any free port)"
    )
    add_output_options(invoke)
    _add_template(invoke)
    invoke.set_defaults(run=run_invoke)


def _add_template(parser: argparse.ArgumentParser) -> None:
    # Default: the template the installed Lambda functions are deployed with (feedpub.local.functions).
    parser.add_argument("--template", type=Path, default=None, help=argparse.SUPPRESS)


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"feedpub: {message}", file=sys.stderr, flush=True)
    return status


def local_extra_problem(command: str) -> str | None:
    """Why `command` cannot run without the [local] extra, or None when it is installed."""
    missing = []
    for name in LOCAL_EXTRA_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    if not missing:
        return None
    return (
        f"feedpub {command} needs the 'local' extra ({', '.join(missing)} not installed): "
        "pip install 'feedpub[local]' (in a clone: pip install -e '.[local]')"
    )


def run_dev(args: argparse.Namespace) -> int:
    from feedpub.local.interrupts import StopRequested, StopSignals

    # Installed before anything slow: a Ctrl-C or SIGTERM at any moment from here on stops cleanly.
    with StopSignals() as signals:
        try:
            return _run_dev(args, signals)
        except StopRequested:
            return EXIT_OK


def _run_dev(args: argparse.Namespace, signals: StopSignals) -> int:
    if problem := local_extra_problem("dev"):
        return _fail(problem)
    from feedpub.local.console import HUMAN, Narrator, console_output
    from feedpub.local.devserver import DevOptions, DevPipeline, DevSetupError, lambda_functions

    options = DevOptions(
        content_dir=args.content, host=args.host, port=args.port, s3_port=args.s3_port, template=args.template
    )
    try:
        functions = lambda_functions()
    except DevSetupError as exc:
        return _fail(str(exc))
    out = sys.stdout
    logs = sys.stderr if args.log_format == HUMAN else sys.stdout
    pipeline: DevPipeline | None = None
    narrator = Narrator(out, first_reconcile="start-up")  # the directory's first publish is a reconcile
    with console_output(args.log_format, logs, narrator, functions):
        try:
            try:
                pipeline = DevPipeline(options, functions)
                pipeline.start()  # on failure it has stopped what it started
            except (DevSetupError, OSError) as exc:
                signals.stopping()
                pipeline = None
                return _fail(str(exc))
            signals.running()
            print(pipeline.banner(), file=out, flush=True)
            signals.wait_for_stop()
        finally:
            signals.stopping()
            if pipeline is not None:
                print("feedpub dev: stopping", file=sys.stderr, flush=True)
                pipeline.stop()
    return EXIT_OK


def run_publish(args: argparse.Namespace) -> int:
    from feedpub.local import aws_errors

    content: Path = args.content
    if problem := _content_dir_problem(content):
        return _fail(problem)
    if problem := aws_errors.check_endpoint_variables():
        return _fail(problem)
    if problem := aws_errors.bucket_problem(args.bucket, aws_errors.effective_endpoint(args.endpoint_url)):
        return _fail(problem)
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    from feedpub.local.sync import BucketSync, SyncError

    _warn_rejections(content)
    target = f"s3://{args.bucket}"
    # Few retries: a wrong endpoint should be said in seconds, not after a minute of back-off.
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=60)
    endpoint = aws_errors.effective_endpoint(args.endpoint_url)
    if aws_errors.is_loopback(endpoint):
        config = config.merge(Config(proxies={}))  # `feedpub dev` on this machine: never via a proxy
    try:
        client = boto3.client("s3", endpoint_url=args.endpoint_url, config=config)
        sync = BucketSync(client, args.bucket)
        if args.dry_run:
            plan, _ = sync.plan(content, args.delete)
            for key in plan.upload:
                print(f"would upload {key} → {target}/{key}")
            for key in plan.delete:
                print(f"would delete {target}/{key}")
            verb = "would upload"
        else:
            plan = sync.run(content, args.delete)
            verb = "uploaded"
    except (BotoCoreError, ClientError, ValueError) as exc:
        return _fail(aws_errors.explain(exc, args.bucket, endpoint), EXIT_REJECTED)
    except SyncError as exc:
        return _fail(str(exc), EXIT_REJECTED)
    except OSError as exc:
        return _fail(f"cannot read {exc.filename or content}: {exc.strerror or exc}", EXIT_REJECTED)
    deleted = "would delete" if args.dry_run else "deleted"
    summary = f"{verb} {len(plan.upload)}, {deleted} {len(plan.delete)}, unchanged {len(plan.unchanged)}"
    if plan.kept:
        summary += f"; {len(plan.kept)} in the bucket but not in {content} (kept; --delete removes them)"
    print(summary)
    return EXIT_OK


def _content_dir_problem(content: Path) -> str | None:
    if not content.exists():
        return f"content directory {content} does not exist (give the folder that holds {SITE_FILE})"
    if not content.is_dir():
        return f"{content} is a file, not a content directory (give the folder that holds {SITE_FILE})"
    if not (content / SITE_FILE).is_file() and not (content / "articles").is_dir():
        return f"{content} holds neither {SITE_FILE} nor articles/: not a content directory"
    return None


def _warn_rejections(content: Path) -> None:
    """What `feedpub check` would reject is still uploaded (the publisher reports it), but say so now."""
    from feedpub import build
    from feedpub.errors import FeedpubError

    try:
        result = build.check_directory(content, datetime.now(UTC))
    except (FeedpubError, OSError) as exc:
        print(f"feedpub: warning: {exc}", file=sys.stderr)
        return
    for rejection in result.rejected:
        print(
            f"feedpub: warning: {rejection} (uploaded anyway; the publisher will reject it)", file=sys.stderr
        )


def _read_event(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"event file {path} does not exist (the samples are in events/)") from None
    except IsADirectoryError:
        raise ValueError(
            f"{path} is a directory: give one event file, e.g. events/sqs-put-article.json"
        ) from None
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from None
    except RecursionError:
        raise ValueError(f"{path} is nested too deeply to be an event") from None


def run_invoke(args: argparse.Namespace) -> int:
    if problem := local_extra_problem("invoke"):
        return _fail(problem)
    from feedpub.local.console import EVERY_WARNING_IN_INVOKE, Narrator, console_output
    from feedpub.local.devserver import DevSetupError, lambda_functions, read_content_site
    from feedpub.local.invoke import EventError, check_event, invoke_once

    try:
        functions = lambda_functions()
    except DevSetupError as exc:
        return _fail(str(exc))
    try:
        event = check_event(_read_event(args.event), functions.schedule_actions)
    except EventError as exc:
        return _fail(f"{args.event} {exc}")
    except ValueError as exc:
        return _fail(str(exc))
    out = sys.stdout
    # the run's bucket is gone when invoke returns: its report.json with it
    narrator = Narrator(
        sys.stderr, quiet_when_unchanged=False, timestamps=False, every_warning_in=EVERY_WARNING_IN_INVOKE
    )
    try:
        read_content_site(args.content)
        with console_output(args.log_format, sys.stderr, narrator, functions):
            outcome = invoke_once(event, args.content, args.template, args.s3_port)
    except (DevSetupError, OSError) as exc:
        return _fail(str(exc))
    print(json.dumps(outcome.response, indent=2), file=out)
    if not narrator.runs:
        print("the handler published nothing: the event names no content key", file=sys.stderr)
    for note in outcome.notes:
        print(f"note: {note}", file=sys.stderr)
    return EXIT_REJECTED if outcome.failed else EXIT_OK
