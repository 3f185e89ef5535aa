"""A feed head: how many records a feed has, and its newest ones in order.

`items` is always a prefix of the feed's full newest-first member list (so a feed can be
rendered from it alone), holding up to `cap` members (cap_for: the `limit` the feed's kind shows,
catalogue.Kind.item_limit, and a reserve); the first `limit` carry their item as the feed shows it
(in full, or summary-only past the byte budget: see Transaction.finish_heads), later ones at most a
summary-only copy. `count` says how many members exist beyond the prefix, which tells when a
deletion has eaten into the prefix far enough to need a refill from the shards. A feed that shows
every member (limit None: the podcast show) keeps every member, so it is never refilled; `shown`
says how many of the newest its document holds (as many as fit its byte budget, budget.fitting_count),
and only those carry an item (the others keep the weights that decided it).
`pages` describes the feed's archive pages (feedpub.publish.pages), oldest first: stored as index
entries for the older pages (`index`) and the newest pages' descriptors (`pages`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feedpub.publish.pages import head_layout, head_pages
from feedpub.publish.state import HeadItem, sort_key


def cap_for(limit: int | None) -> int | None:
    """How many members a head keeps for a feed that shows `limit` of them: a reserve beyond the
    limit, so that deletions rarely send the publisher back to the shards; None (every member) for a
    feed that shows them all."""
    return None if limit is None else limit + max(5, limit // 2)


class Head:
    def __init__(self, data: dict[str, Any] | None = None) -> None:
        data = data or {"count": 0, "items": []}
        self.count: int = data["count"]
        self.items: list[HeadItem] = data["items"]
        self.pages: list[dict[str, Any]] = head_pages(data)  # index entries, then descriptors
        # How the pages are stored when a transaction packed them (FeedPages.pack); until then, as read.
        self.layout: list[dict[str, Any]] | None = None
        self.gone: set[str] = set()  # pages a transaction ended (FeedPages.gone): not to look for
        self.shown: int | None = data.get("shown")  # set for a feed that lists every member
        self._keys = [sort_key(item) for item in self.items]  # parallel to items: newest first

    def to_json(self) -> dict[str, Any]:
        pages = head_layout(self.pages if self.layout is None else self.layout)
        data: dict[str, Any] = {"count": self.count, "items": self.items, **pages}
        if self.shown is not None:
            data["shown"] = self.shown
        return data

    def shown_items(self, limit: int | None) -> list[HeadItem]:
        """The members the feed's document holds: the first `limit`, or as many as fit its budget."""
        return self.items[: limit if limit is not None else self.shown]

    @property
    def complete(self) -> bool:
        """True when every member of the feed is in the prefix."""
        return len(self.items) >= self.count

    def insert(self, member: HeadItem, cap: int | None) -> None:
        had_all = self.complete
        self.count += 1
        key = sort_key(member)
        if not had_all and (not self.items or key < self._keys[-1]):
            return  # it sorts after the prefix's last item: it belongs to the unlisted tail
        position = self._position(key)
        self.items.insert(position, member)
        self._keys.insert(position, key)
        if cap is not None:
            del self.items[cap:]
            del self._keys[cap:]

    def remove(self, key: str) -> None:
        self.count -= 1
        for position, item in enumerate(self.items):
            if item["key"] == key:
                del self.items[position]
                del self._keys[position]
                return

    def replace_items(self, count: int, items: list[HeadItem]) -> None:
        self.count = count
        self.items = items
        self._keys = [sort_key(item) for item in items]

    def trim(self, limit: int | None, cap: int | None) -> None:
        """Keep at most `cap` members, and rendered items only for the first `limit` (None: all)."""
        if limit is None:
            return
        if cap is not None:
            del self.items[cap:]
            del self._keys[cap:]
        for member in self.items[limit:]:
            member.update(item=None, full=False, weights=None)

    def needs_refill(self, limit: int | None) -> bool:
        """Whether the feed shows members the head does not hold (a deletion ate into them)."""
        return len(self.items) < (self.count if limit is None else min(limit, self.count))

    def label(self) -> str | None:
        """What the feed is called (a tag as written): the label its newest record gives it."""
        return self.items[0]["label"] if self.items else None

    def _position(self, key: tuple[datetime, str]) -> int:
        """Where `key` goes in the newest-first order: after every newer item (binary search)."""
        low, high = 0, len(self._keys)
        while low < high:
            middle = (low + high) // 2
            if self._keys[middle] > key:
                low = middle + 1
            else:
                high = middle
        return low
