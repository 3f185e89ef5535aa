"""Episodes: the podcast fields of an article's front matter, validated when the record is parsed.

`episode`, `season`, `episode_type` (full, trailer, bonus), `duration` (seconds, or H:MM:SS),
`explicit`, `block`, `transcript` (one or a list: url, type, language, rel), `chapters` (the URL of
a JSON chapters file) and `persons` (name, role, group, img, href). The record's own `image` is the
episode art. Read only on a site with a `podcast:` show; a field that is wrong rejects the record,
naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from feedpub.errors import describe_value

FIELDS = ("episode", "season", "episode_type", "duration", "explicit", "block", "transcript",
          "transcripts", "chapters", "persons")  # fmt: skip
EPISODE_TYPES = ("full", "trailer", "bonus")
CHAPTERS_TYPE = "application/json+chapters"  # what Podcasting 2.0 asks podcast:chapters to declare
MAX_NUMBER = 2**31 - 1  # what apps store an episode or season number in
MAX_LISTED = 50  # transcripts or persons of one episode
MAX_DURATION = 10**8  # seconds (three years): anything longer is a mistake
# Transcript formats Podcasting 2.0 lists, by file extension: the type when the author gives none.
TRANSCRIPT_TYPES = {
    "vtt": "text/vtt",
    "srt": "application/x-subrip",
    "json": "application/json",
    "html": "text/html",
    "htm": "text/html",
    "txt": "text/plain",
}
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+_-]*/[A-Za-z0-9][A-Za-z0-9.+_-]*")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# ASCII digits only: str.isdigit() and \d also take "²" (which int() refuses) and other scripts' digits.
_DIGITS = re.compile(r"[0-9]{1,12}")
_CLOCK = re.compile(r"(?:([0-9]{1,8}):)?([0-5]?[0-9]):([0-5][0-9])")

# Turns a front-matter value into an absolute http(s) URL, or raises the record's own error.
WebUrl = Callable[[object, str], str]


class EpisodeError(ValueError):
    """A podcast field of a record is wrong; the record is rejected with this reason."""


class Transcript(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str
    type: str
    language: str | None = None
    rel: Literal["captions"] | None = None


class EpisodePerson(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    role: str | None = None  # Podcasting 2.0's default: host
    group: str | None = None  # default: cast
    img: str | None = None
    href: str | None = None


class Episode(BaseModel):
    """An episode's podcast fields (None: not given). JSON-able, as feed items are kept in state."""

    model_config = ConfigDict(frozen=True)

    number: int | None = None
    season: int | None = None
    episode_type: Literal["full", "trailer", "bonus"] | None = None
    duration: int | None = None  # whole seconds
    explicit: bool | None = None
    block: bool = False
    transcripts: tuple[Transcript, ...] = ()
    chapters: str | None = None
    persons: tuple[EpisodePerson, ...] = ()

    @property
    def numbered(self) -> bool:
        return self.number is not None


def parse_episode(fields: Mapping[str, Any], web_url: WebUrl) -> Episode:
    """The podcast fields of one record's front matter (absent ones None); EpisodeError if one is wrong."""
    return Episode(
        number=_count(fields.get("episode"), "episode"),
        season=_count(fields.get("season"), "season"),
        episode_type=_episode_type(fields.get("episode_type")),
        duration=parse_duration(fields.get("duration")),
        explicit=_flag(fields.get("explicit"), "explicit"),
        block=bool(_flag(fields.get("block"), "block")),
        transcripts=_transcripts(fields, web_url),
        chapters=None if fields.get("chapters") is None else _chapters(fields["chapters"], web_url),
        persons=_persons(fields.get("persons"), web_url),
    )


def parse_duration(value: object) -> int | None:
    """Whole seconds from seconds or a clock time (H:MM:SS, MM:SS); YAML reads 1:02:03 as a number itself."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise EpisodeError(f"duration must be seconds or H:MM:SS, not '{value}'")
    seconds: float | None = None
    if isinstance(value, int | float):
        seconds = value
    elif isinstance(value, str):
        text = value.strip()
        match = _CLOCK.fullmatch(text)
        if _DIGITS.fullmatch(text):
            seconds = int(text)
        elif match:
            hours, minutes, rest = (int(part or 0) for part in match.groups())
            seconds = hours * 3600 + minutes * 60 + rest
    if seconds is None or not seconds >= 0:  # NaN is not >= 0 either
        raise EpisodeError(f"duration must be seconds or H:MM:SS, not '{describe_value(value)}'")
    if seconds >= MAX_DURATION:
        raise EpisodeError(
            f"duration '{describe_value(value)}' is over {MAX_DURATION - 1} seconds (three years): "
            "write the episode's length in seconds or H:MM:SS"
        )
    return min(round(seconds), MAX_DURATION - 1)


def _count(value: object, field: str) -> int | None:
    """A positive whole number, as Apple wants episode and season numbers."""
    if value is None:
        return None
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_NUMBER:
        raise EpisodeError(
            f"{field} must be a whole number from 1 to {MAX_NUMBER}, not '{describe_value(value)}'"
        )
    return value


def _episode_type(value: object) -> Literal["full", "trailer", "bonus"] | None:
    if value is None:
        return None
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text == "full":
        return "full"
    if text == "trailer":
        return "trailer"
    if text == "bonus":
        return "bonus"
    raise EpisodeError(f"episode_type must be full, trailer or bonus, not '{describe_value(value)}'")


def _flag(value: object, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise EpisodeError(f"{field} must be true or false, not '{describe_value(value)}'")


def _words(value: object, field: str, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    from feedpub.markup import xml_safe  # markdown-it comes with it: not on the engine's import path

    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise EpisodeError(f"{field} must be text, not '{describe_value(value)}'")
    text = " ".join(xml_safe(str(value)).split())
    if not text and required:
        raise EpisodeError(f"{field} is empty")
    return text or None


def _items(value: object, field: str) -> list[Any]:
    if isinstance(value, list):
        if not value:
            raise EpisodeError(f"{field} is an empty list")
        if len(value) > MAX_LISTED:
            # Each is a tag in every copy of the show feed (and of its state) that holds the episode,
            # where feed_max_bytes cannot shorten them: thousands made podcast.xml megabytes.
            plural = "transcripts" if field.startswith("transcript") else field
            raise EpisodeError(
                f"has {len(value)} {plural}; at most {MAX_LISTED} (each is a tag in podcast.xml)"
            )
        return value
    return [value]


def _transcripts(fields: Mapping[str, Any], web_url: WebUrl) -> tuple[Transcript, ...]:
    given = [name for name in ("transcript", "transcripts") if fields.get(name) is not None]
    if len(given) > 1:
        raise EpisodeError("give either transcript or transcripts, not both")
    if not given:
        return ()
    return tuple(_transcript(each, web_url) for each in _items(fields[given[0]], given[0]))


def _transcript(value: object, web_url: WebUrl) -> Transcript:
    if isinstance(value, str):
        value = {"url": value}
    if not isinstance(value, dict):
        raise EpisodeError("a transcript is a URL or a mapping of url, type and language")
    unknown = sorted(set(map(str, value)) - {"url", "type", "language", "rel"})
    if unknown:
        raise EpisodeError(f"a transcript has no field '{unknown[0]}' (url, type, language, rel)")
    if value.get("url") is None:
        raise EpisodeError("a transcript needs its url")
    url = web_url(value["url"], "transcript url")
    media_type = _words(value.get("type"), "transcript type")
    if media_type is None:
        media_type = TRANSCRIPT_TYPES.get(url.split("?", 1)[0].rsplit(".", 1)[-1].lower())
        if media_type is None:
            raise EpisodeError(
                f"transcript '{url}' needs a type such as text/vtt (its file name does not say)"
            )
    if not _MEDIA_TYPE.fullmatch(media_type):
        raise EpisodeError(f"transcript type '{media_type}' is not a media type such as text/vtt")
    language = _words(value.get("language"), "transcript language")
    if language is not None and not _LANGUAGE.fullmatch(language):
        raise EpisodeError(f"transcript language '{language}' is not a language tag such as en or en-GB")
    rel = _words(value.get("rel"), "transcript rel")
    if rel not in (None, "captions"):
        raise EpisodeError(f"transcript rel can only be captions, not '{rel}'")
    return Transcript(url=url, type=media_type, language=language, rel="captions" if rel else None)


def _chapters(value: object, web_url: WebUrl) -> str:
    if isinstance(value, dict):
        if set(map(str, value)) - {"url"} or value.get("url") is None:
            raise EpisodeError("chapters is the URL of a JSON chapters file")
        value = value["url"]
    return web_url(value, "chapters")


def _persons(value: object, web_url: WebUrl) -> tuple[EpisodePerson, ...]:
    if value is None:
        return ()
    return tuple(_person(each, web_url) for each in _items(value, "persons"))


def _person(value: object, web_url: WebUrl) -> EpisodePerson:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        value = {"name": value}
    if not isinstance(value, dict):
        raise EpisodeError("each person is a name or a mapping of name, role, group, img and href")
    unknown = sorted(set(map(str, value)) - {"name", "role", "group", "img", "href"})
    if unknown:
        raise EpisodeError(f"a person has no field '{unknown[0]}' (name, role, group, img, href)")
    name = _words(value.get("name"), "person name", required=True)
    assert name is not None
    return EpisodePerson(
        name=name,
        role=_words(value.get("role"), "person role"),
        group=_words(value.get("group"), "person group"),
        img=None if value.get("img") is None else web_url(value["img"], "person img"),
        href=None if value.get("href") is None else web_url(value["href"], "person href"),
    )
