"""`feedpub publish` against the embedded S3, run as authors run it: a subprocess with AWS env settings."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedpub.local.embedded import FAKE_CREDENTIALS, REGION, EmbeddedAws
from tests.e2e.conftest import SAMPLE_CONTENT, start_pipeline

BUCKET = "authors-content"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[tuple[str, object]]:
    aws = EmbeddedAws("127.0.0.1", 0)
    try:
        client = aws.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield aws.endpoint, client
    finally:
        aws.stop()


def publish(endpoint: str, content: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION}
    return subprocess.run(
        [sys.executable, "-m", "feedpub.cli", "publish", str(content), "--bucket", BUCKET,
         "--endpoint-url", endpoint, *options],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def bucket_keys(client: object) -> set[str]:
    listing = client.list_objects_v2(Bucket=BUCKET)  # type: ignore[attr-defined]
    return {entry["Key"] for entry in listing.get("Contents", [])}


def test_publish_syncs_by_checksum(s3_endpoint: tuple[str, object], tmp_path: Path) -> None:
    endpoint, client = s3_endpoint
    content = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, content)
    (content / "articles" / ".draft.md.swp").write_text("editor swap file")
    records = {
        f"{folder}/{p.name}"
        for folder in ("articles", "media")
        for p in (content / folder).iterdir()
        if not p.name.startswith(".")
    }  # the records and the episode media they name

    # Given an empty bucket, when the directory is published, then every content key is uploaded
    first = publish(endpoint, content)
    assert first.returncode == 0, first.stderr
    assert f"uploaded {len(records) + 1}, deleted 0, unchanged 0" in first.stdout
    assert bucket_keys(client) == records | {"site.yaml"}
    head = client.head_object(Bucket=BUCKET, Key="site.yaml")  # type: ignore[attr-defined]
    assert head["ContentType"] == "application/yaml; charset=utf-8"

    # When nothing changed, then a second publish uploads nothing
    second = publish(endpoint, content)
    assert f"uploaded 0, deleted 0, unchanged {len(records) + 1}" in second.stdout

    # When one file is edited and one removed, then a dry run reports it and changes nothing
    (content / "articles" / "summer-festival-guide.md").write_text(
        "---\ntitle: Festival guide, revised\ndate: 2026-06-01\n---\nNew text.\n"
    )
    (content / "articles" / "ana-de-armas-profile.md").unlink()
    dry = publish(endpoint, content, "--delete", "--dry-run")
    assert "would upload articles/summer-festival-guide.md" in dry.stdout
    assert f"would delete s3://{BUCKET}/articles/ana-de-armas-profile.md" in dry.stdout
    assert "articles/ana-de-armas-profile.md" in bucket_keys(client)

    # Without --delete the removed file is kept (and said so); with --delete it goes
    kept = publish(endpoint, content)
    assert "uploaded 1, deleted 0" in kept.stdout
    assert "1 in the bucket but not in" in kept.stdout
    deleted = publish(endpoint, content, "--delete")
    assert "uploaded 0, deleted 1" in deleted.stdout
    assert "articles/ana-de-armas-profile.md" not in bucket_keys(client)


def test_publish_warns_about_records_the_publisher_will_reject(
    s3_endpoint: tuple[str, object], tmp_path: Path
) -> None:
    # Given a content directory with a record that has no title
    content = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, content)
    (content / "articles" / "untitled.md").write_text("---\ndate: 2026-01-01\n---\nNo title.\n")
    # When published, then it is uploaded anyway and the author is warned, naming the file
    result = publish(s3_endpoint[0], content)
    assert result.returncode == 0
    assert "warning" in result.stderr
    assert "untitled.md" in result.stderr
    assert "articles/untitled.md" in bucket_keys(s3_endpoint[1])


def run_publish(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "feedpub.cli", "publish", *args],
        capture_output=True, text=True, env=environment, timeout=120, check=False,
    )  # fmt: skip


def failure_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed publish prints (after any warnings about records), never a traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("feedpub: warning:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_publish_to_a_missing_bucket_fails_clearly(s3_endpoint: tuple[str, object]) -> None:
    result = run_publish(str(SAMPLE_CONTENT), "--bucket", "no-such-bucket", "--endpoint-url", s3_endpoint[0])
    assert result.returncode == 1
    assert f"bucket 'no-such-bucket' does not exist at {s3_endpoint[0]}" in failure_line(result)


def test_an_s3_url_is_accepted_as_the_bucket(s3_endpoint: tuple[str, object]) -> None:
    result = run_publish(str(SAMPLE_CONTENT), "--bucket", f"s3://{BUCKET}/", "--endpoint-url", s3_endpoint[0])
    assert result.returncode == 0, result.stderr
    assert "site.yaml" in bucket_keys(s3_endpoint[1])


def test_without_credentials_it_says_the_local_endpoint_takes_the_printed_pair(
    s3_endpoint: tuple[str, object], tmp_path: Path
) -> None:
    # Given no credentials anywhere boto3 looks
    env = {
        name: ""
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
    }
    env |= {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none")}
    environment = {k: v for k, v in {**os.environ, **env}.items() if v}
    result = subprocess.run(
        [sys.executable, "-m", "feedpub.cli", "publish", str(SAMPLE_CONTENT), "--bucket", BUCKET,
         "--endpoint-url", s3_endpoint[0]],
        capture_output=True, text=True, env=environment, timeout=120, check=False,
    )  # fmt: skip
    line = failure_line(result)
    assert "no usable AWS credentials" in line
    assert "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing" in line


@pytest.mark.parametrize(
    ("options", "env", "message"),
    [
        (
            ["--endpoint-url", "127.0.0.1:4566"],
            {},
            "'127.0.0.1:4566' has no scheme: write http://127.0.0.1:4566",
        ),
        ([], {"AWS_ENDPOINT_URL": "127.0.0.1:4566"}, "AWS_ENDPOINT_URL '127.0.0.1:4566' has no scheme"),
        (["--endpoint-url", "ftp://127.0.0.1:4566"], {}, "must start with http:// or https://"),
        (
            ["--bucket", "s3://feedpub-content/articles/"],
            {},
            "names a folder inside bucket 'feedpub-content'",
        ),
        (["--bucket", "my bucket"], {}, "is not a bucket name"),
        ([], {"AWS_PROFILE": "no-such-profile"}, "could not be found: unset AWS_PROFILE"),
    ],
)
def test_unusable_options_and_settings_are_one_line_naming_the_fix(
    tmp_path: Path, options: list[str], env: dict[str, str], message: str
) -> None:
    bucket = [] if "--bucket" in options else ["--bucket", BUCKET]
    endpoint = [] if "--endpoint-url" in options or env else ["--endpoint-url", "http://127.0.0.1:9"]
    result = run_publish(str(SAMPLE_CONTENT), *bucket, *endpoint, *options, env=env)
    assert message in failure_line(result)


def test_nothing_listening_at_the_endpoint_says_so() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    result = run_publish(
        str(SAMPLE_CONTENT), "--bucket", BUCKET, "--endpoint-url", f"http://127.0.0.1:{port}"
    )
    assert f"nothing answers at http://127.0.0.1:{port}: is `feedpub dev` running?" in failure_line(result)


def test_the_edge_given_as_the_endpoint_names_the_s3_endpoint(tmp_path: Path) -> None:
    # Given `feedpub dev` running, when its edge URL is given as the S3 endpoint by mistake
    for dev in start_pipeline(tmp_path):
        edge = dev.url.rstrip("/")
        result = run_publish(str(SAMPLE_CONTENT), "--bucket", dev.content_bucket, "--endpoint-url", edge)
        # Then the one line says which port is S3
        assert f"its S3 endpoint is {dev.pipeline.resources.endpoint}" in failure_line(result)


@pytest.mark.parametrize("setup", ["missing", "file"])
def test_a_content_dir_that_is_not_one_is_refused(tmp_path: Path, setup: str) -> None:
    content = tmp_path / "content"
    if setup == "file":
        content.write_text("x")
    result = run_publish(str(content), "--bucket", BUCKET)
    assert result.returncode == 2
    assert ("does not exist" if setup == "missing" else "is a file, not a content directory") in failure_line(
        result
    )


def test_the_banners_publish_bucket_is_refused_naming_the_content_bucket(
    s3_endpoint: tuple[str, object],
) -> None:
    result = run_publish(str(SAMPLE_CONTENT), "--bucket", "feedpub-publish", "--endpoint-url", s3_endpoint[0])
    assert result.returncode == 2
    assert "authors upload to its content bucket: --bucket feedpub-content" in failure_line(result)


def test_a_proxy_setting_is_not_used_for_an_endpoint_on_this_machine(s3_endpoint: tuple[str, object]) -> None:
    proxy = "http://127.0.0.1:9"
    result = run_publish(
        str(SAMPLE_CONTENT), "--bucket", BUCKET, "--endpoint-url", s3_endpoint[0],
        env={"HTTP_PROXY": proxy, "http_proxy": proxy, "HTTPS_PROXY": proxy, "https_proxy": proxy},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
