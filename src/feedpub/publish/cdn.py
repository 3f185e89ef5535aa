"""CloudFront invalidation: one request per publish run, with every changed path.

CloudFront allows 3,000 file paths and 15 wildcard paths in progress per distribution, and bills
per path (a wildcard counts as one). A run that changes more than MAX_FILE_PATHS files (a rebuild
of a site with many tags, authors or archive pages) would be refused, and its edges would serve
stale feeds until their max-age ran out; so a large set is sent as wildcards over the folders
that hold most of it, and past any sensible number of wildcards as "/*".
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

MAX_FILE_PATHS = 1000  # a third of CloudFront's in-progress limit: room for runs close together
MAX_WILDCARDS = 5  # of the 15 wildcard paths CloudFront allows in progress


def coalesce(paths: Sequence[str]) -> list[str]:
    """The paths to invalidate for `paths` (each starting with "/"): themselves while few enough,
    else the top-level folders holding the most of them as "/<folder>/*", else "/*"."""
    unique = sorted(set(paths))
    if len(unique) <= MAX_FILE_PATHS:
        return unique
    folders = Counter(path.split("/")[1] for path in unique if path.count("/") > 1)
    kept = unique
    wildcards: list[str] = []
    for folder, _ in folders.most_common(MAX_WILDCARDS):
        wildcards.append(f"/{folder}/*")
        kept = [path for path in kept if not path.startswith(f"/{folder}/")]
        if len(kept) + len(wildcards) <= MAX_FILE_PATHS:
            return sorted(wildcards) + kept
    return ["/*"]


class CloudFrontInvalidator:
    def __init__(self, client: Any, distribution_id: str) -> None:
        self.client = client
        self.distribution_id = distribution_id

    def invalidate(self, paths: Sequence[str]) -> None:
        """Invalidate `paths` (each starting with "/"), coalesced; nothing is sent for an empty list."""
        items = coalesce(paths)
        if not items:
            return
        self.client.create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(items), "Items": items},
                "CallerReference": uuid.uuid4().hex,
            },
        )
