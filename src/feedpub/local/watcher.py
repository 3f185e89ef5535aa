"""Content directory → content bucket as files change (watchdog).

Every event is turned into "make this key match the disk": upload when the file exists and its
bytes differ from what was last uploaded, delete when it is gone. Editors' save dances (temp file,
rename, several modify events) then settle into at most one upload per real change. A directory
event (a folder of articles moved or deleted) re-syncs the whole directory.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from feedpub.local.sync import BucketSync, Digest, key_for

log = logging.getLogger("feedpub.local.watcher")


class ContentMirror:
    """Keeps the bucket's content keys equal to the directory's, one key at a time."""

    def __init__(self, content_dir: Path, sync: BucketSync) -> None:
        self.content_dir = content_dir
        self.sync = sync
        self._uploaded: dict[str, str] = {}  # key -> md5 of what this process last put
        self._lock = threading.Lock()

    def full_sync(self) -> None:
        with self._lock:
            plan, bodies = self.sync.plan(self.content_dir, delete=True)
            for key in plan.upload:
                self.sync.put(key, bodies[key])
            if plan.delete:
                self.sync.delete(plan.delete)
            self._uploaded = {key: Digest.of(body).md5 for key, body in bodies.items()}

    def refresh(self, path: Path) -> None:
        key = key_for(self.content_dir, path)
        if key is None:
            return
        with self._lock:
            try:
                body = path.read_bytes() if path.is_file() else None
            except OSError:  # vanished between the event and the read: the delete event follows
                return
            if body is None:
                if key in self._uploaded:
                    self.sync.delete([key])
                    del self._uploaded[key]
                    log.info("deleted %s", key)
                return
            md5 = Digest.of(body).md5
            if self._uploaded.get(key) != md5:
                self.sync.put(key, body)
                self._uploaded[key] = md5
                log.info("uploaded %s", key)


class _Events(FileSystemEventHandler):
    def __init__(self, mirror: ContentMirror) -> None:
        self.mirror = mirror

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        try:
            if event.is_directory:
                if event.event_type in ("moved", "deleted"):
                    self.mirror.full_sync()
                return
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                if raw:
                    self.mirror.refresh(Path(raw if isinstance(raw, str) else raw.decode()))
        except Exception:
            log.exception("could not mirror %s to the content bucket", event.src_path)


class ContentWatcher:
    def __init__(self, mirror: ContentMirror) -> None:
        self.mirror = mirror
        self._observer = Observer()
        self._observer.schedule(_Events(mirror), str(mirror.content_dir), recursive=True)

    def start(self) -> None:
        self._observer.start()

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join()
