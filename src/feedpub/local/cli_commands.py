"""The `dev`, `publish` and `invoke` subcommands (registered in feedpub.cli.PLUGINS)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from feedpub.cli import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, Subparsers
from feedpub.config import SITE_FILE


def add_parser(subparsers: Subparsers) -> None:
    dev = subparsers.add_parser(
        "dev",
        help="run the whole pipeline locally: embedded S3 + SQS, the real handler, an HTTP edge",
        description="Start an embedded S3 + SQS, upload CONTENT, publish it with the Lambda handler and "
        "serve the feeds like CloudFront. Saving a file in CONTENT republishes within a second.",
    )
    dev.add_argument("--content", type=Path, default=Path("content"), metavar="DIR", help="default: content")
    dev.add_argument("--host", default="127.0.0.1", help="edge address (default 127.0.0.1)")
    dev.add_argument("--port", type=int, default=8080, help="edge port (default 8080)")
    dev.add_argument("--s3-port", type=int, default=4566, help="S3 + SQS endpoint port (default 4566)")
    _add_template(dev)
    dev.set_defaults(run=run_dev)

    publish = subparsers.add_parser(
        "publish",
        help="sync a content directory to a content bucket (by checksum)",
        description="Upload new and changed site.yaml and articles/** to BUCKET; delete keys no longer "
        "in CONTENT_DIR only with --delete. Uses the usual AWS profile/region settings.",
    )
    publish.add_argument("content", type=Path, metavar="CONTENT_DIR")
    publish.add_argument("--bucket", required=True, metavar="NAME")
    publish.add_argument("--endpoint-url", metavar="URL", help="e.g. the endpoint `feedpub dev` prints")
    publish.add_argument("--delete", action="store_true", help="delete bucket keys not in CONTENT_DIR")
    publish.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    publish.set_defaults(run=run_publish)

    invoke = subparsers.add_parser(
        "invoke",
        help="run a handler once on an event file against an embedded S3 (sam local invoke, no Docker)",
        description="Start an embedded S3, upload CONTENT, point EVENT's bucket at it, run the handler "
        "the event is for (SQS → publish, {action} → schedule) and print its response and report.",
    )
    invoke.add_argument("event", type=Path, metavar="EVENT.json")
    invoke.add_argument(
        "--content", type=Path, default=Path("content"), metavar="DIR", help="default: content"
    )
    invoke.add_argument("--s3-port", type=int, default=0, help="embedded S3 port (default: any free port)")
    _add_template(invoke)
    invoke.set_defaults(run=run_invoke)


def _add_template(parser: argparse.ArgumentParser) -> None:
    from feedpub.local.devserver import DEFAULT_TEMPLATE

    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE, help=argparse.SUPPRESS)


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"feedpub: {message}", file=sys.stderr)
    return status


def run_dev(args: argparse.Namespace) -> int:
    from feedpub.local.devserver import DevOptions, DevPipeline, DevSetupError

    options = DevOptions(
        content_dir=args.content, host=args.host, port=args.port, s3_port=args.s3_port, template=args.template
    )
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            pipeline = DevPipeline(options)
            pipeline.start()
        except DevSetupError as exc:
            return _fail(str(exc))
        try:
            print(pipeline.banner(), flush=True)
            stop.wait()
            print("feedpub dev: stopping", file=sys.stderr, flush=True)
        finally:
            pipeline.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return EXIT_OK


def run_publish(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from feedpub.local.sync import BucketSync, SyncError, describe_client_error

    content: Path = args.content
    if not (content / SITE_FILE).is_file() and not (content / "articles").is_dir():
        return _fail(f"{content} holds neither {SITE_FILE} nor articles/: not a content directory")
    _warn_rejections(content)
    sync = BucketSync(boto3.client("s3", endpoint_url=args.endpoint_url), args.bucket)
    target = f"s3://{args.bucket}"
    try:
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
    except ClientError as exc:
        return _fail(describe_client_error(exc, args.bucket), EXIT_REJECTED)
    except (BotoCoreError, SyncError, OSError) as exc:
        return _fail(f"{target}: {exc}", EXIT_REJECTED)
    deleted = "would delete" if args.dry_run else "deleted"
    summary = f"{verb} {len(plan.upload)}, {deleted} {len(plan.delete)}, unchanged {len(plan.unchanged)}"
    if plan.kept:
        summary += f"; {len(plan.kept)} in the bucket but not in {content} (kept; --delete removes them)"
    print(summary)
    return EXIT_OK


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


def run_invoke(args: argparse.Namespace) -> int:
    from feedpub.local.devserver import DevSetupError, read_content_site
    from feedpub.local.invoke import invoke_once

    try:
        event = json.loads(args.event.read_text(encoding="utf-8"))
    except OSError as exc:
        return _fail(f"cannot read {args.event}: {exc.strerror}")
    except json.JSONDecodeError as exc:
        return _fail(f"{args.event} is not JSON: {exc}")
    if not isinstance(event, dict) or not ("Records" in event or "action" in event):
        return _fail(f"{args.event} is neither an SQS event (Records) nor a schedule input (action)")
    try:
        read_content_site(args.content)
        outcome = invoke_once(event, args.content, args.template, args.s3_port)
    except DevSetupError as exc:
        return _fail(str(exc))
    print(json.dumps(outcome.response, indent=2))
    print(outcome.summary(), file=sys.stderr)
    return EXIT_REJECTED if outcome.failed else EXIT_OK
