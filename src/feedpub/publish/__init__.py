"""The incremental S3 publisher shared by the Lambda handlers, the local pipeline and the CLI."""

from feedpub.publish.cdn import CloudFrontInvalidator
from feedpub.publish.engine import Publisher
from feedpub.publish.memstore import MemoryStore
from feedpub.publish.report import PublishReport
from feedpub.publish.store import (
    NotFoundError,
    ObjectStore,
    PreconditionFailedError,
    S3Store,
    StoredObject,
)

__all__ = [
    "CloudFrontInvalidator",
    "MemoryStore",
    "NotFoundError",
    "ObjectStore",
    "PreconditionFailedError",
    "PublishReport",
    "Publisher",
    "S3Store",
    "StoredObject",
]
