"""template.yaml: the IaC checkers pass, `sam build` makes a runtime-only artifact without Docker,
and the properties a user relies on (no lost messages, nothing public, least privilege) hold."""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import json
import re
import subprocess
import sys
import tomllib
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from handlers.publish import TEST_EVENT, message_keys

from feedpub import catalogue
from feedpub.infra_spec import load_pipeline_spec
from tests.integration import template_helpers
from tests.integration.template_helpers import (
    PROJECT_ROOT,
    TEMPLATE,
    as_list,
    policy_documents,
    resources_of_type,
    run_tool,
    sub_text,
    template,
)

RUNTIME_PACKAGES = (
    "feedpub",
    "handlers",
    "aws_lambda_powertools",
    "pydantic",
    "yaml",
    "feedgen",
    "nh3",
    "boto3",
)
NEVER_SHIPPED = ("tests", "content", "bench", "docs", "moto", "watchdog", ".venv", "pytest", "hypothesis")


def third_party_imports(artifact: Path) -> set[str]:
    """Top-level names the shipped feedpub/ and handlers/ import at run time (not for type checks)."""
    names = set()
    for source in [*(artifact / "feedpub").rglob("*.py"), *(artifact / "handlers").rglob("*.py")]:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        type_only = {
            id(child)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for child in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in type_only:
                continue
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names}


def readable_by(key: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return template()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `sam build` per session (it installs the runtime dependencies for arm64 with pip)."""
    build_dir = tmp_path_factory.mktemp("sam-build")
    result = run_tool(
        "sam",
        "build",
        "--template-file",
        str(TEMPLATE),
        "--build-dir",
        str(build_dir),
        "--cache-dir",
        str(build_dir.parent / "sam-cache"),
    )
    assert result.returncode == 0, f"sam build failed:\n{result.stdout}\n{result.stderr}"
    return build_dir


def test_cfn_lint_finds_nothing() -> None:
    # Given the template and the shared cfn-lint settings
    # When cfn-lint checks it
    result = run_tool("cfn-lint", "--config-file", "infra/.cfnlintrc.yaml")
    # Then it reports no error, warning or informational finding
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_with_lint_accepts_the_template() -> None:
    # When SAM validates (and lints) the template
    result = run_tool("sam", "validate", "--lint", "--template-file", str(TEMPLATE))
    # Then it is a valid SAM template
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_checkov_reports_zero_failed_checks_and_every_skip_has_a_reason() -> None:
    # When checkov scans the template with the project's settings
    result = run_tool("checkov", "--config-file", "infra/checkov.yaml", "--output", "json")
    report = json.loads(result.stdout)
    failed = [f"{c['check_id']} {c['resource']}" for c in report["results"]["failed_checks"]]
    # Then nothing fails, the template parses, and every skipped check carries its written reason
    assert failed == []
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 0
    for skipped in report["results"]["skipped_checks"]:
        comment = skipped["check_result"].get("suppress_comment", "")
        assert len(comment) > 20, (
            f"{skipped['check_id']} on {skipped['resource']} is skipped without a reason"
        )


def test_sam_build_makes_an_arm64_artifact_with_only_runtime_code(
    built: Path, document: dict[str, Any]
) -> None:
    # Given `sam build` ran without Docker (fixture)
    for function in ("PublishFunction", "ReconcileFunction", "RebuildFunction"):
        artifact = built / function
        top_level = {path.name for path in artifact.iterdir()}
        # Then the artifact holds the engine, the handlers and the runtime dependencies
        for package in RUNTIME_PACKAGES:
            assert package in top_level, f"{function} lacks {package}"
        assert (artifact / "handlers" / "publish.py").is_file()
        assert (artifact / "handlers" / "reconcile.py").is_file()
        assert (artifact / "handlers" / "rebuild.py").is_file()
        assert (artifact / "feedpub" / "publish").is_dir()
        # And nothing that is not runtime code
        for unwanted in NEVER_SHIPPED:
            assert unwanted not in top_level, f"{function} ships {unwanted}"
        # And bytecode for the runtime's Python beside every module (/var/task is read-only: without
        # it, each cold start compiles everything), trusted without a timestamp check, and no other
        _assert_runtime_bytecode(artifact, function, document["Globals"]["Function"]["Runtime"])
        assert not (artifact / "feedpub" / "local").exists(), f"{function} ships the local pipeline"
        # And every module the shipped code imports is in the artifact or the standard library
        missing = third_party_imports(artifact) - top_level
        assert not missing, f"{function} imports {sorted(missing)} but does not ship them"
        # And its compiled extensions are for Lambda's arm64 Linux, never the build host's
        extensions = [path.name for path in artifact.rglob("*.so")]
        assert extensions, "expected compiled dependencies (pydantic-core, PyYAML, nh3, lxml)"
        assert all("x86_64" not in name for name in extensions), extensions
        assert any("aarch64" in name for name in extensions), extensions
    # And the built template points both functions at their artifact
    built_template = (built / "template.yaml").read_text(encoding="utf-8")
    assert "CodeUri: PublishFunction" in built_template
    assert "CodeUri: ReconcileFunction" in built_template
    assert "CodeUri: RebuildFunction" in built_template


def _assert_runtime_bytecode(artifact: Path, function: str, runtime: str) -> None:
    tag = "cpython-" + runtime.removeprefix("python").replace(".", "")  # python3.12 -> cpython-312
    sources = {path.with_suffix("") for path in artifact.rglob("*.py")}
    compiled = {}
    for pyc in artifact.rglob("*.pyc"):
        assert pyc.parent.name == "__pycache__", f"{function} ships {pyc} outside __pycache__"
        assert pyc.name.endswith(f".{tag}.pyc"), f"{function} ships {pyc}, not for {runtime}"
        compiled[pyc.parent.parent / pyc.name.removesuffix(f".{tag}.pyc")] = pyc
    assert sources - compiled.keys() == set(), f"{function} lacks bytecode for some modules"
    for pyc in compiled.values():
        flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{pyc} is not an unchecked-hash pyc (flags {flags:#b})"


def test_a_message_is_never_redelivered_while_a_run_still_holds_it() -> None:
    # Given the queue and the function reading it
    spec = load_pipeline_spec(TEMPLATE)
    # Then the visibility timeout covers 6 function timeouts + the batching window (AWS guidance)
    assert spec.queue.visibility_timeout_s >= (
        6 * spec.publish_function.timeout_s + spec.event_source.max_batching_window_s
    )
    # And a failed message ends in the dead-letter queue instead of looping
    assert spec.queue.max_receive_count == 5
    assert spec.event_source.report_batch_item_failures


def test_publish_function_runtime_settings(document: dict[str, Any]) -> None:
    # Given the functions as deployed (Globals merged in)
    globals_ = document["Globals"]["Function"]
    # Then they run on Python 3.12+ arm64, traced, with recursive loops stopped
    assert globals_["Runtime"] in ("python3.12", "python3.13")
    assert globals_["Architectures"] == ["arm64"]
    assert globals_["Tracing"] == "Active"
    assert globals_["RecursiveLoop"] == "Terminate"
    variables = globals_["Environment"]["Variables"]
    for name in (
        "CONTENT_BUCKET",
        "PUBLISH_BUCKET",
        "DISTRIBUTION_ID",
        "STATE_PREFIX",
        "POWERTOOLS_SERVICE_NAME",
    ):
        assert name in variables
    functions = resources_of_type(document, "AWS::Serverless::Function")
    assert functions["PublishFunction"]["Handler"] == "handlers.publish.lambda_handler"
    assert functions["ReconcileFunction"]["Handler"] == "handlers.reconcile.lambda_handler"
    assert functions["RebuildFunction"]["Handler"] == "handlers.rebuild.lambda_handler"
    # And the queue-driven function stays short: rebuilds, which read every record, run as the
    # steps of RebuildStateMachine, each a RebuildFunction invocation that may take Lambda's longest
    assert functions["PublishFunction"].get("Timeout", globals_["Timeout"]) == 60
    assert functions["RebuildFunction"]["Timeout"] == 900


def test_both_buckets_are_private_encrypted_versioned_and_tls_only(document: dict[str, Any]) -> None:
    buckets = resources_of_type(document, "AWS::S3::Bucket")
    policies = {
        properties["Bucket"]["Ref"]: properties["PolicyDocument"]
        for properties in resources_of_type(document, "AWS::S3::BucketPolicy").values()
    }
    assert set(buckets) == {"ContentBucket", "PublishBucket"}
    for name, properties in buckets.items():
        # Then public access is blocked in all four ways
        assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}, name
        assert len(properties["PublicAccessBlockConfiguration"]) == 4, name
        # And objects are encrypted at rest, owned by the bucket owner and versioned
        rule = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms"), name
        assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}], name
        assert properties["VersioningConfiguration"]["Status"] == "Enabled", name
        # And any request without TLS is denied
        denies_plain_http = [
            statement
            for statement in policies[name]["Statement"]
            if statement["Effect"] == "Deny"
            and statement["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert denies_plain_http, f"{name} accepts plain HTTP"


def test_cloudfront_reads_the_publish_bucket_through_oac_and_never_the_state(
    document: dict[str, Any],
) -> None:
    distribution = resources_of_type(document, "AWS::CloudFront::Distribution")["Distribution"]
    config = distribution["DistributionConfig"]
    (origin,) = config["Origins"]
    oac = resources_of_type(document, "AWS::CloudFront::OriginAccessControl")["OriginAccessControl"]
    # Then the only origin is the publish bucket, signed with sigv4 on every request
    assert origin["DomainName"] == {"Fn::GetAtt": ["PublishBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["OriginAccessControl", "Id"]}
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert oac["OriginAccessControlConfig"]["SigningProtocol"] == "sigv4"
    # And viewers are sent to HTTPS, with compression, HTTP/2 and 3, and TLS 1.2+ on a custom domain
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["Compress"] is True
    assert config["HttpVersion"] == "http2and3"
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    # And CloudFront may read the public outputs but no key under _state/
    bucket_policy = resources_of_type(document, "AWS::S3::BucketPolicy")
    readable = [
        sub_text(resource).replace("${PublishBucket.Arn}/", "")
        for properties in bucket_policy.values()
        for statement in properties["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
        and statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        for resource in as_list(statement["Resource"])
    ]
    assert "feed.xml" in readable
    assert "tags/*" in readable
    assert "podcast.xml" in readable
    assert "media/*" in readable  # episode files, and nothing else beside the feeds
    # And every document of a feed of every kind, its page included (browsers navigating to the feed get it)
    for kind in catalogue.KINDS:
        feed = kind.feed("some-slug")
        feed = feed if kind.slug_of(feed.id) == "some-slug" else kind.feed("")
        for path in feed.paths:
            assert readable_by(path, readable), path
    for private_key in ("_state/report.json", "_state/root.json", "_state/objects/abc.json"):
        assert not readable_by(private_key, readable), private_key
    # And a key S3 refuses (missing) reaches readers as 404, cached only briefly
    (missing,) = config["CustomErrorResponses"]
    assert (missing["ErrorCode"], missing["ResponseCode"]) == (403, 404)
    assert readable_by(missing["ResponsePagePath"].lstrip("/"), readable)
    assert missing["ErrorCachingMinTTL"] <= 60


def test_cache_policy_follows_the_objects_cache_control(document: dict[str, Any]) -> None:
    config = resources_of_type(document, "AWS::CloudFront::CachePolicy")["FeedCachePolicy"][
        "CachePolicyConfig"
    ]
    parameters = config["ParametersInCacheKeyAndForwardedToOrigin"]
    # Then the publisher's Cache-Control decides, within 0 s .. a year: feeds say 5 minutes, full
    # archive pages say immutable for a year (anything the publisher changes is invalidated)
    assert config["MinTTL"] == 0
    assert config["MaxTTL"] == 31536000
    assert "max-age=31536000" in catalogue.ARCHIVE_CACHE
    # And no response headers policy puts another Cache-Control in its place
    for policy in resources_of_type(document, "AWS::CloudFront::ResponseHeadersPolicy").values():
        custom = policy["ResponseHeadersPolicyConfig"].get("CustomHeadersConfig", {}).get("Items", [])
        assert all(header["Header"].lower() != "cache-control" for header in custom)
    assert config["DefaultTTL"] <= 3600
    # And gzip/brotli variants are cached, with no cookie or query string in the key
    assert parameters["EnableAcceptEncodingGzip"] is True
    assert parameters["EnableAcceptEncodingBrotli"] is True
    assert parameters["CookiesConfig"]["CookieBehavior"] == "none"
    assert parameters["QueryStringsConfig"]["QueryStringBehavior"] == "none"


def test_iam_grants_no_wildcard_action_and_invalidates_only_this_distribution(
    document: dict[str, Any],
) -> None:
    # Given every policy in the template
    for where, policy in policy_documents(document):
        for statement in as_list(policy["Statement"]):
            if statement["Effect"] != "Allow":
                continue  # a Deny of s3:* (non-TLS) narrows access
            # Then no Allow grants "*" or a whole service
            for action in as_list(statement["Action"]):
                assert action != "*", where
                assert not action.endswith(":*"), f"{where} allows {action}"
    statements = resources_of_type(document, "AWS::IAM::ManagedPolicy")["PublisherPolicy"]["PolicyDocument"]
    by_sid = {statement["Sid"]: statement for statement in statements["Statement"]}
    # And the functions read only the content keys
    assert [sub_text(r) for r in by_sid["ReadContentRecords"]["Resource"]] == [
        "${ContentBucket.Arn}/site.yaml",
        "${ContentBucket.Arn}/articles/*",
        "${ContentBucket.Arn}/media/*",
    ]
    # And CreateInvalidation names this distribution's ARN, not every distribution
    invalidation = by_sid["InvalidateThisDistribution"]
    assert invalidation["Action"] == "cloudfront:CreateInvalidation"
    assert sub_text(invalidation["Resource"]).endswith(":distribution/${Distribution}")


def _watched_metrics(alarm: dict[str, Any]) -> list[tuple[str, str]]:
    """(metric name, its first dimension's value) of a metric alarm or of a metric-math alarm's inputs."""
    metrics = (
        [alarm]
        if "MetricName" in alarm
        else [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
    )
    return [(m["MetricName"], json.dumps(m["Dimensions"][0]["Value"], sort_keys=True)) for m in metrics]


def test_alarms_watch_the_dead_letter_queue_the_functions_and_the_rebuilds(document: dict[str, Any]) -> None:
    alarms = resources_of_type(document, "AWS::CloudWatch::Alarm").values()
    watched = {metric for alarm in alarms for metric in _watched_metrics(alarm)}
    # Then a message in the DLQ and any function error notify the alarm topic
    assert (
        "ApproximateNumberOfMessagesVisible",
        '{"Fn::GetAtt": ["ContentDeadLetterQueue", "QueueName"]}',
    ) in watched
    assert ("Errors", '{"Ref": "PublishFunction"}') in watched
    assert ("Errors", '{"Ref": "ReconcileFunction"}') in watched
    # (and a message waiting too long in the content queue: test_template_operations.py)
    assert ("ApproximateAgeOfOldestMessage", '{"Fn::GetAtt": ["ContentQueue", "QueueName"]}') in watched
    # And a rebuild that failed or timed out (its steps' errors are retried: the execution decides)
    assert ("ExecutionsFailed", '{"Ref": "RebuildStateMachine"}') in watched
    assert ("ExecutionsTimedOut", '{"Ref": "RebuildStateMachine"}') in watched
    for alarm in alarms:
        if alarm.get("MetricName") != "ApproximateAgeOfOldestMessage":
            assert alarm["Threshold"] == 0  # a single failure counts
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    topic = resources_of_type(document, "AWS::SNS::Topic")["AlarmTopic"]
    assert "KmsMasterKeyId" in topic
    # And the e-mail subscription exists only when an address is given
    assert document["Resources"]["AlarmEmailSubscription"]["Condition"] == "HasAlarmEmail"


@pytest.mark.parametrize(
    ("resource", "source_file", "event_type"),
    [
        ("PublicPathFilter", "viewer.js", "viewer-request"),
        ("BrowserFeedTypes", "viewer-response.js", "viewer-response"),
    ],
)
def test_edge_function_in_the_template_is_the_one_in_infra(
    document: dict[str, Any], resource: str, source_file: str, event_type: str
) -> None:
    # Given a CloudFront Function inlined in the template and its source in infra/edge
    inline = resources_of_type(document, "AWS::CloudFront::Function")[resource]["FunctionCode"]
    source = (PROJECT_ROOT / "infra" / "edge" / source_file).read_text(encoding="utf-8")
    # Then they are the same code, so what is reviewed (and run by test_edge_functions.py) is deployed
    assert inline == source
    # And the distribution runs it on the event it was written for
    distribution = resources_of_type(document, "AWS::CloudFront::Distribution")["Distribution"]
    associations = distribution["DistributionConfig"]["DefaultCacheBehavior"]["FunctionAssociations"]
    arn = {"Fn::GetAtt": [resource, "FunctionMetadata.FunctionARN"]}
    assert {"EventType": event_type, "FunctionARN": arn} in associations


def test_lambda_requirements_mirror_the_engine_dependencies() -> None:
    # Given the runtime dependencies of the engine and the list the Lambda build installs
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = (PROJECT_ROOT / "handlers" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    shipped = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    # Then they are the same, so the deployed function imports what the tests ran against
    assert shipped == set(project["dependencies"])


@pytest.mark.parametrize("event_file", sorted(p.name for p in (PROJECT_ROOT / "events").glob("sqs-*.json")))
def test_sample_sqs_events_are_what_the_deployed_queue_delivers(event_file: str) -> None:
    # Given a sample event of events/
    event = json.loads((PROJECT_ROOT / "events" / event_file).read_text(encoding="utf-8"))
    spec = load_pipeline_spec(TEMPLATE)
    for message in event["Records"]:
        # Then it is a real-shaped SQS record with an intact body
        assert message["eventSource"] == "aws:sqs"
        assert message["md5OfBody"] == hashlib.md5(message["body"].encode()).hexdigest()  # noqa: S324
        body = json.loads(message["body"])
        if body.get("Event") == TEST_EVENT:
            # And the s3:TestEvent names no key, so the handler publishes nothing for it
            assert message_keys(message["body"]) == []
            continue
        # And every notification is one the template's bucket would send, for the documented bucket
        for record in body["Records"]:
            key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
            assert record["s3"]["bucket"]["name"] == "feedpub-content-example"
            assert spec.notifies(record["eventName"], key), f"{event_file}: {record['eventName']} {key}"
        # And the handler reads the decoded content keys from it
        keys = message_keys(message["body"])
        assert keys
        assert all(key == "site.yaml" or key.startswith("articles/") for key in keys)


def test_missing_tools_fail_with_the_command_that_installs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no tool venv anywhere: not in FEEDPUB_TOOLS_BIN, not in .venv-tools, not on PATH
    monkeypatch.setenv("FEEDPUB_TOOLS_BIN", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(template_helpers, "PROJECT_ROOT", tmp_path)
    # When a template check looks for its tools
    with pytest.raises(pytest.fail.Exception) as failure:
        template_helpers.tools_bin()
    # Then it fails (never skips) and says how to install them
    assert "make tools" in str(failure.value)


def test_episode_media_is_cached_long_served_by_range_and_filtered_like_every_public_path(
    document: dict[str, Any],
) -> None:
    # Given the distribution's cache behaviours
    distribution = resources_of_type(document, "AWS::CloudFront::Distribution")["Distribution"]
    config = distribution["DistributionConfig"]
    (media,) = config["CacheBehaviors"]
    # Then media/ has a behaviour of its own: the same origin and viewer-request filter, no compression
    assert media["PathPattern"] == "media/*"
    assert media["TargetOriginId"] == config["DefaultCacheBehavior"]["TargetOriginId"]
    assert media["Compress"] is False
    assert media["FunctionAssociations"][0]["EventType"] == "viewer-request"
    assert (
        media["FunctionAssociations"][0]["FunctionARN"]
        == (config["DefaultCacheBehavior"]["FunctionAssociations"][0]["FunctionARN"])
    )
    # And a cache policy that keeps a file a week by default, keyed on the path alone
    policy = resources_of_type(document, "AWS::CloudFront::CachePolicy")["MediaCachePolicy"][
        "CachePolicyConfig"
    ]
    assert media["CachePolicyId"] == {"Ref": "MediaCachePolicy"}
    assert policy["DefaultTTL"] == 604800
    assert (
        policy["ParametersInCacheKeyAndForwardedToOrigin"]["QueryStringsConfig"]["QueryStringBehavior"]
        == "none"
    )
    # And the functions may read media/ in the content bucket to inspect and copy episodes
    statements = resources_of_type(document, "AWS::IAM::ManagedPolicy")["PublisherPolicy"]["PolicyDocument"]
    readable = [
        sub_text(r)
        for s in statements["Statement"]
        if s["Sid"] == "ReadContentRecords"
        for r in s["Resource"]
    ]
    assert "${ContentBucket.Arn}/media/*" in readable


def _dollars(cell: str) -> float:
    """'$7.20', '$0 (10 M free)', '< $0.01', '**≈ $22.24**' -> the amount ('< $0.01' counts as 0)."""
    if cell.strip().startswith("<"):
        return 0.0
    return float(cell.split("$", 1)[1].split()[0].strip("*"))


def test_the_cost_table_adds_up_and_counts_the_alarms_and_metrics_the_stack_has(
    document: dict[str, Any],
) -> None:
    # Given the cost table of docs/deploy.md and the README's summary of it
    deploy = (PROJECT_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    table = deploy.split("## What it costs per month", 1)[1].split("\n\n")[2]
    rows = {
        cells[0]: cells[1:]
        for line in table.splitlines()[2:]
        if (cells := [cell.strip() for cell in line.strip("|").split("|")])
    }
    total = rows.pop("**Total**")
    # Then each column adds up to its total
    for column in (1, 2):
        assert round(sum(_dollars(cells[column]) for cells in rows.values()), 2) == pytest.approx(
            _dollars(total[column]), abs=0.01
        )
    # And the CloudWatch line counts the alarms the template creates and the metrics the handlers emit
    alarms = len(resources_of_type(document, "AWS::CloudWatch::Alarm"))
    sources = "".join(path.read_text(encoding="utf-8") for path in (PROJECT_ROOT / "handlers").glob("*.py"))
    metrics = len(set(re.findall(r'add_metric\(\s*name="(\w+)"', sources)))
    assert rows["CloudWatch"][0].startswith(f"{alarms} alarms × $0.10 + {metrics} EMF metrics × $0.30 ")
    # And the README rounds the same totals
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    with_free, without = round(_dollars(total[2])), round(_dollars(total[1]))
    assert f"About ${with_free} a month with the free tiers (≈ ${without} without)" in readme


def test_a_build_without_the_runtimes_python_says_how_to_name_one(tmp_path: Path) -> None:
    # Given no Python 3.12 to compile the functions' bytecode with (RUNTIME_PYTHON found none)
    result = subprocess.run(
        ["make", "-s", "-C", str(PROJECT_ROOT / "infra" / "lambda"), "build-PublishFunction",
         "RUNTIME_PYTHON=", f"ARTIFACTS_DIR={tmp_path / 'artifact'}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    # Then the build stops before installing anything, saying what to install or how to name one
    assert result.returncode != 0
    assert "RUNTIME_PYTHON=/path/to/python3.12 sam build" in result.stderr
    assert not (tmp_path / "artifact").exists()
    # And docs/deploy.md says the same
    deploy = (PROJECT_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "`RUNTIME_PYTHON=/path/to/python3.12 sam build`" in deploy
