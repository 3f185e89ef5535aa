"""A publish run's writes to the publish bucket: the outputs its commit rendered and the pending ones
it renders from a committed root, in write order, with `pending` cleared (or kept for a newer run)
after them; and a render step's part, the archive documents a commit left to it.

Rendering a feed or an archive document that fails finds the record at fault (PoisonedRecordError),
so the run starts again with that record rejected instead of failing each run that shows it.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from feedpub import archive, catalogue
from feedpub.publish import outputs, pages
from feedpub.publish.bodies import Bodies
from feedpub.publish.context import RunContext, stored_site
from feedpub.publish.failures import RECORD_FAILURES_PASS, CommitConflictError, PoisonedRecordError
from feedpub.publish.heads import Head
from feedpub.publish.outputs import MEDIA_OUTPUT, is_media_path
from feedpub.publish.state import shard_of
from feedpub.publish.store import NotFoundError, PreconditionFailedError, UnreadableObjectError
from feedpub.publish.tx import Entry

log = logging.getLogger("feedpub.publish")

# Tries to leave a lost flush's writes pending (each one GET and one PUT of the root).
LEAVE_PENDING_ATTEMPTS = 32


class OutputWriter:
    """What one run renders for the publish bucket, and its writes there."""

    def __init__(self, run: RunContext, finishing: str | None = None) -> None:
        self.run = run
        self.pub, self.state, self.report = run.pub, run.state, run.report
        self.finishing = finishing  # the plan whose render step this run ends
        # The outputs rendered for the commit, written as they are unless a newer root takes over;
        # compressed (publish/bodies.py): a run may render hundreds of feed documents (one per tag).
        self.bodies = Bodies()
        # Archive documents among the outputs rendered that are full (served as immutable).
        self.full_archives: set[str] = set()

    def flush(self, root: dict[str, Any], etag: str | None, heads: dict[str, Head]) -> None:
        """Write the pending outputs of `root`; clear `pending` with If-Match, or redo from a newer root.

        `heads` are head objects already in memory, by state key (the rest are read).
        """
        for _ in range(self.pub.attempts):
            todo = set(root["pending"]) - self._left_to_render(root)
            ending = (
                self.finishing is not None and (root.get("rendering") or {}).get("plan") == self.finishing
            )
            if not todo and not ending:
                return
            self._after_the_last_outputs_second(root)
            self._write_outputs(root, todo, heads)
            cleared = dict(root, pending=sorted(set(root["pending"]) - todo), outputs_written_at=time.time())
            if ending:
                del cleared["rendering"]
            try:
                self.state.commit_root(cleared, etag)
                return
            except PreconditionFailedError:
                root, etag = self._leave_pending(todo)  # a newer run committed: its state wins
                self.bodies.clear()
                self.full_archives.clear()
                self.run.site = stored_site(root) or self.run.site
        raise CommitConflictError("outputs kept changing under this run")

    def _left_to_render(self, root: dict[str, Any]) -> set[str]:
        """The pending archive documents this run leaves to a render step in flight: all but those
        its own commit rendered (the finish step's run leaves none)."""
        lease = root.get("rendering")
        if lease is None or lease["plan"] == self.finishing or lease["until"] <= self.pub.clock().timestamp():
            return set()
        return {
            path
            for path in root["pending"]
            if outputs.archive_of(path) is not None and path not in self.bodies
        }

    def _leave_pending(self, written: set[str]) -> tuple[dict[str, Any], str | None]:
        """Add the outputs this run just wrote to the newest root's `pending`, and return that root.

        A run that committed while they were written may have written some of them first, from
        its newer state: this run's bytes then replaced its. Recorded as pending, they are written
        again from the newest state by whichever run flushes next, even if this one gives up (a
        root is small, so this commit rarely loses the race that the writes lost). While a rebuild
        renders, the archive documents among them are also named as `overwritten`: its render step
        may have written them already, and must not take them for done (`_clear_rendered`).
        """
        archived = {path for path in written if outputs.archive_of(path) is not None}
        for _ in range(LEAVE_PENDING_ATTEMPTS):
            root, etag = self.state.load_root()
            lease = root.get("rendering")
            marked = set(lease.get("overwritten", ())) if lease else archived
            if written <= set(root["pending"]) and archived <= marked:
                return root, etag
            root["pending"] = sorted(set(root["pending"]) | written)
            if lease is not None:
                lease["overwritten"] = sorted(marked | archived)
            try:
                return root, self.state.commit_root(root, etag)
            except PreconditionFailedError:
                continue
        raise CommitConflictError("outputs kept changing under this run")

    def _after_the_last_outputs_second(self, root: dict[str, Any]) -> None:
        """Wait, if need be, for the wall-clock second after the previous run's output writes.

        S3's Last-Modified counts whole seconds. A feed rewritten within the second of its previous
        version keeps the same Last-Modified, and readers built on curl (newsboat) then take the
        new bytes for the old ones whenever they sent If-Modified-Since: they would miss the change
        until the next one. Only stores that keep such times ask for this.
        """
        resolution = self.pub.output.modified_resolution_s
        previous = root.get("outputs_written_at")
        if resolution and isinstance(previous, int | float):
            wait = (previous // resolution + 1) * resolution - time.time()
            if 0 < wait <= resolution:
                time.sleep(wait)

    def render_head(
        self, feed_id: str, label: str | None, head: Head, entry_of: Callable[[str], Entry | None]
    ) -> dict[str, bytes]:
        """A feed's documents; if they fail, the item at fault is found and its record rejected."""
        site = self.run.site_config()
        try:
            return outputs.render_head(site, feed_id, label, head, self.state.load)
        except RECORD_FAILURES_PASS:
            raise
        except BaseException:
            self._find_poisoned(head.shown_items(catalogue.feed(feed_id).item_limit(site)), entry_of)
            raise  # no one item fails alone: not a record's fault, so the run fails and is retried

    def render_archive(
        self,
        feed_id: str,
        doc: archive.Document,
        members: list[Any],
        entry_of: Callable[[str], Entry | None],
    ) -> dict[str, bytes]:
        """An archive document in every format; if it fails, the item at fault is found and rejected."""
        try:
            documents = outputs.render_archive(self.run.site_config(), feed_id, doc, members)
        except RECORD_FAILURES_PASS:
            raise
        except BaseException:
            self._find_poisoned(members[: doc.shown], entry_of)
            raise
        if doc.full:
            self.full_archives.update(documents)
        return documents

    def _find_poisoned(self, members: list[Any], entry_of: Callable[[str], Entry | None]) -> None:
        """Raise PoisonedRecordError for the first member whose item fails to render alone."""
        from feedpub.items import render_problem

        for member in members:
            problem = render_problem(self.run.site_config(), member["item"])
            entry = entry_of(member["key"])
            if problem is not None and entry is not None:
                raise PoisonedRecordError(member["key"], entry["etag"], problem) from None

    def _entry_in(self, root: dict[str, Any]) -> Callable[[str], Entry | None]:
        """Look up a record's entry in a committed root's shards (only when a feed fails to render)."""

        def entry(key: str) -> Entry | None:
            shard = root["shards"].get(shard_of(key))
            found: Entry | None = self.state.load(shard).get(key) if shard else None
            return found

        return entry

    def _write_outputs(self, root: dict[str, Any], paths: set[str], heads: dict[str, Head]) -> None:
        site = self.run.site_config()
        # What this run rendered for its commit, and what it renders again here, compressed too: the
        # run after a render step that failed for good writes every archive document it left here.
        bodies = Bodies()
        kept = self.bodies
        report_key = self.state.report_key
        deletes: list[str] = []
        for path in sorted(paths):
            if path in kept or path in bodies:
                continue
            archived = outputs.archive_of(path)
            if archived is not None:  # recorded in its feed's head, not in the root
                committed = self._committed_archive(root, *archived, heads)
                if committed is None:
                    deletes.append(path)
                else:
                    bodies.update(self.render_archive(archived[0], *committed, self._entry_in(root)))
                continue
            if path not in root["outputs"]:
                deletes.append(path)
                continue
            feed_id = outputs.feed_of(path)
            if feed_id is not None:
                feed = root["feeds"][feed_id]
                head = heads.get(feed["head"]) or Head(self.state.load(feed["head"]))
                bodies.update(self.render_head(feed_id, feed["label"], head, self._entry_in(root)))
            elif path == catalogue.OPML.path:
                bodies[path] = outputs.render_list(
                    site, {f: feed["label"] for f, feed in root["feeds"].items()}
                )
            elif path == catalogue.XSL.path:
                bodies[path] = outputs.render_stylesheet()
            elif path == report_key:
                bodies[path] = outputs.render_report(root)
        ranks: dict[int, list[str]] = {}
        for path in sorted({*kept, *bodies} & paths):
            ranks.setdefault(outputs.write_rank(path), []).append(path)
        media = sorted(p for p in paths if p in root["outputs"] and is_media_path(p))
        with ThreadPoolExecutor(max_workers=self.pub.workers) as pool:
            list(pool.map(lambda p: self._copy(p, root), media))  # before any feed names them
            for rank in sorted(ranks):  # each rank is complete before the next one starts
                list(pool.map(lambda p: self._put(p, kept[p] if p in kept else bodies[p]), ranks[rank]))
            list(pool.map(self._delete, deletes))

    def _committed_archive(
        self, root: dict[str, Any], feed_id: str, page: str, heads: dict[str, Head]
    ) -> tuple[archive.Document, list[Any]] | None:
        """The document and members of an archive page that a committed root publishes, or None."""
        feed = root["feeds"].get(feed_id)
        if feed is None:
            return None
        head = heads.get(feed["head"]) or Head(self.state.load(feed["head"]))
        descriptor = pages.find(head.pages, page, self.state.load, head.gone)
        if descriptor is None or not descriptor.get("documents"):
            return None
        documents = outputs.archive_documents(self.run.site_config(), feed_id, head, self.state.load)
        doc = next(d for d in documents if d.name == page)
        return doc, self.state.load(descriptor["object"])["members"]

    def _put(self, path: str, body: bytes) -> None:
        content_type, cache_control = outputs.headers(path, self.state.report_key, path in self.full_archives)
        self.pub.output.put(path, body, content_type=content_type, cache_control=cache_control)
        self.report.written.append(path)

    def _copy(self, media_key: str, root: dict[str, Any]) -> None:
        """Copy a media file from the content bucket, inside S3: never through this function."""
        etag = root["outputs"][media_key].removeprefix(MEDIA_OUTPUT)
        info = root.get("media", {}).get(media_key) or {}
        try:
            self.pub.output.copy_from(
                self.pub.content,
                media_key,
                if_match=etag,
                content_type=info.get("mime_type") or "application/octet-stream",
                cache_control=catalogue.MEDIA_CACHE,
            )
        except (PreconditionFailedError, NotFoundError, UnreadableObjectError):
            # Replaced or removed since this run read it: the event for that change republishes it.
            log.warning("%s changed before it could be copied; its own event will publish it", media_key)
            return
        self.report.written.append(media_key)

    def _delete(self, path: str) -> None:
        self.pub.output.delete(path)
        self.report.deleted.append(path)

    # -- a render step's part ------------------------------------------------------------------

    def write_archives(
        self, root: dict[str, Any], part: int, parts: int, note: Callable[[set[str]], None]
    ) -> None:
        """Render and write, from the committed `root`, the pending archive documents of part `part`
        (of `parts`: rebuild.render_part_of) that its render step's commit left to it, a few at a
        time; `note` what was written, then take it out of `pending` (`_clear_rendered`)."""
        from feedpub.publish.rebuild import render_part_of

        mine: dict[str, dict[str, set[str]]] = {}  # feed id -> page -> its pending documents
        for path in root["pending"]:
            archived = outputs.archive_of(path)
            if archived is not None and render_part_of(*archived, parts) == part:
                mine.setdefault(archived[0], {}).setdefault(archived[1], set()).add(path)
        written: set[str] = set()
        in_flight: deque[Future[None]] = deque()
        with ThreadPoolExecutor(max_workers=self.pub.workers) as pool:
            for feed_id in sorted(mine):
                for path, body in self._archives_of(root, feed_id, mine[feed_id]):
                    in_flight.append(pool.submit(self._put, path, body))
                    written.add(path)
                    while len(in_flight) > 2 * self.pub.workers:  # a few documents in memory at a time
                        in_flight.popleft().result()
            for put in in_flight:
                put.result()
        note(written)
        self._clear_rendered(root, written)

    def _archives_of(
        self, root: dict[str, Any], feed_id: str, wanted: dict[str, set[str]]
    ) -> Iterator[tuple[str, bytes]]:
        """(path, body) of the documents `wanted` (page -> paths) of one feed, rendered from `root`."""
        feed = root["feeds"].get(feed_id)
        if feed is None:
            return
        descriptors = pages.all_descriptors(self.state.load(feed["head"]), self.state.load)
        window = catalogue.feed(feed_id).item_limit(self.run.site_config())
        documents = {doc.name: doc for doc in pages.documents(descriptors, window)[0]}
        by_name = {descriptor["name"]: descriptor for descriptor in descriptors}
        for name in sorted(wanted):
            descriptor, doc = by_name.get(name), documents.get(name)
            if descriptor is None or doc is None or not descriptor.get("documents"):
                continue  # gone: deleted by the finish step, after the feed documents
            try:
                rendered = self.render_archive(
                    feed_id, doc, self.state.load(descriptor["object"])["members"], self._entry_in(root)
                )
            except Exception:
                log.exception("%s: archive page %s failed to render; left to the finish step", feed_id, name)
                continue
            for path in sorted(wanted[name] & rendered.keys()):
                yield path, rendered[path]

    def _clear_rendered(self, rendered_from: dict[str, Any], written: set[str]) -> None:
        """Take the archive documents this render step wrote out of the newest root's `pending`.

        One stays (or is put back) there for the finish step when what decides it changed since
        `rendered_from` (its feed or site.yaml: a publish committed meanwhile), or when a run that
        lost its flush may have written an older version over it (`overwritten`, _leave_pending).
        The other parts clear theirs at the same time: a lost race is tried again on the newer root.
        """
        plan_id = rendered_from["rendering"]["plan"]
        feed_of = {path: outputs.archive_of(path)[0] for path in written}  # type: ignore[index]
        for _ in range(LEAVE_PENDING_ATTEMPTS):
            root, etag = self.state.load_root()
            lease = root.get("rendering")
            overwritten = set(lease.get("overwritten", ())) if lease and lease["plan"] == plan_id else written
            same_site = root["site"] == rendered_from["site"]
            settled = {
                path
                for path in written - overwritten
                if same_site and root["feeds"].get(feed_of[path]) == rendered_from["feeds"].get(feed_of[path])
            }
            pending = (set(root["pending"]) - settled) | (written - settled)
            if pending == set(root["pending"]):
                return
            root["pending"] = sorted(pending)
            try:
                self.state.commit_root(root, etag)
                return
            except PreconditionFailedError:
                continue
        raise CommitConflictError("the render step could not record what it wrote")
