"""site.yaml settings of the feed kinds: `authors`, `feeds`, `content` and `feed_max_bytes`.

- `authors:` maps a key to a profile (name, url, email, avatar, bio); front matter `author: <key>`
  (or a list of them in `authors:`) credits that profile, and the author's feed shows it.
- `feeds:` names extra feeds by selection (tags any/all/exclude, authors), published under
  `feeds/<name>/`; a selection that cannot mean anything is a site error naming the feed.
- `content:` says per kind of feed (main, tags, authors, feeds) whether items carry the full
  content or only the summary with a link; a feed of `feeds:` may say it for itself.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from feedpub.errors import describe_value
from feedpub.slugs import tag_slug
from feedpub.text import Printable
from feedpub.urls import absolute_http_url

MAX_AUTHORS = 1000
MAX_FEEDS = 100  # each is three more documents, and every record is matched against each
ContentMode = Literal["full", "summary"]
# A feed's name is its directory under feeds/: already a slug, so the URL is what the author wrote.
FEED_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


class AuthorProfile(BaseModel):
    """One entry of `authors:`: who a key in front matter refers to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[Printable, Field(min_length=1, max_length=200)]
    url: str | None = None
    email: str | None = None
    avatar: str | None = None
    bio: Annotated[Printable, Field(max_length=2000)] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return " ".join(v.split())

    @field_validator("url", "avatar")
    @classmethod
    def _urls(cls, v: str | None) -> str | None:
        return None if v is None else absolute_http_url(v)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not EMAIL.fullmatch(v.strip()):
            raise ValueError(f"'{describe_value(v)}' is not an email address")
        return None if v is None else v.strip()


class TagSelection(BaseModel):
    """Which tags select a record: any of `any`, all of `all`, none of `exclude` (as written or as slugs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    any: list[Annotated[str, Field(min_length=1, max_length=200)]] = []
    all: list[Annotated[str, Field(min_length=1, max_length=200)]] = []
    exclude: list[Annotated[str, Field(min_length=1, max_length=200)]] = []

    def slugs(self, which: Literal["any", "all", "exclude"]) -> frozenset[str]:
        return self._slugs[which]

    @cached_property
    def _slugs(self) -> dict[str, frozenset[str]]:
        # Asked for every record of every rebuild: computed once per site.yaml.
        return {
            which: frozenset(tag_slug(tag) for tag in getattr(self, which))
            for which in ("any", "all", "exclude")
        }


class SiteFeed(BaseModel):
    """One entry of `feeds:`: a feed of the records its selection picks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Annotated[Printable, Field(min_length=1, max_length=500)] | None = None
    description: Annotated[Printable, Field(max_length=2000)] | None = None
    tags: TagSelection = TagSelection()
    authors: list[Annotated[str, Field(min_length=1, max_length=200)]] = []  # keys of `authors:`
    content: ContentMode | None = None  # default: what `content:` says for feeds

    def selects(self, tags: frozenset[str], authors: frozenset[str]) -> bool:
        """Whether a record with these tag slugs and author slugs belongs to this feed."""
        wanted_any = self.tags.slugs("any")
        return (
            (not wanted_any or not wanted_any.isdisjoint(tags))
            and self.tags.slugs("all") <= tags
            and self.tags.slugs("exclude").isdisjoint(tags)
            and (not self.authors or not self._author_slugs.isdisjoint(authors))
        )

    @cached_property
    def _author_slugs(self) -> frozenset[str]:
        return frozenset(tag_slug(key) for key in self.authors)


def problems(
    authors: dict[str, AuthorProfile], feeds: dict[str, SiteFeed], content: dict[str, ContentMode]
) -> list[str]:
    """What is wrong across these settings: clashing author keys, selections that cannot work,
    kinds that do not exist. Each problem names the key it is about."""
    from feedpub.catalogue import KINDS

    found = []
    by_slug: dict[str, str] = {}
    for key in authors:
        other = by_slug.setdefault(tag_slug(key), key)
        if other != key:
            found.append(
                f"authors: '{describe_value(other)}' and '{describe_value(key)}' would share the feed "
                f"authors/{tag_slug(key)}/"
            )
    for name, feed in feeds.items():
        shown = describe_value(name)
        found += [f"feeds.{shown}: {problem}" for problem in _feed_problems(name, feed, authors)]
    kinds = [kind.name for kind in KINDS]
    found += [
        f"content.{kind}: no kind of feed is called that (kinds: {', '.join(kinds)})"
        for kind in content
        if kind not in kinds
    ]
    return found


def _feed_problems(name: str, feed: SiteFeed, authors: dict[str, AuthorProfile]) -> list[str]:
    found = []
    if not FEED_NAME.fullmatch(name):
        found.append(
            "a feed's name is its directory under feeds/: lowercase letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        )
    unknown = [key for key in feed.authors if key not in authors]
    if unknown:
        known = ", ".join(sorted(authors)) or "none"
        found.append(f"authors {', '.join(unknown)} are not keys of `authors:` (keys: {known})")
    tags = feed.tags
    if not (tags.any or tags.all or tags.exclude or feed.authors):
        found.append("selects nothing: give tags (any, all, exclude) or authors (the main feed has them all)")
    excluded = tags.slugs("exclude")
    for which, wanted in (("any", tags.slugs("any")), ("all", tags.slugs("all"))):
        clash = sorted(wanted & excluded)
        if clash:
            found.append(f"tags {', '.join(clash)} are both in tags.{which} and in tags.exclude")
    return found
