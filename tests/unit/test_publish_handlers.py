"""The handlers' pure parts: the environment they read and the S3 notifications they decode."""

from __future__ import annotations

import json

import pytest
from handlers.publish import UnreadableMessageError, message_keys
from handlers.settings import Settings, SettingsError


def test_settings_from_the_function_environment() -> None:
    environment = {"CONTENT_BUCKET": "content-b", "PUBLISH_BUCKET": "publish-b", "DISTRIBUTION_ID": ""}
    settings = Settings.from_env({**environment, "STATE_PREFIX": "st"})
    # An empty distribution id means no CloudFront; the state prefix is always a directory
    assert settings.distribution_id is None
    assert settings.state_prefix == "st/"
    assert Settings.from_env({"CONTENT_BUCKET": "abc", "PUBLISH_BUCKET": "def"}).state_prefix == "_state/"
    # Rebuilds run in this process unless the template names the state machine that runs them
    assert settings.rebuild_state_machine is None
    assert settings.rebuild_workers == 16
    deployed = Settings.from_env(
        {
            **environment,
            "REBUILD_STATE_MACHINE": "arn:aws:states:us-east-1:1:stateMachine:s-rebuild",
            "REBUILD_WORKERS": "4",
        }
    )
    assert deployed.rebuild_state_machine == "arn:aws:states:us-east-1:1:stateMachine:s-rebuild"
    assert deployed.rebuild_workers == 4


def test_rebuild_workers_beyond_the_maps_limit_are_refused_by_name() -> None:
    environment = {"CONTENT_BUCKET": "content-b", "PUBLISH_BUCKET": "publish-b", "REBUILD_WORKERS": "41"}
    with pytest.raises(SettingsError, match="REBUILD_WORKERS"):
        Settings.from_env(environment)


def test_missing_bucket_variable_is_named_in_the_error() -> None:
    with pytest.raises(SettingsError, match="PUBLISH_BUCKET"):
        Settings.from_env({"CONTENT_BUCKET": "content-b"})


def test_notification_keys_are_url_decoded() -> None:
    # Given S3's encoding of a key with spaces and non-ASCII letters
    body = {"Records": [{"s3": {"object": {"key": "articles/caf%C3%A9+reviews/new+film.md"}}}]}
    # Then the handler sees the key as stored
    assert message_keys(json.dumps(body)) == ["articles/café reviews/new film.md"]


def test_s3_test_event_names_no_keys() -> None:
    assert message_keys(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"hello": "world"}), "no S3 'Records'"),
        (json.dumps({"Records": [{"s3": {}}]}), "no s3.object.key"),
    ],
)
def test_unreadable_messages_say_why(body: str, reason: str) -> None:
    with pytest.raises(UnreadableMessageError, match=reason):
        message_keys(body)


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"Records": [{"s3": {"object": {"key": 42}}}]}),
        json.dumps({"Records": [{"s3": {"object": {"key": None}}}]}),
        json.dumps({"Records": [{"s3": {"object": {"key": ["articles/a.md"]}}}]}),
        json.dumps({"Records": ["not a record"]}),
        '{"Records": [' + "1" * 5000 + "]}",
        "[" * 100_000,
    ],
)
def test_a_notification_with_a_key_that_is_not_text_is_unreadable_not_a_crash(body: str) -> None:
    # Given a notification whose key is a number, null or a list (or whose JSON cannot be read),
    # when decoded, then it is an unreadable message (its batch goes on without it)
    with pytest.raises(UnreadableMessageError):
        message_keys(body)
