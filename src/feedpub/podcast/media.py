"""Episode media uploaded beside the articles (`media/` in the content bucket): names, types, inspection.

An article says `enclosure: media/ep12.mp3`; feedpub publishes that file at the same path under
`base_url` and reads the enclosure's length, its media type and the episode's duration from the
file itself. The file is read by byte ranges (mutagen reads a header, seeks, reads a frame or a
box index), never as a whole: an episode of 500 MB costs a handful of small GETs.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from stat import S_ISDIR, S_ISREG
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from feedpub.errors import RecordError
from feedpub.model import Enclosure, Record
from feedpub.podcast.episode import MAX_DURATION, Episode

if TYPE_CHECKING:
    from feedpub.config import SiteConfig

MEDIA_PREFIX = "media/"
# A media key as it may be published: segments of URL-safe characters, none hidden or a dot segment,
# so the public path needs no escaping and the edge's pattern stays simple.
SEGMENT = r"[A-Za-z0-9_-][A-Za-z0-9._-]*"
MEDIA_KEY = re.compile(rf"media/(?:{SEGMENT}/)*{SEGMENT}")
# By file extension: the types Apple Podcasts lists for the formats it plays (audio/x-m4a, not
# audio/mp4), then common podcast formats other apps play.
MEDIA_TYPES = {
    "mp3": "audio/mpeg",
    "m4a": "audio/x-m4a",
    "mp4": "video/mp4",
    "m4v": "video/x-m4v",
    "mov": "video/quicktime",
    "pdf": "application/pdf",
    "epub": "application/epub+zip",
    "aac": "audio/aac",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/opus",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "webm": "video/webm",
}
# By what mutagen recognised in the file: the type of a file whose name does not say.
FORMAT_TYPES = {
    "MP3": "audio/mpeg",
    "MP4": "audio/mp4",
    "AAC": "audio/aac",
    "OggVorbis": "audio/ogg",
    "OggOpus": "audio/ogg",
    "OggFLAC": "audio/ogg",
    "FLAC": "audio/flac",
    "WAVE": "audio/wav",
    "AIFF": "audio/aiff",
}
# Types of the formats mutagen reads: a file of one of them in which it finds no audio or video is
# damaged or not what its name says (a web page saved as .mp3), and players will fail on it.
INSPECTED_TYPES = frozenset(
    [*FORMAT_TYPES.values(), "audio/x-m4a", "video/mp4", "video/x-m4v", "video/quicktime"]
)
# What Apple Podcasts plays (by file extension, as Apple and the W3C validator decide it).
APPLE_EXTENSIONS = ("m4a", "mp3", "mov", "mp4", "m4v", "pdf", "epub")
# Reading a file's header, index and first frames: blocks of this size, at most this many bytes.
BLOCK = 64 * 1024
READ_BUDGET = 16 * 1024 * 1024

# read_range(start, end) -> the bytes start..end inclusive (an HTTP Range), fewer at the end of the file.
RangeReader = Callable[[int, int], bytes]


class MediaInfo(BaseModel):
    """What a media file says about itself; kept in the publisher's state by the file's ETag."""

    model_config = ConfigDict(frozen=True)

    size: int  # bytes
    etag: str
    mime_type: str | None  # None: neither the name nor the content says
    duration: float | None = None  # seconds, when the file is audio or video mutagen can read
    format: str | None = None  # what mutagen recognised (MP3, MP4, ...), None if nothing


def is_media_key(key: str) -> bool:
    return key.startswith(MEDIA_PREFIX)


def media_key_problem(key: str) -> str | None:
    """Why a `media/...` name cannot be published, or None."""
    if not MEDIA_KEY.fullmatch(key):
        return (
            f"'{key}' is not a media file name feedpub publishes: use letters, digits, '.', '_' and '-' "
            "in each part of the path, none starting with '.'"
        )
    return None


def extension(key: str) -> str:
    return PurePosixPath(key.split("?", 1)[0]).suffix.lower().removeprefix(".")


def type_from_name(key: str) -> str | None:
    return MEDIA_TYPES.get(extension(key))


def is_episode_type(mime_type: str | None) -> bool:
    """Whether an enclosure of this type makes its record a podcast episode (audio or video)."""
    return mime_type is not None and mime_type.split("/", 1)[0].lower() in ("audio", "video")


class RangeFile(io.RawIOBase):
    """A read-only, seekable file over byte-range reads, in blocks, with a budget of bytes.

    mutagen needs a seekable file; this one fetches only the blocks it touches.
    """

    def __init__(self, read_range: RangeReader, size: int, name: str, budget: int = READ_BUDGET) -> None:
        super().__init__()
        self._read_range = read_range
        self._size = size
        self._position = 0
        self._blocks: dict[int, bytes] = {}
        self._budget = budget
        self.name = name  # mutagen weighs the file name's extension when it guesses the format
        self.requests = 0
        self.bytes_read = 0
        self.error: Exception | None = None  # the store's, which must not pass for a damaged file

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError("seek before the start of the file")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        end = min(self._position + len(buffer), self._size)
        if end <= self._position:
            return 0
        data = b"".join(
            self._block(index) for index in range(self._position // BLOCK, (end - 1) // BLOCK + 1)
        )
        start = self._position % BLOCK
        chunk = data[start : start + end - self._position]
        buffer[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)

    def _block(self, index: int) -> bytes:
        block = self._blocks.get(index)
        if block is None:
            start = index * BLOCK
            end = min(start + BLOCK, self._size) - 1
            if self.bytes_read + end - start + 1 > self._budget:
                raise OSError(f"reading the file's header took over {self._budget} bytes")
            try:
                block = self._blocks[index] = self._read_range(start, end)
            except Exception as exc:
                self.error = exc
                raise OSError(f"cannot read bytes {start}-{end}") from exc
            self.requests += 1
            self.bytes_read += len(block)
        return block


def inspect(key: str, size: int, etag: str, read_range: RangeReader) -> MediaInfo:
    """Type and duration of a media file from its name and its first bytes (read by range).

    A file mutagen cannot read (a PDF, a damaged MP3) still has its size and the type its name
    says; it only lacks a duration. An error of `read_range` (the store's) is raised as it is.
    """
    import mutagen

    named = type_from_name(key)
    if size == 0:
        return MediaInfo(size=0, etag=etag, mime_type=named)
    file = RangeFile(read_range, size, PurePosixPath(key).name)
    try:
        found = mutagen.File(file)
    except Exception:  # an uploaded file may be crafted to trip any parser: it is then just unread
        found = None
    if file.error is not None:
        raise file.error
    if found is None or found.info is None:
        return MediaInfo(size=size, etag=etag, mime_type=named)
    length = getattr(found.info, "length", None)
    # A header may claim any length (an MP3's frame count, an MP4's duration): beyond what an
    # author may write, it is a damaged or crafted header, not a duration worth showing.
    duration = float(length) if isinstance(length, int | float) and 0 < length < MAX_DURATION else None
    detected = type(found).__name__
    mime_type = named or FORMAT_TYPES.get(detected)
    return MediaInfo(size=size, etag=etag, mime_type=mime_type, duration=duration, format=detected)


def with_media(record: Record, site: SiteConfig, info: MediaInfo | None, where: str) -> Record:
    """`record` with its enclosure made from its media file (`info`; None: the file is not there).

    The author's length and type win over the file's; the file's duration fills in an episode's
    when the author gave none. `where` names the place the file was looked for, for the rejection.
    """
    media = record.media
    if media is None:
        return record
    if info is None:
        reason = f"enclosure names {media.key}, which is not in {where}: upload it there"
        raise RecordError(record.path, reason)
    mime_type = media.mime_type or info.mime_type
    if mime_type is None:
        raise RecordError(
            record.path,
            f"cannot tell what kind of file {media.key} is (neither its name nor its content says): "
            "give the enclosure's mime_type",
        )
    length = media.length or info.size
    if not length:
        raise RecordError(record.path, f"enclosure {media.key} is an empty file")
    update: dict[str, object] = {
        "enclosure": Enclosure(url=site.base_url + media.key, mime_type=mime_type, length=length)
    }
    if info.format is None and mime_type.lower() in INSPECTED_TYPES:
        update["warnings"] = (
            *record.warnings,
            f"enclosure {media.key} has no {mime_type} audio or video in it (damaged, or another kind "
            "of file under that name): players will fail on it; upload the file again",
        )
    if site.podcast is not None and info.duration is not None:
        episode = record.episode or Episode()
        if episode.duration is None:
            update["episode"] = episode.model_copy(update={"duration": round(info.duration)})
    return record.model_copy(update=update)


class UnreadableMediaError(Exception):
    """A media file of a content directory that is there but cannot be read (the record is rejected)."""


class LocalMedia:
    """Media files of a content directory (`feedpub build` and `check`), read as the publisher reads S3."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def inspect(self, key: str) -> MediaInfo | None:
        """What the file says about itself, or None when there is no such file; UnreadableMediaError
        for one that cannot be read (opening a FIFO would wait for a writer for ever)."""
        path = self.root / key
        try:
            mode = os.stat(path).st_mode
            if S_ISDIR(mode):
                return None
            if not S_ISREG(mode):
                raise UnreadableMediaError(f"{key} is not a regular file (a FIFO, a device or a link to one)")
            with path.open("rb") as file:
                stat = os.fstat(file.fileno())

                def read_range(start: int, end: int) -> bytes:
                    file.seek(start)
                    return file.read(end - start + 1)

                return inspect(key, stat.st_size, f"{stat.st_size}-{stat.st_mtime_ns}", read_range)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as exc:
            raise UnreadableMediaError(f"{key} cannot be read: {exc.strerror or exc}") from exc
