"""What every benchmark needs: an embedded S3 (moto server), a deterministic site, S3 clients and peak RSS.

The site generator is deterministic for a given size and seed, so figures can be compared
across runs and machines: article i has date BASE + i hours (so the newest are the highest
numbers), one to three of 200 tags, and a body of a few Markdown paragraphs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import random
import resource
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends
from moto.server import ThreadedMotoServer

from feedpub.local import moto_speedups
from feedpub.local.moto_process import MotoProcess

TAG_COUNT = 200
REGION = "us-east-1"
BASE_DATE = datetime(2015, 1, 1, tzinfo=UTC)
SITE_YAML = b"""title: Bench Gazette
base_url: https://feeds.bench.example/
home_page_url: https://www.bench.example/
description: A generated site for feedpub's scale benchmarks.
language: en
timezone: UTC
feed_limit: 20
"""

# With every kind of feed on (`python -m bench scale --feed-kinds all`): 50 author profiles the
# articles credit by key, and five feeds of site.yaml selecting by tags and authors.
AUTHOR_COUNT = 50
FEED_KINDS_YAML = (
    "authors:\n"
    + "".join(
        f"  writer-{n:02d}: {{name: Writer {n:02d}, url: 'https://www.bench.example/writers/{n:02d}/'}}\n"
        for n in range(AUTHOR_COUNT)
    )
    + """feeds:
  first-topics: {tags: {any: ['Topic 000', 'Topic 001', 'Topic 002', 'Topic 003', 'Topic 004']}}
  not-topic-7: {tags: {exclude: ['Topic 007']}}
  topic-42-by-writer-00: {tags: {all: ['Topic 042']}, authors: [writer-00]}
  writers-0-to-4: {authors: [writer-00, writer-01, writer-02, writer-03, writer-04]}
  summaries: {tags: {any: ['Topic 010', 'Topic 020', 'Topic 030']}, content: summary}
"""
)

_WORDS = [
    "cinema",
    "premiere",
    "director",
    "sequel",
    "festival",
    "review",
    "trailer",
    "casting",
    "studio",
    "budget",
    "score",
    "stunt",
    "interview",
    "profile",
    "season",
    "release",
    "box",
    "office",
    "critic",
    "camera",
    "editor",
    "script",
]


def tag_name(number: int) -> str:
    return f"Topic {number:03d}"


def article_key(number: int) -> str:
    return f"articles/{number // 1000:03d}/post-{number:06d}.md"


def article_date(number: int) -> datetime:
    return BASE_DATE + timedelta(hours=number)


def tag_count(number: int, *, seed: int = 5) -> int:
    """How many tags article `number` of the generated site has (as article_bytes draws them)."""
    return random.Random(seed * 1_000_003 + number).randint(1, 3)


def article_bytes(
    number: int,
    *,
    seed: int = 5,
    title_suffix: str = "",
    tags: Iterable[str] | None = None,
    feed_kinds: bool = False,
) -> bytes:
    """Article `number` of the generated site; `title_suffix` and `tags` make an edited version.

    With `feed_kinds`, the article credits one or two of the site's author profiles by key."""
    rng = random.Random(seed * 1_000_003 + number)
    if tags is None:
        tags = [tag_name(t) for t in rng.sample(range(TAG_COUNT), rng.randint(1, 3))]
    words = [rng.choice(_WORDS) for _ in range(12)]
    title = " ".join(words[:6]).capitalize() + f" #{number}{title_suffix}"
    paragraphs = [" ".join(rng.choice(_WORDS) for _ in range(40)).capitalize() + "." for _ in range(3)]
    body = (
        f"{paragraphs[0]}\n\n**{words[6]}** and *{words[7]}*: see [the {words[8]}](/notes/{number}/).\n\n"
        + "\n\n".join(paragraphs[1:])
        + "\n"
    )
    tag_list = ", ".join(f'"{t}"' for t in tags)
    when = article_date(number).strftime("%Y-%m-%d %H:%M")
    author = "Bench Desk"
    if feed_kinds:
        writers = sorted({number % AUTHOR_COUNT, rng.randrange(AUTHOR_COUNT)})
        author = "[" + ", ".join(f"writer-{n:02d}" for n in writers) + "]"
    front = f'---\ntitle: "{title}"\ndate: {when}\ntags: [{tag_list}]\nauthor: {author}\n---\n'
    return (front + body).encode()


def generate_site(size: int, *, seed: int = 5, feed_kinds: bool = False) -> Iterator[tuple[str, bytes]]:
    """site.yaml then `size` articles, as (key, bytes); `feed_kinds` turns on author profiles and
    feeds of site.yaml (FEED_KINDS_YAML)."""
    yield "site.yaml", SITE_YAML + (FEED_KINDS_YAML.encode() if feed_kinds else b"")
    for number in range(size):
        yield article_key(number), article_bytes(number, seed=seed, feed_kinds=feed_kinds)


def s3_client(endpoint: str, *, pool: int = 10, retries: int = 5) -> Any:
    """An S3 client for the embedded server (dummy credentials, path-style addressing).

    `retries` counts retries after the first attempt (botocore's `max_attempts` setting).
    """
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - moto accepts any key
        config=Config(
            max_pool_connections=pool,
            retries={"mode": "standard", "max_attempts": retries},
            s3={"addressing_style": "path"},
        ),
    )


def sqs_client(endpoint: str) -> Any:
    """An SQS client for the embedded server."""
    return boto3.session.Session().client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - moto accepts any key
    )


@contextmanager
def moto_server() -> Iterator[str]:
    """An embedded S3 + SQS on 127.0.0.1 at a free port; yields its endpoint URL and stops it after."""
    logging.getLogger("werkzeug").setLevel(
        logging.ERROR
    )  # one access-log line per request drowns the figures
    moto_speedups.apply()  # as `feedpub dev` runs it
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_backends_for() -> Any:
    """The embedded server's S3 backend (the default moto account), for seeding and direct edits."""
    return s3_backends[DEFAULT_ACCOUNT_ID]["global"]


@contextmanager
def moto_server_process() -> Iterator[str]:
    """An embedded S3 + SQS in a process of its own on 127.0.0.1 (no GIL shared with the caller's
    threads), as `feedpub dev` runs it. Yields its endpoint URL; the process ends on exit."""
    server = MotoProcess("127.0.0.1", 0)
    try:
        yield server.endpoint
    finally:
        server.stop()


def seed(bucket: str, objects: Iterable[tuple[str, bytes]]) -> int:
    """Store every (key, bytes) straight into the embedded server's S3 backend; return how many.

    The server runs in this process, so seeding a site of 100,000 articles takes seconds
    instead of minutes of HTTP PUTs (and sends no event notifications). The bucket must exist.
    """
    backend = s3_backends_for()
    count = 0
    for key, data in objects:
        backend.put_object(bucket, key, data)
        count += 1
    return count


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB.

    On Linux, VmHWM of this process's own memory map: ru_maxrss would also count the parent's
    RSS at fork time, since Linux carries it across exec into a subprocess's figure.
    """
    peak_mib = _status_mib("VmHWM")
    if peak_mib is not None:
        return peak_mib
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def current_rss_mib() -> float | None:
    """This process's resident set size now, in MiB (None off Linux)."""
    return _status_mib("VmRSS")


def _status_mib(field: str) -> float | None:
    """A size line of this process's /proc/self/status (in kB there), in MiB; None off Linux."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return None


def reset_peak_rss() -> bool:
    """Start this process's peak RSS (VmHWM) again from its RSS now, so that `peak_rss_mib` gives
    the peak of one step that runs in a process already busy (Linux: /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def write_section(path: Path, name: str, body: str) -> None:
    """Replace what lies between `<!-- name:start -->` and `<!-- name:end -->` in `path`, else append it."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# feedpub benchmarks\n"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, _, rest = text.partition(start)
        _, _, after = rest.partition(end)
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def machine_note() -> str:
    """What the figures were measured on: CPU count and model, Python, OS, date."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Machine: {os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; measured {when}."
    )
