"""The incremental publisher: content changes in, feeds out, with a race-free commit in between.

A run (apply, publish_due, reconcile, merge) reads the root, reads the changed records,
computes new state objects and outputs in a Transaction, writes the objects, and commits
the root with If-Match; a lost race re-reads and recomputes. Only after the commit are the
outputs written (dependents first), and the root is then updated once more, with If-Match,
to clear `pending`: if that fails, a newer run has committed, so the outputs just written
are re-rendered from the newest root and written again. The last write of every output
thus always comes from the latest state, and a run that dies after its commit leaves its
outputs in `pending` for the next run to write.

A site.yaml change that is feed-level only (config.SiteChange.FEEDS) re-renders every feed from
its head. Anything that needs every record read (a site.yaml change of the RECORDS kind, a lost
state, many records changed without their events) is a rebuild: the publisher hands it to its
RebuildRunner (publish/rebuild.py), which reads the records in parts and calls `merge`.

Record parsing and Markdown rendering (YAML front matter, markdown-it, nh3) are imported by
the first run, not with this module: the Lambda init (handler import, clients, publisher)
stays small, and the import is paid by the first event that carries keys.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from feedpub import catalogue
from feedpub.config import SITE_FILE, SiteChange, SiteConfig, parse_site, site_change
from feedpub.errors import SiteConfigError
from feedpub.model import FeedItem
from feedpub.podcast.media import MEDIA_PREFIX
from feedpub.publish import outputs, pages
from feedpub.publish.cdn import CloudFrontInvalidator
from feedpub.publish.context import RunContext, stored_site
from feedpub.publish.failures import (
    PoisonedRecordError,
    StaleRecordError,
)
from feedpub.publish.outputs import MEDIA_OUTPUT, is_media_path
from feedpub.publish.reader import Missing, RecordReader, Unreadable, entry_for
from feedpub.publish.report import PublishReport
from feedpub.publish.state import StateStore, empty_root, referenced_objects
from feedpub.publish.store import (
    NotFoundError,
    ObjectStore,
    PreconditionFailedError,
    StoredObject,
    UnreadableObjectError,
)
from feedpub.publish.tx import DRAFT, EXPIRED, PUBLISHED, REJECTED, SCHEDULED, Entry, Transaction, due_of
from feedpub.publish.websub import PING_DEADLINE_S, notify_hub
from feedpub.publish.writer import OutputWriter

if TYPE_CHECKING:
    from feedpub.publish.rebuild import PlannedRebuild, RebuildRequest, RebuildRunner

log = logging.getLogger("feedpub.publish")
# What also goes into the run's report (rejections, site.yaml errors): front ends that print the
# report themselves (feedpub dev's human output) leave this logger out.
report_log = logging.getLogger("feedpub.publish.report")

ARTICLES_PREFIX = "articles/"
GARBAGE_GRACE_S = 3600  # unreferenced state objects younger than this may belong to a run in flight
MAX_TAKEN_IN = 64  # records a run takes in because they changed without an event (or failed to render)
# Records a reconcile applies in place; more differences are read by a rebuild, in parallel parts.
REBUILD_ABOVE = 1000


class Publisher:
    def __init__(
        self,
        content: ObjectStore,
        output: ObjectStore,
        cdn: CloudFrontInvalidator | None = None,
        state_prefix: str = "_state/",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        websub: bool = True,
        workers: int = 16,
        attempts: int = 8,
        rebuilds: RebuildRunner | None = None,
        ping_deadline_s: float = PING_DEADLINE_S,
    ) -> None:
        """`workers`: parallel reads and writes of one run. `rebuilds`: how a rebuild's steps run
        (default: here, on a pool of threads; on AWS, a Step Functions execution, and `apply` then
        reports `rebuild_deferred`)."""
        from feedpub.publish.rebuild import LocalRebuilds

        self.content = content
        self.output = output
        self.cdn = cdn
        self.state = StateStore(output, state_prefix)
        self.clock = clock
        self.websub = websub
        self.workers = workers
        self.attempts = attempts
        self.rebuilds: RebuildRunner = rebuilds or LocalRebuilds()
        self.ping_deadline_s = ping_deadline_s

    def apply(self, keys: Sequence[str]) -> PublishReport:
        """Publish the effect of these content keys having changed (in any order, any number of times)."""
        return _Run(self).apply(keys)

    def publish_due(self) -> PublishReport:
        """Publish scheduled records whose date has come (and finish any interrupted run's writes)."""
        return _Run(self).apply(())

    def reconcile(self) -> PublishReport:
        """Compare a LIST of the content with the state, apply every difference, collect old state objects."""
        report = _Run(self).reconcile()
        if not report.failed_keys and report.site_error is None:
            self.collect_garbage()
        return report

    def rebuild(self) -> PublishReport:
        """Publish everything from scratch (the outputs whose bytes are unchanged are still not written)."""
        return _Run(self).apply([SITE_FILE], force_rebuild=True)

    def merge(
        self, planned: PlannedRebuild, parts: PartEntries, items: ItemSource | None = None
    ) -> PublishReport:
        """The last step of a rebuild: commit the parts' entries as the new state, from scratch.

        Called with what every part computed (`read_entries`, all parts together). Records whose
        content changed since a part read them (a publish committed meanwhile, an upload whose
        event is still queued) are read again here, after the root: so the commit, made with
        If-Match on that root, loses no change committed before it. A rebuild superseded by a newer
        site.yaml or another rebuild commits nothing (`superseded`). `items` gives the items the
        parts rendered, for the records the feeds will show.
        """
        return _Run(self, merging=planned.id).merge(planned, parts, items)

    def write_archives(
        self, plan_id: str, part: int, parts: int, note: Callable[[set[str]], None] = lambda written: None
    ) -> PublishReport:
        """A render step's part `part` of `parts`: write the archive documents a rebuild's merge or a
        feed-level change left pending (`_Run.write_archives`); `note` is told what was written
        before `pending` is."""
        return _Run(self).write_archives(plan_id, part, parts, note)

    def finish_rendering(self, plan_id: str, written_elsewhere: Iterable[str] = ()) -> PublishReport:
        """A render step's last step: write whatever its commit left pending (feed documents, the
        OPML list, archive documents its render parts did not write) and end the render step. The report
        also counts `written_elsewhere` (what the render step wrote) for the CDN's invalidation."""
        run = _Run(self, finishing=plan_id)
        run.report.written.extend(written_elsewhere)
        report = run.apply(())
        if (self.state.load_root()[0].get("rendering") or {}).get("plan") == plan_id:
            report.failed_keys = sorted({*report.failed_keys, SITE_FILE})  # not ended: to be retried
        return report

    def read_entries(self, keys: Sequence[str], site: SiteConfig) -> PartEntries:
        """A rebuild part's work: the shard entry of each record that exists under `site`, with
        what was found of the media files they name."""
        return _Run(self).read_entries(keys, site)

    def collect_garbage(self) -> int:
        """Delete state objects the current root does not reference (older than a grace period), and
        what rebuilds that never finished left behind."""
        from feedpub.publish.rebuild import collect_rebuilds

        root, _ = self.state.load_root()
        live = referenced_objects(root, self.state.load)
        cutoff = self.clock().timestamp() - GARBAGE_GRACE_S
        removed = 0
        for listing in self.output.list(self.state.objects_prefix):
            if listing.key not in live and listing.last_modified.timestamp() < cutoff:
                self.output.delete(listing.key)
                removed += 1
        return removed + collect_rebuilds(self, GARBAGE_GRACE_S)


class _Plan:
    """What one attempt will do, decided after reading the root: which records, and whether from scratch."""

    def __init__(
        self,
        records: list[str],
        fresh: bool = False,
        site: StoredObject | None = None,
        change: SiteChange | None = None,
        precomputed: dict[str, Entry] | None = None,
    ) -> None:
        self.records = records
        self.fresh = fresh  # every table emptied first (a rebuild's merge)
        self.site = site  # site.yaml to record in the state, when it is not the state's
        self.change = change  # FEEDS or MEMBERSHIP: every feed is re-rendered from the state
        self.precomputed = precomputed or {}  # entries a rebuild's parts computed, by record key


Planner = Callable[[dict[str, Any], list[str]], "_Plan | None"]


@dataclass
class PartEntries:
    """What a rebuild's part found: its records' shard entries, the media files they name as
    inspected (media key -> podcast.media.MediaInfo as JSON), the keys it could not read, and how
    many objects it read; and the rendered items of its records that a feed may show (record key
    -> [ETag, FeedItem as JSON text]), so the merge renders none of them again. As text, the merge
    reads a part's items without making objects of every field of every item."""

    entries: dict[str, Entry]
    media: dict[str, Any] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    records_read: int = 0
    items: dict[str, list[Any]] = field(default_factory=dict)


# Where a merge finds the items its parts rendered: given the keys of the records the feeds will
# show, the ones it has, as record key -> (ETag, FeedItem as JSON text): compact, as a merge holds
# every published record's.
ItemSource = Callable[[set[str]], dict[str, tuple[str, bytes]]]


class _Run(RunContext):
    """One publish run: its attempts, its report, and the commit/flush protocol."""

    def __init__(
        self, publisher: Publisher, merging: str | None = None, finishing: str | None = None
    ) -> None:
        super().__init__(publisher)
        self.started = time.perf_counter()
        self.reader = RecordReader(self)
        self.writer = OutputWriter(self, finishing)
        # A rebuild's record of the archive documents published before it (path -> digest).
        self.previous_archives: dict[str, str] = {}
        # Record versions found unrenderable by an earlier attempt of this run: key -> (ETag, reason).
        self.poisoned: dict[str, tuple[str, str]] = {}
        # Records that changed behind an earlier attempt's back (a merge reads them again).
        self.taken_in: set[str] = set()
        self.request: RebuildRequest | None = None  # a rebuild this run hands to the publisher's runner
        self.item_source: ItemSource | None = None  # a merge's: the items its parts rendered
        # The plan whose render step writes the archive documents this attempt's commit changes
        # (a rebuild's merge, `merging`, or a feed-level site.yaml change, `restyling`).
        self.rendering: str | None = None
        self.merging = merging
        self.restyling: str | None = None

    # -- entry points ----------------------------------------------------------------------

    def apply(self, keys: Sequence[str], force_rebuild: bool = False) -> PublishReport:
        """Read the root, then the content, compute and commit; on a lost race, all of it again.

        Content is read after the root on every attempt: a run whose commit wins has therefore
        read every record at least as recently as any run committed before it.
        """
        from feedpub.records import is_record_path

        keys = sorted({key for key in keys if key == SITE_FILE or is_record_path(key) or is_media_path(key)})
        root, failed = self._attempt(keys, lambda root, keys: self._plan(root, keys, force_rebuild))
        if self.request is not None:
            return self._hand_over(keys)
        if root is not None and self.rendering is not None:
            return self._render_elsewhere(root)
        return self._finish(failed=failed, root=root)

    def merge(self, planned: PlannedRebuild, part: PartEntries, items: ItemSource | None) -> PublishReport:
        self.item_source = items
        root, failed = self._attempt(
            sorted(part.entries), lambda root, keys: self._merge_plan(root, planned, part)
        )
        return self._finish(failed=failed, root=root)

    def read_entries(self, keys: Sequence[str], site: SiteConfig) -> PartEntries:
        root, _ = self.state.load_root()
        self.reader.known_media = dict(root.get("media", {}))
        self.site = site
        self.reader.fetch(keys)
        entries: dict[str, Entry] = {}
        for key in keys:
            stored = self.reader.fetched.get(key)
            if isinstance(stored, Unreadable):
                entries[key] = stored.entry()
            elif isinstance(stored, StoredObject):
                entries[key], record = entry_for(key, stored, site, self.reader.attach)
                if record is not None:
                    self.reader.records[key] = record
        items = self._render_shown(entries, site)
        media = {key: info for key, info in self.reader.known_media.items() if key in self.reader.media}
        return PartEntries(entries, media, sorted(self.report.failed_keys), self.report.records_read, items)

    def _render_shown(self, entries: dict[str, Entry], site: SiteConfig) -> dict[str, list[Any]]:
        """The items of this part's published records: a feed shows its newest, its archive pages
        every other one (feedpub.archive), so the merge reads and renders none of them again; one
        that fails to render is left to the merge."""
        keys = [
            key
            for key, entry in entries.items()
            if entry["status"] == PUBLISHED
            and datetime.fromisoformat(entry["date"]) <= self.now
            and catalogue.memberships(entry["facets"], site)
        ]
        items: dict[str, list[Any]] = {}
        for key in sorted(keys):
            try:
                item = self.reader.render(key, entries[key]["etag"])
            except (PoisonedRecordError, StaleRecordError):
                continue
            items[key] = [entries[key]["etag"], item.model_dump_json()]
        return items

    def _hand_over(self, keys: list[str]) -> PublishReport:
        """Have the publisher's runner rebuild: here and now (its report), or elsewhere (deferred)."""
        assert self.request is not None
        try:
            report = self.pub.rebuilds.run(self.pub, self.request)
        except Exception:
            log.exception("could not start the rebuild (%s); the keys will be retried", self.request.reason)
            return self._finish(failed=keys)
        if report is not None:
            if report.failed_keys:  # the rebuild is retried with these keys
                report.failed_keys = sorted({*report.failed_keys, *keys})
            return report
        log.info("rebuild started elsewhere: %s", self.request.reason)
        self.report.rebuild_deferred = True
        return self._finish()

    def _render_elsewhere(self, root: dict[str, Any]) -> PublishReport:
        """After a feed-level site.yaml change committed (`restyle`): have the publisher's runner
        write what it left pending, the archive documents in render parts, as after a rebuild's
        merge (here and now, or in RebuildStateMachine: the report then says `rebuild_deferred`)."""
        from feedpub.publish.rebuild import RebuildSteps, combined

        plan_id = self.rendering
        assert plan_id is not None
        committed = self._finish(root=root)
        try:
            written = self.pub.rebuilds.render(self.pub, plan_id)
        except Exception:
            log.exception("could not start the render step %s; the next run writes what is pending", plan_id)
            RebuildSteps(self.pub).release(plan_id)
            return committed
        if written is None:
            log.info("render step started elsewhere: %s", plan_id)
            committed.rebuild_deferred = True
            return committed
        return combined(committed, written)

    def _attempt(self, keys: list[str], planner: Planner) -> tuple[dict[str, Any] | None, list[str]]:
        """Attempts until one commits and writes its outputs: (its root, []), or (None, the keys to retry)."""
        conflicts = taken_in = 0
        while conflicts < self.pub.attempts:
            self.reader.forget()
            self.report.failed_keys = []
            self.rendering = self.merging
            try:
                root, etag = self.state.load_root()
                self.reader.known_media = dict(root.get("media", {}))
                plan = planner(root, keys)
            except Exception:
                log.exception("cannot read the publisher state or list the content")
                return None, keys
            if plan is None:  # site.yaml unusable (reported, not retried) or content unreadable (retried)
                unreadable, self.report.failed_keys = self.report.failed_keys, []
                return None, keys if unreadable else []
            try:
                tx = Transaction(self.state, root, self.site_config(), self.now, self.reader.render)
                # A rebuild over published feeds starts its tables empty: what each record was
                # before is not at hand, so its report says "rebuilt" rather than per record.
                rebuilt = plan.fresh and root["site"] is not None
                old_ids = self._start_from_scratch(tx, plan.site) if plan.fresh and plan.site else None
                if plan.site is not None and not plan.fresh:  # a feed-level change, or none at all
                    tx.root["site"] = {"etag": plan.site.etag, "text": plan.site.body.decode("utf-8-sig")}
                    tx.root["site_warnings"] = []  # they were about the previous site.yaml
                if plan.change is not None:
                    tx.restyle(regroup=plan.change is SiteChange.MEMBERSHIP)
                    # Every archive document changes: written in render parts, not by this run.
                    from feedpub.publish.rebuild import new_plan_id

                    self.restyling = self.restyling or new_plan_id("site-yaml-feeds", self.now)
                    self.rendering = self.restyling
                    self._take_render_lease(tx)
                records = [key for key in plan.records if key not in self.report.failed_keys]
                self._apply_changes(tx, records, plan.precomputed)
                if old_ids is not None:
                    self._warn_of_new_ids(tx, old_ids)
                show_news = self._check_show(tx, site_read=plan.site is not None)
                committed = self._commit(tx, etag, fresh=plan.fresh, force=plan.site is not None)
                if committed is not None:
                    root, etag = committed
                self._note_outcomes(tx, rebuilt, show_news)
                if self.rendering is None:  # else written by the render step and its finish
                    self.writer.flush(root, etag, tx.saved_heads())
                return root, []
            except PreconditionFailedError:
                conflicts += 1
                log.info("state changed by a concurrent run (conflict %d); recomputing", conflicts)
                time.sleep(random.uniform(0, 0.02 * 2**conflicts))
            except (StaleRecordError, PoisonedRecordError) as exc:
                taken_in += 1
                if taken_in > MAX_TAKEN_IN:  # many lost events at once: the hourly reconcile is for that
                    log.error("too many records to take in after the fact; the keys will be retried")
                    return None, keys
                if isinstance(exc, PoisonedRecordError):
                    log.warning("%s failed to render (%s); publishing again without it", exc.key, exc.reason)
                    self.poisoned[exc.key] = (exc.etag, exc.reason)
                else:
                    log.info("%s changed without an event in this run; taking it in", exc.key)
                keys = sorted({*keys, exc.key})
                self.taken_in.add(exc.key)
            except Exception:
                log.exception("publish failed; the keys will be retried")
                return None, keys
        log.error("gave up after %d commit conflicts in a row", self.pub.attempts)
        return None, keys

    def reconcile(self) -> PublishReport:
        from feedpub.publish.rebuild import RebuildRequest
        from feedpub.records import is_record_path

        try:
            root, _ = self.state.load_root()
            self.site = stored_site(root)
            if self.site is None:
                return self.apply([SITE_FILE], force_rebuild=False)
            listed = {item.key: item.etag for item in self.pub.content.list(ARTICLES_PREFIX)}
            listed_media = {item.key: item.etag for item in self.pub.content.list(MEDIA_PREFIX)}
            tx = Transaction(self.state, root, self.site, self.now, self.reader.render)
            self.state.prefetch(root["shards"].values())
            known: dict[str, str] = {}
            named: dict[str, str | None] = {}  # media file -> the version its records were made with
            for key, entry in tx.all_entries():
                known[key] = entry["etag"]
                if entry.get("media"):
                    named[entry["media"]["key"]] = entry["media"]["etag"]
        except Exception:
            log.exception("reconcile could not list the content or read the state")
            return self._finish(failed=[SITE_FILE])
        listed = {key: etag for key, etag in listed.items() if is_record_path(key)}
        stale = [key for key in listed.keys() | known.keys() if listed.get(key) != known.get(key)]
        stale += [key for key, etag in named.items() if listed_media.get(key) != etag]
        log.info("reconcile: %d records listed, %d differ from the state", len(listed), len(stale))
        if len(stale) > REBUILD_ABOVE:
            if self._rebuild_in_flight(root):
                return self._finish()
            self.request = RebuildRequest(f"reconcile found {len(stale)} records to apply")
            return self._hand_over([SITE_FILE])
        return self.apply([SITE_FILE, *stale])

    def _plan(self, root: dict[str, Any], keys: Sequence[str], force_rebuild: bool) -> _Plan | None:
        """Read site.yaml if needed and the content the attempt needs; None if it cannot go on (or if
        the run hands a rebuild over: `self.request`)."""
        from feedpub.publish.rebuild import RebuildRequest

        state_site = stored_site(root)
        self.site = state_site
        new_site: StoredObject | None = None
        change: SiteChange | None = None
        if force_rebuild or state_site is None or SITE_FILE in keys:
            new_site = self._read_site()
            if new_site is None:  # a site error (reported) or a failed read (retried)
                return None
            change = SiteChange.RECORDS if state_site is None else site_change(state_site, self.site_config())
            if force_rebuild or change is SiteChange.RECORDS:
                if state_site is None:
                    reason = "no published state"
                elif force_rebuild:
                    reason = "rebuild requested"
                else:
                    reason = "site.yaml changed"
                if force_rebuild or not self._rebuild_in_flight(root, new_site.etag):
                    self.request = RebuildRequest(reason, "" if force_rebuild else new_site.etag)
                    return None
                if state_site is None:  # a first build is in flight: these keys wait for its commit
                    self.report.failed_keys = list(keys)
                    return None
                # The rebuild in flight takes in what this run commits under the published site.yaml.
                self.site, new_site, change = state_site, None, None
            if new_site is not None and root["site"] is not None and root["site"]["etag"] == new_site.etag:
                new_site = None  # nothing new to record
        # A media file that changed or went: the records naming it are taken in again.
        named = root.get("media_refs", {})
        media = [key for key in keys if is_media_path(key)]
        records = sorted({key for key in keys if key not in media and key != SITE_FILE})
        records = sorted({*records, *(record for key in media for record in named.get(key, []))})
        self.reader.fetch(records)
        return _Plan(records, site=new_site, change=change)

    def _rebuild_in_flight(self, root: dict[str, Any], site_etag: str | None = None) -> bool:
        """True if a rebuild run elsewhere holds the lease (for this site.yaml version, if given)."""
        from feedpub.publish.rebuild import live_lease

        if not self.pub.rebuilds.concurrent:
            return False
        lease = live_lease(root, self.now)
        if lease is None or (site_etag is not None and lease["site"] != site_etag):
            return False
        log.info("a rebuild is in flight (%s): it takes these changes in", lease["plan"])
        return True

    def _merge_plan(self, root: dict[str, Any], planned: PlannedRebuild, part: PartEntries) -> _Plan | None:
        """Check the rebuild still holds the lease, re-read every record committed or changed since
        its parts read them, and start the state over from the parts' entries."""
        from feedpub.records import is_record_path

        lease = root.get("rebuild")
        if lease is None or lease["plan"] != planned.id:
            if root["site"] is not None and root["site"]["etag"] == planned.site.etag:
                # Committed by an earlier attempt of this merge (or an equal rebuild): finish its writes.
                self.site = stored_site(root)
                return _Plan([])
            log.warning("rebuild %s superseded: the state no longer holds its lease", planned.id)
            self.report.superseded = True
            return None
        current = self._read_site()
        if current is None:
            return None
        if current.etag != planned.site.etag:
            log.warning("rebuild %s superseded: site.yaml changed since it was planned", planned.id)
            self.report.superseded = True
            return None
        entries = part.entries
        listed = {
            item.key: item.etag for item in self.pub.content.list(ARTICLES_PREFIX) if is_record_path(item.key)
        }
        listed_media = {item.key: item.etag for item in self.pub.content.list(MEDIA_PREFIX)}

        def read_again(key: str) -> bool:
            """The record, or the media file it names, is not the version its part read."""
            entry = entries.get(key)
            if entry is None or listed.get(key) != entry["etag"]:
                return True
            media = entry.get("media")
            return media is not None and listed_media.get(media["key"]) != media["etag"]

        differ = {key for key in listed.keys() | entries.keys() if read_again(key)} | self.taken_in
        self.reader.known_media.update(part.media)
        log.info("merge %s: %d entries, %d records read again", planned.id, len(entries), len(differ))
        self.reader.fetch(sorted(differ))
        if self.report.failed_keys:
            return None
        keys = sorted(listed.keys() | entries.keys())
        if len(keys) > 1 and all(
            isinstance(self.reader.fetched.get(key), Unreadable) or entries.get(key, {}).get("etag") == ""
            for key in keys
        ):
            # One unreadable record is reported and the rebuild goes on without it; all of them at
            # once is the function's permissions, not the content: publishing empty feeds would be wrong.
            log.error("rebuild stopped: none of the %d records can be read (permissions?)", len(keys))
            self.report.failed_keys = keys
            return None
        precomputed = {key: entry for key, entry in entries.items() if key not in differ}
        return _Plan(keys, fresh=True, site=current, precomputed=precomputed)

    # -- site.yaml ---------------------------------------------------------------------------

    def _read_site(self) -> StoredObject | None:
        """Read and parse site.yaml into `self.site`; None if it cannot be (the report says why)."""
        try:
            stored = self.pub.content.get(SITE_FILE)
        except NotFoundError:
            self._site_error(SiteConfigError(SITE_FILE, "is missing from the content bucket"))
            return None
        except UnreadableObjectError as exc:
            self._site_error(SiteConfigError(SITE_FILE, f"cannot be read: {exc.reason}"))
            return None
        except Exception:
            log.exception("cannot read %s", SITE_FILE)
            self.report.failed_keys.append(SITE_FILE)
            return None
        self.report.records_read += 1
        try:
            self.site = parse_site(stored.body)
        except SiteConfigError as exc:
            self._site_error(exc)
            return None
        return stored

    def _site_error(self, exc: SiteConfigError) -> None:
        report_log.error("nothing published: %s", exc)
        self.report.site_error = str(exc)

    def _start_from_scratch(self, tx: Transaction, stored: StoredObject) -> dict[str, str] | None:
        """Empty every table of the root but the record of what is published (to diff outputs against),
        and the lease of the rebuild this commit completes; record `stored` as the site.yaml.

        Returns the ids of the published records when the new site.yaml may give them other ids
        (its permalink, generator, home or time zone changed), so the run can say how many changed.
        """
        old_site = tx.root["site"]
        old_ids = None
        old_config = stored_site(tx.root)
        if old_config is not None and _ids_may_change(old_config, self.site_config()):
            # Read straight from the state: the transaction's own tables start empty below.
            self.state.prefetch(tx.root["shards"].values())
            shards = [self.state.load(shard) for shard in tx.root["shards"].values()]
            old_ids = {k: e["id"] for shard in shards for k, e in shard.items() if e["status"] == PUBLISHED}
        unchanged = old_site is not None and old_site["etag"] == stored.etag
        kept_warnings = tx.root.get("site_warnings", []) if unchanged else []
        self.previous_archives = self._published_archives(tx.root)
        tx.root.update({k: v for k, v in empty_root().items() if k not in ("outputs", "pending")})
        tx.root.pop("rebuild", None)
        self._take_render_lease(tx)
        tx.cut_pages_at_once()
        tx.root["site"] = {"etag": stored.etag, "text": stored.body.decode("utf-8-sig")}
        tx.mark_standing()
        tx.root["site_warnings"] = kept_warnings
        return old_ids

    def _take_render_lease(self, tx: Transaction) -> None:
        """Until the render step's finish (or the lease lapses), other runs' flushes leave the
        pending archive documents to its render parts (`_left_to_render`)."""
        from feedpub.publish.rebuild import LEASE_S

        if self.rendering is not None:
            tx.root["rendering"] = {"plan": self.rendering, "until": self.now.timestamp() + LEASE_S}

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

    def _warn_of_new_ids(self, tx: Transaction, old_ids: dict[str, str]) -> None:
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

    # -- the transaction ------------------------------------------------------------------------

    def _apply_changes(self, tx: Transaction, keys: Iterable[str], precomputed: dict[str, Entry]) -> None:
        site = self.site_config()
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

    def _commit(
        self, tx: Transaction, etag: str | None, fresh: bool, force: bool
    ) -> tuple[dict[str, Any], str] | None:
        """Compute the new outputs' digests; write objects and the root. None when nothing changed,
        unless the state starts over (`fresh`) or must record a new site.yaml (`force`)."""
        site = self.site_config()
        root = tx.root
        bodies = self.writer.bodies
        bodies.clear()
        self.writer.full_archives.clear()
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
        with ThreadPoolExecutor(max_workers=self.pub.workers) as saving:
            for feed_id in sorted(tx.dirty_feeds):
                pages = tx.pages(feed_id)
                archived_before.update(outputs.archive_outputs(feed_id, pages.original))
                if feed_id not in feeds:
                    continue
                keep(self.writer.render_head(feed_id, feeds[feed_id], tx.head(feed_id), tx.entry))
                docs, to_render = tx.archive_documents(feed_id)
                rendering = {doc.name: doc for doc in to_render}
                feed = catalogue.feed(feed_id)
                for name, members in tx.pages_in_turn(feed_id, rendering, saving, 2 * self.pub.workers):
                    doc = rendering.get(name)
                    if doc is None:
                        continue
                    if self.rendering is not None:  # rendered and written by the render step
                        inputs = outputs.deferred_digest(fingerprint, feed_id, doc, members)
                        pages.record_documents(
                            doc.name, {fmt.name: inputs for fmt in feed.kind.archive_formats}
                        )
                        continue
                    rendered = self.writer.render_archive(feed_id, doc, members, tx.entry)
                    keep(rendered)
                    pages.record_documents(
                        doc.name,
                        {
                            fmt.name: outputs.digest(rendered[path], path in self.writer.full_archives)
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

    def _check_show(self, tx: Transaction, site_read: bool) -> list[tuple[str, str]]:
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
            found = show_warnings(self.site_config(), episodes, left_out)
            tx.root["show_warnings"] = [list(warning) for warning in found]
        elif self.site_config().podcast is None:
            tx.root["show_warnings"] = []
        after = [(path, warning) for path, warning in tx.root.get("show_warnings", [])]
        return [
            (path, warning)
            for path, warning in after
            if (path, warning) not in before or path in tx.touched or (site_read and path == SITE_FILE)
        ]

    def _note_outcomes(self, tx: Transaction, rebuilt: bool, show_news: list[tuple[str, str]]) -> None:
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

    # -- a rebuild's render step ----------------------------------------------------------------

    def write_archives(
        self, plan_id: str, part: int, parts: int, note: Callable[[set[str]], None]
    ) -> PublishReport:
        """Render and write, from the committed state, the pending archive documents of part `part`
        (of `parts`: rebuild.render_part_of) that the commit of `plan_id` (a rebuild's merge or a
        feed-level change) left to its render step, a few at a time; then take them out of
        `pending` (OutputWriter.write_archives). A document whose page is gone, or that fails to
        render, stays pending for the finish step, which deletes the former once no feed document
        names it, and rejects the record at fault in the latter as any run does."""
        root, _ = self.state.load_root()
        if (root.get("rendering") or {}).get("plan") != plan_id:
            log.info("rebuild %s: its render step is over (finished, abandoned or superseded)", plan_id)
            return self._finish()
        self.site = stored_site(root)
        self.writer.write_archives(root, part, parts, note)
        return self._finish()

    # -- the end of a run -------------------------------------------------------------------------

    def _finish(self, failed: Iterable[str] = (), root: dict[str, Any] | None = None) -> PublishReport:
        report = self.report
        report.failed_keys = sorted(set(report.failed_keys) | set(failed))
        # Attempts that committed may each have noted rejections: the latest reason for each record.
        report.rejected = list({each["path"]: each for each in report.rejected}.values())
        report.written = sorted(set(report.written))
        report.deleted = sorted(set(report.deleted))
        public = [p for p in report.written + report.deleted if not p.startswith(self.state.prefix)]
        report.invalidation_paths = sorted({"/" + p for p in public})
        if root is not None:
            due = outputs.next_change(root)
            report.next_due = None if due is None else datetime.fromisoformat(due)
            report.published = root["feeds"].get(catalogue.main_feed().id, {}).get("count", 0)
        if report.invalidation_paths and self.pub.cdn is not None:
            try:
                self.pub.cdn.invalidate(report.invalidation_paths)
            except Exception:
                # The objects are written; edges catch up within their short max-age.
                log.exception("CloudFront invalidation of %d paths failed", len(report.invalidation_paths))
        if public and self.pub.websub and self.site is not None and self.site.hub:
            # After the outputs are written, within one deadline for all of them; never raises.
            changed = [p for p in public if catalogue.is_feed_document(p) and p in report.written]
            missed = notify_hub(
                self.site.hub, [self.site.base_url + p for p in changed], deadline_s=self.pub.ping_deadline_s
            )
            report.hub_failures = len(missed)
        report.duration_s = time.perf_counter() - self.started
        return report


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
