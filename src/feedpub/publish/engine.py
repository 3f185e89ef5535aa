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

A run (`_Run`, here: its entry points, attempts and report) owns one of each of its parts, which
share the RunContext it is (publish/context.py): its Planner decides what an attempt does
(planner.py), its RecordReader reads the content (reader.py), its Committer computes and commits
the new state (commit.py), and its OutputWriter renders and writes the outputs (writer.py).

Record parsing and Markdown rendering (YAML front matter, markdown-it, nh3) are imported by
the first run, not with this module: the Lambda init (handler import, clients, publisher)
stays small, and the import is paid by the first event that carries keys.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from feedpub import catalogue
from feedpub.config import SITE_FILE, SiteChange, SiteConfig
from feedpub.podcast.media import MEDIA_PREFIX
from feedpub.publish import outputs
from feedpub.publish.cdn import CloudFrontInvalidator
from feedpub.publish.commit import Committer
from feedpub.publish.context import RunContext, stored_site
from feedpub.publish.failures import PoisonedRecordError, StaleRecordError
from feedpub.publish.outputs import is_media_path
from feedpub.publish.planner import ARTICLES_PREFIX, Plan, Planner
from feedpub.publish.reader import ItemSource, PartEntries, RecordReader
from feedpub.publish.report import PublishReport
from feedpub.publish.state import StateStore, referenced_objects
from feedpub.publish.store import ObjectStore, PreconditionFailedError
from feedpub.publish.tx import Transaction
from feedpub.publish.websub import PING_DEADLINE_S, notify_hub
from feedpub.publish.writer import OutputWriter

if TYPE_CHECKING:
    from feedpub.publish.rebuild import PlannedRebuild, RebuildRequest, RebuildRunner

log = logging.getLogger("feedpub.publish")

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


# An attempt's planning, given the root it read and the keys: its Plan, or None if it cannot go on.
PlanFor = Callable[[dict[str, Any], list[str]], Plan | None]


class _Run(RunContext):
    """One publish run: its attempts, its report, and the commit/flush protocol."""

    def __init__(
        self, publisher: Publisher, merging: str | None = None, finishing: str | None = None
    ) -> None:
        super().__init__(publisher)
        self.started = time.perf_counter()
        self.reader = RecordReader(self)
        self.writer = OutputWriter(self, finishing)
        self.planner = Planner(self, self.reader)
        self.committer = Committer(self, self.reader, self.writer)
        # Records that changed behind an earlier attempt's back (a merge reads them again).
        self.taken_in: set[str] = set()
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
        root, failed = self._attempt(keys, lambda root, keys: self.planner.plan(root, keys, force_rebuild))
        if self.planner.request is not None:
            return self._hand_over(keys, self.planner.request)
        if root is not None and self.rendering is not None:
            return self._render_elsewhere(root)
        return self._finish(failed=failed, root=root)

    def merge(self, planned: PlannedRebuild, part: PartEntries, items: ItemSource | None) -> PublishReport:
        self.committer.item_source = items
        root, failed = self._attempt(
            sorted(part.entries),
            lambda root, keys: self.planner.merge_plan(root, planned, part, self.taken_in),
        )
        return self._finish(failed=failed, root=root)

    def read_entries(self, keys: Sequence[str], site: SiteConfig) -> PartEntries:
        root, _ = self.state.load_root()
        self.reader.known_media = dict(root.get("media", {}))
        self.site = site
        return self.reader.read_part(keys)

    def _hand_over(self, keys: list[str], request: RebuildRequest) -> PublishReport:
        """Have the publisher's runner rebuild: here and now (its report), or elsewhere (deferred)."""
        try:
            report = self.pub.rebuilds.run(self.pub, request)
        except Exception:
            log.exception("could not start the rebuild (%s); the keys will be retried", request.reason)
            return self._finish(failed=keys)
        if report is not None:
            if report.failed_keys:  # the rebuild is retried with these keys
                report.failed_keys = sorted({*report.failed_keys, *keys})
            return report
        log.info("rebuild started elsewhere: %s", request.reason)
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

    def _attempt(self, keys: list[str], plan_for: PlanFor) -> tuple[dict[str, Any] | None, list[str]]:
        """Attempts until one commits and writes its outputs: (its root, []), or (None, the keys to retry)."""
        committer = self.committer
        conflicts = taken_in = 0
        while conflicts < self.pub.attempts:
            self.reader.forget()
            self.report.failed_keys = []
            self.rendering = self.merging
            try:
                root, etag = self.state.load_root()
                self.reader.known_media = dict(root.get("media", {}))
                plan = plan_for(root, keys)
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
                old_ids = None
                if plan.fresh and plan.site:
                    old_ids = committer.start_from_scratch(tx, plan.site, self.rendering)
                if plan.site is not None and not plan.fresh:  # a feed-level change, or none at all
                    tx.root["site"] = {"etag": plan.site.etag, "text": plan.site.body.decode("utf-8-sig")}
                    tx.root["site_warnings"] = []  # they were about the previous site.yaml
                if plan.change is not None:
                    tx.restyle(regroup=plan.change is SiteChange.MEMBERSHIP)
                    # Every archive document changes: written in render parts, not by this run.
                    from feedpub.publish.rebuild import new_plan_id

                    self.restyling = self.restyling or new_plan_id("site-yaml-feeds", self.now)
                    self.rendering = self.restyling
                    committer.take_render_lease(tx, self.rendering)
                records = [key for key in plan.records if key not in self.report.failed_keys]
                committer.apply_changes(tx, records, plan.precomputed)
                if old_ids is not None:
                    committer.warn_of_new_ids(tx, old_ids)
                show_news = committer.check_show(tx, site_read=plan.site is not None)
                committed = committer.commit(
                    tx,
                    etag,
                    fresh=plan.fresh,
                    force=plan.site is not None,
                    deferred=self.rendering is not None,
                )
                if committed is not None:
                    root, etag = committed
                committer.note_outcomes(tx, rebuilt, show_news)
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
                    committer.poisoned[exc.key] = (exc.etag, exc.reason)
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
            if self.planner.rebuild_in_flight(root):
                return self._finish()
            return self._hand_over(
                [SITE_FILE], RebuildRequest(f"reconcile found {len(stale)} records to apply")
            )
        return self.apply([SITE_FILE, *stale])

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
