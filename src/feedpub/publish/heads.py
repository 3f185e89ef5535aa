"""A feed head: how many records a feed has, and its newest ones in order.

`items` is always a prefix of the feed's full newest-first member list (so a feed can be
rendered from it alone), holding up to `cap` members; only the first `feed_limit` carry
their rendered FeedItem. `count` says how many members exist beyond the prefix, which
tells when a deletion has eaten into the prefix far enough to need a refill from the shards.
"""

from __future__ import annotations

import bisect
from typing import Any

from feedpub.publish.state import HeadItem, sort_key


class Head:
    def __init__(self, data: dict[str, Any] | None = None) -> None:
        data = data or {"count": 0, "items": []}
        self.count: int = data["count"]
        self.items: list[HeadItem] = data["items"]

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "items": self.items}

    @property
    def complete(self) -> bool:
        """True when every member of the feed is in the prefix."""
        return len(self.items) >= self.count

    def insert(self, member: HeadItem, cap: int) -> None:
        had_all = self.complete
        self.count += 1
        if not had_all and (not self.items or sort_key(member) < sort_key(self.items[-1])):
            return  # it sorts after the prefix's last item: it belongs to the unlisted tail
        # items are newest first: bisect on the negated order by searching the reversed keys
        keys = [sort_key(item) for item in self.items]
        position = len(keys) - bisect.bisect_left(list(reversed(keys)), sort_key(member))
        self.items.insert(position, member)
        del self.items[cap:]

    def remove(self, key: str) -> None:
        self.count -= 1
        self.items = [item for item in self.items if item["key"] != key]

    def needs_refill(self, feed_limit: int) -> bool:
        return len(self.items) < min(feed_limit, self.count)

    def tag_spelling(self) -> str | None:
        """The tag text shown for a tag feed: as written on its newest record."""
        return self.items[0]["tag"] if self.items else None
