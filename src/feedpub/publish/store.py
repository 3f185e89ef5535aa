"""Object stores the publisher reads and writes: S3, or anything with the same small interface.

The publisher needs from a store: GET with the ETag, PUT with an optional condition
(If-Match / If-None-Match), DELETE, LIST with ETags, how coarse the stored objects'
Last-Modified is; for episode media, HEAD, a ranged GET of one version and a server-side copy
between buckets (the bytes never pass through the function); and clear errors for the answers
that are not worth retrying. Which S3 error means what is decided in ONE table, S3_ERRORS,
that the tests walk:

- transient (throttling, 5xx, timeouts, connection errors, and any code not in the table):
  the keys the publisher was working on fail and are retried later;
- missing (NoSuchKey): NotFoundError, a definite answer (the record was deleted);
- condition (412, 409): PreconditionFailedError, a lost race for a conditional write;
- unreadable (an archived object, a key the function may not use to decrypt it, ...):
  UnreadableObjectError on GET, the record is rejected with the reason and never retried.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError

Kind = Literal["transient", "missing", "condition", "unreadable"]
TRANSIENT: Kind = "transient"
MISSING: Kind = "missing"
CONDITION: Kind = "condition"
UNREADABLE: Kind = "unreadable"

_KMS_KEY = "its SSE-KMS key cannot be used to decrypt it"
# S3 error code (or the HTTP status when S3 gives no code) -> what it means for the publisher, and
# for an unreadable object what its author is told (`{storage_class}` and `{message}` come from
# the error response).
S3_ERRORS: dict[str, tuple[Kind, str]] = {
    "NoSuchKey": (MISSING, ""),
    "NotFound": (MISSING, ""),
    "404": (MISSING, ""),
    "PreconditionFailed": (CONDITION, ""),
    "412": (CONDITION, ""),
    # 409 ConditionalRequestConflict: S3's answer when two conditional writes race on one key.
    "ConditionalRequestConflict": (CONDITION, ""),
    "409": (CONDITION, ""),
    "InvalidObjectState": (
        UNREADABLE,
        "the object is in the {storage_class} storage class (restore it or copy it to STANDARD)",
    ),
    "AccessDenied": (UNREADABLE, "access is denied ({message}); for an SSE-KMS object, " + _KMS_KEY),
    "403": (UNREADABLE, "access is denied (HTTP 403)"),
    "KMS.DisabledException": (UNREADABLE, _KMS_KEY + ": the key is disabled"),
    "KMS.KMSInvalidStateException": (UNREADABLE, _KMS_KEY + ": the key is pending deletion or unavailable"),
    "KMS.NotFoundException": (UNREADABLE, _KMS_KEY + ": the key does not exist"),
    "KMS.AccessDeniedException": (UNREADABLE, _KMS_KEY + ": access to the key is denied"),
    "KMS.InvalidCiphertextException": (UNREADABLE, _KMS_KEY + ": the ciphertext is invalid"),
    "KMS.IncorrectKeyException": (UNREADABLE, _KMS_KEY + ": the key is not the one it was encrypted with"),
    # SSE-C: the object can only be read with the customer's own key, which the function never has.
    "InvalidRequest": (UNREADABLE, "S3 refuses to serve it ({message})"),
    "InvalidArgument": (UNREADABLE, "S3 refuses to serve it ({message})"),
    "SlowDown": (TRANSIENT, ""),
    "Throttling": (TRANSIENT, ""),
    "ThrottlingException": (TRANSIENT, ""),
    "RequestLimitExceeded": (TRANSIENT, ""),
    "TooManyRequests": (TRANSIENT, ""),
    "KMS.ThrottlingException": (TRANSIENT, ""),
    "KMS.KMSInternalException": (TRANSIENT, ""),
    "KMS.DependencyTimeoutException": (TRANSIENT, ""),
    "RequestTimeout": (TRANSIENT, ""),
    "RequestTimeTooSkewed": (TRANSIENT, ""),
    "InternalError": (TRANSIENT, ""),
    "ServiceUnavailable": (TRANSIENT, ""),
    "429": (TRANSIENT, ""),
    "500": (TRANSIENT, ""),
    "502": (TRANSIENT, ""),
    "503": (TRANSIENT, ""),
    "504": (TRANSIENT, ""),
}


class NotFoundError(Exception):
    """The object does not exist (a definite answer, unlike a failed read)."""


class PreconditionFailedError(Exception):
    """A conditional write lost: the object changed (or exists) since it was read."""


class UnreadableObjectError(Exception):
    """The object exists but can never be read as it is: its record is rejected with `reason`."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key} cannot be read: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    etag: str  # without quotes


@dataclass(frozen=True)
class ObjectInfo:
    size: int  # bytes
    etag: str  # without quotes


@dataclass(frozen=True)
class Listing:
    key: str
    etag: str
    last_modified: datetime


class ObjectStore(Protocol):
    # The granularity, in seconds, of the Last-Modified readers see for what this store holds (S3: whole
    # seconds); 0 when it keeps no such time. The publisher waits for the next tick before rewriting a
    # feed it wrote within the current one (see OutputWriter._after_the_last_outputs_second).
    modified_resolution_s: float

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

    def head(self, key: str) -> ObjectInfo: ...

    def get_range(self, key: str, start: int, end: int, *, if_match: str) -> bytes: ...

    def copy_from(
        self, source: Any, key: str, *, if_match: str, content_type: str, cache_control: str
    ) -> None: ...


def _etag(value: str) -> str:
    return value.strip('"')


def classify(exc: BaseException) -> tuple[Kind, str]:
    """What an exception from an S3 call means (S3_ERRORS), and for an unreadable object, why.

    Anything that is not an S3 error response (timeouts, connection errors) is transient; so is
    an error code the table does not know, since retrying costs little and losing a record a lot.
    """
    if not isinstance(exc, ClientError):
        return TRANSIENT, ""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    kind, reason = S3_ERRORS.get(code) or S3_ERRORS.get(status) or (TRANSIENT, "")
    if code not in S3_ERRORS and status.startswith("5"):
        kind = TRANSIENT
    details = {
        "storage_class": str(error.get("StorageClass") or exc.response.get("StorageClass") or "archive"),
        "message": " ".join(str(error.get("Message") or code or status).split())[:160],
    }
    return kind, reason.format(**details)


def read_error(key: str, exc: Exception) -> Exception:
    """The exception a failed GET of `key` raises: NotFoundError, UnreadableObjectError or `exc` itself."""
    kind, reason = classify(exc)
    if kind == MISSING:
        return NotFoundError(key)
    if kind == UNREADABLE:
        return UnreadableObjectError(key, reason)
    return exc


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
            raise read_error(key, exc) from exc
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
            if classify(exc)[0] == CONDITION:
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

    def head(self, key: str) -> ObjectInfo:
        try:
            response = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            raise read_error(key, exc) from exc
        return ObjectInfo(int(response["ContentLength"]), _etag(response["ETag"]))

    def get_range(self, key: str, start: int, end: int, *, if_match: str) -> bytes:
        """Bytes start..end (inclusive) of the version with ETag `if_match`; a newer version is a
        PreconditionFailedError (the file changed while it was being read)."""
        try:
            response = self.client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end}", IfMatch=f'"{if_match}"'
            )
        except ClientError as exc:
            if classify(exc)[0] == CONDITION:
                raise PreconditionFailedError(key) from exc
            raise read_error(key, exc) from exc
        with response["Body"] as body:
            data: bytes = body.read()
        return data

    def copy_from(
        self, source: Any, key: str, *, if_match: str, content_type: str, cache_control: str
    ) -> None:
        """Copy `key` of `source` (an S3Store) to the same key here, inside S3: boto3's managed copy
        switches to a multipart copy for large files. Only the version `if_match` is copied."""
        try:
            self.client.copy(
                {"Bucket": source.bucket, "Key": key},
                self.bucket,
                key,
                ExtraArgs={
                    "CopySourceIfMatch": f'"{if_match}"',
                    "ContentType": content_type,
                    "CacheControl": cache_control,
                    "MetadataDirective": "REPLACE",
                },
            )
        except ClientError as exc:
            if classify(exc)[0] == CONDITION:
                raise PreconditionFailedError(key) from exc
            raise read_error(key, exc) from exc
