"""site.yaml: the typed site configuration, read once per build or publish."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from functools import cached_property
from types import MappingProxyType
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from feedpub import frontmatter
from feedpub.errors import SiteConfigError, describe_failure, describe_value
from feedpub.feed_settings import MAX_AUTHORS, MAX_FEEDS, AuthorProfile, ContentMode, SiteFeed, problems
from feedpub.permalinks import PermalinkError, check_pattern
from feedpub.podcast.show import PodcastShow
from feedpub.slugs import tag_slug
from feedpub.suggest import closest
from feedpub.text import Printable
from feedpub.urls import absolute_http_url

SITE_FILE = "site.yaml"
MiB = 1024 * 1024
# site.yaml holds a few settings (1,000 author profiles with long bios fit well within this); the
# publisher keeps its text in its state, so a larger upload is refused, as `feedpub check` refuses it.
MAX_SITE_BYTES = MiB
MAX_PROBLEMS, MAX_PROBLEM_CHARS = 10, 400  # what one site error lists, and how long each problem may be
LARGEST_FEED = 10_000_000  # the most site.yaml `feed_max_bytes` may allow a feed document


class SiteAuthor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[Printable, Field(min_length=1)]
    url: str | None = None
    email: str | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return None if v is None else absolute_http_url(v, directory=False)


class SiteConfig(BaseModel):
    """What site.yaml may say. Unknown keys are errors: a typo must not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Annotated[Printable, Field(min_length=1)]
    base_url: str
    home_page_url: str | None = None
    description: Printable | None = None
    language: str | None = None
    author: SiteAuthor | None = None
    timezone: str = "UTC"
    feed_limit: Annotated[int, Field(ge=1, le=1000)] = 20
    # Members per archive page, on average (feedpub.archive cuts pages by content, not by count).
    archive_page_size: Annotated[int, Field(ge=2, le=1000)] = 50
    max_record_bytes: Annotated[int, Field(ge=1024, le=64 * MiB)] = MiB
    # A body larger than feedpub.bounded_render.INLINE_LIMIT renders within these, or is rejected.
    render_cpu_seconds: Annotated[int, Field(ge=1, le=300)] = 5
    render_memory_mib: Annotated[int, Field(ge=64, le=4096)] = 256
    hub: str | None = None  # validated here, so a ping can never fail on the URL itself
    icon: str | None = None
    favicon: str | None = None
    podcast: PodcastShow | None = None  # the show: with it, podcast.xml is published
    # Migrated blogs (docs/migrating.md): item links from a Jekyll/Hugo pattern, or Hugo's
    # {section: pattern} map; which generator's rules apply; Jekyll's excerpt separator.
    permalink: str | dict[str, str] | None = None
    generator: Literal["jekyll", "hugo"] | None = None
    excerpt_separator: Annotated[str, Field(min_length=1)] | None = None
    # The feed kinds' settings (feedpub.feed_settings): who the author keys are, the feeds of
    # `feeds:`, full or summary content per kind, and how large a feed document may grow.
    authors: Annotated[dict[str, AuthorProfile], Field(max_length=MAX_AUTHORS)] = {}
    feeds: Annotated[dict[str, SiteFeed], Field(max_length=MAX_FEEDS)] = {}
    content: dict[str, ContentMode] = {}
    feed_max_bytes: Annotated[int, Field(ge=16 * 1024, le=LARGEST_FEED)] = MiB
    # The site's own values that posts use: Jekyll's `{{ site.x }}` (_config.yml), Hugo's
    # `{{< param x >}}` (params).
    variables: dict[str, Any] | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        return v.strip()

    @field_validator("base_url")
    @classmethod
    def _base(cls, v: str) -> str:
        return absolute_http_url(v, directory=True)

    @field_validator("home_page_url", "hub", "icon", "favicon")
    @classmethod
    def _urls(cls, v: str | None) -> str | None:
        return None if v is None else absolute_http_url(v, directory=False)

    @field_validator("permalink")
    @classmethod
    def _permalink(cls, v: str | dict[str, str] | None) -> str | dict[str, str] | None:
        patterns = [v] if isinstance(v, str) else list((v or {}).values())
        for pattern in patterns:
            if not pattern.strip():
                raise ValueError("a permalink pattern is empty")
            try:
                check_pattern(pattern)
            except PermalinkError as exc:
                raise ValueError(f"'{describe_value(pattern)}': {exc}") from None
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # a long name: "File name too long"
            raise ValueError(f"unknown time zone {_shortened(v)!r}") from exc
        return v

    @model_validator(mode="after")
    def _show(self) -> SiteConfig:
        found = self.podcast.problems_with(self) if self.podcast else []
        if found:
            raise ValueError("; ".join(found))
        return self

    @model_validator(mode="after")
    def _feed_kinds(self) -> SiteConfig:
        found = problems(self.authors, self.feeds, self.content)
        if found:
            raise ValueError("; ".join(found))
        return self

    @cached_property
    def author_profiles(self) -> dict[str, AuthorProfile]:
        """The profiles of `authors:` by the slug of their key: the author feed each one names."""
        return {tag_slug(key): profile for key, profile in self.authors.items()}

    def content_mode(self, kind: str) -> ContentMode:
        """Whether the feeds of this kind carry full content or the summary with a link (default: full)."""
        return self.content.get(kind, "full")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def home(self) -> str:
        """Where article pages live: home_page_url, else the feeds' own base_url."""
        return self.home_page_url or self.base_url


class SiteChange(Enum):
    """What publishing under a changed site.yaml field needs (SITE_FIELD_CHANGES says which field)."""

    # How a record is read, validated or rendered: every record is read again (a fanned-out rebuild).
    RECORDS = "records"
    # Which records belong to which feed (site.yaml `feeds:`), or how archive pages are cut: the
    # feeds are regrouped from the state's record shards, which keep what decides membership, and
    # their archive pages cut again with the items the old pages held; records are read only to
    # render the items a feed or an archive page now shows in full and no head or page held so.
    MEMBERSHIP = "membership"
    # Only what the feeds say about themselves: they are re-rendered from the publisher's state
    # (its feed heads hold each feed's newest members with their items as the feed shows them,
    # its archive pages every other member); only records that become visible or go back to full
    # content (a larger feed_limit or budget, `content: full`) are read.
    FEEDS = "feeds"


# Every SiteConfig field, with what a change of it costs. tests/unit/test_site_changes.py checks
# that no field is missing, and that no FEEDS field changes what a record parses or renders to:
# a new field must be added here, and is only FEEDS if records never read it.
SITE_FIELD_CHANGES: Mapping[str, SiteChange] = MappingProxyType(
    {
        "title": SiteChange.FEEDS,
        "description": SiteChange.FEEDS,
        "language": SiteChange.FEEDS,  # the feeds' language; an item's comes from its own front matter
        "feed_limit": SiteChange.FEEDS,  # heads keep a reserve; beyond it they refill from the shards
        "hub": SiteChange.FEEDS,
        "icon": SiteChange.FEEDS,
        "favicon": SiteChange.FEEDS,
        "content": SiteChange.FEEDS,  # full or summary items per kind: heads keep what decides it
        "feed_max_bytes": SiteChange.FEEDS,  # the budget: heads keep each shown item's weights
        "feeds": SiteChange.MEMBERSHIP,
        "archive_page_size": SiteChange.MEMBERSHIP,  # archive pages are cut again from the state
        "base_url": SiteChange.RECORDS,  # the default home_page_url: record ids and links
        "home_page_url": SiteChange.RECORDS,  # record ids, permalinks, relative links in bodies
        "author": SiteChange.RECORDS,  # the author of every record that names none
        "timezone": SiteChange.RECORDS,  # how naive dates are read: order, scheduling
        "max_record_bytes": SiteChange.RECORDS,  # which records are rejected
        "render_cpu_seconds": SiteChange.RECORDS,  # which large bodies are rejected
        "render_memory_mib": SiteChange.RECORDS,
        "podcast": SiteChange.RECORDS,  # with a show, episodes are validated (a serial show's need numbers)
        "permalink": SiteChange.RECORDS,  # item links and ids of migrated blogs
        "generator": SiteChange.RECORDS,  # whose rules read file names, dates and bodies
        "excerpt_separator": SiteChange.RECORDS,  # where a record's summary ends
        "variables": SiteChange.RECORDS,  # the values of {{ site.x }} and {{< param x >}} in bodies
        "authors": SiteChange.RECORDS,  # profiles are copied into the items of the records they credit
    }
)


def site_change(old: SiteConfig, new: SiteConfig) -> SiteChange | None:
    """What publishing under `new` needs where `old` was published: None if no field differs."""
    changed = [name for name in SiteConfig.model_fields if getattr(old, name) != getattr(new, name)]
    if not changed:
        return None
    kinds = {SITE_FIELD_CHANGES[name] for name in changed}
    return next(
        kind for kind in (SiteChange.RECORDS, SiteChange.MEMBERSHIP, SiteChange.FEEDS) if kind in kinds
    )


def parse_site(data: bytes, source: str = SITE_FILE) -> SiteConfig:
    """Parse site.yaml bytes; raise SiteConfigError naming the file and the reason.

    Whatever goes wrong is a SiteConfigError: it is reported, never retried as if it were I/O.
    """
    try:
        return _parse_site(data, source)
    except SiteConfigError:
        raise
    except Exception as exc:
        raise SiteConfigError(source, describe_failure(exc)) from exc


def _parse_site(data: bytes, source: str) -> SiteConfig:
    if len(data) > MAX_SITE_BYTES:
        raise SiteConfigError(source, _too_large(len(data)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SiteConfigError(source, f"is not UTF-8 text (byte {exc.start})") from exc
    try:
        # The front-matter reader: safe YAML with a nesting guard (deep nesting crashes libyaml).
        raw = frontmatter.load(text)
    except frontmatter.FrontMatterError as exc:
        raise SiteConfigError(source, f"is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SiteConfigError(source, "must be a YAML mapping of settings")
    try:
        return SiteConfig.model_validate(raw)
    except ValidationError as exc:
        raise SiteConfigError(source, _describe(exc)) from exc


def _too_large(size: int) -> str:
    return f"is {size} bytes: a site.yaml holds a few settings (at most {MAX_SITE_BYTES} bytes)"


def too_large(source: str, size: int) -> SiteConfigError | None:
    """The site error for a site.yaml of `size` bytes, before reading it, or None if it may be read."""
    return SiteConfigError(source, _too_large(size)) if size > MAX_SITE_BYTES else None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = _shortened(".".join(describe_value(p) for p in err["loc"])) or "(top level)"
        if err["type"] == "extra_forbidden":
            parts.append(f"unknown key '{where}'{_did_you_mean(err['loc'])}")
        elif err["type"] == "missing":
            parts.append(f"'{where}' is required")
        elif not err["loc"]:  # a rule about several keys (the podcast show's defaults)
            parts.append(err["msg"].removeprefix("Value error, "))
        else:
            parts.append(f"'{where}': {err['msg'].removeprefix('Value error, ')}")
    # A reason is read in a terminal and a log line: each problem short (a validator may quote a
    # value of any length), and at most MAX_PROBLEMS of them (1,000 bad author profiles are one fix).
    shown = [_shortened(part, MAX_PROBLEM_CHARS) for part in parts[:MAX_PROBLEMS]]
    if len(parts) > MAX_PROBLEMS:
        shown.append(f"and {len(parts) - MAX_PROBLEMS} more problems")
    return "; ".join(shown)


def _shortened(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _did_you_mean(location: tuple[int | str, ...]) -> str:
    """The known key a misspelt one was probably meant to be, in site.yaml or its author/podcast."""
    models: dict[tuple[int | str, ...], type[BaseModel]] = {
        (): SiteConfig,
        ("author",): SiteAuthor,
        ("podcast",): PodcastShow,
    }
    model = models.get(tuple(location[:-1]))
    meant = None if model is None else closest(describe_value(location[-1]), model.model_fields)
    return "" if meant is None else f" (did you mean '{meant}'?)"
