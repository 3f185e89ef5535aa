"""One attempt at a state change: a private working copy of the root and the objects it touches.

The publisher fills a Transaction from a freshly read root, applies record changes, settles
the ids they touched (duplicate ids, scheduling), and asks it for the new root. Nothing is
written until `commit`; a lost commit race throws the whole working copy away.
"""

from __future__ import annotations

import heapq
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from datetime import datetime
from typing import Any

from feedpub import archive, budget, catalogue
from feedpub.config import SiteConfig
from feedpub.model import FeedItem
from feedpub.publish.heads import Head, cap_for
from feedpub.publish.pages import FeedPages, FormerPages, cut_members, is_index, level_of
from feedpub.publish.state import Entry, HeadItem, StateStore, shard_of, sort_key

PUBLISHED, DRAFT, SCHEDULED, REJECTED = "published", "draft", "scheduled", "rejected"
EXPIRED = "expired"  # past Hugo's expiryDate: out of every feed, its id still held

# Renders the FeedItem of (record key, the ETag the state knows), from this run's parse or a read.
ItemSource = Callable[[str, str], FeedItem]


def new_member(key: str, entry: Entry, label: str | None) -> HeadItem:
    """A record's place in a feed head; its rendered item comes when the feed needs to show it.

    `item` is then the item as the feed shows it: in full (`full`), or summary-only past the byte
    budget; `weights` are the budget's weights of the full item (feedpub.budget.weights)."""
    return {
        "key": key,
        "date": entry["date"],
        "id": entry["id"],
        "label": label,
        "item": None,
        "full": False,
        "weights": None,
    }


def due_of(entry: Entry) -> str:
    """When a record may first appear: Hugo's publishDate when later than its date, else the date."""
    due: str = entry.get("due") or entry["date"]
    return due


def _insert_due(table: list[list[str]], when: str, key: str) -> None:
    table.append([when, key])
    table.sort(key=lambda due: (datetime.fromisoformat(due[0]), due[1]))


def _make_summary_only(member: HeadItem) -> None:
    """A member shown in full goes out summary-only (past its feed's byte budget)."""
    item = budget.summary_only(FeedItem.model_validate(member["item"]))
    member["item"], member["full"] = item.model_dump(mode="json"), False


def claims_id(entry: Entry) -> bool:
    """Drafts and unparseable records hold no id; every other record competes for its id."""
    return entry["status"] != DRAFT and "id" in entry


class Transaction:
    def __init__(
        self, state: StateStore, root: dict[str, Any], site: SiteConfig, now: datetime, items: ItemSource
    ) -> None:
        self.state = state
        self.root = root
        self.site = site
        self.now = now
        self.items = items
        self._limits: dict[str, int | None] = {}  # feed id -> how many members the feed shows
        self._shards: dict[str, dict[str, Entry]] = {}
        self._ids: dict[str, dict[str, list[list[str]]]] = {}
        self._heads: dict[str, Head] = {}
        self._pages: dict[str, FeedPages] = {}  # archive pages of the feeds this change touches
        # Members that joined each feed, when its pages are cut at once (cut_pages_at_once); else None.
        self._joined: dict[str, list[HeadItem]] | None = None
        # Each feed's pages as committed, when they are cut again from the state (restyle with
        # regroup): where the new pages' members find their items; else None.
        self._former: dict[str, FormerPages] | None = None
        # Rendered items as compact JSON, decoded for each feed and page that shows them: a rebuild
        # renders every record, and as dicts every item of the site would be held at once.
        self._dumped: dict[tuple[str, str], bytes] = {}
        # Page objects being written ahead of the other objects (pages_in_turn), oldest first:
        # (feed id, page name, descriptor, its object's key once written).
        self._saving: deque[tuple[str, str, dict[str, Any], Future[str]]] = deque()
        self._pages_saved: set[str] = set()  # feeds whose page objects pages_in_turn wrote
        self._weights: dict[tuple[str, str], tuple[int, int]] = {}  # their budget weights (feedpub.budget)
        self.dirty_shards: set[str] = set()
        self.dirty_ids: set[str] = set()
        self.dirty_feeds: set[str] = set()  # ids of the feeds whose members or items changed
        self._unsettled: set[str] = set()
        self._fresh: set[str] = set()  # keys replaced in this transaction: not in any feed now
        self.touched: set[str] = set()  # keys whose entry this transaction changed
        self.status_before: dict[str, str | None] = {}  # touched keys: their status before (None: none)
        self.media_touched: set[str] = set()  # media files whose records changed: published or not now

    # -- reading state -------------------------------------------------------------------

    def shard(self, shard_id: str) -> dict[str, Entry]:
        if shard_id not in self._shards:
            key = self.root["shards"].get(shard_id)
            self._shards[shard_id] = self.state.load(key) if key else {}
        return self._shards[shard_id]

    def entry(self, key: str) -> Entry | None:
        return self.shard(shard_of(key)).get(key)

    def _id_shard(self, shard_id: str) -> dict[str, list[list[str]]]:
        if shard_id not in self._ids:
            key = self.root["ids"].get(shard_id)
            self._ids[shard_id] = self.state.load(key) if key else {}
        return self._ids[shard_id]

    def head(self, feed_id: str) -> Head:
        if feed_id not in self._heads:
            feed = self.root["feeds"].get(feed_id)
            self._heads[feed_id] = Head(self.state.load(feed["head"]) if feed else None)
        return self._heads[feed_id]

    def limit(self, feed_id: str) -> int | None:
        """How many of its newest members the feed shows (catalogue.Kind.item_limit; None: all)."""
        if feed_id not in self._limits:
            self._limits[feed_id] = catalogue.feed(feed_id).item_limit(self.site)
        return self._limits[feed_id]

    def archived(self, feed_id: str) -> bool:
        """Whether the feed keeps archive pages: not when its documents show every member."""
        return self.limit(feed_id) is not None

    def pages(self, feed_id: str) -> FeedPages:
        if feed_id not in self._pages:
            head = self.head(feed_id)
            pages = self._pages[feed_id] = FeedPages(head.pages, self.state.load, self.site.archive_page_size)
            head.pages = pages.descriptors  # the same list: the head always describes the pages as they are
            head.gone = pages.gone
        return self._pages[feed_id]

    def archive_documents(self, feed_id: str) -> tuple[list[archive.Document], list[archive.Document]]:
        """A feed's archive documents after this change, and those of them to render again: pages
        whose members changed, and documents that show more or fewer members or link elsewhere."""
        return self.pages(feed_id).documents(self.limit(feed_id))

    def all_entries(self) -> Iterator[tuple[str, Entry]]:
        """Every record's entry (reads every shard: reconcile and refill only)."""
        for shard_id in sorted(set(self.root["shards"]) | set(self._shards)):
            yield from self.shard(shard_id).items()

    # -- changing records ----------------------------------------------------------------

    def replace(self, key: str, new: Entry | None) -> None:
        """Set (or with None, remove) a record's entry; feeds and ids follow in `settle`."""
        old = self.entry(key)
        self.status_before.setdefault(key, None if old is None else old["status"])
        if old is not None and old["status"] == PUBLISHED and key not in self._fresh:
            self._leave_feeds(key, old)
        if old is not None and claims_id(old):
            self._unclaim(old["id"], key)
        shard_id = shard_of(key)
        self._refer(key, old, new)
        if new is None:
            self.shard(shard_id).pop(key, None)
            self.root["rejected"].pop(key, None)
            self.root["warnings"].pop(key, None)
        else:
            self.shard(shard_id)[key] = new
            if claims_id(new):
                self._claim(new["id"], new["date"], key)
            self._set_rejected(key, new)
            if new.get("warnings"):
                self.root["warnings"][key] = new["warnings"]
            else:
                self.root["warnings"].pop(key, None)
        self._fresh.add(key)
        self.touched.add(key)
        self.dirty_shards.add(shard_id)
        self._drop_scheduled(key)

    def mark_due(self) -> None:
        """Settle the ids of records whose time has come: scheduled ones to appear, expiring ones to leave."""
        for due, key in self.root["scheduled"] + self.root["expiring"]:
            entry = self.entry(key)
            if datetime.fromisoformat(due) <= self.now and entry is not None and claims_id(entry):
                self._unsettled.add(entry["id"])

    def settle(self) -> None:
        """Give each touched id to its earliest claimant and move records in or out of feeds."""
        while self._unsettled:
            record_id = self._unsettled.pop()
            claimants = sorted(
                self._id_shard(shard_of(record_id)).get(record_id, []),
                key=lambda claim: (datetime.fromisoformat(claim[0]), claim[1]),
            )
            winner = claimants[0][1] if claimants else None
            # The others first: a record that loses the id leaves its feeds before the winner joins
            # them, so that a feed never holds two members with one id (archive pages are named
            # after a member's id).
            for _, key in sorted(claimants, key=lambda claim: claim[1] == winner):
                self._settle_record(key, winner)

    def _settle_record(self, key: str, winner: str | None) -> None:
        entry = self.entry(key)
        assert entry is not None, f"id index names {key}, which has no entry"
        was_live = entry["status"] == PUBLISHED and key not in self._fresh
        expires = entry.get("expires")
        if key != winner:
            status, reason = REJECTED, f"id '{entry['id']}' is already used by {winner}"
        elif expires is not None and datetime.fromisoformat(expires) <= self.now:
            status, reason = EXPIRED, None
        elif datetime.fromisoformat(due_of(entry)) > self.now:
            status, reason = SCHEDULED, None
        else:
            status, reason = PUBLISHED, None
        if was_live and status == PUBLISHED:
            return
        self.status_before.setdefault(key, entry["status"])
        if was_live:
            self._leave_feeds(key, entry)
        changed = entry["status"] != status or entry.get("reason") != reason
        entry["status"] = status
        entry.pop("reason", None)
        if reason:
            entry["reason"] = reason
        self._set_rejected(key, entry)
        self._drop_scheduled(key)
        if status == SCHEDULED:
            _insert_due(self.root["scheduled"], due_of(entry), key)
        if status in (SCHEDULED, PUBLISHED) and expires is not None:
            _insert_due(self.root["expiring"], expires, key)
        if status == PUBLISHED:
            self._join_feeds(key, entry)
            self._fresh.discard(key)
        if changed or status == PUBLISHED:
            self.dirty_shards.add(shard_of(key))
            self.touched.add(key)
            if entry.get("media"):
                self.media_touched.add(entry["media"]["key"])

    # -- episode media ---------------------------------------------------------------------

    def _refer(self, key: str, old: Entry | None, new: Entry | None) -> None:
        """Keep root["media_refs"] (media key -> the records naming it) in step with the entries."""
        refs: dict[str, list[str]] = self.root.setdefault("media_refs", {})
        for entry, add in ((old, False), (new, True)):
            media = (entry or {}).get("media")
            if not media:
                continue
            named = [each for each in refs.get(media["key"], []) if each != key] + ([key] if add else [])
            if named:
                refs[media["key"]] = sorted(named)
            else:
                refs.pop(media["key"], None)
            self.media_touched.add(media["key"])

    def published_media(self, media_key: str) -> str | None:
        """The ETag of the version of a media file a published record names, or None if none does."""
        for key in self.root.get("media_refs", {}).get(media_key, []):
            entry = self.entry(key)
            if entry is not None and entry["status"] == PUBLISHED and entry.get("media"):
                return str(entry["media"]["etag"])
        return None

    # -- feeds ---------------------------------------------------------------------------

    def feeds_of(self, entry: Entry) -> list[tuple[str, str | None]]:
        """(feed id, label) of every feed a published entry belongs to (catalogue.memberships)."""
        return catalogue.memberships(entry["facets"], self.site)

    def _join_feeds(self, key: str, entry: Entry) -> None:
        memberships = self.feeds_of(entry)
        if memberships:
            self._render_item(key, entry["etag"])  # now: a record that fails to render is found here
        for feed_id, label in memberships:
            self.head(feed_id).insert(new_member(key, entry, label), cap_for(self.limit(feed_id)))
            self.dirty_feeds.add(feed_id)
            if not self.archived(feed_id):
                continue
            # An archive page keeps every member; its item comes when the page is finished (pages_in_turn).
            page_member = new_member(key, entry, label)
            if self._joined is not None:
                self._joined.setdefault(feed_id, []).append(page_member)
            else:
                self.pages(feed_id).insert(page_member)

    def _leave_feeds(self, key: str, entry: Entry) -> None:
        for feed_id, _ in self.feeds_of(entry):
            self.head(feed_id).remove(key)
            self.dirty_feeds.add(feed_id)
            if not self.archived(feed_id):
                continue
            if self._joined is not None:
                self._joined[feed_id] = [m for m in self._joined.get(feed_id, []) if m["key"] != key]
            else:
                self.pages(feed_id).remove(new_member(key, entry, None))

    def cut_pages_at_once(self) -> None:
        """The state starts over (a rebuild's merge): rather than inserted one by one, the members
        joining each feed are gathered and its pages cut from all of them in `finish_pages`
        (pages.cut_members: the same pages)."""
        self._joined = {}

    def _cut_pages(self, feed_id: str, members: list[HeadItem]) -> None:
        """Make a feed's pages anew from all its members (any order)."""
        members = sorted(members, key=sort_key)
        self.pages(feed_id).replace(cut_members(members, self.site.archive_page_size))
        self.dirty_feeds.add(feed_id)

    def _render_item(self, key: str, etag: str) -> None:
        """Render a record version's item once per run (every feed and page it joins uses it) and
        keep it as compact JSON, with its budget weights in `_weights`."""
        if (key, etag) not in self._dumped:
            item = self.items(key, etag)
            self._dumped[(key, etag)] = item.model_dump_json().encode()
            self._weights[(key, etag)] = budget.weights(item)

    def rendered(self, key: str, etag: str) -> bool:
        """Whether this transaction has rendered the item of this record version."""
        return (key, etag) in self._dumped

    def _item_json(self, key: str, etag: str) -> dict[str, Any]:
        """A record version's rendered item as JSON: a copy of its own for the member that shows it."""
        self._render_item(key, etag)
        item: dict[str, Any] = json.loads(self._dumped[(key, etag)])
        return item

    def mark_standing(self) -> None:
        """Make the feeds that exist even when empty part of this change (a rebuild writes them all)."""
        self.dirty_feeds.update(catalogue.standing_feeds(self.site))

    def restyle(self, regroup: bool = False) -> None:
        """Make every feed part of this change, under a site.yaml whose differences are feed-level only
        (config.SiteChange.FEEDS): heads are trimmed to this site's limits and reserve, and
        `finish_heads` refills those that ran short and renders the members that became visible.
        `regroup` (SiteChange.MEMBERSHIP): which records belong to which feed changed too, so every
        head is made again from the shards, keeping the items the old heads held, and every feed's
        pages are cut again, their members taking their items from the old pages as each new page
        comes (`finish_page`)."""
        self.state.prefetch(feed["head"] for feed in self.root["feeds"].values())
        # Every archive document is rendered again too, and every page takes the budget anew.
        feed_ids = list(self.root["feeds"])
        self.state.prefetch(e["object"] for f in feed_ids for e in self.head(f).pages if is_index(e))
        for feed_id in feed_ids:
            self.pages(feed_id).expand_all()
        if regroup:
            self._regroup()
        for feed_id in self.root["feeds"]:
            limit = self.limit(feed_id)
            self.head(feed_id).trim(limit, cap_for(limit))
            self.pages(feed_id).touch_all()
            self.dirty_feeds.add(feed_id)
        self.mark_standing()

    def _regroup(self) -> None:
        held = {
            (feed_id, member["key"]): member
            for feed_id in self.root["feeds"]
            for member in self.head(feed_id).items
            if member["item"] is not None
        }
        # The pages as committed (every index object was read): the new pages' items come from them.
        self._former = {
            feed_id: FormerPages(self.pages(feed_id).original, self.state.load)
            for feed_id in self.root["feeds"]
        }
        members: dict[str, list[HeadItem]] = {feed_id: [] for feed_id in self.root["feeds"]}
        self.state.prefetch(self.root["shards"].values())
        for key, entry in self.all_entries():
            if entry["status"] != PUBLISHED:
                continue
            for feed_id, label in self.feeds_of(entry):
                members.setdefault(feed_id, []).append(new_member(key, entry, label))
        for feed_id, found in members.items():
            # The head's members are its own (finish_heads changes them, not the pages').
            newest = [held.get((feed_id, each["key"])) or dict(each) for each in self._newest(feed_id, found)]
            self.head(feed_id).replace_items(len(found), newest)
            # A member no head held before (a feed's new member) takes its item from the old pages.
            self._take_former_items(feed_id, self.head(feed_id).items)
            for holder in self._former_holders(feed_id):
                holder.release()  # one old page in memory at a time, not one per feed
            self.dirty_feeds.add(feed_id)
            if self.archived(feed_id):
                self._cut_pages(feed_id, found)

    def _former_holders(self, feed_id: str) -> list[FormerPages]:
        """Where a member of the feed's new pages may find its item: the feed's own old pages, then
        the main feed's (which held every published record: a new feed's members are there)."""
        assert self._former is not None
        main = catalogue.main_feed().id
        return [found for name in dict.fromkeys((feed_id, main)) if (found := self._former.get(name))]

    def _take_former_items(self, feed_id: str, members: list[HeadItem]) -> None:
        """Give the members of a page cut again the items their old pages held: the feed's own copy,
        else the main feed's (a member new to the feed). A copy in full is looked for elsewhere only
        for a member the new page shows in full (`_take_full_copy`): finish_page renders from its
        record only a member held nowhere, or summary-only by every old page of its record's feeds
        where the new page shows it in full."""
        holders = self._former_holders(feed_id)
        for member in members:
            if member["item"] is not None or member["key"] in self.touched:
                continue  # a record this change edited: the old pages hold its previous version
            held = next((found for holder in holders if (found := holder.held(member)) is not None), None)
            if held is not None and held["item"] is not None:
                member.update(item=held["item"], full=held["full"], weights=held["weights"])

    def _take_full_copy(self, feed_id: str, member: HeadItem) -> bool:
        """Under a membership change, give a member held summary-only that its feed now shows in full
        the copy in full that the old page of any feed of its record held, if one did: a long page
        of the main feed keeps its oldest members summary-only while their tags' short pages keep
        them in full, and pages cut smaller show them in full again. False if none did (the record
        is read). Rarely needed, so each old page read here is let go at once, but the main feed's
        (one old page of it stays in memory, which the next members are likely to need)."""
        if self._former is None or member["key"] in self.touched:
            return False
        entry = self.entry(member["key"])
        if entry is None:
            return False
        for other, _ in self.feeds_of(entry):
            holder = self._former.get(other)
            if holder is None:
                continue
            found = holder.held(member)
            if other != catalogue.main_feed().id:
                holder.release()
            if found is not None and found["item"] is not None and found["full"]:
                member.update(item=found["item"], full=True, weights=found["weights"])
                return True
        return False

    def _former_objects(self, feed_id: str, names: list[str], most: int) -> list[str]:
        """The old page objects the changed pages `names` will take their members' items from (at
        most `most`, the first ones), to read them several at a time."""
        pages, holders = self.pages(feed_id), self._former_holders(feed_id)
        wanted: dict[str, None] = {}
        for name in names:
            if name not in pages.dirty:
                continue
            for member in pages.members(name):
                if member["item"] is None and member["key"] not in self.touched and len(wanted) < most:
                    found = next((obj for holder in holders if (obj := holder.object_of(member))), None)
                    if found is not None:
                        wanted[found] = None
        return list(wanted)

    def refill_heads(self) -> None:
        """Refill, in one pass over the shards, the changed heads that ran short of visible members."""
        short = {
            feed_id for feed_id in self.dirty_feeds if self.head(feed_id).needs_refill(self.limit(feed_id))
        }
        if not short:
            return
        known = {feed_id: {member["key"]: member for member in self.head(feed_id).items} for feed_id in short}
        members: dict[str, list[HeadItem]] = {feed_id: [] for feed_id in short}
        self.state.prefetch(self.root["shards"].values())
        for key, entry in self.all_entries():
            if entry["status"] != PUBLISHED:
                continue
            for feed_id, label in self.feeds_of(entry):
                if feed_id in short:
                    members[feed_id].append(known[feed_id].get(key) or new_member(key, entry, label))
        for feed_id, found in members.items():
            self.head(feed_id).replace_items(len(found), self._newest(feed_id, found))

    def _newest(self, feed_id: str, members: list[HeadItem]) -> list[HeadItem]:
        """The members a feed's head keeps, newest first."""
        cap = cap_for(self.limit(feed_id))
        if cap is None:
            return sorted(members, key=sort_key, reverse=True)
        return heapq.nlargest(cap, members, key=sort_key)

    def unrendered(self) -> list[str]:
        """Keys of the records the changed feeds will show that have no rendered item yet (for a feed
        that lists every member: those it held, and those never rendered, whose weights decide)."""
        keys = {
            member["key"]
            for feed_id in self.dirty_feeds
            for member in self.head(feed_id).shown_items(self.limit(feed_id))
            if member["item"] is None
        }
        keys.update(
            member["key"]
            for feed_id in self.dirty_feeds
            if self.limit(feed_id) is None
            for member in self.head(feed_id).items
            if member["weights"] is None
        )
        return sorted(keys)

    def finish_heads(self) -> None:
        """Refill heads that ran short and give each feed the items it will show: the newest in full
        while the feed's byte budget allows (feedpub.budget), the others summary-only. A head keeps
        only what its feed shows, so a large record never makes every head large."""
        self.refill_heads()
        for feed_id in self.dirty_feeds:
            head, limit = self.head(feed_id), self.limit(feed_id)
            feed = catalogue.feed(feed_id, head.label())
            shown = limit if limit is not None else self._fit(feed_id, feed, head)
            for member in head.items[:shown]:
                if member["item"] is None:
                    self._render_member(feed_id, member)
            full = budget.full_count(self.site, feed, [tuple(m["weights"]) for m in head.items[:shown]])
            for position, member in enumerate(head.items):
                if position < full and not member["full"]:  # it was summary-only: its content comes back
                    if not self._take_full_copy(feed_id, member):
                        self._render_member(feed_id, member)
                elif limit is None and position >= shown:
                    member.update(item=None, full=False)  # past the budget: out of the document
                elif position >= full and member["full"]:
                    _make_summary_only(member)

    def finish_pages(self) -> None:
        """Cut the pages cut at once (cut_pages_at_once). Their items come page by page, as the
        commit renders and saves them (pages_in_turn)."""
        if self._joined is not None:
            for feed_id, joined in self._joined.items():
                self._cut_pages(feed_id, joined)
            self._joined = None
        self._read_indexed_pages()

    def pages_in_turn(
        self, feed_id: str, names: Iterable[str], saving: Executor, in_flight: int
    ) -> Iterator[tuple[str, list[HeadItem]]]:
        """The feed's changed pages and the pages `names`, one at a time, each with its members as
        its archive document shows them (finish_page). When the caller is done with a page, a
        changed one's object is written on `saving`, and its members are forgotten once it is (at
        most `in_flight` pages wait for their write): a rebuild goes through every page of the site
        holding a few pages' items at a time, not every item of the site."""
        pages = self.pages(feed_id)
        self._pages_saved.add(feed_id)
        order = sorted(pages.dirty | set(names))
        for position, name in enumerate(order):
            if position % in_flight == 0:  # the objects of the next pages not in memory, read at once
                window = order[position : position + in_flight]
                self.state.prefetch(pages.unread_objects(window))
                if self._former is not None:  # and the old pages their items are taken from
                    self.state.prefetch(self._former_objects(feed_id, window, 2 * in_flight))
            changed = name in pages.dirty
            if changed:
                self.finish_page(feed_id, name)
            yield name, pages.members(name)
            if not (changed and self._write_page(feed_id, name, saving)):
                pages.release(name)
            self._written(in_flight)
        if self._former is not None and feed_id in self._former:
            self._former[feed_id].release()  # its old page in memory (they may still serve other feeds)

    def _write_page(self, feed_id: str, name: str, saving: Executor) -> bool:
        """Start writing a changed page's object; False if it has none (the page ended here)."""
        found = self._pages[feed_id].page_object(name)
        if found is None:
            return False
        descriptor, page = found
        self._saving.append((feed_id, name, descriptor, saving.submit(self.state.save, page)))
        return True

    def _written(self, in_flight: int) -> None:
        """Name the page objects written (oldest first) and forget their members; wait for the
        oldest while more than `in_flight` are being written."""
        while self._saving and (len(self._saving) > in_flight or self._saving[0][3].done()):
            feed_id, name, descriptor, written = self._saving.popleft()
            descriptor["object"] = written.result()
            self._pages[feed_id].release(name)

    def finish_page(self, feed_id: str, name: str) -> None:
        """Give a changed archive page its items as its archive document shows them: the newest
        members of the page in full while the feed's byte budget allows, the others summary-only
        (the budget of the whole page, so that a page object stays within it too, whatever the size
        of its records). A member that gets its content back is rendered again from its record."""
        members = self.pages(feed_id).members(name)[::-1]  # newest first
        if not members:
            return
        if self._former is not None:
            self._take_former_items(feed_id, members[::-1])  # oldest first: the old pages in turn
        for member in members:
            if member["item"] is None:
                self._render_member(feed_id, member)
        feed = catalogue.feed(feed_id, members[0]["label"]).archive_page(name)
        full = budget.full_count(self.site, feed, [tuple(m["weights"]) for m in members])
        for position, member in enumerate(members):
            if position < full and not member["full"]:
                if not self._take_full_copy(feed_id, member):
                    self._render_member(feed_id, member)
            elif position >= full and member["full"]:
                _make_summary_only(member)

    def _read_indexed_pages(self) -> None:
        """Read the index objects describing pages whose archive documents this change alters
        (FeedPages.documents), before the commit compares what each feed had published with what
        it will: both sides must list those pages."""
        for feed_id in self.dirty_feeds:
            self.pages(feed_id).documents(self.limit(feed_id))

    def _fit(self, feed_id: str, feed: catalogue.Feed, head: Head) -> int:
        """How many of its newest members a feed that lists every one holds: as many as fit its
        byte budget (budget.fitting_count), from their weights; members never rendered are rendered
        for theirs, up to where the budget ends."""
        weights: list[tuple[int, int]] = []
        total = budget.feed_weight(self.site, feed)
        for member in head.items:
            if member["weights"] is None:
                self._render_member(feed_id, member)
            weights.append(tuple(member["weights"]))
            total += member["weights"][1]
            if total > self.site.feed_max_bytes:
                break
        head.shown = budget.fitting_count(self.site, feed, weights)
        return head.shown

    def _render_member(self, feed_id: str, member: HeadItem) -> None:
        entry = self.entry(member["key"])
        assert entry is not None, f"feed {feed_id!r} lists {member['key']}, which has no entry"
        member["item"], member["full"], member["weights"] = (
            self._item_json(member["key"], entry["etag"]),
            True,
            self._weights[(member["key"], entry["etag"])],
        )

    # -- ids, rejections, schedule ---------------------------------------------------------

    def _claim(self, record_id: str, date: str, key: str) -> None:
        shard_id = shard_of(record_id)
        self._id_shard(shard_id).setdefault(record_id, []).append([date, key])
        self.dirty_ids.add(shard_id)
        self._unsettled.add(record_id)

    def _unclaim(self, record_id: str, key: str) -> None:
        shard_id = shard_of(record_id)
        index = self._id_shard(shard_id)
        remaining = [claim for claim in index.get(record_id, []) if claim[1] != key]
        if remaining:
            index[record_id] = remaining
        else:
            index.pop(record_id, None)
        self.dirty_ids.add(shard_id)
        self._unsettled.add(record_id)

    def _set_rejected(self, key: str, entry: Entry) -> None:
        if entry["status"] == REJECTED:
            self.root["rejected"][key] = entry["reason"]
        else:
            self.root["rejected"].pop(key, None)

    def _drop_scheduled(self, key: str) -> None:
        for table in ("scheduled", "expiring"):
            self.root[table] = [due for due in self.root[table] if due[1] != key]

    # -- the new root --------------------------------------------------------------------

    def changed(self) -> bool:
        return bool(self.dirty_shards or self.dirty_ids or self.dirty_feeds)

    def feeds(self) -> dict[str, str | None]:
        """Every feed that will exist after this change (feed id -> label): those with members,
        and the standing ones (catalogue.standing_feeds) even when empty."""
        standing = set(catalogue.standing_feeds(self.site))
        feeds = {feed_id: feed["label"] for feed_id, feed in self.root["feeds"].items()}
        for feed_id in self.dirty_feeds:
            head = self.head(feed_id)
            if head.count == 0 and feed_id not in standing:
                feeds.pop(feed_id, None)
            else:
                feeds[feed_id] = head.label()
        for feed_id in standing:
            feeds.setdefault(feed_id, None)
        return feeds

    def save_objects(self) -> None:
        """Write the new pages, shards and heads (content-addressed, in parallel) and point the root at them.

        Pages first: a head names its pages' objects (the root does not: garbage collection reads
        the heads for them)."""
        self._written(0)  # those pages_in_turn wrote
        unsaved = [f for f in sorted(self.dirty_feeds - self._pages_saved) if f in self._pages]
        for feed_id in unsaved:
            for name in sorted(self._pages[feed_id].dirty):
                self.finish_page(feed_id, name)
        changed_pages = [
            (feed_id, descriptor, page)
            for feed_id in unsaved
            for descriptor, page in self._pages[feed_id].page_objects()
        ]
        for (_, descriptor, _), key in zip(
            changed_pages, self.state.save_all([page for _, _, page in changed_pages]), strict=True
        ):
            descriptor["object"] = key
        self._save_indexes()
        tables: list[tuple[dict[str, Any], str, Any]] = []
        for shard_id in self.dirty_shards:
            tables.append((self.root["shards"], shard_id, self._shards[shard_id]))
        for shard_id in self.dirty_ids:
            tables.append((self.root["ids"], shard_id, self._ids[shard_id]))
        feeds = self.feeds()
        for feed_id in list(self.root["feeds"]):
            if feed_id not in feeds:
                del self.root["feeds"][feed_id]
        for feed_id, label in feeds.items():
            if feed_id in self.dirty_feeds or feed_id not in self.root["feeds"]:
                head = self.head(feed_id)
                self.root["feeds"][feed_id] = {"label": label, "count": head.count}
                tables.append((self.root["feeds"][feed_id], "head", head.to_json()))
        keys = self.state.save_all([value for table, name, value in tables if value])
        saved = iter(keys)
        for table, name, value in tables:
            if value:
                table[name] = next(saved)
            else:
                table.pop(name, None)  # an empty shard needs no object

    def _save_indexes(self) -> None:
        """Pack the changed feeds' pages (FeedPages.pack): write the new index objects, after the
        page objects they name and before the heads that name them."""
        packed = {
            feed_id: self._pages[feed_id].pack(self.limit(feed_id))
            for feed_id in sorted(self.dirty_feeds)
            if feed_id in self._pages
        }
        fresh = [each for _, new in packed.values() for each in new]
        for level in sorted({level_of(entry) for entry, _ in fresh}):  # an object names those below it
            saving = [(entry, index) for entry, index in fresh if level_of(entry) == level]
            for (entry, _), key in zip(saving, self.state.save_all([i for _, i in saving]), strict=True):
                entry["object"] = key
        for feed_id, (layout, _) in packed.items():
            self.head(feed_id).layout = layout

    def saved_heads(self) -> dict[str, Head]:
        """The heads this transaction holds, by the state key the root names them with."""
        return {
            feed["head"]: self._heads[feed_id]
            for feed_id, feed in self.root["feeds"].items()
            if feed_id in self._heads and "head" in feed
        }
