"""CloudFront invalidation: one request per publish run, with every changed path."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any


class CloudFrontInvalidator:
    def __init__(self, client: Any, distribution_id: str) -> None:
        self.client = client
        self.distribution_id = distribution_id

    def invalidate(self, paths: Sequence[str]) -> None:
        """Invalidate `paths` (each starting with "/"); nothing is sent for an empty list."""
        if not paths:
            return
        self.client.create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": list(paths)},
                "CallerReference": uuid.uuid4().hex,
            },
        )
