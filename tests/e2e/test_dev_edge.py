"""The edge behaves like CloudFront over HTTP, and the watcher follows renames and deletes."""

from __future__ import annotations

import gzip

from tests.e2e.conftest import RunningPipeline, eventually, fetch
from tests.support.builders import article


def test_feeds_carry_the_objects_headers_and_the_security_headers(dev: RunningPipeline) -> None:
    status, headers, body = fetch(dev.url + "feed.json")
    assert status == 200
    assert headers["Content-Type"] == "application/feed+json; charset=utf-8"
    assert "stale-while-revalidate" in headers["Cache-Control"]
    assert headers["ETag"].startswith('"')
    assert headers["Last-Modified"].endswith("GMT")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" in headers
    assert body.startswith(b"{")


def test_conditional_requests_get_304(dev: RunningPipeline) -> None:
    _, headers, _ = fetch(dev.url + "atom.xml")
    assert fetch(dev.url + "atom.xml", {"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(dev.url + "atom.xml", {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert fetch(dev.url + "atom.xml", {"If-None-Match": '"stale"'})[0] == 200


def test_gzip_when_asked_and_head_without_a_body(dev: RunningPipeline) -> None:
    plain = fetch(dev.url + "feed.xml")[2]
    status, headers, body = fetch(dev.url + "feed.xml", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == plain
    assert "Accept-Encoding" in headers["Vary"]


def test_private_state_and_unknown_paths_are_404(dev: RunningPipeline) -> None:
    for path in ("_state/report.json", "_state/root.json", "articles/summer-festival-guide.md", "nope.xml"):
        assert fetch(dev.url + path)[0] == 404, path
    # And "/" serves the main feed, as the distribution's default root object
    assert fetch(dev.url)[2] == fetch(dev.url + "feed.xml")[2]


def test_watcher_follows_rename_and_delete_and_ignores_temp_files(dev: RunningPipeline) -> None:
    articles = dev.content_dir / "articles"
    # Given an article saved in the watched directory and published
    (articles / "watched.md").write_bytes(article("Watched and renamed", tags=["e2e"]))
    dev.wait_for_text("Watched and renamed")
    # When it is renamed, then the item stays published under its new key
    (articles / "watched.md").rename(articles / "renamed.md")
    eventually(lambda: dev.s3.list_objects_v2(Bucket=dev.content_bucket, Prefix="articles/renamed.md")
               .get("KeyCount") == 1, "the renamed key in the bucket")  # fmt: skip
    dev.wait_for_text("Watched and renamed")
    # When an editor leaves a swap file beside it, then it never reaches the bucket
    (articles / ".renamed.md.swp").write_bytes(b"swap")
    # When the article is deleted, then it leaves the feed
    (articles / "renamed.md").unlink()
    dev.wait_for_text("Watched and renamed", present=False)
    keys = {o["Key"] for o in dev.s3.list_objects_v2(Bucket=dev.content_bucket).get("Contents", [])}
    assert "articles/.renamed.md.swp" not in keys
    assert "articles/watched.md" not in keys


def test_a_missing_feed_gets_the_distributions_error_response(dev: RunningPipeline) -> None:
    # Given a public path with no object behind it (a tag nobody used)
    rule = dev.pipeline.spec.edge.error_responses[403]  # what S3 answers CloudFront through OAC
    status, headers, _ = fetch(dev.url + "tags/no-such-tag/feed.xml")
    # Then the edge answers as the distribution's custom error response says, cached as briefly
    assert status == (rule.response_code or 403)
    assert headers["Cache-Control"] == f"max-age={rule.caching_ttl_s}"
