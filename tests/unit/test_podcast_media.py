"""Episode media: length, type and duration read from the file by byte ranges (mutagen), and the
store operations the publisher uses for it (HEAD, ranged GET of one version, server-side copy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedpub.config import parse_site
from feedpub.errors import RecordError
from feedpub.model import Enclosure, Record
from feedpub.podcast.media import (
    BLOCK,
    LocalMedia,
    MediaInfo,
    RangeFile,
    inspect,
    is_episode_type,
    type_from_name,
    with_media,
)
from feedpub.publish.memstore import MemoryStore
from feedpub.publish.store import NotFoundError, PreconditionFailedError
from feedpub.records import parse_record
from tests.support.audio import sample_episode, tone_mp3


def inspect_stored(store: MemoryStore, key: str) -> MediaInfo:
    head = store.head(key)
    return inspect(
        key, head.size, head.etag, lambda start, end: store.get_range(key, start, end, if_match=head.etag)
    )


def test_given_an_mp3_in_the_store_when_inspected_then_length_type_and_duration_come_from_the_file() -> None:
    store = MemoryStore()
    data = sample_episode()
    etag = store.put("media/episode-12.mp3", data)
    info = inspect_stored(store, "media/episode-12.mp3")
    assert (info.size, info.etag, info.mime_type, info.format) == (len(data), etag, "audio/mpeg", "MP3")
    assert info.duration == pytest.approx(5.0, abs=0.1)


def test_given_a_long_episode_when_inspected_then_only_a_few_blocks_are_read_never_the_whole_file() -> None:
    # Given two minutes of audio (about 480 kB, several blocks), when inspected, then the ranged GETs
    # cover a small part of the file and the duration is still right.
    store = MemoryStore()
    data = tone_mp3(120.0)
    store.put("media/long.mp3", data)
    info = inspect_stored(store, "media/long.mp3")
    assert info.duration == pytest.approx(120.0, abs=0.2)
    read = sum(end - start + 1 for _, start, end in store.ranges)
    assert len(data) > 4 * BLOCK
    assert read <= 2 * BLOCK < len(data)
    assert all(end - start + 1 <= BLOCK for _, start, end in store.ranges)


def test_given_mp3_bytes_under_a_name_without_a_known_extension_when_inspected_then_the_content_decides() -> (
    None
):
    store = MemoryStore()
    store.put("media/episode-12", sample_episode())
    info = inspect_stored(store, "media/episode-12")
    assert (info.mime_type, info.format) == ("audio/mpeg", "MP3")


def test_given_a_file_that_is_not_audio_when_inspected_then_its_name_gives_the_type_and_no_duration() -> None:
    store = MemoryStore()
    store.put("media/notes.pdf", b"%PDF-1.4\n" + b"0" * 5000)
    assert inspect_stored(store, "media/notes.pdf") == MediaInfo(
        size=5009, etag=store.head("media/notes.pdf").etag, mime_type="application/pdf"
    )
    store.put("media/noise.bin", bytes(range(256)) * 10)
    assert inspect_stored(store, "media/noise.bin").mime_type is None


def test_given_a_damaged_mp3_when_inspected_then_it_keeps_its_size_and_type_without_a_duration() -> None:
    store = MemoryStore()
    store.put("media/broken.mp3", b"ID3" + b"\xff" * 3000)
    info = inspect_stored(store, "media/broken.mp3")
    assert (info.size, info.mime_type, info.duration) == (3003, "audio/mpeg", None)


def test_given_a_file_replaced_while_read_when_inspected_then_the_store_error_is_raised_not_hidden() -> None:
    # Given the HEAD of one version, when another version replaces it before the ranged GET, then
    # the conditional GET fails and inspection says so (it never mixes two versions' bytes).
    store = MemoryStore()
    store.put("media/ep.mp3", sample_episode())
    head = store.head("media/ep.mp3")
    store.put("media/ep.mp3", tone_mp3(2.0))
    with pytest.raises(PreconditionFailedError):
        inspect(
            "media/ep.mp3",
            head.size,
            head.etag,
            lambda start, end: store.get_range("media/ep.mp3", start, end, if_match=head.etag),
        )


def test_given_a_header_larger_than_the_budget_when_inspected_then_reading_stops_without_a_duration() -> None:
    data = sample_episode()
    file = RangeFile(lambda start, end: data[start : end + 1], len(data), "ep.mp3", budget=100)
    with pytest.raises(OSError, match="took over 100 bytes"):
        file.read(10)
    assert file.error is None  # the budget, not the store: the file is only unreadable here


def test_range_file_reads_and_seeks_like_a_file() -> None:
    data = bytes(range(256)) * 1000
    file = RangeFile(lambda start, end: data[start : end + 1], len(data), "x.bin")
    assert file.read(3) == b"\x00\x01\x02"
    file.seek(BLOCK - 2)
    assert file.read(4) == data[BLOCK - 2 : BLOCK + 2]
    file.seek(-5, 2)
    assert file.read() == data[-5:]
    assert file.read(1) == b""
    assert file.requests == 3  # blocks 0, 1 and the last one, each fetched once


def test_store_copy_moves_one_version_and_head_of_a_missing_file_is_not_found() -> None:
    content, published = MemoryStore(), MemoryStore()
    etag = content.put("media/ep.mp3", b"audio")
    published.copy_from(
        content, "media/ep.mp3", if_match=etag, content_type="audio/mpeg", cache_control="public, max-age=60"
    )
    assert published.get("media/ep.mp3").body == b"audio"
    assert published.headers("media/ep.mp3") == ("audio/mpeg", "public, max-age=60")
    with pytest.raises(PreconditionFailedError):
        published.copy_from(
            content, "media/ep.mp3", if_match="stale", content_type="audio/mpeg", cache_control="x"
        )
    with pytest.raises(NotFoundError):
        content.head("media/gone.mp3")


@pytest.mark.parametrize(
    ("name", "mime_type", "episode"),
    [
        ("media/a.mp3", "audio/mpeg", True),
        ("media/a.M4A", "audio/x-m4a", True),
        ("media/a.mp4", "video/mp4", True),
        ("media/a.mov", "video/quicktime", True),
        ("media/a.pdf", "application/pdf", False),
        ("media/a.txt", None, False),
    ],
)
def test_types_by_file_name_follow_apples_list(name: str, mime_type: str | None, episode: bool) -> None:
    assert type_from_name(name) == mime_type
    assert is_episode_type(mime_type) is episode


SHOW = parse_site(
    b"title: The Cutting Room\nbase_url: https://feeds.example.org/\ndescription: Film news.\nlanguage: en\n"
    b"podcast:\n  image: https://www.example.org/show.jpg\n  categories: [TV & Film]\n  explicit: false\n"
    b"  owner: {email: desk@example.org}\n"
)


def episode(front: str) -> Record:
    return parse_record("articles/ep.md", f"---\ntitle: Ep\ndate: 2024-04-05\n{front}---\n".encode(), SHOW)


def test_given_a_media_file_when_the_record_is_completed_then_the_file_gives_length_type_and_duration() -> (
    None
):
    info = MediaInfo(size=20271, etag="e", mime_type="audio/mpeg", duration=5.07, format="MP3")
    record = with_media(episode("enclosure: media/ep12.mp3\n"), SHOW, info, "the content bucket")
    assert record.enclosure == Enclosure(
        url="https://feeds.example.org/media/ep12.mp3", mime_type="audio/mpeg", length=20271
    )
    assert record.episode is not None
    assert record.episode.duration == 5


def test_given_the_authors_values_when_the_record_is_completed_then_they_win_over_the_files() -> None:
    info = MediaInfo(size=20271, etag="e", mime_type="audio/mpeg", duration=5.07)
    front = "enclosure: {url: media/ep12.mp3, mime_type: audio/x-m4a, length: 99}\nduration: 3000\n"
    record = with_media(episode(front), SHOW, info, "the content bucket")
    assert record.enclosure == Enclosure(
        url="https://feeds.example.org/media/ep12.mp3", mime_type="audio/x-m4a", length=99
    )
    assert record.episode is not None
    assert record.episode.duration == 3000


@pytest.mark.parametrize(
    ("info", "reason"),
    [
        (None, "enclosure names media/ep12.mp3, which is not in content/media: upload it there"),
        (MediaInfo(size=10, etag="e", mime_type=None), "cannot tell what kind of file media/ep12.mp3 is"),
        (MediaInfo(size=0, etag="e", mime_type="audio/mpeg"), "enclosure media/ep12.mp3 is an empty file"),
    ],
)
def test_given_a_missing_or_unusable_media_file_when_the_record_is_completed_then_it_is_rejected(
    info: MediaInfo | None, reason: str
) -> None:
    with pytest.raises(RecordError) as caught:
        with_media(episode("enclosure: media/ep12.mp3\n"), SHOW, info, "content/media")
    assert caught.value.path == "articles/ep.md"
    assert caught.value.reason.startswith(reason)


def test_given_a_content_directory_when_its_media_is_read_then_files_are_inspected_and_others_are_absent(
    tmp_path: Path,
) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "ep.mp3").write_bytes(sample_episode())
    (tmp_path / "media" / "folder.mp3").mkdir()
    local = LocalMedia(tmp_path)
    info = local.inspect("media/ep.mp3")
    assert info is not None
    assert (info.mime_type, info.size) == ("audio/mpeg", len(sample_episode()))
    assert info.duration == pytest.approx(5.0, abs=0.1)
    assert local.inspect("media/missing.mp3") is None
    assert local.inspect("media/folder.mp3") is None
    assert local.inspect("media/ep.mp3/x") is None


@pytest.mark.parametrize(
    ("name", "body"),
    [("ep12.mp3", b"<!doctype html><title>Not found</title>" * 100), ("ep12.m4a", b"ID3" + b"\xff" * 3000)],
)
def test_given_an_episode_file_with_no_audio_in_it_when_completed_then_it_is_published_with_a_warning(
    name: str, body: bytes
) -> None:
    # Given a page of HTML saved as .mp3 and a damaged .m4a: their names say audio, their bytes do not
    store = MemoryStore()
    store.put(f"media/{name}", body)
    info = inspect_stored(store, f"media/{name}")
    # When the record naming it is completed
    record = with_media(episode(f"enclosure: media/{name}\n"), SHOW, info, "the content bucket")
    # Then it still goes out with the file's size and its name's type, and the author is told why
    # players may fail on it
    assert record.enclosure is not None
    assert record.enclosure.length == len(body)
    warned = [w for w in record.warnings if f"enclosure media/{name} has no" in w]
    assert warned
    assert "upload the file again" in warned[0]


def test_given_real_audio_or_a_document_when_the_record_is_completed_then_no_content_warning() -> None:
    store = MemoryStore()
    store.put("media/ep12.mp3", sample_episode())
    store.put("media/notes.pdf", b"%PDF-1.4\n" + b"0" * 5000)
    for key in ("media/ep12.mp3", "media/notes.pdf"):
        record = with_media(episode(f"enclosure: {key}\n"), SHOW, inspect_stored(store, key), "content/media")
        assert not [w for w in record.warnings if "enclosure" in w]
