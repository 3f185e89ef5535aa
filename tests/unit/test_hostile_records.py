"""Hostile records: episode front matter, author lists and media files. Every value is published as a
bounded, valid value or rejected naming the field, and a media file crafted to trip its parser is
only left unread.
"""

from __future__ import annotations

import os
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mutagen
import pytest

from feedpub.build import check_directory
from feedpub.config import parse_site
from feedpub.errors import RecordError
from feedpub.podcast.episode import MAX_DURATION
from feedpub.podcast.media import inspect
from feedpub.records import parse_record
from tests.support.audio import tone_mp3

SITE_YAML = (
    b"title: The Cutting Room\nbase_url: https://feeds.example.org/\nhome_page_url: https://www.example.org/\n"
    b"description: Film news.\nlanguage: en\n"
    b"podcast:\n  image: https://www.example.org/show.jpg\n  categories: [Arts]\n  explicit: false\n"
    b"  owner: {email: desk@example.org}\n"
)
SITE = parse_site(SITE_YAML)
ENCLOSURE = "enclosure: {url: 'https://cdn.example.org/ep.mp3', mime_type: audio/mpeg, length: 1000}\n"


def _episode(line: str) -> Any:
    front = f"---\ntitle: Stunts\ndate: 2025-05-01\n{ENCLOSURE}{line}\n---\nNotes.\n"
    return parse_record("articles/ep.md", front.encode(), SITE).episode


def _rejection(line: str) -> str:
    with pytest.raises(RecordError) as caught:
        _episode(line)
    return caught.value.reason


@pytest.mark.parametrize("field", ["episode", "season"])
@pytest.mark.parametrize("value", ["'²'", "'³'", "'١٢'", "'12abc'", "'1_000'", "0", "-3", "2147483648"])
def test_given_a_number_that_is_not_ascii_digits_when_parsed_then_the_rejection_names_the_field(
    field: str, value: str
) -> None:
    # Given an episode or season number in superscript or another script's digits (which
    # str.isdigit() takes and int() then refused with a Python error as the reason), when the
    # record is parsed, then it is rejected naming the field and what it must be.
    reason = _rejection(f"{field}: {value}")
    assert reason.startswith(f"{field} must be a whole number from 1 to 2147483647, not ")
    assert "invalid literal" not in reason


@pytest.mark.parametrize("value", ["'99999999:00:00'", "100000000", "1.0e+20", ".inf"])
def test_given_a_duration_past_three_years_when_parsed_then_it_is_rejected_naming_the_bound(
    value: str,
) -> None:
    # Given a duration no episode has (a clock time of 99,999,999 hours passed before, giving a
    # 12-digit itunes:duration), when parsed, then the record is rejected naming the bound.
    assert "is over 99999999 seconds (three years)" in _rejection(f"duration: {value}")


@pytest.mark.parametrize("value", [".nan", "-1", "'³'", "'٣:٠٠'", "'1:60:00'"])
def test_given_a_duration_that_is_not_a_time_when_parsed_then_it_is_rejected(value: str) -> None:
    # Given a duration in superscript or another script's digits (int() refused "³" with a Python
    # error as the reason), negative or not a number, then the record is rejected saying the forms.
    assert _rejection(f"duration: {value}").startswith("duration must be seconds or H:MM:SS, not ")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1:02:03", 3723),
        ("'1:02:03'", 3723),
        ("'59:03'", 3543),
        ("'00000000001'", 1),
        ("99999999.9", MAX_DURATION - 1),
    ],
)
def test_given_a_duration_in_range_when_parsed_then_it_is_whole_seconds_below_the_bound(
    value: str, seconds: int
) -> None:
    assert _episode(f"duration: {value}").duration == seconds


def _xing_mp3(frames: int) -> bytes:
    """An MPEG-1 Layer III frame whose Xing header claims `frames` frames, then three plain frames."""
    header = bytes([0xFF, 0xFB, 0x90, 0x64])  # 128 kbit/s, 44.1 kHz, stereo: 417-byte frames
    first = bytearray(413)
    first[32:44] = b"Xing" + struct.pack(">II", 1, frames)  # after stereo side info: frame count only
    return header + bytes(first) + (header + bytes(413)) * 3


def _inspect(name: str, data: bytes) -> Any:
    return inspect(name, len(data), "etag", lambda start, end: data[start : end + 1])


def test_given_an_mp3_whose_header_claims_years_when_inspected_then_it_gives_no_duration() -> None:
    # Given an MP3 whose Xing header claims 2^32 - 1 frames (mutagen reads 3.5 years from it),
    # when inspected, then it has its size and type but no duration: an author may not write a
    # duration past MAX_DURATION, and a header may not either.
    info = _inspect("ep.mp3", _xing_mp3(0xFFFFFFFF))
    assert info.mime_type == "audio/mpeg"
    assert info.size == 1668
    assert info.duration is None
    assert _inspect("ep.mp3", tone_mp3(2.0)).duration == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize("error", [ZeroDivisionError, AttributeError, TypeError, RecursionError, MemoryError])
def test_given_a_file_that_trips_the_parser_when_inspected_then_it_is_unread_not_a_failed_run(
    error: type[Exception], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a media file on which the format parser raises an error of its own (not one of the
    # few it documents), when inspected, then the file keeps its name's type and size and has no
    # duration: before, the error escaped and failed the run, which was retried for ever.
    def tripped(file: object) -> None:
        raise error("crafted header")

    monkeypatch.setattr(mutagen, "File", tripped)
    info = _inspect("ep.mp3", tone_mp3(1.0))
    assert (info.mime_type, info.duration) == ("audio/mpeg", None)


@pytest.mark.parametrize("field", ["author", "authors"])
def test_given_a_record_crediting_more_than_100_authors_when_parsed_then_it_is_rejected(field: str) -> None:
    # Given a record crediting 300 authors (each author is a feed in three formats: one record made
    # one run write over 900 documents, and a few thousand would time the run out at every retry),
    # when parsed, then it is rejected naming the limit, as a record with over 100 tags is.
    names = ", ".join(f"writer{number}" for number in range(300))
    front = f"---\ntitle: Crowd\ndate: 2025-05-01\n{field}: [{names}]\n---\nx\n"
    with pytest.raises(RecordError) as caught:
        parse_record("articles/crowd.md", front.encode(), SITE)
    assert caught.value.reason == "has 300 authors; at most 100 (each author is a feed of its own)"
    hundred = ", ".join(f"writer{number}" for number in range(100))
    record = parse_record("articles/crowd.md", front.replace(names, hundred).encode(), SITE)
    assert len(record.authors) == 100


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_given_a_media_file_that_is_a_fifo_or_a_device_when_checked_then_its_record_is_rejected_at_once(
    kind: str, tmp_path: Path
) -> None:
    # Given a content directory whose episode file is a FIFO (opening it waited for a writer for
    # ever: `feedpub check` and `build` hung) or a link to a device, when checked, then the record
    # naming it is rejected saying what the file is, and the other episode is published.
    (tmp_path / "articles").mkdir()
    (tmp_path / "media").mkdir()
    (tmp_path / "site.yaml").write_bytes(SITE_YAML)
    if kind == "fifo":
        os.mkfifo(tmp_path / "media" / "ep.mp3")
    else:
        (tmp_path / "media" / "ep.mp3").symlink_to("/dev/zero")
    (tmp_path / "media" / "good.mp3").write_bytes(tone_mp3(1.0))
    for name, media in (("ep", "ep.mp3"), ("good", "good.mp3")):
        front = f"---\ntitle: {name}\ndate: 2025-05-01\nenclosure: media/{media}\n---\nx\n"
        (tmp_path / "articles" / f"{name}.md").write_text(front)

    result = check_directory(tmp_path, datetime(2026, 1, 1, tzinfo=UTC))

    assert [(error.path, error.reason) for error in result.rejected] == [
        ("articles/ep.md", "enclosure media/ep.mp3 is not a regular file (a FIFO, a device or a link to one)")
    ]
    assert result.published == 1


@pytest.mark.parametrize(
    ("field", "item", "plural"),
    [
        ("persons", "{name: Jo, role: guest}", "persons"),
        ("transcript", "'/t.vtt'", "transcripts"),
        ("transcripts", "'/t.vtt'", "transcripts"),
    ],
)
def test_given_an_episode_listing_over_50_persons_or_transcripts_when_parsed_then_it_is_rejected(
    field: str, item: str, plural: str
) -> None:
    # Given an episode with 3,000 persons or 2,000 transcripts (each a tag in every copy of the show
    # feed and of its state, which feed_max_bytes cannot shorten: five such episodes made a 2 MB
    # podcast.xml under a 100 kB budget and 6.6 MB of state), when parsed, then it is rejected
    # naming the limit; 50 are published.
    many = ", ".join([item] * 3000)
    assert _rejection(f"{field}: [{many}]") == f"has 3000 {plural}; at most 50 (each is a tag in podcast.xml)"
    episode = _episode(f"{field}: [{', '.join([item] * 50)}]")
    assert len(episode.persons if field == "persons" else episode.transcripts) == 50


def test_given_a_title_over_1000_characters_when_parsed_then_the_record_is_rejected() -> None:
    # Given titles of 300,000 characters (five of them made 2 MB feeds under a 100 kB budget and
    # 9 MB of publisher state: feed_max_bytes shortens content, never titles), when parsed, then
    # the record is rejected naming the limit; a title of 1,000 characters is published.
    assert _rejection_of("title: '" + "T" * 300_000 + "'") == "title is 300000 characters long; at most 1000"
    assert len(_record("title: '" + "T" * 1000 + "'").title) == 1000


@pytest.mark.parametrize(
    ("line", "warning"),
    [
        ("author: '" + "a" * 201 + "'", "author is 201 characters long; at most 200 (author ignored)"),
        (
            "author: {name: '" + "a" * 201 + "'}",
            "author name is 201 characters long; at most 200 (author ignored)",
        ),
        (
            "tags: [ok, '" + "g" * 201 + "']",
            "each of tags is 201 characters long; at most 200 (tags ignored)",
        ),
    ],
)
def test_given_an_author_or_tag_name_over_200_characters_when_parsed_then_it_is_ignored_with_a_warning(
    line: str, warning: str
) -> None:
    # Given an author's name or a tag of over 200 characters (each is the title of a feed of its own
    # and in every item that credits it), when parsed, then the field is ignored with a warning
    # naming the limit, as site.yaml's names are bounded, and the record is published.
    record = _record(line)
    assert warning in record.warnings
    assert all(len(person.name or "") <= 200 for person in record.authors)
    assert all(len(tag) <= 200 for tag in record.tags)


def _record(line: str) -> Any:
    """A plain article (no enclosure) with this front-matter line, which may give its title."""
    title = "" if line.startswith("title:") else "title: Stunts\n"
    front = f"---\n{title}date: 2025-05-01\n{line}\n---\nNotes.\n"
    return parse_record("articles/post.md", front.encode(), SITE)


def _rejection_of(line: str) -> str:
    with pytest.raises(RecordError) as caught:
        _record(line)
    return caught.value.reason
