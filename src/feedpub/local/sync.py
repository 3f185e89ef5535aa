"""Content directory → content bucket, by checksum: the `publish` command, the watcher and dev's upload.

An object is unchanged when its ETag is the MD5 of the local bytes (single-part, SSE-S3) or, when
S3's ETag is not an MD5 (multipart or SSE-KMS uploads), when its `sha256` metadata matches.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError

from feedpub.config import SITE_FILE
from feedpub.podcast.media import MEDIA_KEY, MEDIA_PREFIX, type_from_name
from feedpub.records import ARTICLES_PREFIX, is_record_path

SHA256_METADATA = "sha256"
CONTENT_TYPES = {
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json",
    ".yaml": "application/yaml; charset=utf-8",
}


def is_content_key(key: str) -> bool:
    """site.yaml, article records and episode media; hidden files and editor temp files are never uploaded."""
    return key == SITE_FILE or is_record_path(key) or MEDIA_KEY.fullmatch(key) is not None


def key_for(content_dir: Path, path: Path) -> str | None:
    """The bucket key of a file in the content directory, or None if it is not content."""
    try:
        key = path.resolve().relative_to(content_dir.resolve()).as_posix()
    except ValueError:
        return None
    return key if is_content_key(key) else None


def content_type_for(key: str) -> str:
    return CONTENT_TYPES.get(Path(key).suffix) or type_from_name(key) or "application/octet-stream"


@dataclass(frozen=True)
class Digest:
    md5: str
    sha256: str

    @classmethod
    def of(cls, body: bytes) -> Digest:
        return cls(hashlib.md5(body, usedforsecurity=False).hexdigest(), hashlib.sha256(body).hexdigest())


@dataclass(frozen=True)
class RemoteObject:
    etag: str  # without quotes
    sha256: str | None = None  # from metadata, looked up only when the ETag is not our MD5

    def holds(self, digest: Digest) -> bool:
        return self.etag == digest.md5 or self.sha256 == digest.sha256


@dataclass
class SyncPlan:
    upload: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # in the bucket, not local, left because no --delete


def plan_sync(local: Mapping[str, Digest], remote: Mapping[str, RemoteObject], delete: bool) -> SyncPlan:
    """What to upload and delete so the bucket holds exactly the local content."""
    plan = SyncPlan()
    for key in sorted(local):
        if key in remote and remote[key].holds(local[key]):
            plan.unchanged.append(key)
        else:
            plan.upload.append(key)
    for key in sorted(set(remote) - set(local)):
        (plan.delete if delete else plan.kept).append(key)
    return plan


def local_content(content_dir: Path) -> dict[str, Path]:
    """Every content key under the directory, with its file."""
    files = {}
    candidates = [
        content_dir / SITE_FILE,
        *sorted((content_dir / ARTICLES_PREFIX).rglob("*")),
        *sorted((content_dir / MEDIA_PREFIX).rglob("*")),
    ]
    for path in candidates:
        if path.is_file() and (key := key_for(content_dir, path)) is not None:
            files[key] = path
    return files


class ProgressBar:
    """A one-line text bar on a terminal; silent when the stream is not one (logs, CI, pipes)."""

    WIDTH = 30

    def __init__(self, total: int, label: str, stream: TextIO = sys.stderr) -> None:
        self.total = total
        self.label = label
        self.stream = stream
        self.done = 0
        self.enabled = total > 0 and stream.isatty()

    def advance(self) -> None:
        self.done += 1
        if self.enabled:
            filled = self.WIDTH * self.done // self.total
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()


class BucketSync:
    """Uploads and deletes content keys in one bucket."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def remote_content(self, local: Mapping[str, Digest]) -> dict[str, RemoteObject]:
        """The bucket's content keys; metadata is fetched only where the ETag cannot decide."""
        remote = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for entry in page.get("Contents", []):
                key = entry["Key"]
                if not is_content_key(key):
                    continue
                remote[key] = RemoteObject(etag=entry["ETag"].strip('"'))
                if key in local and remote[key].etag != local[key].md5:
                    metadata = self.s3.head_object(Bucket=self.bucket, Key=key).get("Metadata", {})
                    remote[key] = RemoteObject(remote[key].etag, metadata.get(SHA256_METADATA))
        return remote

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=content_type_for(key),
            Metadata={SHA256_METADATA: Digest.of(body).sha256},
        )

    def delete(self, keys: Iterable[str]) -> None:
        batch = [{"Key": key} for key in keys]
        for start in range(0, len(batch), 1000):  # DeleteObjects takes at most 1,000 keys
            result = self.s3.delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch[start : start + 1000], "Quiet": True}
            )
            if errors := result.get("Errors"):
                first = errors[0]
                raise SyncError(f"cannot delete s3://{self.bucket}/{first['Key']}: {first['Message']}")

    def plan(self, content_dir: Path, delete: bool) -> tuple[SyncPlan, dict[str, bytes]]:
        bodies = {key: path.read_bytes() for key, path in local_content(content_dir).items()}
        local = {key: Digest.of(body) for key, body in bodies.items()}
        return plan_sync(local, self.remote_content(local), delete), bodies

    def run(self, content_dir: Path, delete: bool, stream: TextIO = sys.stderr) -> SyncPlan:
        """Make the bucket match the directory; returns what was done."""
        plan, bodies = self.plan(content_dir, delete)
        progress = ProgressBar(len(plan.upload), "uploading", stream)
        for key in plan.upload:
            self.put(key, bodies[key])
            progress.advance()
        if plan.delete:
            self.delete(plan.delete)
        return plan


class SyncError(RuntimeError):
    """The bucket refused an upload or a delete."""


def describe_client_error(exc: ClientError, bucket: str) -> str:
    error = exc.response.get("Error", {})
    return f"s3://{bucket}: {error.get('Code', 'error')}: {error.get('Message', str(exc))}"
