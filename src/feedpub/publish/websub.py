"""WebSub: tell the site's hub which feeds changed, so subscribers hear of it at once.

A hub that is slow, down or broken never fails or delays a publish by more than a few seconds:
the publisher pings only after its outputs are written, all pings of a run share one deadline
(PING_DEADLINE_S), and whatever goes wrong is logged and counted, never raised. Readers still
poll the feeds, so a missed ping costs a subscriber minutes, not the article.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

log = logging.getLogger("feedpub.websub")

PING_DEADLINE_S = 5.0  # every ping of one run, retries included
REQUEST_TIMEOUT_S = 3.0  # one request, within what is left of the deadline
PINGERS = 4  # pings in flight at once: a hub that answers slowly still hears of every feed in time


def notify_hub(hub: str, topics: Sequence[str], *, deadline_s: float = PING_DEADLINE_S) -> list[str]:
    """POST `hub.mode=publish` for each topic URL; returns the topics the hub did not confirm in time.

    Never raises. Pings run on daemon threads: one the deadline abandons cannot hold up the
    caller, nor the exit of a command-line process.
    """
    if not topics:
        return []
    pings = _Pings(hub, list(topics), time.monotonic() + deadline_s)
    for _ in range(min(PINGERS, len(topics))):
        threading.Thread(target=pings.work, name="websub-ping", daemon=True).start()
    pings.finished.wait(deadline_s)
    missed = pings.missed()
    if missed:
        log.warning(
            "WebSub hub %s was not told about %d of %d feeds (%s)",
            hub,
            len(missed),
            len(topics),
            pings.last_problem or f"no answer within {deadline_s:g} s",
        )
    return missed


class _Pings:
    """The topics of one run, shared by its ping threads; `finished` is set when none is left."""

    def __init__(self, hub: str, topics: list[str], deadline: float) -> None:
        self.hub = hub
        self.deadline = deadline
        self.todo: queue.SimpleQueue[str] = queue.SimpleQueue()
        for topic in topics:
            self.todo.put(topic)
        self.topics = topics
        self.confirmed: set[str] = set()
        self.unreachable = False  # the hub cannot be reached: the other topics are not tried
        self.last_problem: str | None = None
        self.finished = threading.Event()
        self._lock = threading.Lock()
        self._settled = 0

    def missed(self) -> list[str]:
        with self._lock:
            return [topic for topic in self.topics if topic not in self.confirmed]

    def work(self) -> None:
        while True:
            try:
                topic = self.todo.get_nowait()
            except queue.Empty:
                return
            accepted = False
            try:
                if not self.unreachable:
                    accepted = self._ping(topic)
            except Exception as exc:  # a ping must never break anything: whatever it is, note it
                self._note(f"{type(exc).__name__}: {exc}")
            with self._lock:
                if accepted:
                    self.confirmed.add(topic)
                self._settled += 1
                if self._settled == len(self.topics):
                    self.finished.set()

    def _ping(self, topic: str) -> bool:
        # Hubs disagree on the field that names the changed feed (PubSubHubbub's hub.url, others'
        # hub.topic): send both, so any hub understands the ping.
        body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": topic, "hub.topic": topic}).encode()
        for attempt in range(2):
            remaining = self.deadline - time.monotonic()
            if remaining <= 0.05:
                return False
            request = urllib.request.Request(  # noqa: S310 - SiteConfig validated the hub as an http(s) URL
                self.hub,
                data=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=min(REQUEST_TIMEOUT_S, remaining)) as response:  # noqa: S310
                    if 200 <= response.status < 300:
                        return True
                    self._note(f"HTTP {response.status}")
            except urllib.error.HTTPError as exc:
                self._note(f"HTTP {exc.code}")
                if 400 <= exc.code < 500:
                    return False  # the hub refuses this topic; asking again will not help
            except (urllib.error.URLError, ConnectionError) as exc:
                self._note(str(exc))
                if isinstance(getattr(exc, "reason", exc), ConnectionRefusedError):
                    self.unreachable = True  # down: do not wait on it once per topic
                    return False
            if attempt == 0:
                time.sleep(min(0.2, max(0.0, self.deadline - time.monotonic())))
        return False

    def _note(self, problem: str) -> None:
        self.last_problem = " ".join(problem.split())[:200]
