"""`feedpub publish` against the embedded S3, run as authors run it: a subprocess with AWS env settings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedpub.local.embedded import FAKE_CREDENTIALS, REGION, EmbeddedAws
from tests.e2e.conftest import SAMPLE_CONTENT

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
    records = {f"articles/{p.name}" for p in (content / "articles").iterdir() if not p.name.startswith(".")}

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


def test_publish_to_a_missing_bucket_fails_clearly(s3_endpoint: tuple[str, object], tmp_path: Path) -> None:
    env = {**os.environ, **FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION}
    result = subprocess.run(
        [sys.executable, "-m", "feedpub.cli", "publish", str(SAMPLE_CONTENT), "--bucket", "no-such-bucket",
         "--endpoint-url", s3_endpoint[0]],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "s3://no-such-bucket: NoSuchBucket" in result.stderr
