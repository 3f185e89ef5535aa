"""Complete archives (RFC 5005 section 4): how a feed's members are cut into archive pages.

A feed's subscription document shows its newest `feed_limit` members. Every other member is in
exactly one archive document, and the documents chain from the subscription document through
`prev-archive` links (`next_url` in JSON Feed) down to the oldest, so a reader that follows them
gets the whole feed once, newest first.

Pages are cut by content, not by position, so that the cut is a pure function of the feed's
members (the incremental publisher and a from-scratch build agree on it) and a change stays local:

- members are taken oldest first, in publication order (date, then id);
- a member whose id hashes to a multiple of `page_size` is a **boundary**: its page ends with it.
  Pages therefore hold `page_size` members on average, and the newest page, after the last
  boundary, is still open;
- a page is named after the boundary before it (the first page has a fixed name), so its name
  never depends on how many members precede it.

A new article goes to the open page: it never changes a page that already has a newer one. An edit
or a deletion changes only the page that holds the member (when the member is a boundary, its page
and the next one become one page, and the page after them links to it). Cutting by position
instead would shift every newer page by one on each deletion; cutting by the order in which the
publisher happened to see records could never equal a build from scratch.

An archive document shows the members of its page that are not in the subscription document: only
the page that holds the oldest member of the subscription document is partly shown, and a page
whose members are all in the subscription document has no document yet. A document that has a
newer document is **full**: a new article can no longer change it, so it is served as immutable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

PAGE_NAME = "[0-9a-f]{12}"
FIRST_PAGE = "0" * 12  # the name of the oldest page (no boundary before it)
_PAGE_NAME = re.compile(PAGE_NAME)


def is_boundary(item_id: str, page_size: int) -> bool:
    """Whether a member with this id ends its page (about one member in `page_size`)."""
    digest = hashlib.sha256(item_id.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % page_size == 0


def name_after(boundary_id: str) -> str:
    """The name of the page that starts after the boundary member with this id."""
    name = hashlib.sha256(b"after:" + boundary_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return name if name != FIRST_PAGE else "0" * 11 + "1"


def is_page_name(text: str) -> bool:
    return _PAGE_NAME.fullmatch(text) is not None


@dataclass(frozen=True)
class Page:
    """A run of a feed's members, oldest first: members [start, end) of the oldest-first list."""

    name: str
    start: int
    end: int

    @property
    def count(self) -> int:
        return self.end - self.start


def cut(ids_oldest_first: Sequence[str], page_size: int) -> list[Page]:
    """The pages of a feed whose members have these ids, oldest first."""
    pages: list[Page] = []
    name, start = FIRST_PAGE, 0
    for position, item_id in enumerate(ids_oldest_first):
        if is_boundary(item_id, page_size):
            pages.append(Page(name, start, position + 1))
            name, start = name_after(item_id), position + 1
    if start < len(ids_oldest_first):
        pages.append(Page(name, start, len(ids_oldest_first)))
    return pages


@dataclass(frozen=True)
class Document:
    """One archive document: the `shown` oldest members of page `name` (its others are newer and in
    the subscription document), with the names of the documents before and after it."""

    name: str
    shown: int
    older: str | None  # prev-archive: the next older document
    newer: str | None  # next-archive: the next newer document (None: the newest links the subscription)

    @property
    def full(self) -> bool:
        """A newer archive document exists: no new article can change this one any more."""
        return self.newer is not None


def documents(pages: Sequence[tuple[str, int]], window: int | None) -> list[Document]:
    """The archive documents of a feed, oldest first, from its pages ((name, member count), oldest
    first) and the number of newest members its subscription document shows (None: every member,
    so it has no archive document)."""
    if window is None:
        return []
    shown_counts: list[tuple[str, int]] = []
    remaining = window
    for name, count in reversed(pages):
        in_window = min(count, remaining)
        remaining -= in_window
        if count > in_window:
            shown_counts.append((name, count - in_window))
    shown_counts.reverse()
    names = [name for name, _ in shown_counts]
    return [
        Document(
            name,
            shown,
            older=names[position - 1] if position > 0 else None,
            newer=names[position + 1] if position + 1 < len(names) else None,
        )
        for position, (name, shown) in enumerate(shown_counts)
    ]


def newest(docs: Sequence[Document]) -> str | None:
    """The document the subscription document links as its prev-archive."""
    return docs[-1].name if docs else None
