"""WebSub: tell the site's hub which feeds changed, so subscribers hear of it at once.

A hub that is slow or down never fails a publish: readers still poll the feeds.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

log = logging.getLogger("feedpub.websub")


def notify_hub(hub: str, topics: Sequence[str], *, attempts: int = 3, timeout_s: float = 3.0) -> list[str]:
    """POST `hub.mode=publish` for each topic URL; returns the topics the hub did not accept."""
    refused: list[str] = []
    for position, topic in enumerate(topics):
        outcome = _ping(hub, topic, attempts, timeout_s)
        if outcome == _UNREACHABLE:  # the hub is down: do not wait on it once per topic
            return refused + list(topics[position:])
        if outcome == _REFUSED:
            refused.append(topic)
    return refused


_ACCEPTED, _REFUSED, _UNREACHABLE = "accepted", "refused", "unreachable"


def _ping(hub: str, topic: str, attempts: int, timeout_s: float) -> str:
    # Hubs disagree on the field that names the changed feed (PubSubHubbub's hub.url, others'
    # hub.topic): send both, so any hub understands the ping.
    body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": topic, "hub.topic": topic}).encode()
    for attempt in range(attempts):
        request = urllib.request.Request(  # noqa: S310 - the hub URL is validated as http(s) by SiteConfig
            hub, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST"
        )
        outcome = _UNREACHABLE
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
                if 200 <= response.status < 300:
                    return _ACCEPTED
                reason, outcome = f"HTTP {response.status}", _REFUSED
        except urllib.error.HTTPError as exc:
            reason, outcome = f"HTTP {exc.code}", _REFUSED
            if 400 <= exc.code < 500:
                break  # the hub refuses this topic; asking again will not help
        except (urllib.error.URLError, OSError) as exc:
            reason = str(exc)
        time.sleep(0.2 * 2**attempt)
    log.warning("WebSub hub %s was not told about %s: %s", hub, topic, reason)
    return outcome
