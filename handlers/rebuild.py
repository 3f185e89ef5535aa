"""Hand a site.yaml rebuild to ReconcileFunction, whose timeout fits a rebuild of a large site.

A rebuild reads every record (about 50 s of CPU per 10,000 articles on the benchmark machine):
past a few thousand articles it cannot finish within the queue-driven function's 60 s, and
each timed-out attempt would only be redelivered until the message reached the dead-letter queue.
"""

from __future__ import annotations

import json
from typing import Any

RECONCILE_EVENT = json.dumps({"action": "reconcile"}).encode()


class RebuildHandOff:
    """Starts a reconcile of the named function without waiting for it (Lambda queues the event
    and retries it twice; the hourly reconcile is the safety net behind that)."""

    def __init__(self, function_name: str, client_config: Any = None, lambda_client: Any = None) -> None:
        self.function_name = function_name
        self._client_config = client_config
        self._client = lambda_client

    def start(self) -> None:
        if self._client is None:
            import boto3

            # Made on the first site.yaml change a process sees: most processes never need it.
            self._client = boto3.client("lambda", config=self._client_config)
        self._client.invoke(FunctionName=self.function_name, InvocationType="Event", Payload=RECONCILE_EVENT)
