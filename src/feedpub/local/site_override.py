"""The local pipeline's base_url: the publisher reads every site.yaml with base_url pointing at the edge.

site.yaml names the production domain. Locally the feeds are served by the edge, so their self
links, the XSL reference, OPML and WebSub topics must point there, whoever uploaded site.yaml
(`feedpub dev`'s watcher, `feedpub publish`, `aws s3 sync`) and whatever it says. The override sits
between the publisher and the content bucket: the bucket and the content directory keep the
author's file, and the engine reads site.yaml through its one code path, as on AWS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import yaml

from feedpub import frontmatter
from feedpub.config import SITE_FILE
from feedpub.publish.store import Listing, ObjectStore, StoredObject


def with_base_url(body: bytes, base_url: str) -> bytes:
    """site.yaml with its base_url replaced; unchanged when it has none or cannot be read (the
    publisher then reports the same problem it would report for the author's file)."""
    try:
        settings = frontmatter.load(body.decode("utf-8-sig"))
        if not isinstance(settings, dict) or "base_url" not in settings:
            return body
        settings["base_url"] = base_url
        return yaml.safe_dump(settings, allow_unicode=True, sort_keys=False).encode("utf-8")
    except Exception:  # whatever the author wrote, the engine's own parse reports it
        return body


class LocalBaseUrlStore:
    """A content store whose site.yaml reads with base_url replaced (its ETag says so too, so a
    change of the override alone counts as a change of site.yaml); the rest is the inner store's."""

    def __init__(self, inner: ObjectStore, base_url: str) -> None:
        self.inner = inner
        self.base_url = base_url
        self._etag_suffix = "-" + hashlib.sha256(base_url.encode()).hexdigest()[:12]

    def get(self, key: str) -> StoredObject:
        stored = self.inner.get(key)
        if key != SITE_FILE:
            return stored
        return StoredObject(with_base_url(stored.body, self.base_url), stored.etag + self._etag_suffix)

    def __getattr__(self, name: str) -> Any:
        # Everything else (put, delete, head, ranged reads, copies, ...) is the inner store's.
        return getattr(self.inner, name)

    def list(self, prefix: str = "") -> Iterator[Listing]:
        for item in self.inner.list(prefix):
            if item.key == SITE_FILE:
                item = Listing(item.key, item.etag + self._etag_suffix, item.last_modified)
            yield item
