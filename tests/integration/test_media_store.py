"""S3Store's media operations against S3's API (moto server): HEAD, a ranged GET of one version, and a
server-side copy between the content and publish buckets, with mutagen reading an episode by range."""

from __future__ import annotations

import uuid

import boto3
import pytest
from handlers.publish import CLIENT_CONFIG

from feedpub.podcast.media import BLOCK, inspect
from feedpub.publish.store import NotFoundError, PreconditionFailedError, S3Store
from tests.support.audio import tone_mp3
from tests.support.builders import REGION
from tests.support.counting import RequestCounter


@pytest.fixture
def buckets(moto_endpoint: str) -> tuple[S3Store, S3Store, RequestCounter]:
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name=REGION, config=CLIENT_CONFIG)
    names = [f"media-{role}-{uuid.uuid4().hex[:8]}" for role in ("content", "publish")]
    for name in names:
        client.create_bucket(Bucket=name)
    counter = RequestCounter().attach(client.meta.events)
    return S3Store(client, names[0]), S3Store(client, names[1]), counter


def test_given_an_episode_in_s3_when_inspected_then_ranged_gets_read_a_small_part_of_it(
    buckets: tuple[S3Store, S3Store, RequestCounter],
) -> None:
    content, _, counter = buckets
    data = tone_mp3(60.0)
    etag = content.put("media/ep.mp3", data, content_type="audio/mpeg")
    head = content.head("media/ep.mp3")
    assert (head.size, head.etag) == (len(data), etag)
    counter.reset()
    info = inspect(
        "media/ep.mp3",
        head.size,
        head.etag,
        lambda s, e: content.get_range("media/ep.mp3", s, e, if_match=etag),
    )
    assert info.mime_type == "audio/mpeg"
    assert info.duration == pytest.approx(60.0, abs=0.2)
    assert counter.requests["GetObject"] <= 2
    assert len(data) > 2 * BLOCK


def test_given_a_newer_version_when_an_old_one_is_read_or_copied_then_s3_refuses_it(
    buckets: tuple[S3Store, S3Store, RequestCounter],
) -> None:
    content, published, _ = buckets
    old = content.put("media/ep.mp3", b"first version")
    content.put("media/ep.mp3", b"second version")
    with pytest.raises(PreconditionFailedError):
        content.get_range("media/ep.mp3", 0, 3, if_match=old)
    with pytest.raises(PreconditionFailedError):
        published.copy_from(
            content, "media/ep.mp3", if_match=old, content_type="audio/mpeg", cache_control="x"
        )
    with pytest.raises(NotFoundError):
        content.head("media/missing.mp3")


def test_given_an_episode_when_copied_then_the_publish_bucket_has_its_bytes_type_and_cache_control(
    buckets: tuple[S3Store, S3Store, RequestCounter],
) -> None:
    content, published, counter = buckets
    data = tone_mp3(3.0)
    etag = content.put("media/ep.mp3", data, content_type="binary/octet-stream")
    counter.reset()
    published.copy_from(
        content,
        "media/ep.mp3",
        if_match=etag,
        content_type="audio/mpeg",
        cache_control="public, max-age=604800",
    )
    assert counter.requests["PutObject"] == 0
    assert counter.bytes_read < len(data)
    head = published.client.head_object(Bucket=published.bucket, Key="media/ep.mp3")
    assert (head["ContentType"], head["CacheControl"], head["ContentLength"]) == (
        "audio/mpeg",
        "public, max-age=604800",
        len(data),
    )
    assert published.get("media/ep.mp3").body == data
