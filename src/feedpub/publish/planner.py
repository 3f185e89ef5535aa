"""What each attempt of a publish run will do, decided after it reads the root: which records it
reads and applies, whether it starts the state over (a rebuild's merge), which site.yaml it records,
or that it hands a rebuild over instead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from feedpub.config import SITE_FILE, SiteChange, parse_site, site_change
from feedpub.errors import SiteConfigError
from feedpub.podcast.media import MEDIA_PREFIX
from feedpub.publish.context import RunContext, report_log, stored_site
from feedpub.publish.outputs import is_media_path
from feedpub.publish.reader import PartEntries, RecordReader, Unreadable
from feedpub.publish.store import NotFoundError, StoredObject, UnreadableObjectError
from feedpub.publish.tx import Entry

if TYPE_CHECKING:
    from feedpub.publish.rebuild import PlannedRebuild, RebuildRequest

log = logging.getLogger("feedpub.publish")

ARTICLES_PREFIX = "articles/"


class Plan:
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


class Planner:
    """Plans a run's attempts, reading site.yaml and the records they need with the run's reader."""

    def __init__(self, run: RunContext, reader: RecordReader) -> None:
        self.run = run
        self.report = run.report
        self.reader = reader
        self.request: RebuildRequest | None = None  # a rebuild the run hands to the publisher's runner

    def plan(self, root: dict[str, Any], keys: Sequence[str], force_rebuild: bool) -> Plan | None:
        """Read site.yaml if needed and the content the attempt needs; None if it cannot go on (or if
        the run is to hand a rebuild over: `self.request`)."""
        from feedpub.publish.rebuild import RebuildRequest

        state_site = stored_site(root)
        self.run.site = state_site
        new_site: StoredObject | None = None
        change: SiteChange | None = None
        if force_rebuild or state_site is None or SITE_FILE in keys:
            new_site = self._read_site()
            if new_site is None:  # a site error (reported) or a failed read (retried)
                return None
            change = (
                SiteChange.RECORDS if state_site is None else site_change(state_site, self.run.site_config())
            )
            if force_rebuild or change is SiteChange.RECORDS:
                if state_site is None:
                    reason = "no published state"
                elif force_rebuild:
                    reason = "rebuild requested"
                else:
                    reason = "site.yaml changed"
                if force_rebuild or not self.rebuild_in_flight(root, new_site.etag):
                    self.request = RebuildRequest(reason, "" if force_rebuild else new_site.etag)
                    return None
                if state_site is None:  # a first build is in flight: these keys wait for its commit
                    self.report.failed_keys = list(keys)
                    return None
                # The rebuild in flight takes in what this run commits under the published site.yaml.
                self.run.site, new_site, change = state_site, None, None
            if new_site is not None and root["site"] is not None and root["site"]["etag"] == new_site.etag:
                new_site = None  # nothing new to record
        # A media file that changed or went: the records naming it are taken in again.
        named = root.get("media_refs", {})
        media = [key for key in keys if is_media_path(key)]
        records = sorted({key for key in keys if key not in media and key != SITE_FILE})
        records = sorted({*records, *(record for key in media for record in named.get(key, []))})
        self.reader.fetch(records)
        return Plan(records, site=new_site, change=change)

    def rebuild_in_flight(self, root: dict[str, Any], site_etag: str | None = None) -> bool:
        """True if a rebuild run elsewhere holds the lease (for this site.yaml version, if given)."""
        from feedpub.publish.rebuild import live_lease

        if not self.run.pub.rebuilds.concurrent:
            return False
        lease = live_lease(root, self.run.now)
        if lease is None or (site_etag is not None and lease["site"] != site_etag):
            return False
        log.info("a rebuild is in flight (%s): it takes these changes in", lease["plan"])
        return True

    def merge_plan(
        self, root: dict[str, Any], planned: PlannedRebuild, part: PartEntries, taken_in: set[str]
    ) -> Plan | None:
        """Check the rebuild still holds the lease, re-read every record committed or changed since
        its parts read them (or `taken_in` by an earlier attempt), and start the state over from the
        parts' entries."""
        from feedpub.records import is_record_path

        lease = root.get("rebuild")
        if lease is None or lease["plan"] != planned.id:
            if root["site"] is not None and root["site"]["etag"] == planned.site.etag:
                # Committed by an earlier attempt of this merge (or an equal rebuild): finish its writes.
                self.run.site = stored_site(root)
                return Plan([])
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
            item.key: item.etag
            for item in self.run.pub.content.list(ARTICLES_PREFIX)
            if is_record_path(item.key)
        }
        listed_media = {item.key: item.etag for item in self.run.pub.content.list(MEDIA_PREFIX)}

        def read_again(key: str) -> bool:
            """The record, or the media file it names, is not the version its part read."""
            entry = entries.get(key)
            if entry is None or listed.get(key) != entry["etag"]:
                return True
            media = entry.get("media")
            return media is not None and listed_media.get(media["key"]) != media["etag"]

        differ = {key for key in listed.keys() | entries.keys() if read_again(key)} | taken_in
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
        return Plan(keys, fresh=True, site=current, precomputed=precomputed)

    def _read_site(self) -> StoredObject | None:
        """Read and parse site.yaml into `self.run.site`; None if it cannot be (the report says why)."""
        try:
            stored = self.run.pub.content.get(SITE_FILE)
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
            self.run.site = parse_site(stored.body)
        except SiteConfigError as exc:
            self._site_error(exc)
            return None
        return stored

    def _site_error(self, exc: SiteConfigError) -> None:
        report_log.error("nothing published: %s", exc)
        self.report.site_error = str(exc)
