"""Article records: bytes as an author uploaded them -> a validated Record, or one clear reason why not.

A record is `articles/**/<name>.md` (or .markdown, .mdown, .mkd, .mkdn: front matter in YAML,
TOML or JSON, then Markdown) or `articles/**/<name>.json` (the same fields as one object, the
Markdown in `body`). Fields are read by meaning under Jekyll's and Hugo's names too (fields.py);
required fields (title, a date from somewhere) are strict, an optional field of an unexpected
shape is ignored with a warning on the record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from feedpub import frontmatter
from feedpub.bounded_render import INLINE_LIMIT, RendererFailedError, RenderLimitError, render_bounded
from feedpub.config import SiteConfig
from feedpub.dates import MIN_YEAR, parse_when
from feedpub.errors import RecordError, describe_failure, describe_value
from feedpub.fields import ALIASES, FrontMatter
from feedpub.markup import MORE, absolute_url, directory_url, excerpt_text, url_scheme, xml_safe
from feedpub.model import Enclosure, MediaRef, Person, Record
from feedpub.permalinks import (
    HUGO,
    JEKYLL,
    NATIVE,
    LinkFacts,
    expand,
    hugo_own_url,
    jekyll_feed_id,
    pattern_flavour,
    pattern_for,
    url_instead_of_path,
)
from feedpub.podcast.episode import FIELDS as EPISODE_FIELDS
from feedpub.podcast.episode import Episode, EpisodeError, parse_episode
from feedpub.podcast.media import is_episode_type, is_media_key, media_key_problem, type_from_name
from feedpub.slugs import record_slug, tag_slug
from feedpub.sources import ARTICLES_PREFIX, RECORD_SUFFIXES, SourcePath, is_record_path, source_path
from feedpub.templating import convert
from feedpub.urls import web_url_problem

__all__ = ["ARTICLES_PREFIX", "RECORD_SUFFIXES", "is_record_path", "parse_record"]

T = TypeVar("T")
_BOM = b"\xef\xbb\xbf"
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
# Front-matter keys only one of the two generators uses: a hint of whose rules a record follows.
# (`draft` is what `hugo new` writes; Jekyll keeps drafts in _drafts or says `published: false`.)
_HUGO_KEYS = (
    *("lastmod", "publishdate", "expirydate", "unpublishdate", "aliases", "weight", "linktitle"),
    *("draft", "images", "series"),
)
_JEKYLL_KEYS = ("layout", "permalink", "last_modified_at", "excerpt_separator")
_IMAGE_KEYS = ("url", "src", "path", "image", "filename", "feature", "file")
_DOT_SEGMENTS = ("", ".", "..")
_BLANK_LINE = re.compile(r"^[ \t]*$", re.MULTILINE)
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+_-]*/[A-Za-z0-9][A-Za-z0-9.+_-]*")
MAX_ENCLOSURE_BYTES = 2**63 - 1  # what readers and JSON parsers hold in a 64-bit integer
# Each tag is a feed in three formats: a record with thousands of tags would make one run write
# thousands of files and time out, again at every retry.
MAX_TAGS = 100
MAX_AUTHORS = 100  # each author is a feed too, for the same reason
# A title, a tag or an author's name is in every copy of every feed that shows the record (and of
# the publisher's state), where feed_max_bytes cannot shorten it: bounded like site.yaml's names.
MAX_TITLE_CHARS = 1000
MAX_NAME_CHARS = 200


class _Invalid(ValueError):
    """One field is wrong; parse_record turns it into a RecordError for the path."""


class _Unusable(_Invalid):
    """A value no feed could carry (a URL the renderers cannot write, a number past any reader's
    range): a rejection even in an optional field, never a warning."""


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
        if path.lower().endswith(".json"):
            fields, body, kind = *_split_json(text), frontmatter.JSON
        else:
            fields, body, kind = _split_markdown(text)
        return _with_large_body_rendered(_build(path, fields, body, site, kind), site)
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
        html = render_bounded(record.body, record.url, site.render_cpu_seconds, site.render_memory_mib)
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


def _split_markdown(text: str) -> tuple[dict[str, Any], str, str]:
    try:
        fields, body, kind = frontmatter.split(text)
    except frontmatter.FrontMatterError as exc:
        raise _Invalid(str(exc)) from None
    if fields is None:
        raise _Invalid("front matter is empty: it needs at least title and date")
    if not isinstance(fields, dict):
        raise _Invalid(f"front matter must be a mapping of fields, not {_kind(fields)}")
    return fields, body, kind


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


def _build(path: str, fields: dict[str, Any], body: str, site: SiteConfig, kind: str) -> Record:
    home = directory_url(site.home)
    source = source_path(path)
    front = FrontMatter(fields)
    notes = _Notes(front.near_misses())
    flavour, declared = _flavour(source, front, kind, body, site)
    # Only `variables`: a change of site.yaml's title re-renders feeds without reading records.
    variables = site.variables or {}
    page = _jekyll_page(front, source) if flavour == JEKYLL else front.fields
    converted = convert(xml_safe(body), home, flavour, declared=declared, site=variables, page=page)
    body = _html_as_one_block(converted.text) if source.html else converted.text
    notes.warnings += converted.warnings
    draft = _draft(front, source)
    title = _title(front, source, flavour, draft, notes)
    date = _date(front, source, site, draft, notes)
    publish_at = _optional_strict_when(front, "publish_date", site)
    expires_at = _optional_strict_when(front, "expiry_date", site)
    tags = _all_tags(front, source, flavour, notes)
    if len(tags) > MAX_TAGS:
        raise _Invalid(f"has {len(tags)} tags; at most {MAX_TAGS} (each tag is a feed of its own)")
    enclosure, media = _attachment_or_warning(front.get("enclosure"), home, site, notes)
    own_slug = notes.optional("slug", lambda: _optional_text(front, "slug"), None)
    legacy_slug = record_slug(own_slug or source.name)
    url, default_id = _link(front, source, flavour, title, date, home, site, own_slug, notes)
    image_base = _image_base(source, url, home)
    return Record(
        path=path,
        id=_own_id(front, flavour, notes) or default_id,
        slug=legacy_slug,
        title=" ".join(title.split()),
        date=date,
        updated=notes.optional("updated", lambda: _optional_when(front, "updated", site), None),
        publish_at=publish_at if publish_at is not None and publish_at > date else None,
        expires_at=expires_at,
        url=url,
        authors=notes.optional("author", lambda: _authors(front, site, home), _site_authors(site)),
        tags=tags,
        summary=notes.optional("summary", lambda: _summary(front, body, site), None),
        image=notes.optional("image", lambda: _image(front.get("image"), image_base), None),
        draft=draft,
        language=notes.optional("language", lambda: _language(front.get("language")), None),
        enclosure=enclosure,
        media=media,
        episode=_episode(fields, site, home, enclosure, media),
        body=xml_safe(body),
        warnings=tuple(notes.warnings),
    )


class _Notes:
    """Warnings about a record: optional fields of an unexpected shape are ignored, not fatal."""

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings

    def optional(self, field: str, read: Callable[[], T], default: T) -> T:
        try:
            return read()
        except _Unusable:
            raise
        except _Invalid as exc:
            self.warnings.append(f"{exc} ({field} ignored)")
            return default


def link_from_path(key: str, site: SiteConfig) -> str | None:
    """A record's link from its path alone (a Jekyll name gives the date): for links to records
    that cannot be read, such as `{% post_url %}` targets during an incremental run."""
    try:
        return parse_record(key, b"---\ntitle: Untitled\n---\n", site).url
    except RecordError:
        return None


def _flavour(
    source: SourcePath, front: FrontMatter, kind: str, body: str, site: SiteConfig
) -> tuple[str, bool]:
    """Whose rules the record follows where Jekyll and Hugo differ (:title, :slug, tags, ids,
    templates), and whether the site says so (site.yaml's generator or a pattern only one has)
    rather than the record alone."""
    if site.generator is not None:
        return site.generator, True
    patterns = [site.permalink] if isinstance(site.permalink, str) else list((site.permalink or {}).values())
    by_pattern = pattern_flavour(patterns)
    if by_pattern is not None:
        return by_pattern, True
    if source.jekyll_folder:
        return JEKYLL, True  # only Jekyll reads _posts and _drafts
    if source.filename_date is not None:
        # Exporters from WordPress write dated names for both; a page's own `url` is Hugo's
        # (Jekyll's is `permalink`).
        return (HUGO if front.has("url") else JEKYLL), False
    if kind != frontmatter.YAML or source.bundle or "{{<" in body or "{{%" in body:
        return HUGO, False
    if any(front.fields.get(key) is not None for key in _HUGO_KEYS):
        return HUGO, False
    if any(front.fields.get(key) is not None for key in _JEKYLL_KEYS) or "{%" in body:
        return JEKYLL, False
    return NATIVE, False


def _html_as_one_block(html: str) -> str:
    """An HTML post's body as one raw-HTML block of Markdown: never read as Markdown (indented
    lines are not code, `*` is not emphasis). A blank line would end the block, so each one holds
    an empty comment, which the sanitiser removes."""
    return "<div>\n" + _BLANK_LINE.sub("<!---->", html.strip("\n")) + "\n</div>\n"


def _title(front: FrontMatter, source: SourcePath, flavour: str, draft: bool, notes: _Notes) -> str:
    value = front.get("title")
    missing = value is None or (isinstance(value, str) and not value.strip())
    if missing and (source.filename_date is not None or flavour in (JEKYLL, HUGO) or draft):
        # Jekyll titles a post from its file name when the front matter has none; Hugo leaves the
        # title empty, which no feed can show: the file (or bundle) name is the best stand-in.
        # A draft is not shown at all: it is never rejected for its title.
        title = _title_from_name(source)
        notes.warnings.append(f"has no title: '{title}' is taken from the file name")
        return title
    if draft:
        try:
            return _given_title(front)
        except _Unusable:
            raise
        except _Invalid as exc:
            title = _title_from_name(source)
            notes.warnings.append(f"{exc}: a draft, so '{title}' is taken from the file name")
            return title
    return _given_title(front)


def _given_title(front: FrontMatter) -> str:
    return _bounded(_required_text(front.fields, "title"), "title", MAX_TITLE_CHARS)


def _bounded(text: str, field: str, limit: int) -> str:
    if len(text) > limit:
        raise _Invalid(f"{field} is {len(text)} characters long; at most {limit}")
    return text


def _title_from_name(source: SourcePath) -> str:
    return " ".join(word.capitalize() for word in re.split(r"[-_ ]+", source.slug) if word) or source.name


def _date(front: FrontMatter, source: SourcePath, site: SiteConfig, draft: bool, notes: _Notes) -> datetime:
    name = "date" if "date" in front.fields else _date_alias(front)
    if name is None and source.filename_date is not None:
        return parse_when(source.filename_date, site.tz, "date")
    if name is None and draft:
        # Jekyll's _drafts have no date until they are posted; a draft is never shown anyway.
        notes.warnings.append("is a draft without a date: give it one before publishing it")
        return parse_when(f"{MIN_YEAR}-01-01", site.tz, "date")
    if name is None:
        raise _Invalid(
            "'date' is missing (title and date are required; a Jekyll file name such as "
            "2024-03-07-my-post.md gives the date too)"
        )
    try:
        if front.fields[name] is None or front.fields[name] == "":
            raise _Invalid(f"'{name}' is empty")
        try:
            return parse_when(front.fields[name], site.tz, name)
        except ValueError as exc:
            raise _Invalid(str(exc)) from None
    except _Invalid as exc:
        if not draft:
            raise
        notes.warnings.append(f"{exc}: a draft, so it waits for a date before publishing")
        return parse_when(f"{MIN_YEAR}-01-01", site.tz, "date")


def _date_alias(front: FrontMatter) -> str | None:
    """Hugo's fallback for a missing date; Jekyll's `published: true/false` is not a date."""
    return next(
        (
            name
            for name in ALIASES["date_fallback"]
            if front.fields.get(name) not in (None, "") and not isinstance(front.fields.get(name), bool)
        ),
        None,
    )


def _own_id(front: FrontMatter, flavour: str, notes: _Notes) -> str | None:
    """A front-matter id. Jekyll's and Hugo's feeds never read one (jekyll-feed: the post's URL;
    Hugo: the permalink); exporters write the WordPress post number there. A migrated post's id
    that is not a URI is ignored, so the item keeps the id its old feed gave it."""
    own = _optional_text(front, "id")
    if own is None or flavour == NATIVE or url_scheme(own) is not None:
        return own
    notes.warnings.append(
        f"id '{describe_value(own)}' is not a URI, and Jekyll's and Hugo's feeds never used a post's "
        "own id: the item keeps the id its old feed gave it (id ignored)"
    )
    return None


def _draft(front: FrontMatter, source: SourcePath) -> bool:
    published = front.fields.get("published")
    jekyll_unpublished = isinstance(published, bool) and not published
    return _flag(front.fields.get("draft"), "draft") or jekyll_unpublished or source.in_drafts


def _flag(value: object, field: str) -> bool:
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise _Invalid(f"{field} must be true or false, not '{describe_value(value)}'")
    return value


def _optional_strict_when(front: FrontMatter, meaning: str, site: SiteConfig) -> datetime | None:
    """publishDate and expiryDate decide visibility: a wrong one is rejected, never guessed."""
    name = front.name_of(meaning)
    value = None if name is None else front.fields[name]
    if value is None or value == "" or isinstance(value, bool):  # Jekyll's `published: true/false`
        return None
    try:
        return parse_when(value, site.tz, name or meaning)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None


def _summary(front: FrontMatter, body: str, site: SiteConfig) -> str | None:
    name = front.name_of("summary")
    if name is not None:
        return _text(front.fields[name], name)
    separator = _text(front.fields.get("excerpt_separator"), "excerpt_separator") or site.excerpt_separator
    for mark in (separator, MORE):
        if mark and mark in body:
            return excerpt_text(body.split(mark, 1)[0]) or None
    return None


def _text(value: object, field: str) -> str | None:
    """Scalar text (numbers accepted: `title: 1917` is a film), XML-safe and trimmed; None if blank."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid(f"{field} must be text, not {_kind(value)}")
    try:
        text = str(value)
    except ValueError:  # YAML reads 0x... numbers of any length; Python will not print them
        raise _Unusable(f"{field} is {describe_value(value)}") from None
    return xml_safe(text).strip() or None


def _required_text(fields: dict[str, Any], field: str) -> str:
    if field not in fields:
        raise _Invalid(f"'{field}' is missing (title and date are required)")
    text = _text(fields[field], field)
    if text is None:
        raise _Invalid(f"'{field}' is empty")
    return text


def _optional_text(front: FrontMatter, meaning: str) -> str | None:
    name = front.name_of(meaning)
    return None if name is None else _text(front.fields[name], name)


def _optional_when(front: FrontMatter, meaning: str, site: SiteConfig) -> datetime | None:
    name = front.name_of(meaning)
    if name is None or front.fields[name] == "":
        return None
    try:
        return parse_when(front.fields[name], site.tz, name)
    except ValueError as exc:
        raise _Unusable(str(exc)) from None  # a date is never guessed: what it says matters to readers


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
        raise _Unusable(f"{field} '{shown}' is not a usable URL: {describe_failure(exc)}") from None
    problem = web_url_problem(url)
    if problem is not None:
        raise _Unusable(f"{field} '{shown}' is not a usable URL: it {problem}")
    return url


# -- links and ids -------------------------------------------------------------------------------


def _link(
    front: FrontMatter,
    source: SourcePath,
    flavour: str,
    title: str,
    date: datetime,
    home: str,
    site: SiteConfig,
    own_slug: str | None,
    notes: _Notes,
) -> tuple[str, str]:
    """(the item's link, its default id). Without a site permalink, feedpub's own rule:
    `url` or home + slug + "/", and the id home + slug + "/"."""
    own_url = notes.optional("url", lambda: _optional_text(front, "url"), None)
    own_permalink = notes.optional("permalink", lambda: _own_permalink(front), None)
    if own_url is not None and (url_scheme(own_url) is not None or own_url.startswith("//")):
        # An absolute link: the item points there, whatever the pattern says.
        absolute = notes.optional("url", lambda: _web_url(own_url, "url", home), None)
        if absolute is not None:
            return absolute, absolute
        own_url = None
    if site.permalink is None and own_permalink is None and (own_url is None or flavour == NATIVE):
        legacy_slug = record_slug(own_slug or source.name)
        relative = None
        if own_url is not None:
            relative = notes.optional("url", lambda: _web_url(own_url, "url", home), None)
        return relative or home + legacy_slug + "/", home + legacy_slug + "/"
    facts = LinkFacts(
        source=source,
        flavour=flavour,
        title=title,
        slug=own_slug,
        date=date.astimezone(site.tz),
        categories=_jekyll_categories(front, source),
        own_path=own_permalink or own_url,
    )
    if own_permalink is not None and flavour != HUGO:
        path = expand(own_permalink, facts)
    elif own_url is not None:
        path = hugo_own_url(own_url)
    elif own_permalink is not None:
        path = hugo_own_url(own_permalink)
    else:
        assert site.permalink is not None
        path = expand(pattern_for(site.permalink, source), facts)
    url = absolute_url(path.lstrip("/"), home)
    problem = web_url_problem(url)
    if problem is not None:
        raise _Invalid(f"its permalink '{describe_value(url)}' is not a usable URL: it {problem}")
    if flavour == JEKYLL:
        return url, absolute_url(jekyll_feed_id(path, facts).lstrip("/"), home)
    return url, url


def _own_permalink(front: FrontMatter) -> str | None:
    value = _optional_text(front, "permalink")
    if value is not None and url_instead_of_path(value):
        raise _Invalid(
            f"permalink '{describe_value(value)}' is a URL; it must be a path on the site such as "
            "/2024/03/my-post/"
        )
    return value


# -- tags --------------------------------------------------------------------------------------


def _jekyll_page(front: FrontMatter, source: SourcePath) -> dict[str, Any]:
    """The front matter as Jekyll's Liquid sees a post: `page.tags` and `page.categories` are lists
    (a text split at spaces, a singular `tag` or `category` taken whole, the folders above _posts
    first among the categories), whatever the front matter wrote."""
    tag, tags = front.get("tag"), front.get("tags")
    if tag is not None:
        listed: list[Any] = tag if isinstance(tag, list) else [tag]
    elif isinstance(tags, str):
        listed = tags.split()
    else:
        listed = tags if isinstance(tags, list) else []
    return {
        **front.fields,
        "tags": [each for each in listed if each is not None],
        "categories": list(_jekyll_categories(front, source)),
    }


def _jekyll_categories(front: FrontMatter, source: SourcePath) -> tuple[str, ...]:
    categories = list(source.path_categories)
    for meaning, split in (("categories", True), ("category", False)):
        value = front.get(meaning)
        if isinstance(value, str):
            categories += value.split() if split else [value]
        elif isinstance(value, list):
            categories += [str(each) for each in value if isinstance(each, str | int | float)]
    return tuple(dict.fromkeys(categories))


def _all_tags(front: FrontMatter, source: SourcePath, flavour: str, notes: _Notes) -> tuple[str, ...]:
    """Tags, then categories (Jekyll's folders above _posts first), de-duplicated by their feed."""
    seen: dict[str, str] = {}
    if front.has("tag") and not front.has("tags"):
        notes.warnings.append("'tag' is read as 'tags' (Jekyll's singular form); write tags: to be sure")
    sources: list[tuple[str, object, bool]] = [
        ("tags", front.get("tags"), True),
        ("tag", front.get("tag"), False),
        ("categories", list(source.path_categories), True),
        ("categories", front.get("categories"), True),
        ("category", front.get("category"), False),
    ]
    for field, value, plural in sources:
        try:
            for tag in _tags(value, field, split_words=plural and flavour != HUGO):
                seen.setdefault(tag_slug(tag), tag)
        except _Unusable:
            raise
        except _Invalid as exc:
            notes.warnings.append(f"{exc} ({field} ignored)")
    return tuple(seen.values())


def _tags(value: object, field: str, split_words: bool) -> list[str]:
    """A list, or text: split at commas, else (Jekyll's way) at spaces."""
    if value is None:
        return []
    if isinstance(value, str):
        candidates: list[Any] = value.split(",") if "," in value or not split_words else value.split()
    elif isinstance(value, list):
        candidates = value
    else:
        raise _Invalid(f"{field} must be a list or a comma-separated text, not {_kind(value)}")
    tags = []
    for candidate in candidates:
        tag = _text(candidate, f"each of {field}")
        if tag is not None:
            tags.append(_bounded(" ".join(tag.split()), f"each of {field}", MAX_NAME_CHARS))
    return tags


# -- other optional fields ---------------------------------------------------------------------------


def _image(value: object, page: str) -> str | None:
    """The image's URL from any shape themes use: text, a list, or a mapping holding a URL."""
    if value is None:
        return None
    if isinstance(value, list):
        found = next((item for item in value if item not in (None, "")), None)
        if found is None:
            raise _Invalid("image is an empty list")
        return _image(found, page)
    if isinstance(value, dict):
        key = next((k for k in _IMAGE_KEYS if isinstance(value.get(k), str | dict) and value.get(k)), None)
        if key is None:
            raise _Invalid(f"image {_brief_value(value)} has no url, src, path or filename")
        return _image(value[key], page)
    return _web_url(value, "image", page)


def _image_base(source: SourcePath, url: str, home: str) -> str:
    """Images are relative to the site (jekyll-feed's absolute_url, Hugo's absURL), except a page
    bundle's own files, which sit beside its page."""
    if not source.bundle:
        return home
    return url if url.endswith("/") else url.rsplit("/", 1)[0] + "/"


def _brief_value(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _language(value: object) -> str | None:
    text = _text(value, "language")
    if text is not None and not _LANGUAGE_TAG.fullmatch(text):
        raise _Invalid(f"language '{describe_value(text)}' is not a language tag such as en or en-GB")
    return None if text is None else text.replace("_", "-")


def _person(value: object, field: str, site: SiteConfig, home: str) -> Person:
    """A name, a key of site.yaml `authors:` (its profile), or a mapping of name, url and email."""
    if isinstance(value, str):
        name = _text(value, field)
        if name is None:
            raise _Invalid(f"{field} is empty")
        _bounded(name, field, MAX_NAME_CHARS)
        profile = site.authors.get(name)
        if profile is not None:
            return Person(
                name=profile.name, url=profile.url, email=profile.email, avatar=profile.avatar, key=name
            )
        return Person(name=name)
    if not isinstance(value, dict):
        raise _Invalid(f"{field} must be a name or a mapping of name, url and email, not {_kind(value)}")
    name = _text(value.get("name"), f"{field} name")
    if name is not None:
        _bounded(name, f"{field} name", MAX_NAME_CHARS)
    url = value.get("url", value.get("uri"))
    email = _text(value.get("email"), f"{field} email")
    if email is not None and ("@" not in email or any(ch.isspace() for ch in email)):
        raise _Invalid(f"{field} email '{describe_value(email)}' is not an email address")
    person = Person(name=name, url=None if url is None else _web_url(url, f"{field} url", home), email=email)
    if not (person.name or person.url or person.email):
        raise _Invalid(f"{field} needs at least a name, url or email")
    return person


def _site_authors(site: SiteConfig) -> tuple[Person, ...]:
    if site.author is None:
        return ()
    return (Person(name=site.author.name, url=site.author.url, email=site.author.email),)


def _authors(front: FrontMatter, site: SiteConfig, home: str) -> tuple[Person, ...]:
    authors = front.get("authors")
    if authors is not None:
        if isinstance(authors, str) and authors.strip():
            authors = [authors]
        if not isinstance(authors, list) or not authors:
            raise _Invalid(f"authors must be a non-empty list, not {_kind(authors)}")
        return tuple(_person(each, "each author", site, home) for each in _at_most_authors(authors))
    author = front.get("author")
    if author is not None:
        if isinstance(author, list) and author:  # `author:` may list several keys or names too
            return tuple(_person(each, "each author", site, home) for each in _at_most_authors(author))
        return (_person(author, "author", site, home),)
    return _site_authors(site)


def _at_most_authors(authors: list[Any]) -> list[Any]:
    if len(authors) > MAX_AUTHORS:
        raise _Unusable(
            f"has {len(authors)} authors; at most {MAX_AUTHORS} (each author is a feed of its own)"
        )
    return authors


def _attachment_or_warning(
    value: object, home: str, site: SiteConfig, notes: _Notes
) -> tuple[Enclosure | None, MediaRef | None]:
    """On a podcast site an item is its enclosure: a wrong one rejects the record. Elsewhere an
    enclosure of an unexpected shape is ignored with a warning (a value no feed could carry still
    rejects it)."""
    if site.podcast is not None:
        return _attachment(_wordpress_enclosure(value), home)
    nothing: tuple[Enclosure | None, MediaRef | None] = (None, None)
    return notes.optional("enclosure", lambda: _attachment(_wordpress_enclosure(value), home), nothing)


def _wordpress_enclosure(value: object) -> object:
    """WordPress's enclosure meta (exported as is): "url\nlength\ntype\n", in a list when a
    post has several; feeds carry the first. Anything else is returned as it is."""
    if isinstance(value, list) and value:
        value = value[0]
    if not isinstance(value, str) or "\n" not in value.strip():
        return value
    lines = [line.strip() for line in value.split("\n") if line.strip() not in ("", "|")]
    url, length, mime_type = [*lines, None, None, None][:3]
    return {
        "url": url,
        "length": int(length) if length is not None and length.isdigit() else length,
        "type": mime_type,
    }


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
        # Past a 64-bit byte count no reader can hold the number: no feed could carry it.
        unusable = isinstance(value, int) and not isinstance(value, bool) and value > MAX_ENCLOSURE_BYTES
        raise (_Unusable if unusable else _Invalid)(
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
