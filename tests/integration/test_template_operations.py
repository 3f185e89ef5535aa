"""The stack as CloudFormation receives it after the SAM transform: the alarm that catches a failing
message early, one rebuild at a time, content versions that expire, and the custom domain's TLS."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from feedpub.infra_spec import load_pipeline_spec
from tests.integration.template_helpers import TEMPLATE, deployed, resources_of_type, transformed_template

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f2c3a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b"


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return transformed_template()


def test_a_message_that_keeps_failing_alarms_long_before_it_reaches_the_dead_letter_queue(
    stack: dict[str, Any],
) -> None:
    # Given the deployed queue settings and the alarms of the transformed stack
    spec = load_pipeline_spec(TEMPLATE)
    resources = deployed(stack)["Resources"]
    alarms = resources_of_type({"Resources": resources}, "AWS::CloudWatch::Alarm").values()
    (age,) = [a for a in alarms if a.get("MetricName") == "ApproximateAgeOfOldestMessage"]
    # Then the alarm watches the content queue (not the DLQ) and tells the alarm topic both ways
    assert age["Namespace"] == "AWS/SQS"
    (dimension,) = age["Dimensions"]
    assert dimension == {"Name": "QueueName", "Value": {"Fn::GetAtt": ["ContentQueue", "QueueName"]}}
    assert age["Statistic"] == "Maximum"
    assert age["ComparisonOperator"] == "GreaterThanThreshold"
    assert age["AlarmActions"] == age["OKActions"] == [{"Ref": "AlarmTopic"}]
    assert age["TreatMissingData"] == "notBreaching"
    threshold = age["Threshold"]
    visibility = spec.queue.visibility_timeout_s
    # And a message published on its first delivery never trips it (batching window + one run)
    assert threshold > spec.event_source.max_batching_window_s + spec.publish_function.timeout_s
    # And a single failed delivery followed by a good one does not either (it is back after the
    # visibility timeout and done within one run)
    assert threshold > visibility + spec.event_source.max_batching_window_s + spec.publish_function.timeout_s
    # And a message failing again is seen: SQS leaves a message out of this metric once it has
    # been received three times, which happens two visibility timeouts after it was sent
    assert threshold < 2 * visibility
    # And the alarm goes off well before the DLQ alarm could (maxReceiveCount deliveries)
    alarm_after_s = threshold + age["Period"] * age["EvaluationPeriods"]
    dead_letter_after_s = spec.queue.max_receive_count * visibility
    assert alarm_after_s < dead_letter_after_s / 2


def test_reconcile_function_runs_one_rebuild_at_a_time_unless_the_account_cannot_reserve(
    stack: dict[str, Any],
) -> None:
    # Given the stack with the default parameters
    resources = deployed(stack)["Resources"]
    reconcile = resources["ReconcileFunction"]
    assert reconcile["Type"] == "AWS::Lambda::Function"
    # Then ReconcileFunction has one slot: a second rebuild waits for the first instead of racing it
    assert reconcile["Properties"]["ReservedConcurrentExecutions"] == 1
    # And everything that starts it does so asynchronously, so the waiting is done by Lambda's
    # event queue: both schedules target it, and nothing else invokes it
    schedules = [r for r in resources.values() if r["Type"] == "AWS::Scheduler::Schedule"]
    assert len(schedules) == 2
    for schedule in schedules:
        assert schedule["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": ["ReconcileFunction", "Arn"]}
    assert "ReconcileFunction" not in json.dumps(resources["PublishFunction"]["Properties"])
    # And a waiting event is dropped only once a later hourly reconcile has been queued behind it
    (invoke_config,) = [r for r in resources.values() if r["Type"] == "AWS::Lambda::EventInvokeConfig"]
    assert invoke_config["Properties"]["FunctionName"] == {"Ref": "ReconcileFunction"}
    reconcile_interval_s = max(s.interval_s for s in load_pipeline_spec(TEMPLATE).schedules)
    max_age_s = invoke_config["Properties"]["MaximumEventAgeInSeconds"]
    assert reconcile["Properties"]["Timeout"] < reconcile_interval_s <= max_age_s < 6 * 3600

    # When an account whose concurrency quota allows no reservation deploys with SerializeRebuilds=false
    unreserved = deployed(stack, SerializeRebuilds="false")["Resources"]["ReconcileFunction"]
    # Then the function has no reservation at all (0 would disable it)
    assert "ReservedConcurrentExecutions" not in unreserved["Properties"]


def test_content_bucket_expires_replaced_versions_but_never_a_current_record(stack: dict[str, Any]) -> None:
    # Given the content bucket as deployed with the default parameters
    bucket = deployed(stack)["Resources"]["ContentBucket"]["Properties"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    # Then versioning stays on (an edit can be undone), and a replaced or deleted version goes
    # after the retention period, as do delete markers left alone and abandoned multipart uploads
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == "30"
    assert rule["ExpiredObjectDeleteMarker"] is True
    assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    # And the records an author has now are never expired, whatever their age
    assert not {"ExpirationInDays", "ExpirationDate", "Transitions"} & rule.keys()
    # And the retention is the deployer's choice
    longer = deployed(stack, ContentVersionRetentionDays="365")["Resources"]["ContentBucket"]["Properties"]
    (longer_rule,) = longer["LifecycleConfiguration"]["Rules"]
    assert longer_rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == "365"


def test_default_domain_serves_on_the_cloudfront_certificate(stack: dict[str, Any]) -> None:
    # Given no custom domain (the default)
    created = deployed(stack)
    config = created["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    # Then the feeds are served on the distribution's own name and certificate
    assert "Aliases" not in config
    assert config["ViewerCertificate"]["CloudFrontDefaultCertificate"] is True
    assert "AcmCertificateArn" not in config["ViewerCertificate"]
    assert created["Outputs"]["FeedBaseUrl"]["Value"] == {"Fn::Sub": "https://${Distribution.DomainName}/"}
    assert created["FailedRules"] == []


def test_custom_domain_gets_its_certificate_and_tls_1_2_or_later(stack: dict[str, Any]) -> None:
    # When a deployer names a host and its us-east-1 certificate
    created = deployed(stack, CustomDomainName="feeds.example.org", AcmCertificateArn=CERTIFICATE)
    config = created["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    # Then CloudFront answers for that host with that certificate (SNI), refusing TLS before 1.2
    assert config["Aliases"] == ["feeds.example.org"]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE,
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    # And the stack tells readers' base URL on that host
    assert created["Outputs"]["FeedBaseUrl"]["Value"] == {"Fn::Sub": "https://${CustomDomainName}/"}
    assert created["FailedRules"] == []


@pytest.mark.parametrize(
    "parameters",
    [{"CustomDomainName": "feeds.example.org"}, {"AcmCertificateArn": CERTIFICATE}],
    ids=["domain without certificate", "certificate without domain"],
)
def test_half_a_custom_domain_is_refused_before_anything_is_created(
    stack: dict[str, Any], parameters: dict[str, str]
) -> None:
    # When only one of the two parameters is given
    created = deployed(stack, **parameters)
    # Then the template's rule fails the deployment, saying both go together
    assert created["FailedRules"] == [
        "Set CustomDomainName and AcmCertificateArn together, or leave both empty."
    ]


@pytest.mark.parametrize(
    ("parameter", "value", "accepted"),
    [
        ("AcmCertificateArn", CERTIFICATE, True),
        ("AcmCertificateArn", CERTIFICATE.replace("us-east-1", "eu-west-1"), False),
        ("AcmCertificateArn", "arn:aws:iam::123456789012:server-certificate/feeds", False),
        ("CustomDomainName", "feeds.example.org", True),
        ("CustomDomainName", "example.org", True),
        ("CustomDomainName", "https://feeds.example.org/", False),
        ("CustomDomainName", "feeds", False),
        ("CustomDomainName", "-feeds.example.org", False),
    ],
)
def test_custom_domain_parameters_refuse_what_cloudfront_could_not_use(
    stack: dict[str, Any], parameter: str, value: str, accepted: bool
) -> None:
    # Given the parameter's pattern, which CloudFormation checks before it creates anything
    declared = stack["Parameters"][parameter]
    # Then only a bare host name, and only a certificate from us-east-1 (CloudFront's region), pass
    assert bool(re.fullmatch(declared["AllowedPattern"], value)) is accepted
    # And leaving it empty is always allowed (no custom domain)
    assert re.fullmatch(declared["AllowedPattern"], "")
