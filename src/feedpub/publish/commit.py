"""A publish attempt's new state: the changed records' entries applied to its Transaction, the
outputs rendered from it and their digests, the state objects and root committed with If-Match,
and what the run reports of each record it changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from feedpub import catalogue
from feedpub.config import SITE_FILE, SiteConfig
from feedpub.model import FeedItem
from feedpub.publish import outputs, pages
from feedpub.publish.context import RunContext, report_log, stored_site
from feedpub.publish.outputs import MEDIA_OUTPUT, is_media_path
from feedpub.publish.reader import ItemSource, Missing, RecordReader, Unreadable, entry_for
from feedpub.publish.state import empty_root
from feedpub.publish.store import StoredObject
from feedpub.publish.tx import DRAFT, EXPIRED, PUBLISHED, REJECTED, SCHEDULED, Entry, Transaction, due_of
from feedpub.publish.writer import OutputWriter


class Committer:
    """What one run commits: its attempts' transactions, from the records its reader read to the
    outputs its writer keeps for the flush."""

    def __init__(self, run: RunContext, reader: RecordReader, writer: OutputWriter) -> None:
        self.run = run
        self.state, self.report = run.state, run.report
        self.reader = reader
        self.writer = writer
        # A rebuild's record of the archive documents published before it (path -> digest).
        self.previous_archives: dict[str, str] = {}
        # Record versions found unrenderable by an earlier attempt of this run: key -> (ETag, reason).
        self.poisoned: dict[str, tuple[str, str]] = {}
        self.item_source: ItemSource | None = None  # a merge's: the items its parts rendered

    def start_from_scratch(
        self, tx: Transaction, stored: StoredObject, rendering: str | None
    ) -> dict[str, str] | None:
        """Empty every table of the root but the record of what is published (to diff outputs against),
        and the lease of the rebuild this commit completes; record `stored` as the site.yaml, and the
        lease of the render step `rendering` that writes the archive documents it leaves pending.

        Returns the ids of the published records when the new site.yaml may give them other ids
        (its permalink, generator, home or time zone changed), so the run can say how many changed.
        """
        old_site = tx.root["site"]
        old_ids = None
        old_config = stored_site(tx.root)
        if old_config is not None and _ids_may_change(old_config, self.run.site_config()):
            # Read straight from the state: the transaction's own tables start empty below.
            self.state.prefetch(tx.root["shards"].values())
            shards = [self.state.load(shard) for shard in tx.root["shards"].values()]
            old_ids = {k: e["id"] for shard in shards for k, e in shard.items() if e["status"] == PUBLISHED}
        unchanged = old_site is not None and old_site["etag"] == stored.etag
        kept_warnings = tx.root.get("site_warnings", []) if unchanged else []
        self.previous_archives = self._published_archives(tx.root)
        tx.root.update({k: v for k, v in empty_root().items() if k not in ("outputs", "pending")})
        tx.root.pop("rebuild", None)
        self.take_render_lease(tx, rendering)
        tx.cut_pages_at_once()
        tx.root["site"] = {"etag": stored.etag, "text": stored.body.decode("utf-8-sig")}
        tx.mark_standing()
        tx.root["site_warnings"] = kept_warnings
        return old_ids

    def take_render_lease(self, tx: Transaction, rendering: str | None) -> None:
        """Until the finish of the render step `rendering` (or the lease lapses), other runs'
        flushes leave the pending archive documents to its render parts (OutputWriter._left_to_render)."""
        from feedpub.publish.rebuild import LEASE_S

        if rendering is not None:
            tx.root["rendering"] = {"plan": rendering, "until": self.run.now.timestamp() + LEASE_S}

    def _published_archives(self, root: dict[str, Any]) -> dict[str, str]:
        """Path -> digest of every archive document a committed root's feeds record (one head read
        per feed: a rebuild diffs against them, as the root records no archive document)."""
        published: dict[str, str] = {}
        self.state.prefetch(feed["head"] for feed in root["feeds"].values())
        heads = {feed_id: self.state.load(feed["head"]) for feed_id, feed in root["feeds"].items()}
        self.state.prefetch(key for head in heads.values() for key in pages.index_objects(head))
        for feed_id, head in heads.items():
            published.update(outputs.archive_outputs(feed_id, pages.all_descriptors(head, self.state.load)))
        return published

    def warn_of_new_ids(self, tx: Transaction, old_ids: dict[str, str]) -> None:
        changed = 0
        for key, old_id in old_ids.items():
            entry = tx.entry(key)
            changed += entry is not None and entry.get("id", old_id) != old_id
        if changed:
            warning = (
                f"this site.yaml gives {changed} already-published item{'s' if changed != 1 else ''} "
                "a new id: feed readers will show them again as new (set `id` in their front matter "
                "to keep the old ones)"
            )
            report_log.warning("WARN %s: %s", SITE_FILE, warning)
            tx.root["site_warnings"] = [warning]
            self.report.warnings.append({"path": SITE_FILE, "warning": warning})

    def apply_changes(self, tx: Transaction, keys: Iterable[str], precomputed: dict[str, Entry]) -> None:
        site = self.run.site_config()
        reader = self.reader
        for key in keys:
            old = tx.entry(key)
            if key in precomputed:
                entry = dict(precomputed[key])  # the transaction settles its status in place
                poisoned = self.poisoned.get(key)
                if poisoned and poisoned[0] == entry["etag"]:
                    entry = {"etag": entry["etag"], "status": REJECTED, "reason": poisoned[1]}
                if old != entry:
                    tx.replace(key, entry)
                continue
            stored = reader.fetched[key]
            if isinstance(stored, Missing):
                if old is not None:
                    tx.replace(key, None)
                continue
            poisoned = self.poisoned.get(key)
            if isinstance(stored, Unreadable) or (poisoned and poisoned[0] == stored.etag):
                rejected: Entry = (
                    stored.entry()
                    if isinstance(stored, Unreadable)
                    else {"etag": stored.etag, "status": REJECTED, "reason": poisoned[1] if poisoned else ""}
                )
                if old != rejected:
                    tx.replace(key, rejected)
                continue
            if old is not None and old["etag"] == stored.etag and not reader.media_moved(old):
                continue  # a replayed or duplicated event
            entry, record = entry_for(key, stored, site, reader.attach)
            if record is not None:
                reader.keep_parsed(key, record)
            tx.replace(key, entry)
        tx.mark_due()
        # A rebuild's merge: every published record joins its feeds' archive pages with its item, as
        # its part rendered it. Only for a record taken as its part read it: one read again (itself or
        # its media file changed since) may keep its ETag and still render otherwise.
        reusable = {key for key, entry in precomputed.items() if entry["status"] == PUBLISHED}
        if self.item_source is not None and reusable:
            for key, (etag, item) in self.item_source(reusable).items():
                reader.rendered.setdefault((key, etag), item)
        tx.settle()
        tx.refill_heads()
        # The records the feeds will show and no part rendered, read in parallel rather than one by
        # one while rendering.
        needed = set(tx.unrendered())
        reader.fetch(
            (key for key in sorted(needed) if key not in reader.records and not reader.has_item(key, tx)),
            prefetch=True,
        )
        tx.finish_heads()
        tx.finish_pages()

    def commit(
        self, tx: Transaction, etag: str | None, fresh: bool, force: bool, deferred: bool
    ) -> tuple[dict[str, Any], str] | None:
        """Compute the new outputs' digests; write objects and the root. None when nothing changed,
        unless the state starts over (`fresh`) or must record a new site.yaml (`force`). `deferred`:
        the archive documents are rendered and written by a render step, this commit records their
        inputs' digests (outputs.deferred_digest)."""
        site = self.run.site_config()
        root = tx.root
        writer = self.writer
        bodies = writer.bodies
        bodies.clear()
        writer.full_archives.clear()
        feeds = tx.feeds()
        digests: dict[str, str] = {}  # of the outputs the root records (not archive documents)

        def keep(rendered: dict[str, bytes]) -> None:
            for path, body in rendered.items():
                if outputs.archive_of(path) is None:
                    digests[path] = outputs.digest(body)
                bodies[path] = body

        # Archive documents are recorded in their feed's head (its page descriptors), not in the
        # root: what the feeds this change touches had published before it, and have after it.
        archived_before = dict(self.previous_archives) if fresh else {}
        archived_after: dict[str, str] = {}
        fingerprint = outputs.site_fingerprint(site)
        # Page by page (Transaction.pages_in_turn): each changed page gets its items, its document
        # is rendered and its object written (on one pool for all feeds, as many in flight as one
        # save of them all), and its items are let go: a rebuild holds a few pages' at a time.
        with ThreadPoolExecutor(max_workers=self.run.pub.workers) as saving:
            for feed_id in sorted(tx.dirty_feeds):
                pages = tx.pages(feed_id)
                archived_before.update(outputs.archive_outputs(feed_id, pages.original))
                if feed_id not in feeds:
                    continue
                keep(writer.render_head(feed_id, feeds[feed_id], tx.head(feed_id), tx.entry))
                docs, to_render = tx.archive_documents(feed_id)
                rendering = {doc.name: doc for doc in to_render}
                feed = catalogue.feed(feed_id)
                for name, members in tx.pages_in_turn(feed_id, rendering, saving, 2 * self.run.pub.workers):
                    doc = rendering.get(name)
                    if doc is None:
                        continue
                    if deferred:  # rendered and written by the render step
                        inputs = outputs.deferred_digest(fingerprint, feed_id, doc, members)
                        pages.record_documents(
                            doc.name, {fmt.name: inputs for fmt in feed.kind.archive_formats}
                        )
                        continue
                    rendered = writer.render_archive(feed_id, doc, members, tx.entry)
                    keep(rendered)
                    pages.record_documents(
                        doc.name,
                        {
                            fmt.name: outputs.digest(rendered[path], path in writer.full_archives)
                            for fmt in feed.formats
                            if (path := feed.page_path(doc.name, fmt)) in rendered
                        },
                    )
                pages.keep_documents({doc.name for doc in docs})
                archived_after.update(outputs.archive_outputs(feed_id, pages.descriptors))
        keep({catalogue.OPML.path: outputs.render_list(site, feeds)})
        keep({catalogue.XSL.path: outputs.render_stylesheet()})
        keep({self.state.report_key: outputs.render_report(root)})
        published = dict(root["outputs"])
        new_outputs = {path: digest for path, digest in published.items() if _feed_alive(path, feeds)}
        new_outputs.update(digests)
        if fresh:  # from scratch: a file published before may be named by no record now
            tx.media_touched.update(path for path in published if is_media_path(path))
        for media_key in tx.media_touched:  # published while a published record names it
            media_etag = tx.published_media(media_key)
            if media_etag is None:
                new_outputs.pop(media_key, None)
            else:
                new_outputs[media_key] = MEDIA_OUTPUT + media_etag
        root["media"] = {
            key: info for key, info in self.reader.known_media.items() if key in root.get("media_refs", {})
        }
        changed = {
            path
            for before, after in ((published, new_outputs), (archived_before, archived_after))
            for path in before.keys() | after.keys()
            if before.get(path) != after.get(path)
        }
        self.report.unchanged += len(bodies) - len(changed & bodies.keys())
        if not (tx.changed() or changed or fresh or force):
            return None
        tx.save_objects()
        root["outputs"] = new_outputs
        root["pending"] = sorted(set(root["pending"]) | changed)
        new_etag = self.state.commit_root(root, etag)
        return root, new_etag

    def check_show(self, tx: Transaction, site_read: bool) -> list[tuple[str, str]]:
        """Compare the episodes podcast.xml holds again when it changed (podcast.check.show_warnings:
        one enclosure URL or number for two episodes, a show without any): its head knows them all.
        Returns the warnings this run reports: new ones, and those about a record it touched or
        about site.yaml when it read it, as a record's own are reported when it is touched."""
        from feedpub.podcast.check import show_warnings

        feed_id = catalogue.PODCASTS.feed_id("")
        before = [tuple(warning) for warning in tx.root.get("show_warnings", [])]
        if feed_id in tx.dirty_feeds:
            head = tx.head(feed_id)
            held = head.shown_items(tx.limit(feed_id))
            episodes = [(member["key"], FeedItem.model_validate(member["item"])) for member in held]
            left_out = head.count - len(held) if tx.limit(feed_id) is None else 0
            found = show_warnings(self.run.site_config(), episodes, left_out)
            tx.root["show_warnings"] = [list(warning) for warning in found]
        elif self.run.site_config().podcast is None:
            tx.root["show_warnings"] = []
        after = [(path, warning) for path, warning in tx.root.get("show_warnings", [])]
        return [
            (path, warning)
            for path, warning in after
            if (path, warning) not in before or path in tx.touched or (site_read and path == SITE_FILE)
        ]

    def note_outcomes(self, tx: Transaction, rebuilt: bool, show_news: list[tuple[str, str]]) -> None:
        """Report what became of each record this commit changed, its rejection and its warnings."""
        self.report.rebuilt = rebuilt
        self.report.changes = [] if rebuilt else record_changes(tx)
        for key in sorted(tx.touched):
            reason = tx.root["rejected"].get(key)
            if reason is not None:
                report_log.warning("REJECTED %s: %s", key, reason)
                self.report.rejected.append({"path": key, "reason": reason})
            for warning in tx.root["warnings"].get(key, []):
                report_log.warning("WARN %s: %s", key, warning)
                self.report.warnings.append({"path": key, "warning": warning})
        for path, warning in show_news:  # about the show as a whole (podcast.check.show_warnings)
            report_log.warning("WARN %s: %s", path, warning)
            self.report.warnings.append({"path": path, "warning": warning})


def record_changes(tx: Transaction) -> list[dict[str, str]]:
    """What a committed transaction did to each record it touched, in PublishReport.changes' words."""
    changes = []
    for key in sorted(tx.touched):
        before = tx.status_before.get(key)
        entry = tx.entry(key)
        after = None if entry is None else entry["status"]
        change: dict[str, str] = {"path": key}
        if after is None:
            change["change"] = "deleted"
        elif after == PUBLISHED:
            change["change"] = "updated" if before == PUBLISHED else "published"
        elif after in (DRAFT, SCHEDULED, EXPIRED):
            change["change"] = "withdrawn" if before == PUBLISHED else after
            change["status"] = after
        else:  # rejected: the report's `rejected` says why
            continue
        if after == SCHEDULED and entry is not None:
            change["due"] = due_of(entry)
        changes.append(change)
    return changes


def _ids_may_change(old: SiteConfig, new: SiteConfig) -> bool:
    def fields(site: SiteConfig) -> tuple[object, ...]:
        return (site.home, site.permalink, site.generator, site.timezone)

    return fields(old) != fields(new)


def _feed_alive(path: str, feeds: dict[str, str | None]) -> bool:
    feed_id = outputs.feed_of(path)
    return feed_id is None or feed_id in feeds
