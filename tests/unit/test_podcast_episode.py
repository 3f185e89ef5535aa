"""Episode front matter (episode, season, episode_type, duration, explicit, block, transcripts,
chapters, persons) and `enclosure: media/...`: read when a record is parsed on a site with a show."""

from __future__ import annotations

import pytest

from feedpub.config import parse_site
from feedpub.errors import RecordError
from feedpub.model import Enclosure, MediaRef, Record
from feedpub.podcast.episode import Episode, EpisodePerson, Transcript
from feedpub.records import parse_record

SITE_YAML = (
    b"title: The Cutting Room\nbase_url: https://feeds.example.org/\nhome_page_url: https://www.example.org/\n"
    b"description: Film news.\nlanguage: en\n"
    b"podcast:\n  image: https://www.example.org/show.jpg\n  categories: [TV & Film]\n  explicit: false\n"
    b"  owner: {email: desk@example.org}\n"
)
SHOW = parse_site(SITE_YAML)
SERIAL = parse_site(SITE_YAML + b"  type: serial\n")
NO_SHOW = parse_site(
    b"title: Blog\nbase_url: https://feeds.example.org/\nhome_page_url: https://www.example.org/\n"
)
HOME = "https://www.example.org/"
AUDIO = "enclosure: media/ep12.mp3\n"


def parse(front: str, site=SHOW, path: str = "articles/ep.md") -> Record:  # type: ignore[no-untyped-def]
    return parse_record(path, f"---\ntitle: Episode\ndate: 2024-04-05\n{front}---\nNotes.\n".encode(), site)


def rejection(front: str, site=SHOW) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(RecordError) as caught:
        parse(front, site)
    assert caught.value.path == "articles/ep.md"
    return caught.value.reason


def test_given_every_episode_field_when_parsed_then_each_reaches_the_record() -> None:
    record = parse(
        AUDIO
        + "episode: 12\nseason: 2\nepisode_type: Bonus\nduration: '01:02:03'\nexplicit: true\nblock: true\n"
        "transcripts:\n"
        "  - transcripts/ep12.vtt\n"
        "  - {url: https://cdn.example.org/ep12.json, type: application/json, language: es, rel: captions}\n"
        "chapters: chapters/ep12.json\n"
        "persons:\n"
        "  - Tom Hollis\n"
        "  - {name: Jo Park, role: guest, group: cast, img: /people/jo.jpg, href: https://jo.example.org/}\n"
    )
    assert record.episode == Episode(
        number=12,
        season=2,
        episode_type="bonus",
        duration=3723,
        explicit=True,
        block=True,
        transcripts=(
            Transcript(url=HOME + "transcripts/ep12.vtt", type="text/vtt"),
            Transcript(
                url="https://cdn.example.org/ep12.json",
                type="application/json",
                language="es",
                rel="captions",
            ),
        ),
        chapters=HOME + "chapters/ep12.json",
        persons=(
            EpisodePerson(name="Tom Hollis"),
            EpisodePerson(
                name="Jo Park",
                role="guest",
                group="cast",
                img=HOME + "people/jo.jpg",
                href="https://jo.example.org/",
            ),
        ),
    )


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("duration: 3000\n", 3000), ("duration: 50:00\n", 3000), ("duration: 1:02:03\n", 3723),
     ("duration: '7:05'\n", 425), ("duration: 12.6\n", 13), ("duration: '95'\n", 95)],
)  # fmt: skip
def test_given_a_duration_in_seconds_or_as_a_clock_when_parsed_then_it_is_whole_seconds(
    written: str, seconds: int
) -> None:
    episode = parse(AUDIO + written).episode
    assert episode is not None
    assert episode.duration == seconds


@pytest.mark.parametrize(
    ("front", "reason"),
    [
        ("episode: 0\n", "episode must be a whole number from 1 to 2147483647, not '0'"),
        ("episode: twelve\n", "episode must be a whole number"),
        ("episode: true\n", "episode must be a whole number"),
        ("season: -1\n", "season must be a whole number"),
        ("season: 99999999999\n", "season must be a whole number"),
        ("episode_type: teaser\n", "episode_type must be full, trailer or bonus, not 'teaser'"),
        ("duration: an hour\n", "duration must be seconds or H:MM:SS, not 'an hour'"),
        ("duration: -5\n", "duration must be seconds or H:MM:SS"),
        ("explicit: yes please\n", "explicit must be true or false, not 'yes please'"),
        ("block: 1\n", "block must be true or false"),
        (
            "transcript: ftp://example.org/t.vtt\n",
            "transcript url 'ftp://example.org/t.vtt' must be an http(s) URL",
        ),
        ("transcript: /t/ep12\n", "needs a type such as text/vtt"),
        ("transcript: {url: /t.vtt, type: vtt}\n", "transcript type 'vtt' is not a media type"),
        (
            "transcript: {url: /t.vtt, language: Spanish}\n",
            "transcript language 'Spanish' is not a language tag",
        ),
        ("transcript: {url: /t.vtt, rel: subtitles}\n", "transcript rel can only be captions"),
        ("transcript: {url: /t.vtt, format: vtt}\n", "a transcript has no field 'format'"),
        ("transcript: /a.vtt\ntranscripts: [/b.vtt]\n", "give either transcript or transcripts, not both"),
        ("transcripts: []\n", "transcripts is an empty list"),
        (
            "chapters: 'http://[::1/chapters.json'\n",
            "chapters 'http://[::1/chapters.json' is not a usable URL",
        ),
        ("persons: [{role: host}]\n", "person name must be text"),
        ("persons: [{name: Jo, email: jo@example.org}]\n", "a person has no field 'email'"),
        ("persons: [{name: Jo, img: 'javascript:alert(1)'}]\n", "person img"),
    ],
)
def test_given_a_wrong_episode_field_when_parsed_then_the_record_is_rejected_naming_it(
    front: str, reason: str
) -> None:
    assert reason in rejection(AUDIO + front)


def test_given_a_serial_show_when_a_full_episode_has_no_number_then_it_is_rejected_naming_the_rule() -> None:
    reason = rejection(AUDIO, SERIAL)
    assert "has no 'episode' number, and the show is serial (site.yaml podcast.type)" in reason
    assert "every full episode needs one" in rejection(AUDIO + "episode_type: full\n", SERIAL)
    numbered = parse(AUDIO + "episode: 3\n", SERIAL).episode
    assert numbered is not None
    assert numbered.number == 3


def test_given_a_serial_show_when_a_trailer_or_bonus_or_non_episode_has_no_number_then_it_is_published() -> (
    None
):
    # Apple: a trailer or bonus without numbers belongs to the show (or the season), not to an episode.
    assert parse(AUDIO + "episode_type: trailer\n", SERIAL).episode == Episode(episode_type="trailer")
    assert parse(AUDIO + "episode_type: bonus\nseason: 1\n", SERIAL).episode == Episode(
        episode_type="bonus", season=1
    )
    # An article with no audio or video is not an episode: it needs no number.
    assert parse("", SERIAL).episode is None
    assert parse("enclosure: media/notes.pdf\n", SERIAL).media == MediaRef(key="media/notes.pdf")


def test_given_a_site_without_a_show_when_a_record_has_podcast_fields_then_they_are_not_read() -> None:
    record = parse(AUDIO + "episode: not a number\n", NO_SHOW)
    assert record.episode is None
    assert record.media == MediaRef(key="media/ep12.mp3")


def test_given_a_media_enclosure_when_parsed_then_the_file_is_named_and_the_authors_values_are_kept() -> None:
    record = parse(AUDIO)
    assert (record.enclosure, record.media) == (None, MediaRef(key="media/ep12.mp3"))
    given = parse("enclosure: {url: media/season-2/ep12.m4a, mime_type: audio/mp4, length: 4096}\n")
    assert given.media == MediaRef(key="media/season-2/ep12.m4a", mime_type="audio/mp4", length=4096)
    # A URL (or a path on the website, with its leading slash) is an enclosure as before.
    linked = parse("enclosure: {url: /media/ep12.mp3, mime_type: audio/mpeg, length: 10}\n")
    assert (linked.media, linked.enclosure) == (
        None,
        Enclosure(url=HOME + "media/ep12.mp3", mime_type="audio/mpeg", length=10),
    )


@pytest.mark.parametrize(
    ("enclosure", "reason"),
    [
        ("media/../site.yaml", "'media/../site.yaml' is not a media file name feedpub publishes"),
        ("media/.hidden.mp3", "is not a media file name feedpub publishes"),
        ("media/my episode.mp3", "is not a media file name feedpub publishes"),
        ("media/", "is not a media file name feedpub publishes"),
        ("{url: media/ep.mp3, length: 0}", "enclosure length must be a positive whole number"),
        ("{url: media/ep.mp3, mime_type: mp3}", "enclosure mime_type 'mp3' is not a media type"),
        ("audio.mp3", "enclosure must be a mapping of url, mime_type and length, or a file under media/"),
    ],
)
def test_given_a_media_enclosure_that_cannot_be_published_when_parsed_then_the_record_is_rejected(
    enclosure: str, reason: str
) -> None:
    assert reason in rejection(f"enclosure: {enclosure}\n")
