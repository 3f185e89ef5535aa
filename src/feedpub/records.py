"""Article records: bytes as an author uploaded them -> a validated Record, or one clear reason why not.

A record is `articles/**/<name>.md` (YAML front matter between `---` lines, then Markdown) or
`articles/**/<name>.json` (the same fields as one object, the Markdown in `body`).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from feedpub import frontmatter
from feedpub.bounded_render import INLINE_LIMIT, RendererFailedError, RenderLimitError, render_bounded
from feedpub.config import SiteConfig
from feedpub.dates import parse_when
from feedpub.errors import RecordError, describe_failure, describe_value
from feedpub.markup import absolute_url, directory_url, url_scheme, xml_safe
from feedpub.model import Enclosure, MediaRef, Person, Record
from feedpub.podcast.episode import FIELDS as EPISODE_FIELDS
from feedpub.podcast.episode import Episode, EpisodeError, parse_episode
from feedpub.podcast.media import is_episode_type, is_media_key, media_key_problem, type_from_name
from feedpub.slugs import record_slug, tag_slug
from feedpub.urls import web_url_problem

ARTICLES_PREFIX = "articles/"
RECORD_SUFFIXES = (".md", ".json")
_BOM = b"\xef\xbb\xbf"
_FENCE = "---"
_CLOSING_FENCES = ("---", "...")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_DOT_SEGMENTS = ("", ".", "..")
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+_-]*/[A-Za-z0-9][A-Za-z0-9.+_-]*")
MAX_ENCLOSURE_BYTES = 2**63 - 1  # what readers and JSON parsers hold in a 64-bit integer
# Each tag is a feed in three formats: a record with thousands of tags would make one run write
# thousands of files and time out, again at every retry.
MAX_TAGS = 100


class _Invalid(ValueError):
    """One field is wrong; parse_record turns it into a RecordError for the path."""


def is_record_path(path: str) -> bool:
    """Whether a content key is an article record (editor temp and hidden files are not).

    A key with an empty, "." or ".." segment (`articles//x.md`, `articles/../x.md`) is a record
    too, one that key_problem rejects: S3 keeps such keys as written, and silently ignoring one
    would leave its author wondering where the article went.
    """
    if not path.startswith(ARTICLES_PREFIX):
        return False
    parts = path[len(ARTICLES_PREFIX) :].split("/")
    name = parts[-1]
    if any(part.startswith(".") and part not in _DOT_SEGMENTS for part in parts):
        return False  # hidden files and folders (.git, .DS_Store, editor swap files)
    stem, suffix = name.rsplit(".", 1) if "." in name else (name, "")
    return f".{suffix}" in RECORD_SUFFIXES and bool(stem) and not name.startswith(("#", "~"))


def key_problem(path: str) -> str | None:
    """Why a record key cannot be published as it is, or None."""
    parts = path[len(ARTICLES_PREFIX) :].split("/")
    if "" in parts:
        return "is not a valid record key: it has an empty segment ('//'); rename the object"
    if any(part in _DOT_SEGMENTS for part in parts):
        return "is not a valid record key: it has a '.' or '..' segment; rename the object"
    return None


def parse_record(path: str, data: bytes, site: SiteConfig) -> Record:
    """Parse and validate one record; raise RecordError(path, reason) if it cannot be published.

    This is the boundary between one record and the rest: whatever goes wrong while reading it
    becomes its rejection with a reason, never an exception that would fail a whole run. Only a
    RendererFailedError (the renderer process could not start: the machine's fault) passes.
    """
    problem = key_problem(path)
    if problem is not None:
        raise RecordError(path, problem)
    if len(data) > site.max_record_bytes:
        raise RecordError(path, f"is {len(data)} bytes, over max_record_bytes ({site.max_record_bytes})")
    try:
        text = _decode(data)
        fields, body = _split_json(text) if path.endswith(".json") else _split_markdown(text)
        return _with_large_body_rendered(_build(path, fields, body, site), site)
    except (_Invalid, EpisodeError) as exc:
        raise RecordError(path, str(exc)) from None
    except RendererFailedError:
        raise
    except Exception as exc:
        raise RecordError(path, f"cannot be read: {describe_failure(exc)}") from None


def _with_large_body_rendered(record: Record, site: SiteConfig) -> Record:
    # Whether a large body can be rendered at all decides whether the record is published, so it
    # is rendered now, under the site's limits, and never again.
    if len(record.body) <= INLINE_LIMIT:
        return record
    try:
        html = render_bounded(
            record.body, directory_url(site.home), site.render_cpu_seconds, site.render_memory_mib
        )
    except RenderLimitError as exc:
        raise _Invalid(exc.reason) from None
    return record.model_copy(update={"body_html": html})


def _decode(data: bytes) -> str:
    offset = len(_BOM) if data.startswith(_BOM) else 0
    try:
        text = data[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[offset + exc.start]
        raise _Invalid(f"is not UTF-8 text (byte 0x{bad:02x} at offset {offset + exc.start})") from None
    if not text.strip():
        raise _Invalid("is empty")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _split_markdown(text: str) -> tuple[dict[str, Any], str]:
    lines = text.split("\n")
    if lines[0].rstrip() != _FENCE:
        raise _Invalid("has no front matter: it must start with a '---' line, then title and date")
    closing = next((n for n, line in enumerate(lines[1:], 1) if line.rstrip() in _CLOSING_FENCES), None)
    if closing is None:
        raise _Invalid("front matter has no closing '---' line")
    source = "\n".join(lines[1:closing])
    try:
        fields = frontmatter.load(source)
    except frontmatter.FrontMatterError as exc:
        raise _Invalid(str(exc)) from None
    if fields is None:
        raise _Invalid("front matter is empty: it needs at least title and date")
    if not isinstance(fields, dict):
        raise _Invalid(f"front matter must be a mapping of fields, not {_kind(fields)}")
    return fields, "\n".join(lines[closing + 1 :])


def _split_json(text: str) -> tuple[dict[str, Any], str]:
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Invalid(f"is not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise _Invalid(f"is not valid JSON: {describe_failure(exc)}") from None
    if not isinstance(fields, dict):
        raise _Invalid(f"must be a JSON object of fields, not {_kind(fields)}")
    body = fields.get("body")
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise _Invalid(f"body must be Markdown text, not {_kind(body)}")
    return fields, body


def _kind(value: object) -> str:
    names = {dict: "a mapping", list: "a list", str: "text", bool: "true/false", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return "a number" if isinstance(value, int | float) else f"a {type(value).__name__}"


def _build(path: str, fields: dict[str, Any], body: str, site: SiteConfig) -> Record:
    home = directory_url(site.home)
    title = _required_text(fields, "title")
    date = _required_when(fields, "date", site)
    slug = record_slug(_optional_text(fields, "slug") or PurePosixPath(path).stem)
    url = _optional_url(fields, "url", home) or home + slug + "/"
    enclosure, media = _attachment(fields.get("enclosure"), home)
    return Record(
        path=path,
        id=_optional_text(fields, "id") or home + slug + "/",
        slug=slug,
        title=" ".join(title.split()),
        date=date,
        updated=_optional_when(fields, "updated", site),
        url=url,
        authors=_authors(fields, site, home),
        tags=_tags(fields.get("tags")),
        summary=_optional_text(fields, "summary"),
        image=_optional_url(fields, "image", home),
        draft=_draft(fields.get("draft")),
        language=_language(fields.get("language")),
        enclosure=enclosure,
        media=media,
        episode=_episode(fields, site, home, enclosure, media),
        body=xml_safe(body),
    )


def _text(value: object, field: str) -> str | None:
    """Scalar text (numbers accepted: `title: 1917` is a film), XML-safe and trimmed; None if blank."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid(f"{field} must be text, not {_kind(value)}")
    try:
        text = str(value)
    except ValueError:  # YAML reads 0x... numbers of any length; Python will not print them
        raise _Invalid(f"{field} is {describe_value(value)}") from None
    return xml_safe(text).strip() or None


def _required_text(fields: dict[str, Any], field: str) -> str:
    if field not in fields:
        raise _Invalid(f"'{field}' is missing (title and date are required)")
    text = _text(fields[field], field)
    if text is None:
        raise _Invalid(f"'{field}' is empty")
    return text


def _optional_text(fields: dict[str, Any], field: str) -> str | None:
    return _text(fields.get(field), field)


def _required_when(fields: dict[str, Any], field: str, site: SiteConfig) -> datetime:
    if field not in fields:
        raise _Invalid(f"'{field}' is missing (title and date are required)")
    if fields[field] is None:
        raise _Invalid(f"'{field}' is empty")
    try:
        return parse_when(fields[field], site.tz, field)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None


def _optional_when(fields: dict[str, Any], field: str, site: SiteConfig) -> datetime | None:
    return None if fields.get(field) in (None, "") else _required_when(fields, field, site)


def _web_url(value: object, field: str, home: str) -> str:
    text = _text(value, field)
    if text is None:
        raise _Invalid(f"{field} is empty")
    shown = describe_value(text)
    scheme = url_scheme(text)
    if scheme is not None and scheme not in ("http", "https"):
        raise _Invalid(f"{field} '{shown}' must be an http(s) URL or a path relative to the site")
    try:
        url = absolute_url(text, home)
    except ValueError as exc:  # urljoin on an unclosed "[" and the like
        raise _Invalid(f"{field} '{shown}' is not a usable URL: {describe_failure(exc)}") from None
    problem = web_url_problem(url)
    if problem is not None:
        raise _Invalid(f"{field} '{shown}' is not a usable URL: it {problem}")
    return url


def _optional_url(fields: dict[str, Any], field: str, home: str) -> str | None:
    value = fields.get(field)
    return None if value is None else _web_url(value, field, home)


def _draft(value: object) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _Invalid(f"draft must be true or false, not '{describe_value(value)}'")
    return value


def _tags(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        candidates: list[Any] = value.split(",")
    elif isinstance(value, list):
        candidates = value
    else:
        raise _Invalid(f"tags must be a list or a comma-separated text, not {_kind(value)}")
    seen: dict[str, str] = {}
    for candidate in candidates:
        tag = _text(candidate, "each tag")
        if tag is not None:
            tag = " ".join(tag.split())
            seen.setdefault(tag_slug(tag), tag)
    if len(seen) > MAX_TAGS:
        raise _Invalid(f"has {len(seen)} tags; at most {MAX_TAGS} (each tag is a feed of its own)")
    return tuple(seen.values())


def _language(value: object) -> str | None:
    text = _text(value, "language")
    if text is not None and not _LANGUAGE_TAG.fullmatch(text):
        raise _Invalid(f"language '{describe_value(text)}' is not a language tag such as en or en-GB")
    return text


def _person(value: object, field: str, home: str) -> Person:
    if isinstance(value, str):
        name = _text(value, field)
        if name is None:
            raise _Invalid(f"{field} is empty")
        return Person(name=name)
    if not isinstance(value, dict):
        raise _Invalid(f"{field} must be a name or a mapping of name, url and email, not {_kind(value)}")
    name = _text(value.get("name"), f"{field} name")
    url = value.get("url")
    email = _text(value.get("email"), f"{field} email")
    if email is not None and ("@" not in email or any(ch.isspace() for ch in email)):
        raise _Invalid(f"{field} email '{describe_value(email)}' is not an email address")
    person = Person(name=name, url=None if url is None else _web_url(url, f"{field} url", home), email=email)
    if not (person.name or person.url or person.email):
        raise _Invalid(f"{field} needs at least a name, url or email")
    return person


def _authors(fields: dict[str, Any], site: SiteConfig, home: str) -> tuple[Person, ...]:
    if fields.get("authors") is not None:
        authors = fields["authors"]
        if not isinstance(authors, list) or not authors:
            raise _Invalid(f"authors must be a non-empty list, not {_kind(authors)}")
        return tuple(_person(each, "each author", home) for each in authors)
    if fields.get("author") is not None:
        return (_person(fields["author"], "author", home),)
    if site.author is None:
        return ()
    return (Person(name=site.author.name, url=site.author.url, email=site.author.email),)


def _attachment(value: object, home: str) -> tuple[Enclosure | None, MediaRef | None]:
    """The enclosure: a file of the content bucket's media/ (as `media/x.mp3` or a mapping whose url is
    one), whose length and type feedpub reads from the file; or any URL with its length and type."""
    url = value.get("url") if isinstance(value, dict) else value
    if not (isinstance(url, str) and is_media_key(url.strip())):
        return _enclosure(value, home), None
    key = url.strip()
    problem = media_key_problem(key)
    if problem is not None:
        raise _Invalid(f"enclosure {problem}")
    fields = value if isinstance(value, dict) else {}
    mime_type = fields.get("mime_type", fields.get("type"))
    length = fields.get("length")
    return None, MediaRef(
        key=key,
        mime_type=None if mime_type is None else _media_type(mime_type),
        length=None if length is None else _length(length),
    )


def _episode(
    fields: dict[str, Any], site: SiteConfig, home: str, enclosure: Enclosure | None, media: MediaRef | None
) -> Episode | None:
    """The podcast fields, on a site with a show; a serial show's episodes must each have a number."""
    if site.podcast is None:
        return None
    given = any(fields.get(name) is not None for name in EPISODE_FIELDS)
    episode = parse_episode(fields, lambda value, field: _web_url(value, field, home)) if given else Episode()
    mime_type = enclosure.mime_type if enclosure else None
    if media is not None:
        mime_type = media.mime_type or type_from_name(media.key)
    if (
        site.podcast.type == "serial"
        and is_episode_type(mime_type)
        and episode.number is None
        and episode.episode_type in (None, "full")
    ):
        raise _Invalid(
            "has no 'episode' number, and the show is serial (site.yaml podcast.type): Apple Podcasts "
            "lists a serial show's episodes by number, so every full episode needs one"
        )
    return episode if given else None


def _media_type(value: object) -> str:
    mime = _text(value, "enclosure mime_type")
    if mime is None or not _MEDIA_TYPE.fullmatch(mime):
        raise _Invalid(
            f"enclosure mime_type '{describe_value(value)}' is not a media type such as audio/mpeg"
        )
    return mime


def _length(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ENCLOSURE_BYTES:
        raise _Invalid(
            f"enclosure length must be a positive whole number of bytes (at most {MAX_ENCLOSURE_BYTES}), "
            f"not '{describe_value(value)}'"
        )
    return value


def _enclosure(value: object, home: str) -> Enclosure | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Invalid(
            "enclosure must be a mapping of url, mime_type and length, or a file under media/, "
            f"not {_kind(value)}"
        )
    missing = [key for key in ("url", "length") if value.get(key) is None]
    mime_type = value.get("mime_type", value.get("type"))
    if mime_type is None:
        missing.insert(1, "mime_type")
    if missing:
        raise _Invalid(f"enclosure is missing {', '.join(missing)}")
    return Enclosure(
        url=_web_url(value["url"], "enclosure url", home),
        mime_type=_media_type(mime_type),
        length=_length(value["length"]),
    )
