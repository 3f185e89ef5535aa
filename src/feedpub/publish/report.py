"""What one publish run did: drives the handler's logs and metrics, and the tests' assertions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class PublishReport:
    written: list[str] = field(default_factory=list)  # public and private outputs PUT
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0  # outputs rendered whose bytes were already published
    invalidation_paths: list[str] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)  # {path, reason} found by this run
    warnings: list[dict[str, str]] = field(default_factory=list)  # {path, warning} found by this run
    # What became of each record the run changed (not the rejected: see `rejected`): {path, change}
    # with change published, updated, deleted, draft, scheduled or expired (out of the feeds without
    # having been in them), or withdrawn (it left them; `status` says draft, scheduled or expired);
    # a scheduled one has `due`. Empty when `rebuilt`.
    changes: list[dict[str, str]] = field(default_factory=list)
    rebuilt: bool = False  # every record was read again over a published state (not itemised)
    failed_keys: list[str] = field(default_factory=list)  # to be retried (SQS redelivery)
    published: int = 0  # records in the main feed after the run
    next_due: datetime | None = None
    records_read: int = 0
    duration_s: float = 0.0
    site_error: str | None = None  # site.yaml missing or invalid: nothing was published
    # A rebuild, or a feed-level change's render step, was started elsewhere (RebuildStateMachine)
    rebuild_deferred: bool = False
    superseded: bool = False  # a rebuild's merge found a newer site.yaml or rebuild: it committed nothing
    hub_failures: int = 0  # changed feeds the WebSub hub was not told about (logged, never retried)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["next_due"] = self.next_due.isoformat() if self.next_due else None
        return data
