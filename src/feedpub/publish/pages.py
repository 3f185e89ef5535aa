"""The archive pages of one feed in the publisher's state (feedpub.archive says how pages are cut).

A page is described by a descriptor `{"name", "object", "count", "last", "documents"}`, where
`object` is the state object holding the page's members (oldest first, each with its rendered
item), `last` the sort key `[date, id]` of the boundary member that closes the page (None for the
open, newest page) and `documents` the digest of each format of the page's archive document as
committed (absent while the page has no document). The root lists neither pages nor archive
documents, so it does not grow with them: garbage collection and a rebuild read them from the
heads. A member's page is found from the descriptors alone, so a change loads and rewrites only
the pages it touches: the one that holds the member, and its neighbour when the member is a
boundary (the page splits, or merges with the next one).

A head does not list every descriptor, so that it does not grow with the archive (about 380
bytes per page): it keeps its newest pages inline (`pages`: at least INLINE_PAGES, and enough to
cover the subscription window, so that every older page is fully archived) and names **index
objects** (`index`: entries `{"object", "pages", "names", "last"}`, oldest first), each holding
the descriptors of up to INDEX_PAGES older pages; the entry gives how many pages the object
describes, the names of its first and last page and the sort key that closes its last one. As
entries accumulate in the head, the same happens to them: past INLINE_PAGES + INDEX_PAGES of them,
the oldest INDEX_PAGES go to an index object of level 2 (its entry says `"level": 2`), and so on.
A head therefore holds at most INLINE_PAGES + INDEX_PAGES entries of each level (about 200 bytes
each), and a level more every INDEX_PAGES-fold growth of the archive, instead of a descriptor per
page. A closed page changes only when one of its members is edited or deleted: that change reads
and rewrites the index objects above it (content-addressed and immutable like every state object),
and a new article touches the head alone (now and then, its oldest inline pages move to a new
index object). In a transaction, an index entry stands for what it names in FeedPages' list until
a change needs one of its pages (`_expand`); a head written before index objects (every page
inline) is read as it is and packed on its next write.

The pages always hold every member of the feed, the ones its subscription document shows too:
which of them an archive document shows follows from the feed's window (feedpub.archive.documents).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from feedpub import archive
from feedpub.publish.state import HeadItem, encode, sort_key

Descriptor = dict[str, Any]  # a page's descriptor, or in a list of a head's pages an index entry
SortKey = tuple[datetime, str]
Load = Callable[[str], Any]

INDEX_PAGES = 32  # descriptors an index object holds (fewer when later splits and merges cut it)
INLINE_PAGES = 8  # the newest pages a head always keeps inline (more while the window needs them)


def is_index(element: Descriptor) -> bool:
    """Whether an element of a head's pages is an index entry (standing for several pages)."""
    return "name" not in element


def _last_key(descriptor: Descriptor) -> SortKey | None:
    last = descriptor["last"]
    return None if last is None else (datetime.fromisoformat(last[0]), last[1])


def head_pages(head: dict[str, Any]) -> list[Descriptor]:
    """A stored head's pages, oldest first: its index entries, then its inline descriptors."""
    return [*head.get("index", ()), *head.get("pages", ())]


def head_layout(elements: list[Descriptor]) -> dict[str, list[Descriptor]]:
    """The stored form of a head's pages (packed: index entries, then every inline descriptor)."""
    split = next((at for at, element in enumerate(elements) if not is_index(element)), len(elements))
    assert not any(is_index(element) for element in elements[split:]), "index entries after a page"
    return {"index": elements[:split], "pages": elements[split:]}


def reached(head: dict[str, Any], load: Load) -> Iterator[Descriptor]:
    """Every element a stored head reaches, oldest first: each index entry, then what its object
    lists (entries of a lower level, or page descriptors), and each page descriptor."""

    def walk(elements: list[Descriptor]) -> Iterator[Descriptor]:
        for element in elements:
            yield element
            if is_index(element):
                yield from walk(load(element["object"])["pages"])

    return walk(head_pages(head))


def all_descriptors(head: dict[str, Any], load: Load) -> list[Descriptor]:
    """Every page descriptor of a stored head, oldest first (reads every index object it reaches)."""
    return [element for element in reached(head, load) if not is_index(element)]


def index_objects(head: dict[str, Any]) -> list[str]:
    """The keys of the index objects a stored head names."""
    return [entry["object"] for entry in head.get("index", ())]


def _position(elements: list[Descriptor], entry: Descriptor) -> int | None:
    """Where an index entry stands in `elements` (matched by its object, so a copy of the list has
    it too), or None."""
    return next(
        (at for at, each in enumerate(elements) if is_index(each) and each["object"] == entry["object"]), None
    )


def _put_in_place(elements: list[Descriptor], at: int, loaded: list[Descriptor]) -> None:
    elements[at : at + 1] = [dict(descriptor) for descriptor in loaded]


def expand(elements: list[Descriptor], entry: Descriptor, load: Load) -> None:
    """Put the descriptors an index entry of `elements` stands for in its place."""
    at = _position(elements, entry)
    assert at is not None, "the index entry is not in the list"
    _put_in_place(elements, at, load(entry["object"])["pages"])


def reached_index(elements: list[Descriptor], window: int | None) -> Descriptor | None:
    """The newest index entry the subscription window reaches into, if any (its pages are then not
    all fully archived, and their counts are needed)."""
    remaining = window or 0
    for element in reversed(elements):
        if remaining <= 0:
            return None
        if is_index(element):
            return element
        remaining -= element["count"]
    return None


def documents(
    elements: list[Descriptor], window: int | None
) -> tuple[list[archive.Document], dict[str, Descriptor]]:
    """The archive documents of a feed whose pages are `elements` (feedpub.archive.documents), and
    the index entries that stand in for some of them, by page name.

    An index entry counts as its first and last page, of one member each: the window never reaches
    it (reached_index), so every page it stands for has a full document, and the documents of the
    pages next to it link the right names. The documents given for its own pages are placeholders:
    the same before and after a change that leaves the entry unexpanded, which is all they are for."""
    pairs: list[tuple[str, int]] = []
    standing: dict[str, Descriptor] = {}
    for element in elements:
        if is_index(element):
            for name in dict.fromkeys(element["names"]):
                pairs.append((name, 1))
                standing[name] = element
        else:
            pairs.append((element["name"], element["count"]))
    return archive.documents(pairs, window), standing


def committed_documents(elements: list[Descriptor], window: int | None, load: Load) -> list[archive.Document]:
    """A committed head's archive documents (expanding in `elements` any index entry the window
    reaches: a committed head keeps the window inline, so this reads nothing)."""
    while (entry := reached_index(elements, window)) is not None:
        expand(elements, entry, load)
    return documents(elements, window)[0]


def find(elements: list[Descriptor], name: str, load: Load, gone: Iterable[str] = ()) -> Descriptor | None:
    """The descriptor of page `name` in a head's pages, or None. Index objects are read (and
    expanded in `elements`) only when it is not inline nor known to be `gone`: a run finding the
    pages it changed reads none of them."""
    gone = set(gone)
    while True:
        found = next((each for each in elements if each.get("name") == name), None)
        if found is not None or name in gone:
            return found
        entry = next((each for each in elements if is_index(each)), None)
        if entry is None:
            return None
        expand(elements, entry, load)


def _position_of(lasts: list[SortKey | None], key: SortKey) -> int | None:
    """The position of the first element (page or index entry) whose closing key (`lasts`, in
    order) is not before `key`: where a member with this sort key belongs; None past the last
    closed one."""
    low, high = 0, len(lasts)
    while low < high:  # the open page, whose `last` is None, ends them all
        middle = (low + high) // 2
        last = lasts[middle]
        if last is not None and last < key:
            low = middle + 1
        else:
            high = middle
    return low if low < len(lasts) else None


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


def level_of(element: Descriptor) -> int:
    """0 for a page descriptor, else the level of an index entry (1: it names page descriptors)."""
    return int(element.get("level", 1)) if is_index(element) else 0


def _index_entry(elements: list[Descriptor], level: int) -> Descriptor:
    """The entry naming an index object of these elements (closed pages, or entries of the level
    below); its `object` is set once saved."""
    last = elements[-1]["last"]
    assert last is not None, "the open page is never in an index object"
    first, final = (
        (elements[0]["name"], elements[-1]["name"])
        if level == 1
        else (elements[0]["names"][0], elements[-1]["names"][-1])
    )
    entry = {
        "object": None,
        "pages": len(elements) if level == 1 else sum(element["pages"] for element in elements),
        "names": [first, final],
        "last": last,
    }
    if level > 1:
        entry["level"] = level
    return entry


def _members(descriptors: list[Descriptor]) -> int:
    return sum(descriptor["count"] for descriptor in descriptors)


def _even_runs(descriptors: list[Descriptor]) -> list[list[Descriptor]]:
    """Elements cut into as few runs of at most INDEX_PAGES as possible, of even sizes."""
    runs = -(-len(descriptors) // INDEX_PAGES)
    size, extra = divmod(len(descriptors), runs)
    cut, start = [], 0
    for run in range(runs):
        end = start + size + (run < extra)
        cut.append(descriptors[start:end])
        start = end
    return cut


class FeedPages:
    """A feed's pages in a transaction: descriptors from its head, members loaded when touched.

    `descriptors` is the head's list of pages: descriptors, and (oldest) index entries standing
    for pages not loaded; `original` is the same as committed, with the same entries expanded."""

    def __init__(self, descriptors: list[Descriptor], load: Load, page_size: int) -> None:
        self.descriptors = [dict(descriptor) for descriptor in descriptors]
        self.original = [dict(descriptor) for descriptor in descriptors]  # as committed before
        self._load = load
        self.page_size = page_size
        self._members: dict[str, list[HeadItem]] = {}  # page name -> members, oldest first
        self._keys: dict[str, list[SortKey]] = {}  # parallel to _members
        self.dirty: set[str] = set()  # pages whose members changed in this transaction
        self.gone: set[str] = set()  # pages that ended in this transaction (merged or emptied)
        self._expanded: dict[bytes, Descriptor] = {}  # an index object's descriptors -> its entry

    # -- what the documents need ---------------------------------------------------------------

    def names(self) -> list[str]:
        """The names of every page, oldest first (reads every index object)."""
        self.expand_all()
        return [descriptor["name"] for descriptor in self.descriptors]

    def members(self, name: str) -> list[HeadItem]:
        """A page's members, oldest first."""
        if name not in self._members:
            descriptor = self._descriptor(name)
            members: list[HeadItem] = self._load(descriptor["object"])["members"] if descriptor else []
            self._members[name] = members
            self._keys[name] = [sort_key(member) for member in members]
        return self._members[name]

    def documents(self, window: int | None) -> tuple[list[archive.Document], list[archive.Document]]:
        """The feed's archive documents after this change, and those of them to render again: pages
        whose members changed, and documents that show more or fewer members or link elsewhere.
        Reads the index objects of the pages whose documents change without their members changing
        (a neighbour split or merged at the edge of an index object), or that the window reaches."""
        while True:
            reached = reached_index(self.descriptors, window) or reached_index(self.original, window)
            if reached is not None:
                self._expand(reached)
                continue
            before = {doc.name: doc for doc in documents(self.original, window)[0]}
            after, standing = documents(self.descriptors, window)
            changed = [doc for doc in after if doc.name in self.dirty or before.get(doc.name) != doc]
            unloaded = [standing[doc.name] for doc in changed if doc.name in standing]
            if not unloaded:
                return after, changed
            self._expand(unloaded[0])

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
        self.expand_all()
        self.gone |= {descriptor["name"] for descriptor in self.descriptors}
        self.descriptors[:] = [descriptor for descriptor, _ in built]
        self._members = {descriptor["name"]: members for descriptor, members in built}
        self._keys = {
            name: [sort_key(member) for member in members] for name, members in self._members.items()
        }
        self.dirty = set(self._members)
        self.gone -= self.dirty

    def touch_all(self) -> None:
        """Count every page as changed (its document is rendered again, and it takes the budget
        anew): its members are read when its turn comes (Transaction.pages_in_turn), not here."""
        self.dirty.update(self.names())

    def unread_objects(self, names: Iterable[str]) -> list[str]:
        """The objects of the pages `names` whose members are not in memory."""
        return [
            descriptor["object"]
            for name in names
            if name not in self._members
            and (descriptor := self._descriptor(name)) is not None
            and descriptor.get("object")
        ]

    def expand_all(self) -> None:
        """Read every index object: every page is described in `descriptors`."""
        while (entry := next((each for each in self.descriptors if is_index(each)), None)) is not None:
            self._expand(entry)

    # -- the new state --------------------------------------------------------------------------

    def changed(self) -> bool:
        return bool(self.dirty) or self.descriptors != self.original

    def page_object(self, name: str) -> tuple[Descriptor, dict[str, Any]] | None:
        """(descriptor, page object) of one page whose members changed, or None (unchanged, or gone)."""
        descriptor = self._descriptor(name)
        if descriptor is None or name not in self.dirty:
            return None
        return descriptor, {"members": self._members[name]}

    def release(self, name: str) -> None:
        """Forget a page's members (a rebuild holds a few pages' at a time). Only once its object is
        written and named by its descriptor, or if it did not change: they would be read again."""
        self._members.pop(name, None)
        self._keys.pop(name, None)

    def record_documents(self, name: str, digests: dict[str, str]) -> None:
        """Note the digests (format name -> digest) of the archive document just rendered for a page."""
        descriptor = self._descriptor(name)
        assert descriptor is not None, f"no page {name!r} to record documents for"
        descriptor["documents"] = digests

    def keep_documents(self, names: set[str]) -> None:
        """Forget the documents of the pages not named: they have no archive document any more
        (every page an index entry stands for keeps its document: the window never reaches it)."""
        for descriptor in self.descriptors:
            if not is_index(descriptor) and descriptor["name"] not in names:
                descriptor.pop("documents", None)

    def page_objects(self) -> list[tuple[Descriptor, dict[str, Any]]]:
        """(descriptor, page object) of every page whose members changed: the objects to save."""
        return [
            (descriptor, {"members": self._members[descriptor["name"]]})
            for descriptor in self.descriptors
            if not is_index(descriptor) and descriptor["name"] in self.dirty
        ]

    def pack(self, window: int | None) -> tuple[list[Descriptor], list[tuple[Descriptor, dict[str, Any]]]]:
        """The head's pages as they are stored (after the page objects are saved): index entries for
        the older pages, the newest inline; and the index objects to save, each with its entry (whose
        `object` the caller sets). Pages (or entries) read from an index object and unchanged go back
        to it. Packed level by level: page descriptors into entries of level 1, then, as they too
        accumulate, entries of each level into entries of the next."""
        fresh: list[tuple[Descriptor, dict[str, Any]]] = []
        layout = self._pack_level(self.descriptors, 0, window, fresh)
        level = 1
        while any(level_of(element) == level for element in layout):
            layout = self._pack_level(layout, level, None, fresh)
            level += 1
        return layout, fresh

    def _pack_level(
        self,
        elements: list[Descriptor],
        level: int,
        window: int | None,
        fresh: list[tuple[Descriptor, dict[str, Any]]],
    ) -> list[Descriptor]:
        """`elements` with each run of consecutive elements of `level` (0: page descriptors) put in
        entries of the next level; but the newest run, when nothing of a higher level follows it,
        moves its oldest elements INDEX_PAGES at a time while more than INLINE_PAGES (and, for pages,
        the window: so that every indexed page is fully archived) stay where they are."""
        packed: list[Descriptor] = []
        run: list[Descriptor] = []
        for position, element in enumerate([*elements, None]):
            if element is not None and level_of(element) == level:
                run.append(element)
                continue
            if run:
                rest = elements[position:]
                moved = len(run)
                if all(level_of(after) < level for after in rest):  # the newest run: its newest stay
                    moved = 0
                    while len(run) - moved > INLINE_PAGES + INDEX_PAGES and (
                        level > 0 or _members(run[moved + INDEX_PAGES :]) >= (window or 0)
                    ):
                        moved += INDEX_PAGES
                for chunk in _even_runs(run[:moved]) if moved else []:
                    entry = self._expanded.get(encode(chunk))
                    if entry is None:
                        entry = _index_entry(chunk, level + 1)
                        fresh.append((entry, {"pages": chunk}))
                    packed.append(entry)
                packed += run[moved:]
                run = []
            if element is not None:
                packed.append(element)
        return packed

    # -- internals ------------------------------------------------------------------------------

    def _expand(self, entry: Descriptor) -> None:
        """Load the pages an index entry stands for, in the list as it is and as it was committed
        (in either, unless a reader of the head expanded it there already: committed_documents)."""
        entry = dict(entry)
        loaded: list[Descriptor] = self._load(entry["object"])["pages"]
        for elements in (self.descriptors, self.original):
            at = _position(elements, entry)
            if at is not None:
                _put_in_place(elements, at, loaded)
        self._expanded[encode(loaded)] = entry

    def _descriptor(self, name: str) -> Descriptor | None:
        return next((d for d in self.descriptors if d.get("name") == name), None)

    def _locate(self, key: SortKey) -> int | None:
        """The position of the page a member with this sort key belongs to; None past the last
        closed page (a new open page is needed). An index entry found on the way is expanded."""
        while True:
            position = _position_of([_last_key(descriptor) for descriptor in self.descriptors], key)
            if position is not None and is_index(self.descriptors[position]):
                self._expand(self.descriptors[position])
                continue
            return position

    def _open_after_last(self) -> None:
        if self.descriptors:
            last = self.descriptors[-1]["last"]
            name = archive.name_after(last[1])
        else:
            name = archive.FIRST_PAGE
        self.descriptors.append({"name": name, "object": None, "count": 0, "last": None})
        self._members[name], self._keys[name] = [], []
        self.gone.discard(name)

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
        self.gone.discard(new_name)

    def _merge_with_next(self, position: int) -> None:
        """The page at `position` lost its boundary: it runs on to the next page's end."""
        descriptor = self.descriptors[position]
        while position + 1 < len(self.descriptors) and is_index(self.descriptors[position + 1]):
            self._expand(self.descriptors[position + 1])
        if position + 1 < len(self.descriptors):
            following = self.descriptors[position + 1]
            name, next_name = descriptor["name"], following["name"]
            self.members(name).extend(self.members(next_name))
            self._keys[name].extend(self._keys[next_name])
            descriptor["count"] += following["count"]
            descriptor["last"] = following["last"]
            del self.descriptors[position + 1]
            self.dirty.discard(next_name)
            self.gone.add(next_name)
        else:
            descriptor["last"] = None
        if descriptor["count"] == 0:
            self._drop(position)

    def _drop(self, position: int) -> None:
        """An empty page has no object; only the open page can be left empty."""
        name = self.descriptors[position]["name"]
        del self.descriptors[position]
        self.dirty.discard(name)
        self.gone.add(name)


class FormerPages:
    """A feed's pages as committed before they were cut again from its members (a change of site.yaml
    `feeds` or `archive_page_size`: Transaction.restyle): where a former member's item is, so that a
    new page takes its members' items from the old pages, one old page object in memory at a time,
    instead of every page of the site at once or every record read again."""

    def __init__(self, descriptors: list[Descriptor], load: Load) -> None:
        # Expanded before the pages were cut again (restyle); an index entry left here is skipped,
        # and the members it stands for are rendered from their records instead.
        self._pages = [descriptor for descriptor in descriptors if not is_index(descriptor)]
        self._lasts = [_last_key(descriptor) for descriptor in self._pages]  # parsed once, not per lookup
        self._load = load
        self._object: str | None = None
        self._members: dict[str, HeadItem] = {}  # the members of `_object` by record key

    def object_of(self, member: HeadItem) -> str | None:
        """The object of the old page where this member would have been (by its sort key)."""
        position = _position_of(self._lasts, sort_key(member))
        return None if position is None else self._pages[position].get("object")

    def held(self, member: HeadItem) -> HeadItem | None:
        """The member as the old page that held it had it (with its item), or None."""
        found = self.object_of(member)
        if found is None:
            return None
        if found != self._object:
            self._object, self._members = found, {each["key"]: each for each in self._load(found)["members"]}
        return self._members.get(member["key"])

    def release(self) -> None:
        """Forget the old page in memory."""
        self._object, self._members = None, {}
