"""Object stores the publisher reads and writes: S3, or anything with the same small interface.

The publisher needs five things from a store: GET with the ETag, PUT with an optional
condition (If-Match / If-None-Match), DELETE, LIST with ETags, and clear errors for
"not there" and "condition failed". Every other error is transient to the publisher:
the keys it was working on fail and are retried later.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

_NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
# 409 ConditionalRequestConflict: S3's answer when two conditional writes race on one key.
_CONDITION_CODES = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})


class NotFoundError(Exception):
    """The object does not exist (a definite answer, unlike a failed read)."""


class PreconditionFailedError(Exception):
    """A conditional write lost: the object changed (or exists) since it was read."""


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    etag: str  # without quotes


@dataclass(frozen=True)
class Listing:
    key: str
    etag: str
    last_modified: datetime


class ObjectStore(Protocol):
    def get(self, key: str) -> StoredObject: ...

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        cache_control: str | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str: ...

    def delete(self, key: str) -> None: ...

    def list(self, prefix: str = "") -> Iterator[Listing]: ...


def _etag(value: str) -> str:
    return value.strip('"')


def _error_code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    return code if code else status


class S3Store:
    """One S3 bucket through a boto3 client (retries and timeouts are the client's configuration)."""

    # Last-Modified, as S3 reports it, counts whole seconds (see the publisher's flush).
    modified_resolution_s = 1.0

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def get(self, key: str) -> StoredObject:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND_CODES:
                raise NotFoundError(key) from exc
            raise
        with response["Body"] as body:
            data = body.read()
        return StoredObject(data, _etag(response["ETag"]))

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        cache_control: str | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Body": body, "ContentType": content_type}
        if cache_control:
            args["CacheControl"] = cache_control
        if if_match is not None:
            args["IfMatch"] = f'"{if_match}"'
        if if_none_match:
            args["IfNoneMatch"] = "*"
        try:
            response = self.client.put_object(**args)
        except ClientError as exc:
            if _error_code(exc) in _CONDITION_CODES:
                raise PreconditionFailedError(key) from exc
            raise
        return _etag(response["ETag"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def list(self, prefix: str = "") -> Iterator[Listing]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                yield Listing(item["Key"], _etag(item["ETag"]), item["LastModified"])
