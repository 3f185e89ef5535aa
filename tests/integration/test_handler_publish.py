"""The real PublishFunction handler, end to end against the embedded S3 and CloudFront."""

from __future__ import annotations

import json
from typing import Any

import handlers.publish
import handlers.reconcile
import pytest
from botocore.exceptions import ClientError
from handlers.publish import build_publisher

from tests.integration.conftest import SITE_YAML, Pipeline
from tests.support.builders import FakeLambdaContext, article, sqs_message

FEED_TYPES = {
    "feed.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}


@pytest.fixture
def site(pipeline: Pipeline) -> Pipeline:
    pipeline.upload("site.yaml", SITE_YAML)
    return pipeline


def test_upload_event_publishes_feeds_with_their_headers(site: Pipeline) -> None:
    # Given two articles uploaded to the content bucket
    site.upload("articles/wick.md", article("Wick Returns", "2024-03-12 09:30", ["John Wick", "Interviews"]))
    site.upload("articles/ballerina.md", article("Ballerina", "2024-04-01", ["John Wick"]))
    # When their S3 events reach the handler in one SQS batch
    response = site.publish("articles/wick.md", "articles/ballerina.md")
    # Then no message fails, and every feed is in the publish bucket with its Content-Type and Cache-Control
    assert response == {"batchItemFailures": []}
    site.assert_matches_build()
    for prefix in ("", "tags/john-wick/", "tags/interviews/"):
        for name, content_type in FEED_TYPES.items():
            head = site.head(prefix + name)
            assert head["ContentType"] == content_type
            assert "stale-while-revalidate" in head["CacheControl"]
    assert site.head("feeds.opml")["ContentType"].startswith("text/x-opml")
    assert site.invalidations() == 1


def test_edit_of_title_and_tags_moves_the_article_between_feeds(site: Pipeline) -> None:
    site.upload("articles/a.md", article("Old Title", "2024-01-01", ["Film"]))
    site.upload("articles/b.md", article("Other", "2024-01-02", ["News"]))
    site.publish("articles/a.md", "articles/b.md")
    # When the article's title and tags change
    site.upload("articles/a.md", article("New Title", "2024-01-01", ["News", "Reviews"]))
    assert site.publish("articles/a.md") == {"batchItemFailures": []}
    # Then the main and tag feeds follow, the emptied Film feed is gone, and all equals a fresh build
    site.assert_matches_build()
    assert b"New Title" in site.public()["tags/reviews/feed.json"]
    with pytest.raises(ClientError):
        site.head("tags/film/feed.xml")


def test_delete_event_removes_the_item_and_empty_tag_feeds(site: Pipeline) -> None:
    site.upload("articles/a.md", article("Going Away", "2024-01-01", ["Lonely"]))
    site.upload("articles/b.md", article("Staying", "2024-01-02"))
    site.publish("articles/a.md", "articles/b.md")
    # When the article is deleted and its ObjectRemoved event arrives
    site.remove("articles/a.md")
    response = site.invoke(site.event(["articles/a.md"], "ObjectRemoved:Delete"))
    # Then it is gone from the feeds and its tag feed no longer exists
    assert response == {"batchItemFailures": []}
    site.assert_matches_build()
    assert b"Going Away" not in site.public()["feed.xml"]
    assert not any(path.startswith("tags/lonely/") for path in site.public())
    assert b"tags/lonely" not in site.public()["feeds.opml"]


def test_replayed_events_write_nothing_and_invalidate_nothing(site: Pipeline) -> None:
    site.upload("articles/a.md", article("Once", "2024-01-01", ["Film"]))
    event = site.event(["articles/a.md"])
    site.invoke(event)
    invalidations = site.invalidations()
    site.counter.reset()
    # When the same batch is delivered again, and a duplicate arrives inside one batch
    site.invoke(event)
    site.publish("articles/a.md", "articles/a.md")
    # Then there is not a single S3 write and no new invalidation
    requests = site.counter.snapshot()["requests"]
    writes = {op: n for op, n in requests.items() if op in ("PutObject", "DeleteObject")}
    assert writes == {}
    assert site.invalidations() == invalidations


def test_malformed_record_is_reported_and_never_fails_the_batch(site: Pipeline) -> None:
    # Given a good record and a malformed one in the same batch
    site.upload("articles/good.md", article("Good", "2024-01-01"))
    site.upload("articles/bad.md", b"---\ntitle: no date and no closing fence\n")
    response = site.publish("articles/good.md", "articles/bad.md")
    # Then no message fails (retrying would loop), the good one is published
    assert response == {"batchItemFailures": []}
    site.assert_matches_build()
    # And the report object names the bad record and the reason
    rejected = site.report()["rejected"]
    assert [entry["path"] for entry in rejected] == ["articles/bad.md"]
    assert rejected[0]["reason"]


def test_s3_test_event_is_skipped(site: Pipeline) -> None:
    # Given the s3:TestEvent S3 sends when notifications are configured
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": site.content_bucket}
    event = {"Records": [sqs_message(test_event)]}
    # When it reaches the handler, Then it succeeds and publishes nothing
    assert site.invoke(event) == {"batchItemFailures": []}
    assert site.public() == {}


def test_unreadable_message_fails_alone(site: Pipeline) -> None:
    # Given a batch with one garbled message and one real event
    site.upload("articles/a.md", article("Fine", "2024-01-01"))
    event = site.event(["articles/a.md"])
    garbled = sqs_message({"not": "an s3 event"})
    event["Records"].append(garbled)
    # When the handler runs, Then only the garbled message is reported as failed
    response = site.invoke(event)
    assert response == {"batchItemFailures": [{"itemIdentifier": garbled["messageId"]}]}
    site.assert_matches_build()


def test_keys_with_spaces_and_unicode_are_decoded(site: Pipeline) -> None:
    # Given a key S3 URL-encodes in its notification
    key = "articles/café reviews/new film.md"
    site.upload(key, article("Encoded Key", "2024-01-01"))
    # When its event arrives, Then the record is found and published
    assert site.publish(key) == {"batchItemFailures": []}
    assert b"Encoded Key" in site.public()["feed.json"]


def test_site_yaml_change_rebuilds_every_feed(site: Pipeline) -> None:
    site.upload("articles/a.md", article("Alpha", "2024-01-01", ["Film"]))
    site.publish("articles/a.md")
    # When site.yaml changes the site title
    site.upload("site.yaml", SITE_YAML.replace(b"Integration Site", b"Renamed Site"))
    assert site.publish("site.yaml") == {"batchItemFailures": []}
    # Then every feed carries the new title
    site.assert_matches_build()
    assert b"Renamed Site" in site.public()["tags/film/feed.json"]


class RefusingStepFunctions:
    """Stands in for the Step Functions API when it refuses to start an execution (throttled)."""

    def start_execution(self, **request: Any) -> dict[str, Any]:
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "StartExecution"
        )


def test_deployed_site_yaml_change_is_retried_when_its_rebuild_cannot_be_started(site: Pipeline) -> None:
    # Given a published site, deployed as the template does, whose Step Functions API refuses a start
    site.upload("articles/a.md", article("Alpha", "2024-01-01"))
    site.publish("articles/a.md")
    settings = site.settings.model_copy(update={"rebuild_state_machine": "arn:aws:states:::feedpub-rebuild"})
    handlers.publish.use_publisher(
        build_publisher(
            settings, s3_client=site.s3, cf_client=site.cloudfront, sfn_client=RefusingStepFunctions()
        )
    )
    before = site.public()
    # When site.yaml changes how records are read
    site.upload("site.yaml", SITE_YAML.replace(b"timezone: UTC", b"timezone: Asia/Tokyo"))
    event = site.event(["site.yaml"])
    response = site.invoke(event)
    # Then its message fails, so SQS delivers it again, and nothing published changes meanwhile
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert site.public() == before


def test_a_feed_rewritten_at_once_still_gets_a_later_last_modified(site: Pipeline) -> None:
    # Given a feed just published (S3's Last-Modified counts whole seconds)
    site.upload("articles/a.md", article("Alpha", "2024-01-01"))
    site.publish("articles/a.md")
    first = site.head("feed.xml")["LastModified"]
    # When the next change is published straight away
    site.upload("articles/b.md", article("Beta", "2024-01-02"))
    site.publish("articles/b.md")
    # Then the new feed carries a later Last-Modified, so readers that send If-Modified-Since
    # (newsboat, through curl) take it as new rather than as the bytes they already have
    assert site.head("feed.xml")["LastModified"] > first


def test_invalid_site_yaml_leaves_feeds_untouched_and_does_not_loop(site: Pipeline) -> None:
    site.upload("articles/a.md", article("Alpha", "2024-01-01"))
    site.publish("articles/a.md")
    before = site.public()
    # When site.yaml becomes invalid
    site.upload("site.yaml", b"title: Broken\nbase_url: not-a-url\n")
    response = site.publish("site.yaml")
    # Then the batch succeeds (no poison loop) and nothing published changes
    assert response == {"batchItemFailures": []}
    assert site.public() == before


def test_handler_builds_its_clients_from_the_environment(
    site: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given only the function's environment variables, as the template sets them
    handlers.publish.use_publisher(None)
    monkeypatch.setenv("CONTENT_BUCKET", site.content_bucket)
    monkeypatch.setenv("PUBLISH_BUCKET", site.publish_bucket)
    monkeypatch.setenv("DISTRIBUTION_ID", "")
    monkeypatch.setenv("AWS_ENDPOINT_URL", site.endpoint)
    site.upload("articles/a.md", article("From Env", "2024-01-01"))
    # When the handler runs, Then it publishes through clients it made itself
    assert site.publish("articles/a.md") == {"batchItemFailures": []}
    assert b"From Env" in site.public()["feed.xml"]


def test_schedule_handler_heals_lost_events_and_publishes_due_posts(site: Pipeline) -> None:
    # Given a published article, then changes whose events were lost
    site.upload("articles/a.md", article("Alpha", "2024-01-01", ["Film"]))
    site.publish("articles/a.md")
    site.upload("articles/b.md", article("Beta", "2024-01-02"))
    site.remove("articles/a.md")
    # When the hourly reconcile runs
    result = handlers.reconcile.lambda_handler({"action": "reconcile"}, FakeLambdaContext())  # type: ignore[arg-type]
    # Then the feeds match the bucket again
    assert result["failed_keys"] == []
    site.assert_matches_build()
    # And the five-minute due check has nothing to do
    due = handlers.reconcile.lambda_handler({"action": "due"}, FakeLambdaContext())  # type: ignore[arg-type]
    assert due["written"] == []
    with pytest.raises(ValueError, match="not one of"):
        handlers.reconcile.lambda_handler({"action": "explode"}, FakeLambdaContext())  # type: ignore[arg-type]


def test_report_object_is_private_json(site: Pipeline) -> None:
    site.upload("articles/a.md", article("Later", "2099-01-01"))
    site.publish("articles/a.md")
    head = site.head("_state/report.json")
    assert head["ContentType"].startswith("application/json")
    assert head["CacheControl"] == "no-store"
    assert json.loads(json.dumps(site.report()))["scheduled"][0]["path"] == "articles/a.md"
