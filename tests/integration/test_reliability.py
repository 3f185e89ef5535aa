"""Reliability of the incremental publisher under S3 faults, crashes, concurrency and redelivery.

Everything runs against a moto server on 127.0.0.1 (real HTTP, so botocore's retry logic
sees the injected faults exactly as it would see S3's). The yardstick is always the same:
the public outputs in the publish bucket, byte for byte, against `build.render_site` over the
content as it stands (a from-scratch build). Fast cases run in the normal suite; the
`soak` variants run the issue's full counts (`make soak`) and record their figures
(tests/support/soak.py) for `python -m bench reliability` to publish in docs/benchmarks.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import handlers.publish as handlers_publish
import lxml.etree
import pytest
from bench.support import moto_server_process, s3_client, sqs_client
from botocore.exceptions import ClientError
from handlers.publish import CLIENT_CONFIG

from feedpub import build, records
from feedpub.config import SITE_FILE, parse_site
from feedpub.errors import RecordError
from feedpub.publish import Publisher, PublishReport, S3Store
from feedpub.publish.state import StateStore
from tests.support.counting import RequestCounter
from tests.support.faults import (
    WRITE_OPERATIONS,
    CrashAfterWrites,
    FaultInjector,
    SimulatedCrash,
    skip_backoff,
)
from tests.support.soak import record_figures

# Retries after the first attempt, as the Lambda's clients make them (botocore's Config has no stubs).
RETRIES: int = CLIENT_CONFIG.retries["max_attempts"]  # type: ignore[attr-defined]
NOW = datetime(2030, 1, 1, tzinfo=UTC)
STATE_PREFIX = "_state/"
BASE_URL = "https://feeds.example.org/"
# Every kind of feed: tags, authors (site.yaml keys and plain names), a feed of site.yaml; small
# feeds and archive pages, so the equality checks cover the archive documents and their chains.
SITE_YAML = f"""title: Reliability Review
base_url: {BASE_URL}
feed_limit: 4
archive_page_size: 3
timezone: UTC
authors:
  ada: {{name: Ada Lovelace, url: https://www.example.org/ada/}}
  alan: {{name: Alan Turing}}
feeds:
  ada-on-alpha: {{tags: {{any: [Alpha, Beta]}}, authors: [ada]}}
  no-gamma: {{tags: {{exclude: [Gamma]}}}}
""".encode()
AUTHORS = ("", "author: ada", "author: Grace Hopper", "authors: [ada, alan]")
TAGS = ("Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta")
POOL = [f"articles/post-{n:02d}.md" for n in range(24)]

_bucket_counter = iter(range(1_000_000))


# ---- the world: a moto server, two buckets, a content model -----------------------------------


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server_process() as url:
        yield url


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    skip_backoff(monkeypatch)


@dataclass
class Site:
    endpoint: str
    content: str
    publish: str
    admin: Any  # an S3 client no fault ever touches
    bodies: dict[tuple[str, str], bytes] = field(default_factory=dict)
    versions: dict[str, bytes] = field(default_factory=dict)  # every content version ever put, by ETag

    def publisher(self, *hooks: Any) -> Publisher:
        """A publisher with a client of its own; each hook is attached to that client's events."""
        client = s3_client(self.endpoint, pool=16, retries=RETRIES)
        for hook in hooks:
            hook.attach(client.meta.events)
        return Publisher(
            content=S3Store(client, self.content),
            output=S3Store(client, self.publish),
            cdn=None,
            state_prefix=STATE_PREFIX,
            clock=lambda: NOW,
            websub=False,
        )

    def put(self, key: str, data: bytes | None) -> None:
        if data is None:
            self.admin.delete_object(Bucket=self.content, Key=key)
        else:
            etag = self.admin.put_object(Bucket=self.content, Key=key, Body=data)["ETag"].strip('"')
            self.versions[etag] = data

    def public(self) -> dict[str, bytes]:
        """Every public output as the edge would serve it (the private state excluded).

        Bodies are cached by ETag, so checking after every single write stays cheap.
        """
        found = {}
        for page in self.admin.get_paginator("list_objects_v2").paginate(Bucket=self.publish):
            for item in page.get("Contents", []):
                key, etag = item["Key"], item["ETag"]
                if key.startswith(STATE_PREFIX):
                    continue
                if (key, etag) not in self.bodies:
                    self.bodies[(key, etag)] = self.admin.get_object(Bucket=self.publish, Key=key)[
                        "Body"
                    ].read()
                found[key] = self.bodies[(key, etag)]
        return found

    def content_versions(self) -> dict[str, str]:
        """The records in the content bucket now: key -> ETag."""
        found = {}
        for page in self.admin.get_paginator("list_objects_v2").paginate(Bucket=self.content):
            for item in page.get("Contents", []):
                if records.is_record_path(item["Key"]):
                    found[item["Key"]] = item["ETag"].strip('"')
        return found

    def committed_versions(self) -> dict[str, str]:
        """The record versions the publisher's committed state says it published: key -> ETag."""
        state = StateStore(S3Store(self.admin, self.publish), STATE_PREFIX)
        root, _ = state.load_root()
        return {
            key: entry["etag"]
            for shard in root["shards"].values()
            for key, entry in state.load(shard).items()
        }

    def build(self, versions: dict[str, str]) -> dict[str, bytes]:
        """A from-scratch build of these record versions (key -> ETag) with the current site.yaml."""
        site = parse_site(self.admin.get_object(Bucket=self.content, Key=SITE_FILE)["Body"].read())
        loaded = []
        for key, etag in versions.items():
            with contextlib.suppress(RecordError):
                loaded.append(records.parse_record(key, self.versions[etag], site))
        return build.render_site(site, loaded, NOW).outputs

    def scratch(self) -> dict[str, bytes]:
        """What a from-scratch build of the content as it stands now produces."""
        return self.build(self.content_versions())


def _new_site(endpoint: str) -> Site:
    """Two fresh buckets on the shared server (names unique per process and test)."""
    n = next(_bucket_counter)
    world = Site(endpoint, f"content-{os.getpid()}-{n}", f"publish-{os.getpid()}-{n}", s3_client(endpoint))
    world.admin.create_bucket(Bucket=world.content)
    world.admin.create_bucket(Bucket=world.publish)
    return world


@pytest.fixture
def site(endpoint: str) -> Site:
    return _new_site(endpoint)


def random_article(rng: random.Random, key: str) -> bytes:
    """A random but valid article; now and then a draft, a shared id or a malformed record."""
    roll = rng.random()
    if roll < 0.05:
        return b"---\ntitle: [unclosed\n---\nbroken front matter\n"
    tags = ", ".join(rng.sample(TAGS, rng.randint(0, 3)))
    lines = [
        f'title: "Story {rng.randint(1, 999)} for {key.rsplit("/", 1)[-1]}"',
        f"date: 2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:00",
        f"tags: [{tags}]",
    ]
    author = rng.choice(AUTHORS)
    if author:
        lines.append(author)
    if roll > 0.95:
        lines.append("draft: true")
    elif roll > 0.9:
        lines.append("id: https://www.example.org/shared-id/")
    return ("---\n" + "\n".join(lines) + f"\n---\nBody of {key}, version {rng.random():.6f}.\n").encode()


def random_changes(rng: random.Random, site: Site, count: int) -> list[str]:
    """Add, edit or delete `count` random records in the content bucket; return their keys."""
    keys = rng.sample(POOL, count)
    for key in keys:
        site.put(key, None if rng.random() < 0.2 else random_article(rng, key))
    return keys


def seed_site(site: Site, rng: random.Random, articles: int = 10) -> None:
    site.put(SITE_FILE, SITE_YAML)
    for key in POOL[:articles]:
        site.put(key, random_article(rng, key))
    report = site.publisher().rebuild()
    assert not report.failed_keys
    assert site.public() == site.scratch()


def failed(run: Callable[[], PublishReport]) -> tuple[bool, PublishReport | None]:
    """Run a publish; (True, report) when it reported failed keys, (True, None) when it raised."""
    try:
        report = run()
    except Exception:  # an escaped S3 error fails the whole SQS batch: also a failure, retried
        return True, None
    return bool(report.failed_keys), report


# ---- faults ---------------------------------------------------------------------------------


@dataclass
class FaultTally:
    runs: int = 0
    faults: int = 0
    failed_runs: int = 0
    failed_before_writes: int = 0
    failed_mid_flush: int = 0
    mismatches: list[str] = field(default_factory=list)


def run_fault_campaign(site: Site, rate: float, publishes: int, seed: int) -> FaultTally:
    """`publishes` random batches published through a client failing `rate` of S3 requests.

    A run that completes leaves the public outputs equal to a from-scratch build of the content.
    A run that fails may still have published part of its batch (the records it could read; the
    rest are retried): its committed state must then name, for every record, either the version
    published before or the one in the bucket, and every public output must be at its previous
    bytes or at the bytes of a from-scratch build of exactly those versions (S3 cannot make the
    writes of one run atomic): never anything else, never an output lost. Failed keys are
    redelivered with the next batch.
    """
    rng = random.Random(seed)
    seed_site(site, rng)
    faults = FaultInjector(rate, seed=seed)
    publisher = site.publisher(faults)
    tally = FaultTally()
    redeliver: list[str] = []
    for _ in range(publishes):
        keys = sorted(set(random_changes(rng, site, rng.randint(1, 3)) + redeliver))
        before, published_before = site.public(), site.committed_versions()
        is_failure, report = failed(lambda k=keys: publisher.apply(k))  # type: ignore[misc]
        tally.runs += 1
        after = site.public()
        if not is_failure:
            redeliver = []
            if after != site.scratch():
                tally.mismatches.append("a run that completed left outputs unlike a from-scratch build")
            continue
        tally.failed_runs += 1
        redeliver = keys
        if after == before:
            tally.failed_before_writes += 1
            continue
        tally.failed_mid_flush += 1
        committed, current = site.committed_versions(), site.content_versions()
        for key in committed.keys() | published_before.keys():
            if committed.get(key) not in (published_before.get(key), current.get(key)):
                tally.mismatches.append(f"{key}: the state names a version neither published nor current")
        target = site.build(committed)
        for path in before.keys() | after.keys():
            if after.get(path) not in (before.get(path), target.get(path)):
                tally.mismatches.append(f"{path}: neither its previous bytes nor the committed state's")
    tally.faults = faults.total
    faults.active = False
    report = site.publisher().reconcile()
    assert not report.failed_keys
    assert site.public() == site.scratch(), "after the faults stopped, a reconcile did not converge"
    return tally


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_faulty_s3_never_corrupts_and_converges(site: Site, rate: float) -> None:
    # Given 20 random publishes through an S3 client that fails `rate` of its requests
    # (503 SlowDown, 500, connection reset, read timeout after delivery),
    # when each publish completes or fails, then no failed run left a public output at
    # anything but its previous or its new correct bytes, and once the faults stop the next
    # run converges to a from-scratch build.
    tally = run_fault_campaign(site, rate, publishes=20, seed=int(rate * 100))
    assert tally.faults > 0
    assert tally.mismatches == []


def test_fault_injector_reaches_botocore_retries(site: Site) -> None:
    # Given a client failing every attempt with 503 SlowDown, when it reads an object, then
    # botocore makes its first attempt and 3 retries, and gives up with the S3 error code.
    faults = FaultInjector(1.0, kinds=("slowdown",))
    client = s3_client(site.endpoint, retries=3)
    counter = RequestCounter().attach(client.meta.events)
    faults.attach(client.meta.events)
    with pytest.raises(ClientError, match="SlowDown"):
        client.get_object(Bucket=site.content, Key="site.yaml")
    assert faults.injected["slowdown"] == 4
    assert counter.requests["GetObject"] == 4


# ---- a publish killed between two writes -------------------------------------------------------


def feed_references_missing(site: Site) -> list[str]:
    """References from published outputs to objects that are not there (checked between any two writes)."""
    public = site.public()
    missing = []
    if "feeds.opml" in public:
        for outline in lxml.etree.fromstring(public["feeds.opml"]).iter("outline"):
            url = outline.get("xmlUrl")
            if url and urljoin(BASE_URL, url).removeprefix(BASE_URL) not in public:
                missing.append(f"feeds.opml lists {url}")
    for path, body in public.items():
        if path.endswith(".xml"):
            for node in lxml.etree.fromstring(body).itersiblings(preceding=True):
                if node.tag is lxml.etree.PI and node.target == "xml-stylesheet":
                    href = urljoin(BASE_URL + path, node.get("href") or "")
                    if href.removeprefix(BASE_URL) not in public:
                        missing.append(f"{path} uses stylesheet {href}")
    return missing


def crash_batch(site: Site, seed: int) -> list[str]:
    """The same seeded site and the same batch of four changes, for every crash point."""
    rng = random.Random(seed)
    seed_site(site, rng, articles=8)
    return random_changes(rng, site, 4)


def _checker(site: Site, problems: list[str]) -> Callable[[str], None]:
    """After each write: note any published reference to a missing object."""

    def check(_operation: str) -> None:
        problems.extend(feed_references_missing(site))

    return check


def crash_sweep(
    site_factory: Callable[[], Site], seed: int, points: int | None = None
) -> tuple[int, list[str]]:
    """Kill the same publish after N writes, for every N until it completes (or `points` N spread
    evenly over that range); after each crash the batch is redelivered. Returns (crashes, problems)."""
    probe = site_factory()
    keys = crash_batch(probe, seed)
    counting = CrashAfterWrites(10**6)
    probe.publisher(counting).apply(keys)
    total = counting.writes_done
    crash_points = (
        range(total)
        if points is None
        else sorted({round(i * (total - 1) / (points - 1)) for i in range(points)})
    )
    problems: list[str] = []
    for allowed in crash_points:
        site = site_factory()
        keys = crash_batch(site, seed)
        crash = CrashAfterWrites(allowed, after_write=_checker(site, problems))
        with pytest.raises(SimulatedCrash):
            site.publisher(crash).apply(keys)
        problems.extend(feed_references_missing(site))
        report = site.publisher().apply(keys)  # SQS redelivers the batch to a fresh Lambda
        if report.failed_keys or site.public() != site.scratch():
            problems.append(
                f"after a crash at write {allowed + 1} of {total}, the redelivered batch did not converge"
            )
    return len(crash_points), problems


def test_publish_killed_between_any_two_writes_converges(endpoint: str) -> None:
    # Given a batch of four changes, when the publish is killed before its 1st write, its last,
    # and at four points between (the soak run kills it at every write), then between any two
    # writes no published feed references an object that is not there, and the redelivered
    # batch converges to a from-scratch build.
    crashes, problems = crash_sweep(lambda: _new_site(endpoint), seed=7, points=6)
    assert crashes == 6
    assert problems == []


# ---- concurrency ---------------------------------------------------------------------------------


def run_concurrent_rounds(site: Site, rounds: int, runners: int, seed: int) -> list[str]:
    """Each round: `runners` publishers, started together, each publishing its own fresh change."""
    rng = random.Random(seed)
    seed_site(site, rng)
    publishers = [site.publisher() for _ in range(runners)]
    problems = []
    for round_number in range(rounds):
        keys = random_changes(rng, site, runners)
        barrier = threading.Barrier(runners)
        reports: list[PublishReport | None] = [None] * runners

        threads = [
            threading.Thread(target=_apply_together, args=(barrier, publishers[i], key, reports, i))
            for i, key in enumerate(keys)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        failed_keys = [k for r in reports if r is not None for k in r.failed_keys]
        if failed_keys:  # SQS would redeliver them
            site.publisher().apply(failed_keys)
        if site.public() != site.scratch():
            problems.append(
                f"round {round_number}: the outputs differ from a from-scratch build (lost update)"
            )
    return problems


def _apply_together(
    barrier: threading.Barrier,
    publisher: Publisher,
    key: str,
    reports: list[PublishReport | None],
    index: int,
) -> None:
    barrier.wait()
    reports[index] = publisher.apply([key])


def test_eight_concurrent_runs_lose_no_update(site: Site) -> None:
    # Given eight publishers started together on eight interleaved changes, 10 rounds,
    # then after every round the public outputs equal a from-scratch build: no update lost.
    assert run_concurrent_rounds(site, rounds=10, runners=8, seed=11) == []


# ---- idempotency, ordering, poison records ------------------------------------------------------


def test_replayed_and_duplicated_events_write_nothing(site: Site) -> None:
    # Given a published change, when its event is replayed, duplicated within a batch and
    # redelivered out of order with an older event for the same key, then the replays write
    # nothing, invalidate nothing, and the outputs stay equal to a from-scratch build.
    rng = random.Random(3)
    seed_site(site, rng)
    key = POOL[2]
    site.put(key, random_article(rng, key))
    first = site.publisher().apply([key])
    assert first.written
    counter = RequestCounter()
    publisher = site.publisher(counter)
    for batch in ([key], [key, key], [POOL[3], key], [key]):
        report = publisher.apply(batch)
        assert (report.written, report.deleted, report.invalidation_paths) == ([], [], [])
    assert not WRITE_OPERATIONS & counter.requests.keys()
    assert site.public() == site.scratch()


def test_poison_record_is_reported_once_and_never_blocks(site: Site) -> None:
    # Given a batch with one malformed record among good ones, when published and redelivered,
    # then the malformed one is reported rejected with its key and reason, the good ones are
    # published, no key is failed (so SQS never retries it), and the replay does nothing.
    rng = random.Random(5)
    seed_site(site, rng)
    poison, good = "articles/poison.md", POOL[12]
    site.put(poison, b"---\ndate: not a date\n---\nno title either\n")
    site.put(good, random_article(random.Random(99), good).replace(b"draft: true\n", b""))
    report = site.publisher().apply([poison, good])
    assert report.failed_keys == []
    assert [r["path"] for r in report.rejected] == [poison]
    assert report.rejected[0]["reason"]
    assert site.public() == site.scratch()
    replay = site.publisher().apply([poison])
    assert (replay.failed_keys, replay.written) == ([], [])


# ---- through the handler and a real (moto) SQS queue with a dead-letter queue ---------------------


@dataclass(frozen=True)
class LambdaContextStub:
    function_name: str = "PublishFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:PublishFunction"
    aws_request_id: str = "reliability-test"


def s3_notification(bucket: str, key: str, event: str = "ObjectCreated:Put") -> str:
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventName": event,
                    "s3": {
                        "bucket": {"name": bucket},
                        "object": {"key": key, "sequencer": "0055AED6DCD90281E5"},
                    },
                }
            ]
        }
    )


def lambda_event(queue_arn: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The event Lambda's SQS poller hands the function for these received messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": m["Attributes"]["ApproximateReceiveCount"]},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


@pytest.fixture
def queues(site: Site) -> Iterator[tuple[Any, str, str, str]]:
    """A publish queue whose messages go to a dead-letter queue after 3 receives; the handler uses `site`."""
    sqs = sqs_client(site.endpoint)
    name = site.content.replace("content", "queue")
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    yield sqs, url, arn, dlq_url
    handlers_publish.use_publisher(None)


def drain(sqs: Any, url: str, arn: str, max_polls: int = 12) -> int:
    """Be Lambda's SQS poller: receive, invoke the handler, delete what succeeded. Returns the invocations."""
    invocations = 0
    for _ in range(max_polls):
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"]
        ).get("Messages", [])
        if not messages:
            break
        invocations += 1
        result = handlers_publish.lambda_handler(lambda_event(arn, messages), LambdaContextStub())
        failed_ids = {failure["itemIdentifier"] for failure in result["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed_ids:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return invocations


def test_unprocessable_message_ends_in_dead_letter_queue_and_poison_record_does_not(
    site: Site, queues: tuple[Any, str, str, str]
) -> None:
    # Given a queue with maxReceiveCount 3, a message for a record that S3 always fails to
    # serve, a poison (malformed) record and a good record, when Lambda's poller drains the
    # queue through the real handler, then the good record is published, the poison record is
    # reported and deleted (it never loops), and only the unservable message ends in the DLQ.
    sqs, url, arn, dlq_url = queues
    seed_site(site, random.Random(8))
    good, poison, unservable = POOL[14], "articles/poison.md", "articles/unservable.md"
    site.put(good, random_article(random.Random(1), good).replace(b"draft: true\n", b""))
    site.put(poison, b"not front matter at all")
    site.put(unservable, random_article(random.Random(2), unservable))
    faults = FaultInjector(
        1.0, kinds=("internal",), operations=frozenset({"GetObject"}), url_contains="unservable"
    )
    handlers_publish.use_publisher(site.publisher(faults))
    for key in (good, poison, unservable):
        sqs.send_message(QueueUrl=url, MessageBody=s3_notification(site.content, key))
    invocations = drain(sqs, url, arn)
    in_dlq = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"])["Records"][0]["s3"]["object"]["key"] for m in in_dlq] == [unservable]
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    assert invocations <= 5
    faults.active = False
    site.put(unservable, None)  # what an operator does after reading the DLQ: fix or remove the record
    handlers_publish.use_publisher(site.publisher())
    assert not handlers_publish.current_publisher().apply([unservable]).failed_keys
    assert site.public() == site.scratch()


def test_duplicate_messages_and_redelivery_through_the_handler_write_nothing_more(
    site: Site, queues: tuple[Any, str, str, str]
) -> None:
    # Given one change announced by two duplicate messages, when the handler processes them
    # and SQS then redelivers both (a timed-out invocation), then the first invocation publishes,
    # the redelivery succeeds with zero S3 writes, and the outputs equal a from-scratch build.
    sqs, url, arn, _ = queues
    seed_site(site, random.Random(9))
    key = POOL[15]
    site.put(key, random_article(random.Random(4), key))
    counter = RequestCounter()
    handlers_publish.use_publisher(site.publisher(counter))
    for _ in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=s3_notification(site.content, key))
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    first = handlers_publish.lambda_handler(lambda_event(arn, messages), LambdaContextStub())
    assert first["batchItemFailures"] == []
    writes_after_first = sum(counter.requests[op] for op in WRITE_OPERATIONS)
    assert writes_after_first > 0
    redelivered = handlers_publish.lambda_handler(lambda_event(arn, messages), LambdaContextStub())
    assert redelivered["batchItemFailures"] == []
    assert sum(counter.requests[op] for op in WRITE_OPERATIONS) == writes_after_first
    assert site.public() == site.scratch()


# ---- soak runs: the counts, figures for docs/benchmarks.md ------------------------------


@pytest.mark.soak
@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_soak_faults_200_publishes(site: Site, rate: float) -> None:
    # The fault campaign at the count: 200 randomised publishes per fault rate.
    tally = run_fault_campaign(site, rate, publishes=200, seed=1000 + int(rate * 100))
    record_figures(
        f"faults_{int(rate * 100)}pct",
        {
            "publishes": tally.runs,
            "faults_injected": tally.faults,
            "failed_publishes": tally.failed_runs,
            "failed_before_any_write": tally.failed_before_writes,
            "failed_mid_flush": tally.failed_mid_flush,
            "corrupted_or_lost_outputs": len(tally.mismatches),
            "converged": True,
        },
    )
    assert tally.mismatches == []


@pytest.mark.soak
def test_soak_eight_concurrent_runs_200_rounds(site: Site) -> None:
    # Eight concurrent publishers over interleaved changes, 200 rounds.
    problems = run_concurrent_rounds(site, rounds=200, runners=8, seed=2024)
    record_figures("concurrency", {"rounds": 200, "runners": 8, "lost_updates": len(problems)})
    assert problems == []


@pytest.mark.soak
def test_soak_crash_sweeps(endpoint: str) -> None:
    # Crash sweeps over two different batches: every crash point, every time.
    total_crashes, all_problems = 0, []
    for seed in range(2):
        crashes, problems = crash_sweep(lambda: _new_site(endpoint), seed=100 + seed)
        total_crashes += crashes
        all_problems += problems
    record_figures("crashes", {"batches": 2, "crash_points": total_crashes, "problems": len(all_problems)})
    assert all_problems == []
