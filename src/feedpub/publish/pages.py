"""The archive pages of one feed in the publisher's state (feedpub.archive says how pages are cut).

A feed's head lists its pages, oldest first, as descriptors: `{"name", "object", "count", "last",
"documents"}`, where `object` is the state object holding the page's members (oldest first, each
with its rendered item), `last` the sort key `[date, id]` of the boundary member that closes the
page (None for the open, newest page) and `documents` the digest of each format of the page's
archive document as committed (absent while the page has no document). The root lists neither
pages nor archive documents, so it does not grow with them: garbage collection and a rebuild read
them from the heads. A member's page is found from the descriptors alone, so a
change loads and rewrites only the pages it touches: the one that holds the member, and its
neighbour when the member is a boundary (the page splits, or merges with the next one).

The pages always hold every member of the feed, the ones its subscription document shows too:
which of them an archive document shows follows from the feed's window (feedpub.archive.documents).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from datetime import datetime
from typing import Any

from feedpub import archive
from feedpub.publish.state import HeadItem, sort_key

Descriptor = dict[str, Any]
SortKey = tuple[datetime, str]


def _last_key(descriptor: Descriptor) -> SortKey | None:
    last = descriptor["last"]
    return None if last is None else (datetime.fromisoformat(last[0]), last[1])


def cut_members(members: list[HeadItem], page_size: int) -> list[tuple[Descriptor, list[HeadItem]]]:
    """The pages of a feed built at once from all its members, oldest first (a rebuild's way): each
    page's descriptor (no object or documents yet) and its members. The same pages as members
    inserted one at a time into FeedPages."""
    pages = archive.cut([member["id"] for member in members], page_size)
    built = []
    for page in pages:
        last = members[page.end - 1]
        closed = archive.is_boundary(last["id"], page_size)
        descriptor = {
            "name": page.name,
            "object": None,
            "count": page.count,
            "last": [last["date"], last["id"]] if closed else None,
        }
        built.append((descriptor, members[page.start : page.end]))
    return built


class FeedPages:
    """A feed's pages in a transaction: descriptors from its head, members loaded when touched."""

    def __init__(self, descriptors: list[Descriptor], load: Callable[[str], Any], page_size: int) -> None:
        self.descriptors = [dict(descriptor) for descriptor in descriptors]
        self.original = [dict(descriptor) for descriptor in descriptors]  # as committed before
        self._load = load
        self.page_size = page_size
        self._members: dict[str, list[HeadItem]] = {}  # page name -> members, oldest first
        self._keys: dict[str, list[SortKey]] = {}  # parallel to _members
        self.dirty: set[str] = set()  # pages whose members changed in this transaction

    # -- what the documents need ---------------------------------------------------------------

    def counts(self) -> list[tuple[str, int]]:
        return [(descriptor["name"], descriptor["count"]) for descriptor in self.descriptors]

    def members(self, name: str) -> list[HeadItem]:
        """A page's members, oldest first."""
        if name not in self._members:
            descriptor = self._descriptor(name)
            members: list[HeadItem] = self._load(descriptor["object"])["members"] if descriptor else []
            self._members[name] = members
            self._keys[name] = [sort_key(member) for member in members]
        return self._members[name]

    # -- changes -------------------------------------------------------------------------------

    def insert(self, member: HeadItem) -> None:
        key = sort_key(member)
        position = self._locate(key)
        if position is None:
            self._open_after_last()
            position = len(self.descriptors) - 1
        descriptor = self.descriptors[position]
        name = descriptor["name"]
        members, keys = self.members(name), self._keys[name]
        at = bisect.bisect_left(keys, key)
        members.insert(at, member)
        keys.insert(at, key)
        descriptor["count"] += 1
        self.dirty.add(name)
        if archive.is_boundary(member["id"], self.page_size):
            self._split(position, at)

    def remove(self, member: HeadItem) -> None:
        """Take out a member (matched by its record key, found by its sort key)."""
        key = sort_key(member)
        position = self._locate(key)
        if position is None:
            return
        descriptor = self.descriptors[position]
        name = descriptor["name"]
        members, keys = self.members(name), self._keys[name]
        at = bisect.bisect_left(keys, key)
        if at >= len(members) or members[at]["key"] != member["key"]:
            return
        del members[at]
        del keys[at]
        descriptor["count"] -= 1
        self.dirty.add(name)
        if _last_key(descriptor) == key:
            self._merge_with_next(position)
        elif descriptor["count"] == 0:
            self._drop(position)

    def replace(self, built: list[tuple[Descriptor, list[HeadItem]]]) -> None:
        """Take the pages cut at once from all the feed's members (cut_members): all of them changed."""
        self.descriptors[:] = [descriptor for descriptor, _ in built]
        self._members = {descriptor["name"]: members for descriptor, members in built}
        self._keys = {
            name: [sort_key(member) for member in members] for name, members in self._members.items()
        }
        self.dirty = set(self._members)

    def touch_all(self) -> None:
        """Load every page and count it as changed (its document is rendered again)."""
        for name, _ in self.counts():
            self.members(name)
            self.dirty.add(name)

    # -- the new state --------------------------------------------------------------------------

    def changed(self) -> bool:
        return bool(self.dirty) or self.descriptors != self.original

    def record_documents(self, name: str, digests: dict[str, str]) -> None:
        """Note the digests (format name -> digest) of the archive document just rendered for a page."""
        descriptor = self._descriptor(name)
        assert descriptor is not None, f"no page {name!r} to record documents for"
        descriptor["documents"] = digests

    def keep_documents(self, names: set[str]) -> None:
        """Forget the documents of the pages not named: they have no archive document any more."""
        for descriptor in self.descriptors:
            if descriptor["name"] not in names:
                descriptor.pop("documents", None)

    def page_objects(self) -> list[tuple[Descriptor, dict[str, Any]]]:
        """(descriptor, page object) of every page whose members changed: the objects to save."""
        return [
            (descriptor, {"members": self._members[descriptor["name"]]})
            for descriptor in self.descriptors
            if descriptor["name"] in self.dirty
        ]

    # -- internals ------------------------------------------------------------------------------

    def _descriptor(self, name: str) -> Descriptor | None:
        return next((d for d in self.descriptors if d["name"] == name), None)

    def _locate(self, key: SortKey) -> int | None:
        """The position of the page a member with this sort key belongs to; None past the last
        closed page (a new open page is needed)."""
        lasts = [_last_key(descriptor) for descriptor in self.descriptors]
        low, high = 0, len(lasts)
        while low < high:  # the first page whose boundary is not before `key`; the open page ends all
            middle = (low + high) // 2
            last = lasts[middle]
            if last is not None and last < key:
                low = middle + 1
            else:
                high = middle
        return low if low < len(lasts) else None

    def _open_after_last(self) -> None:
        if self.descriptors:
            last = self.descriptors[-1]["last"]
            name = archive.name_after(last[1])
        else:
            name = archive.FIRST_PAGE
        self.descriptors.append({"name": name, "object": None, "count": 0, "last": None})
        self._members[name], self._keys[name] = [], []

    def _split(self, position: int, at: int) -> None:
        """The member at `at` of the page at `position` is a boundary: the page ends with it."""
        descriptor = self.descriptors[position]
        name = descriptor["name"]
        members, keys = self._members[name], self._keys[name]
        boundary = members[at]
        after, after_keys = members[at + 1 :], keys[at + 1 :]
        del members[at + 1 :]
        del keys[at + 1 :]
        rest_last = descriptor["last"]
        descriptor["last"] = [boundary["date"], boundary["id"]]
        descriptor["count"] = len(members)
        if not after and rest_last is None:
            return  # the boundary is the newest member: the next page opens with the next article
        new_name = archive.name_after(boundary["id"])
        self.descriptors.insert(
            position + 1, {"name": new_name, "object": None, "count": len(after), "last": rest_last}
        )
        self._members[new_name], self._keys[new_name] = after, after_keys
        self.dirty.add(new_name)

    def _merge_with_next(self, position: int) -> None:
        """The page at `position` lost its boundary: it runs on to the next page's end."""
        descriptor = self.descriptors[position]
        if position + 1 < len(self.descriptors):
            following = self.descriptors[position + 1]
            name, next_name = descriptor["name"], following["name"]
            self.members(name).extend(self.members(next_name))
            self._keys[name].extend(self._keys[next_name])
            descriptor["count"] += following["count"]
            descriptor["last"] = following["last"]
            del self.descriptors[position + 1]
            self.dirty.discard(next_name)
        else:
            descriptor["last"] = None
        if descriptor["count"] == 0:
            self._drop(position)

    def _drop(self, position: int) -> None:
        """An empty page has no object; only the open page can be left empty."""
        name = self.descriptors[position]["name"]
        del self.descriptors[position]
        self.dirty.discard(name)
