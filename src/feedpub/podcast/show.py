"""The show: site.yaml's `podcast:` block, validated when site.yaml is read.

What Apple Podcasts or Spotify refuse a show for (no artwork, no category Apple knows, no explicit
flag, no owner e-mail to verify the show by, no language, an over-long description) is an error in
site.yaml, named there; the show feed is never published in a form the apps would turn away.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from feedpub.errors import describe_value
from feedpub.podcast.categories import SEPARATOR, parse_category
from feedpub.text import Printable
from feedpub.urls import absolute_http_url

if TYPE_CHECKING:
    from feedpub.config import SiteConfig

# Podcasting 2.0's namespace for show guids (podcast:guid): UUIDv5 of the feed URL without its scheme.
GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
MAX_DESCRIPTION_BYTES = 4000  # Apple Podcasts' limit for a show's and an episode's description
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
NonEmpty = Annotated[Printable, Field(min_length=1)]
ItunesText = Annotated[Printable, Field(min_length=1, max_length=255)]  # Apple's limit for itunes: values


def podcast_guid(feed_url: str) -> str:
    """The Podcasting 2.0 guid of a show first published at `feed_url`."""
    seed = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(GUID_NAMESPACE, seed))


def apple_artwork_url(url: str) -> bool:
    """Whether Apple Podcasts takes this URL for show or episode art: its path ends in .jpg or .png."""
    path = url.split("#", 1)[0].split("?", 1)[0]
    return path.rsplit(".", 1)[-1].lower() in ("jpg", "png")


def _email(value: str) -> str:
    from feedpub.render.common import plain_email  # the renderers' rule: what the feed can carry

    value = value.strip()
    if not plain_email(value):
        raise ValueError(
            f"'{describe_value(value)}' is not a plain e-mail address such as podcast@example.org"
        )
    return value


def _text(value: str) -> str:
    return " ".join(value.split())  # never blank: each such field is Printable


class Owner(BaseModel):
    """Who Apple and Spotify contact about the show (never shown); Spotify verifies the show by the e-mail."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ItunesText | None = None
    email: str

    @field_validator("email")
    @classmethod
    def _address(cls, v: str) -> str:
        return _email(v)


class Funding(BaseModel):
    """A Podcasting 2.0 funding link: where listeners can support the show, and the text to show."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    text: NonEmpty

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return absolute_http_url(v)

    @field_validator("text")
    @classmethod
    def _words(cls, v: str) -> str:
        return _text(v)


class PodcastShow(BaseModel):
    """site.yaml `podcast:`. Unknown keys are errors, as everywhere in site.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: NonEmpty | None = None  # default: the site's title
    description: NonEmpty | None = None  # default: the site's description
    image: str  # the show art: a square JPEG or PNG, 1400 to 3000 pixels a side
    categories: Annotated[tuple[str, ...], Field(min_length=1)]  # "Category" or "Category > Subcategory"
    explicit: bool
    owner: Owner
    author: ItunesText | None = None  # default: the site's author
    type: Literal["episodic", "serial"] = "episodic"
    language: str | None = None  # default: the site's language
    copyright: NonEmpty | None = None
    complete: bool = False  # no episode will ever follow
    block: bool = False  # keep the show out of Apple Podcasts
    new_feed_url: str | None = None  # the show moved: where its feed now lives
    locked: bool | None = None  # Podcasting 2.0: whether other hosts may import the feed
    funding: tuple[Funding, ...] = ()
    guid: str | None = None  # default: podcast_guid of the show feed's URL
    # podcast.xml holds every episode unless this says how many of the newest: the apps list only
    # the episodes the show feed holds.
    episode_limit: Annotated[int, Field(ge=1)] | None = None

    @field_validator("title", "description", "author", "copyright")
    @classmethod
    def _texts(cls, v: str | None) -> str | None:
        return None if v is None else _text(v)

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        url = absolute_http_url(v)
        if not apple_artwork_url(url):
            raise ValueError(
                f"'{describe_value(url)}' must be a JPEG or PNG image whose URL ends in .jpg or .png "
                "(Apple Podcasts)"
            )
        return url

    @field_validator("new_feed_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return None if v is None else absolute_http_url(v)

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, v: object) -> object:
        names = [v] if isinstance(v, str) else v
        if not isinstance(names, list | tuple):
            return v  # pydantic names the type error
        spelt = []
        for name in names:
            if not isinstance(name, str):
                raise ValueError(
                    f"each category is a name such as 'TV & Film > Film Interviews', not {name!r}"
                )
            category, sub = parse_category(name)
            spelt.append(category if sub is None else f"{category} {SEPARATOR} {sub}")
        return tuple(dict.fromkeys(spelt))

    @field_validator("language")
    @classmethod
    def _language(cls, v: str | None) -> str | None:
        if v is not None and not _LANGUAGE.fullmatch(v.strip()):
            raise ValueError(f"'{describe_value(v)}' is not an ISO 639 language code such as en or en-us")
        return None if v is None else v.strip()

    @field_validator("guid")
    @classmethod
    def _guid(cls, v: str | None) -> str | None:
        if v is not None and not _UUID.fullmatch(v.strip()):
            raise ValueError(
                f"'{describe_value(v)}' is not a UUID such as 917393e3-1b1e-5cef-ace4-edaa54e1f810"
            )
        return None if v is None else v.strip().lower()

    # -- what the show says, the site's values filling in -----------------------------------

    def title_for(self, site: SiteConfig) -> str:
        return self.title or site.title

    def description_for(self, site: SiteConfig) -> str | None:
        return self.description or site.description

    def language_for(self, site: SiteConfig) -> str | None:
        return self.language or site.language

    def author_for(self, site: SiteConfig) -> str | None:
        return self.author or (site.author.name if site.author else None)

    def guid_for(self, feed_url: str) -> str:
        return self.guid or podcast_guid(feed_url)

    @property
    def category_pairs(self) -> list[tuple[str, str | None]]:
        return [parse_category(name) for name in self.categories]

    def problems_with(self, site: SiteConfig) -> list[str]:
        """What the site must add before the show can be published (values that default to the site's)."""
        problems = []
        description = self.description_for(site)
        if not description:
            problems.append("'podcast.description' is required (the site has no description to use)")
        elif len(description.encode()) > MAX_DESCRIPTION_BYTES:
            problems.append(
                f"the show's description is {len(description.encode())} bytes; Apple Podcasts accepts "
                f"at most {MAX_DESCRIPTION_BYTES} (set a shorter 'podcast.description')"
            )
        language = self.language_for(site)
        if not language:
            problems.append("'podcast.language' is required (the site has no language to use)")
        elif not _LANGUAGE.fullmatch(language):
            problems.append(f"the show's language '{language}' is not an ISO 639 code such as en or en-us")
        return problems
