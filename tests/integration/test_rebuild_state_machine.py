"""RebuildStateMachine as deployed, run by moto's Step Functions interpreter.

The definition is the one the SAM transform of template.yaml produces (its function ARN
substituted, as CloudFormation does). Each Lambda task of an execution calls the real
RebuildFunction handler in this process, with what Lambda would return: its result, or for an
unhandled exception the error payload whose `errorType` the state machine's Retry and Catch see.
The waits between retries are shortened; the states, their retry counts and catches are not.

What moto cannot show: Lambda's own throttling and timeouts (the `Lambda.*` retriers), the
RebuildFailedAlarm (CloudWatch metrics of the execution), X-Ray, and real concurrency limits.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import handlers.publish
import handlers.rebuild
import handlers.reconcile
import pytest
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody
from handlers.publish import build_publisher
from moto.core.config import default_user_config

from feedpub.publish import rebuild as rebuild_module
from feedpub.publish.rebuild import RebuildRequest, RebuildSteps
from tests.integration.conftest import SITE_YAML, Pipeline
from tests.integration.template_helpers import transformed_template
from tests.support.builders import REGION, FakeLambdaContext, article

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:feedpub-RebuildFunction"
WORKERS = 3


def deployed_definition() -> str:
    """The state machine definition as CloudFormation creates it, with retry waits of a second."""
    definition = transformed_template()["Resources"]["RebuildStateMachine"]["Properties"]["DefinitionString"]
    if isinstance(definition, dict):  # the transform emits a Fn::Join of lines
        separator, lines = definition["Fn::Join"]
        definition = separator.join(lines)
    text = definition.replace("${RebuildFunctionArn}", FUNCTION_ARN)
    text = re.sub(r'"IntervalSeconds": \d+', '"IntervalSeconds": 1', text)
    return re.sub(r'"BackoffRate": [\d.]+', '"BackoffRate": 1', text)


class RebuildFunction:
    """Answers the state machine's lambda:invoke tasks by running handlers.rebuild in this process."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail: Callable[[dict[str, Any]], None] | None = None  # raise to fail an invocation
        self._lock = threading.Lock()

    def __call__(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        event = json.loads(params["body"])
        with self._lock:
            self.calls.append(event)
        try:
            if self.fail is not None:
                self.fail(event)
            result: Any = handlers.rebuild.lambda_handler(
                event, FakeLambdaContext(function_name="RebuildFunction")
            )  # type: ignore[arg-type]
            extra: dict[str, Any] = {}
        except Exception as exc:  # what Lambda answers for an unhandled exception
            result = {"errorType": type(exc).__name__, "errorMessage": str(exc)}
            extra = {"FunctionError": "Unhandled"}
        body = json.dumps(result).encode()
        response = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(body), len(body)), **extra}
        return AWSResponse(FUNCTION_ARN, 200, {}, None), response

    def steps(self, step: str, plan: str | None = None) -> list[dict[str, Any]]:
        """The invocations of one step (of one execution's plan, if given)."""
        return [call for call in self.calls if call.get("step") == step and plan in (None, call["plan"])]


class Deployed:
    """The pipeline wired as the template deploys it: rebuilds start RebuildStateMachine."""

    def __init__(self, site: Pipeline, function: RebuildFunction) -> None:
        self.site = site
        self.function = function
        self.sfn = boto3.client("stepfunctions", endpoint_url=site.endpoint, region_name=REGION)
        created = self.sfn.create_state_machine(
            name=f"rebuild-{site.publish_bucket}",
            definition=deployed_definition(),
            roleArn="arn:aws:iam::123456789012:role/feedpub-RebuildStateMachineRole",
        )
        self.arn = created["stateMachineArn"]
        settings = site.settings.model_copy(update={"rebuild_state_machine": self.arn})
        publisher = build_publisher(
            settings, s3_client=site.s3, cf_client=site.cloudfront, sfn_client=self.sfn
        )
        handlers.publish.use_publisher(publisher)

    def executions(self) -> list[dict[str, Any]]:
        return self.sfn.list_executions(stateMachineArn=self.arn)["executions"]

    def wait(self, count: int = 1, timeout_s: float = 120) -> list[dict[str, Any]]:
        """The first `count` executions, once all of them have ended."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            executions = self.executions()
            if len(executions) >= count and all(e["status"] != "RUNNING" for e in executions):
                return [self.sfn.describe_execution(executionArn=e["executionArn"]) for e in executions]
            time.sleep(0.2)
        raise AssertionError(f"executions still running after {timeout_s} s: {self.executions()}")


@pytest.fixture
def deployed(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Deployed:
    monkeypatch.setitem(default_user_config["stepfunctions"], "execute_state_machine", True)
    monkeypatch.setattr(rebuild_module, "MIN_RECORDS_PER_PART", 1)  # a few records, several parts
    monkeypatch.setattr(rebuild_module, "MIN_DOCUMENTS_PER_PART", 1)  # and several render parts
    for name, value in {
        "CONTENT_BUCKET": pipeline.content_bucket,
        "PUBLISH_BUCKET": pipeline.publish_bucket,
        "REBUILD_WORKERS": str(WORKERS),
    }.items():
        monkeypatch.setenv(name, value)
    function = RebuildFunction()
    # The interpreter makes its Lambda client from boto3's default session: answer its invokes here.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    boto3.setup_default_session(region_name=REGION)
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-call.lambda.Invoke", function)
    pipeline.upload("site.yaml", SITE_YAML)
    return Deployed(pipeline, function)


def publish_site(site: Pipeline, count: int) -> list[str]:
    keys = []
    for number in range(count):
        key = f"articles/post-{number:02d}.md"
        tags = ["Film"] if number % 2 else ["News", "Interviews"]
        site.upload(key, article(f"Post {number}", f"2024-02-{number % 27 + 1:02d} 10:00", tags))
        keys.append(key)
    return keys


def test_a_new_stack_is_built_by_the_state_machine_over_the_record_shards(deployed: Deployed) -> None:
    # Given a bucket of records and no published state (a new stack)
    site = deployed.site
    keys = publish_site(site, 24)
    # When the first events reach PublishFunction
    response = site.publish(*keys[:5])
    # Then it starts one rebuild execution instead of reading every record itself
    assert response == {"batchItemFailures": []}
    (execution,) = deployed.wait()
    assert execution["status"] == "SUCCEEDED", execution
    # And the execution planned, read the records in parts (one invocation each), and merged once
    function = deployed.function
    assert len(function.steps("plan")) == 1
    parts = function.steps("part")
    assert sorted(call["part"] for call in parts) == list(range(len(parts)))
    assert len(parts) == WORKERS
    assert len(function.steps("merge")) == 1
    assert json.loads(execution["output"])["published"] == 24
    # And the feeds equal a from-scratch build, with nothing left of the plan
    site.assert_matches_build()
    assert not site.admin.list_objects_v2(Bucket=site.publish_bucket, Prefix="_state/rebuilds/").get(
        "Contents"
    )


def test_a_site_yaml_change_fans_out_and_a_failing_part_is_retried_alone(deployed: Deployed) -> None:
    # Given a published site
    site = deployed.site
    keys = publish_site(site, 18)
    site.publish(*keys)
    deployed.wait()
    calls_before = len(deployed.function.calls)
    failed_once: set[int] = set()

    def part_one_fails_once(event: dict[str, Any]) -> None:
        if event.get("step") == "part" and event["part"] == 1 and 1 not in failed_once:
            failed_once.add(1)
            raise ConnectionError("S3 unreachable while part 1 read its records")

    deployed.function.fail = part_one_fails_once
    # When site.yaml changes how records are read, in one batch with a new article
    site.upload("site.yaml", SITE_YAML.replace(b"timezone: UTC", b"timezone: Asia/Tokyo"))
    site.upload("articles/new.md", article("New", "2024-03-01 10:00", ["Film"]))
    assert site.publish("site.yaml", "articles/new.md") == {"batchItemFailures": []}
    executions = deployed.wait(count=2)
    assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"]
    # Then part 1 ran twice and every other part once, in the second execution
    second = deployed.function.calls[calls_before:]
    by_part: dict[int, int] = {}
    for call in second:
        if call.get("step") == "part":
            by_part[call["part"]] = by_part.get(call["part"], 0) + 1
    assert by_part == {0: 1, 1: 2, 2: 1}
    # And the result equals a from-scratch build under the new site.yaml, new article included
    site.assert_matches_build()
    assert b"+09:00" in site.public()["feed.json"]


def test_a_rebuild_that_keeps_failing_keeps_the_last_good_feeds_and_the_hourly_reconcile_redoes_it(
    deployed: Deployed,
) -> None:
    # Given a published site, and a merge that fails on every attempt
    site = deployed.site
    keys = publish_site(site, 9)
    site.publish(*keys)
    deployed.wait()
    before = site.public()

    def merge_fails(event: dict[str, Any]) -> None:
        if event.get("step") == "merge":
            raise ConnectionError("S3 unreachable while merging")

    deployed.function.fail = merge_fails
    # When site.yaml changes and its rebuild runs
    site.upload("site.yaml", SITE_YAML.replace(b"timezone: UTC", b"timezone: Europe/Paris"))
    site.publish("site.yaml")
    executions = deployed.wait(count=2)
    # Then the execution fails after the merge's retries, having given its lease up
    failed = executions[0] if executions[0]["status"] == "FAILED" else executions[1]
    assert failed["status"] == "FAILED"
    assert failed["error"] == "RebuildFailed"
    assert len(deployed.function.steps("merge", failed["name"])) == 4  # the first attempt and 3 retries
    assert len(deployed.function.steps("abandon", failed["name"])) == 1
    root = json.loads(
        site.admin.get_object(Bucket=site.publish_bucket, Key="_state/root.json")["Body"].read()
    )
    assert "rebuild" not in root
    # And readers still get the last good feeds
    assert site.public() == before
    # When the hourly reconcile runs after the cause is fixed
    deployed.function.fail = None
    handlers.reconcile.lambda_handler({"action": "reconcile"}, FakeLambdaContext())  # type: ignore[arg-type]
    executions = deployed.wait(count=3)
    # Then it starts the rebuild again, which publishes the new site.yaml
    assert sorted(e["status"] for e in executions) == ["FAILED", "SUCCEEDED", "SUCCEEDED"]
    site.assert_matches_build()


def test_a_second_start_for_the_same_site_yaml_does_nothing(deployed: Deployed) -> None:
    # Given a site.yaml change whose rebuild has been planned (it holds the lease)
    site = deployed.site
    site.publish(*publish_site(site, 6))
    deployed.wait()
    site.upload("site.yaml", SITE_YAML.replace(b"timezone: UTC", b"timezone: Asia/Tokyo"))
    etag = site.admin.head_object(Bucket=site.content_bucket, Key="site.yaml")["ETag"].strip('"')
    steps = RebuildSteps(handlers.publish.current_publisher())
    assert steps.plan("held-elsewhere", RebuildRequest("site.yaml changed", etag), WORKERS, take_over=False)
    # When the same change's event is delivered again
    assert site.publish("site.yaml") == {"batchItemFailures": []}
    # Then no second execution starts
    assert len(deployed.executions()) == 1


def test_a_publish_committed_while_the_parts_run_survives_the_merge(deployed: Deployed) -> None:
    # Given a published site
    site = deployed.site
    keys = publish_site(site, 12)
    site.publish(*keys)
    deployed.wait()
    served_meanwhile: list[bytes] = []

    def publish_during_part_one(event: dict[str, Any]) -> None:
        if event.get("step") == "part" and event["part"] == 1 and not served_meanwhile:
            # an edit, a new article and a deletion, published by PublishFunction while the lease is held
            site.upload(
                "articles/post-03.md", article("Post 3, edited meanwhile", "2024-02-20 10:00", ["Film"])
            )
            site.upload("articles/meanwhile.md", article("Written meanwhile", "2024-02-21 10:00", ["News"]))
            site.remove("articles/post-04.md")
            response = site.publish("articles/post-03.md", "articles/meanwhile.md", "articles/post-04.md")
            assert response == {"batchItemFailures": []}
            served_meanwhile.append(site.public()["feed.xml"])

    deployed.function.fail = publish_during_part_one
    # When site.yaml changes how records are read, and its execution's parts run
    site.upload("site.yaml", SITE_YAML.replace(b"timezone: UTC", b"timezone: Asia/Tokyo"))
    assert site.publish("site.yaml") == {"batchItemFailures": []}
    executions = deployed.wait(count=2)
    assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"]
    # Then the publish was served at once, under the site.yaml still published
    (feed,) = served_meanwhile
    assert b"Post 3, edited meanwhile" in feed
    assert b"Written meanwhile" in feed
    # And the merge kept it: the feeds equal a from-scratch build under the new site.yaml
    site.assert_matches_build()
    feed = site.public()["feed.xml"]
    assert b"Post 3, edited meanwhile" in feed
    assert b"Written meanwhile" in feed
    assert b"+09:00" in site.public()["feed.json"]


def test_a_finish_that_dies_after_the_render_parts_is_retried_and_writes_the_feeds_committed(
    deployed: Deployed,
) -> None:
    # Given a published site, and a first finish attempt that dies while writing the feeds
    site = deployed.site
    site.publish(*publish_site(site, 9))
    deployed.wait()
    before = site.public()
    finishes: list[dict[str, Any]] = []
    feed_writes: list[str] = []

    def count_finishes(event: dict[str, Any]) -> None:
        if event.get("step") == "finish":
            finishes.append(event)

    def die_writing_feeds(params: dict[str, Any], **_: Any) -> None:
        if len(finishes) == 1 and not params["Key"].startswith("_state/"):
            feed_writes.append(params["Key"])
            if len(feed_writes) == 3:
                raise ConnectionError("the function timed out while writing feeds")

    deployed.function.fail = count_finishes
    site.s3.meta.events.register("before-parameter-build.s3.PutObject", die_writing_feeds)
    try:
        # When site.yaml changes how records are read, and its execution runs
        site.upload("site.yaml", SITE_YAML.replace(b"timezone: UTC", b"timezone: Europe/Paris"))
        assert site.publish("site.yaml") == {"batchItemFailures": []}
        executions = deployed.wait(count=2)
    finally:
        site.s3.meta.events.unregister("before-parameter-build.s3.PutObject", die_writing_feeds)
    # Then the render parts wrote the archive documents, the first finish died, the state machine
    # retried it, and the retry wrote the rest
    (rebuild,) = [e for e in executions if e["name"] == finishes[0]["plan"]]
    assert deployed.function.steps("render", rebuild["name"])
    assert len(feed_writes) >= 3
    assert len(finishes) == 2
    assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"]
    assert json.loads(rebuild["output"])["written"] > 0
    assert site.public() != before
    site.assert_matches_build()
    root = json.loads(
        site.admin.get_object(Bucket=site.publish_bucket, Key="_state/root.json")["Body"].read()
    )
    assert root["pending"] == []
    assert "rendering" not in root


def test_a_title_change_is_committed_by_the_publisher_and_its_archive_written_by_render_parts(
    deployed: Deployed,
) -> None:
    # Given a published site with archive pages, whose second render part fails once
    site = deployed.site
    site.publish(*publish_site(site, 18))
    deployed.wait()
    calls_before = len(deployed.function.calls)
    failed_once: set[int] = set()

    def render_part_one_fails_once(event: dict[str, Any]) -> None:
        if event.get("step") == "render" and event["part"] == 1 and 1 not in failed_once:
            failed_once.add(1)
            raise ConnectionError("S3 unreachable while render part 1 wrote its documents")

    deployed.function.fail = render_part_one_fails_once
    # When the site's title changes (a feed-level change: no record is read again)
    site.upload("site.yaml", SITE_YAML.replace(b"Integration Site", b"Renamed Site"))
    assert site.publish("site.yaml") == {"batchItemFailures": []}
    executions = deployed.wait(count=2)
    assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"]
    # Then its execution started at the render parts (no plan, part or merge), ran render part 1
    # twice and the others once, then the finish
    steps = [call["step"] for call in deployed.function.calls[calls_before:]]
    assert not {"plan", "part", "merge"} & set(steps)
    renders: dict[int, int] = {}
    for call in deployed.function.calls[calls_before:]:
        if call["step"] == "render":
            renders[call["part"]] = renders.get(call["part"], 0) + 1
    assert len(renders) > 1
    assert renders[1] == 2
    assert set(renders.values()) <= {1, 2}
    assert steps[0] == "render_parts"
    assert steps[-1] == "finish"
    # And every document, archive documents included, is what a from-scratch build publishes
    site.assert_matches_build()
    archived = [body for path, body in site.public().items() if "/archive/" in f"/{path}"]
    assert archived
    assert all(b"Renamed Site" in body for body in archived)
