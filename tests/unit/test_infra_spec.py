"""The typed reader the local pipeline uses to copy template.yaml (feedpub.infra_spec)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from feedpub.infra_spec import CloudFormationLoader, TemplateError, load_pipeline_spec, load_template

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture(scope="module")
def spec():
    return load_pipeline_spec(TEMPLATE)


def write_variant(tmp_path: Path, edit) -> Path:
    """A copy of template.yaml with `edit(document)` applied (short tags kept in long form)."""
    document = load_template(TEMPLATE)
    edit(document)
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_short_tags_read_as_their_long_forms() -> None:
    # Given CloudFormation short tags of every node kind
    text = """
    a: !Ref Bucket
    b: !GetAtt Queue.Arn
    c: !Sub ["${X}-y", {X: !Ref Name}]
    d: !If [Cond, !Ref A, !Ref AWS::NoValue]
    e: !Join ["-", [a, b]]
    """
    # When the loader reads them
    document = yaml.load(text, Loader=CloudFormationLoader)  # noqa: S506
    # Then each becomes the JSON form CloudFormation documents
    assert document["a"] == {"Ref": "Bucket"}
    assert document["b"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert document["c"] == {"Fn::Sub": ["${X}-y", {"X": {"Ref": "Name"}}]}
    assert document["d"] == {"Fn::If": ["Cond", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]}
    assert document["e"] == {"Fn::Join": ["-", ["a", "b"]]}


def test_content_notifications_cover_site_yaml_articles_and_media_only(spec) -> None:
    # Given the template's content bucket notifications
    # When the local pipeline asks which uploads and deletions reach the queue
    # Then site.yaml and everything under articles/ and media/ do, in both directions, and nothing else
    assert spec.notifies("ObjectCreated:Put", "media/episode-12.mp3")
    assert spec.notifies("s3:ObjectCreated:CompleteMultipartUpload", "media/season-2/ep1.m4a")
    assert spec.notifies("ObjectRemoved:Delete", "media/episode-12.mp3")
    assert spec.notifies("ObjectCreated:Put", "articles/2026/café notes.md")
    assert spec.notifies("s3:ObjectCreated:CompleteMultipartUpload", "articles/x.json")
    assert spec.notifies("ObjectRemoved:Delete", "articles/x.md")
    assert spec.notifies("ObjectRemoved:DeleteMarkerCreated", "articles/x.md")
    assert spec.notifies("ObjectCreated:Put", "site.yaml")
    assert spec.notifies("ObjectRemoved:Delete", "site.yaml")
    assert not spec.notifies("ObjectCreated:Put", "drafts/x.md")
    assert not spec.notifies("ObjectCreated:Put", "notes/site.yaml")
    assert not spec.notifies("ObjectRestore:Completed", "articles/x.md")


def test_queue_outlives_six_function_timeouts_and_has_a_dead_letter_queue(spec) -> None:
    # Given the content queue and the function that polls it
    # Then a message stays invisible for 6 x the function timeout + the batching window (AWS guidance)
    assert spec.queue.visibility_timeout_s >= (
        6 * spec.publish_function.timeout_s + spec.event_source.max_batching_window_s
    )
    # And it moves to the dead-letter queue after a bounded number of deliveries
    assert 1 < spec.queue.max_receive_count <= 10


def test_publish_function_polls_in_batches_and_reports_item_failures(spec) -> None:
    # Given the SQS event source of the publish function
    source = spec.event_source
    # Then it reports per-message failures, batches over a short window, and runs bounded
    assert source.report_batch_item_failures
    assert 1 <= source.batch_size <= 10_000
    assert 0 < source.max_batching_window_s <= 300
    assert source.max_concurrency is not None
    assert source.max_concurrency >= 2
    assert spec.publish_function.handler == "handlers.publish.lambda_handler"
    assert spec.publish_function.architecture == "arm64"
    assert spec.publish_function.memory_mb == 1024  # the parameter's default
    assert spec.publish_function.environment["STATE_PREFIX"] == "_state/"


def test_schedules_publish_due_posts_often_and_reconcile_hourly(spec) -> None:
    # Given the schedules of the template
    by_action = {schedule.input["action"]: schedule for schedule in spec.schedules}
    # Then "due" runs every 5 minutes and "reconcile" every hour, on the reconcile handler
    assert by_action["due"].interval_s == 300
    assert by_action["reconcile"].interval_s == 3600
    for schedule in spec.schedules:
        assert spec.schedule_functions[schedule.function].handler == "handlers.reconcile.lambda_handler"


def test_a_conditional_setting_is_read_as_the_default_parameters_decide_it(tmp_path: Path) -> None:
    # Given the template as it is: ReconcileFunction's reservation depends on SerializeRebuilds
    reconcile = load_pipeline_spec(TEMPLATE).schedule_functions["ReconcileFunction"]
    # Then with the default ("true") it has one slot
    assert reconcile.reserved_concurrency == 1

    # When the parameter's default is "false"
    def edit(document):
        document["Parameters"]["SerializeRebuilds"]["Default"] = "false"

    variant = load_pipeline_spec(write_variant(tmp_path, edit)).schedule_functions["ReconcileFunction"]
    # Then the !If takes its other branch, AWS::NoValue: no reservation at all
    assert variant.reserved_concurrency is None


def test_a_condition_the_local_pipeline_cannot_decide_is_refused(tmp_path: Path) -> None:
    # Given a condition built on something other than parameters (a region check)
    def edit(document):
        region_check = {"Fn::Contains": [["us-east-1"], {"Ref": "AWS::Region"}]}
        document["Conditions"]["RebuildsOneAtATime"] = region_check

    # Then loading names the condition and the function it cannot evaluate
    with pytest.raises(TemplateError, match=r"RebuildsOneAtATime uses Fn::Contains"):
        load_pipeline_spec(write_variant(tmp_path, edit))


def test_edge_headers_and_paths_match_cloudfront(spec) -> None:
    # Given what CloudFront adds to every response
    edge = spec.edge
    # Then the local edge can add the same security and CORS headers
    assert edge.security_headers["X-Content-Type-Options"] == "nosniff"
    assert edge.security_headers["X-Frame-Options"] == "DENY"
    assert edge.security_headers["Strict-Transport-Security"].startswith("max-age=")
    assert "default-src 'none'" in edge.security_headers["Content-Security-Policy"]
    assert "\n" not in edge.security_headers["Content-Security-Policy"]
    assert edge.cors_headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in edge.cors_headers["Access-Control-Allow-Methods"]
    # And "/" serves the main feed, cached as the distribution says
    assert edge.root_object == "feed.xml"
    assert edge.min_ttl_s == 0
    assert edge.max_ttl_s == 31536000  # full archive pages: immutable for a year
    # And a key S3 refuses (it does not exist) reaches readers as a briefly cached 404
    missing = edge.error_responses[403]
    assert missing.response_code == 404
    assert missing.page_path == "/feeds.opml"
    assert missing.caching_ttl_s <= 60


def test_a_scheduled_cron_expression_is_refused_with_its_location(tmp_path: Path) -> None:
    # Given a schedule the local pipeline cannot run on an interval
    def edit(document):
        events = document["Resources"]["ReconcileFunction"]["Properties"]["Events"]
        events["PublishDue"]["Properties"]["ScheduleExpression"] = "cron(0 12 * * ? *)"

    # When the spec is loaded
    with pytest.raises(TemplateError) as failure:
        load_pipeline_spec(write_variant(tmp_path, edit))
    # Then the error names the event and the expression
    assert "ReconcileFunction.Events.PublishDue" in str(failure.value)
    assert "cron(0 12 * * ? *)" in str(failure.value)


def test_a_queue_without_dead_letter_queue_is_refused(tmp_path: Path) -> None:
    # Given a content queue that would redeliver a poison message forever
    def edit(document):
        del document["Resources"]["ContentQueue"]["Properties"]["RedrivePolicy"]

    # Then loading fails naming the queue and the missing redrive policy
    with pytest.raises(TemplateError, match=r"ContentQueue.*RedrivePolicy"):
        load_pipeline_spec(write_variant(tmp_path, edit))


def test_a_parameter_without_default_is_refused(tmp_path: Path) -> None:
    # Given a memory size that only exists at deploy time
    def edit(document):
        del document["Parameters"]["PublishMemorySize"]["Default"]

    # Then the local pipeline says which parameter it cannot run with
    with pytest.raises(TemplateError, match="PublishMemorySize has no Default"):
        load_pipeline_spec(write_variant(tmp_path, edit))


def test_unreadable_templates_are_reported_by_path(tmp_path: Path) -> None:
    # Given a missing file and a file that is not a template
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources: [unclosed", encoding="utf-8")
    not_template = tmp_path / "list.yaml"
    not_template.write_text("- a\n- b\n", encoding="utf-8")
    # Then each error names the file and why
    with pytest.raises(TemplateError, match=r"missing\.yaml: cannot read"):
        load_pipeline_spec(tmp_path / "missing.yaml")
    with pytest.raises(TemplateError, match=r"broken\.yaml: not valid YAML"):
        load_pipeline_spec(broken)
    with pytest.raises(TemplateError, match=r"list\.yaml: has no Resources"):
        load_pipeline_spec(not_template)


def test_function_variables_merge_globals_with_the_functions_own(tmp_path: Path) -> None:
    # Given a function that sets one variable of its own and overrides a global one
    def edit(document):
        document["Resources"]["PublishFunction"]["Properties"]["Environment"] = {
            "Variables": {"POWERTOOLS_LOG_LEVEL": "DEBUG", "EXTRA": "1"}
        }

    # When the spec is loaded
    spec = load_pipeline_spec(write_variant(tmp_path, edit))
    # Then the function sees both, its own value winning, as SAM deploys it
    environment = spec.publish_function.environment
    assert environment["POWERTOOLS_LOG_LEVEL"] == "DEBUG"
    assert environment["EXTRA"] == "1"
    assert environment["STATE_PREFIX"] == "_state/"
