"""S3 client failures as one line that names the problem and what to do (`feedpub publish`)."""

from __future__ import annotations

import ipaddress
import os
import re
from urllib.parse import urlsplit

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSLError,
)

from feedpub.local.embedded import CONTENT_BUCKET, FAKE_CREDENTIALS, PUBLISH_BUCKET

ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
DEV_HINT = "`feedpub dev` prints its S3 endpoint in its banner ('S3 + SQS endpoint')"
CREDENTIALS_HINT = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE); the endpoint of `feedpub dev` "
    "accepts any pair, such as the one its banner prints: "
    + " ".join(f"{name}={value}" for name, value in FAKE_CREDENTIALS.items())
)
_CREDENTIAL_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired"}
)
# A bucket name as botocore accepts it (S3's own rules are stricter for new buckets).
_BUCKET_NAME = re.compile(r"[a-zA-Z0-9.\-_]{1,255}")


def endpoint_problem(url: str, source: str) -> str | None:
    """Why `url` (given by `source`: an option or a variable) is no endpoint URL, or None."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        if "://" not in url:
            return f"{source} {url!r} has no scheme: write http://{url.strip()}"
        return f"{source} {url!r} must start with http:// or https://"
    if not parts.hostname:
        return f"{source} {url!r} names no host: write it as http://HOST:PORT"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number or out of range
    except ValueError:
        return f"{source} {url!r} has an invalid port: write it as http://HOST:PORT"
    return None


def effective_endpoint(option: str | None) -> str | None:
    """The endpoint boto3 will use: --endpoint-url, else the variables it reads; None for AWS itself."""
    return option or next((os.environ[name] for name in ENDPOINT_VARIABLES if os.environ.get(name)), None)


def bucket_problem(bucket: str, endpoint: str | None) -> str | None:
    """Uploading content into `feedpub dev`'s publish bucket is a mix-up of the banner's two names."""
    if bucket == PUBLISH_BUCKET and is_loopback(endpoint):
        return (
            f"{bucket} is where `feedpub dev` writes the feeds; authors upload to its content bucket: "
            f"--bucket {CONTENT_BUCKET}"
        )
    return None


def is_loopback(url: str | None) -> bool:
    """Whether the endpoint is on this machine (such as `feedpub dev`'s)."""
    host = urlsplit(url).hostname if url else None
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint_variables() -> str | None:
    """The same check for the endpoint variables boto3 reads itself."""
    for name in ENDPOINT_VARIABLES:
        value = os.environ.get(name)
        if value and (problem := endpoint_problem(value, name)):
            return problem
    return None


def bucket_name(text: str) -> str:
    """--bucket: a bucket name, or `s3://name` (with or without a trailing slash)."""
    name = text.strip()
    if name.lower().startswith("s3://"):
        name = name[5:].rstrip("/")
        if "/" in name:
            bucket = name.split("/", 1)[0]
            raise ValueError(
                f"{text!r} names a folder inside bucket {bucket!r}: feedpub publishes to the bucket's root "
                f"(use --bucket {bucket})"
            )
    if not _BUCKET_NAME.fullmatch(name):
        raise ValueError(
            f"{text!r} is not a bucket name: use letters, digits, '.', '-' or '_' "
            f"(`feedpub dev`'s content bucket is {CONTENT_BUCKET})"
        )
    return name


def explain(exc: Exception, bucket: str, endpoint: str | None) -> str:
    """One line for a failure of an S3 call against `bucket` at `endpoint` (None: AWS itself)."""
    where = endpoint or "AWS"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return f"no usable AWS credentials: {CREDENTIALS_HINT}"
    if isinstance(exc, ProfileNotFound):
        return f"{_first_line(exc).rstrip('.')}: unset AWS_PROFILE or run `aws configure --profile NAME`"
    if isinstance(exc, NoRegionError):
        return "no AWS region: set AWS_DEFAULT_REGION (any region works with `feedpub dev`, e.g. us-east-1)"
    if isinstance(exc, InvalidRegionError):
        return f"{_first_line(exc).rstrip('.')}: set AWS_DEFAULT_REGION to a region name such as us-east-1"
    if isinstance(exc, SSLError):
        detail = re.search(r"\[SSL[^\]]*\][^(]*", str(exc))
        reason = detail.group(0).strip() if detail else _first_line(exc)
        plain = f" (use {endpoint.replace('https://', 'http://', 1)})" if endpoint else ""
        return f"{where}: TLS failed: {reason}; `feedpub dev`'s endpoint speaks plain http://{plain}"
    if isinstance(exc, EndpointConnectionError):
        if endpoint:
            return f"nothing answers at {endpoint}: is `feedpub dev` running? {DEV_HINT}"
        return f"cannot reach S3: {_first_line(exc)}"
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return f"{where} did not answer in time: check --endpoint-url ({DEV_HINT})"
    if isinstance(exc, ConnectionClosedError):
        return f"{where} closed the connection without answering like S3: check --endpoint-url ({DEV_HINT})"
    if isinstance(exc, ParamValidationError):
        return f"S3 refused the request: {_first_line(exc)}"
    if isinstance(exc, ClientError):
        return _explain_client_error(exc, bucket, endpoint)
    if isinstance(exc, BotoCoreError):
        return f"s3://{bucket} at {where}: {_first_line(exc)}"
    return f"s3://{bucket} at {where}: {_first_line(exc)}"


def _explain_client_error(exc: ClientError, bucket: str, endpoint: str | None) -> str:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", "")) or _first_line(exc)
    where = endpoint or "AWS"
    if code == "NotS3Endpoint":  # feedpub dev's edge, which says where its S3 endpoint is
        return message
    if code == "NoSuchBucket":
        local = f" (`feedpub dev`'s content bucket is {CONTENT_BUCKET})" if endpoint else ""
        return f"bucket {bucket!r} does not exist at {where}{local}"
    if code in _CREDENTIAL_CODES:
        return f"{where} refused the credentials ({code}): {CREDENTIALS_HINT}"
    if code in ("AccessDenied", "AllAccessDisabled", "403"):
        return f"{where} denied access to s3://{bucket} ({message}): check the credentials and bucket policy"
    if code.isdigit():  # no S3 error document: whatever answered is not S3
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", code)
        return f"{where} answered HTTP {status} {message}, not like S3: check --endpoint-url ({DEV_HINT})"
    return f"s3://{bucket} at {where}: {code}: {message}"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
