"""The naive baseline publisher: what existing serverless feed generators do on every change.

LIST the content bucket, GET every record, parse and render everything, PUT every output
whether or not it changed, and delete outputs that are no longer produced. It shares the
engine (records, build.render_site, catalogue.headers_for) with feedpub, so the comparison
measures the publishing strategy and nothing else.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedpub import build, catalogue, records
from feedpub.config import SITE_FILE, parse_site
from feedpub.errors import RecordError
from feedpub.model import Record

# The publisher's private prefix: never deleted as a stale output.
STATE_PREFIX = "_state/"


@dataclass(frozen=True)
class NaiveReport:
    records_read: int
    rejected: int
    written: int
    deleted: int


def _list_keys(s3: Any, bucket: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def naive_publish(
    s3: Any, content_bucket: str, publish_bucket: str, now: datetime, *, threads: int = 16
) -> NaiveReport:
    """Rebuild and rewrite every output from every record, reading them in parallel."""
    site = parse_site(s3.get_object(Bucket=content_bucket, Key=SITE_FILE)["Body"].read(), SITE_FILE)
    record_keys = [key for key in _list_keys(s3, content_bucket) if records.is_record_path(key)]

    def load(key: str) -> Record | RecordError:
        data = s3.get_object(Bucket=content_bucket, Key=key)["Body"].read()
        try:
            return records.parse_record(key, data, site)
        except RecordError as exc:
            return exc

    with ThreadPoolExecutor(threads) as pool:
        loaded = list(pool.map(load, record_keys))
    good = [item for item in loaded if isinstance(item, Record)]
    result = build.render_site(site, good, now)

    def write(item: tuple[str, bytes]) -> None:
        content_type, cache_control = catalogue.headers_for(item[0])
        s3.put_object(
            Bucket=publish_bucket,
            Key=item[0],
            Body=item[1],
            ContentType=content_type,
            CacheControl=cache_control,
        )

    stale = [
        key
        for key in _list_keys(s3, publish_bucket)
        if key not in result.outputs and not key.startswith(STATE_PREFIX)
    ]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, result.outputs.items()))
        list(pool.map(lambda key: s3.delete_object(Bucket=publish_bucket, Key=key), stale))
    return NaiveReport(
        records_read=len(record_keys),
        rejected=len(loaded) - len(good),
        written=len(result.outputs),
        deleted=len(stale),
    )
