"""The engine's data: a parsed record and a rendered feed item (which feeds exist: feedpub.catalogue).

`Record` is what an author wrote, validated but not rendered. `FeedItem` is ready to
write into any feed format and is JSON-serialisable, so the publisher can keep
rendered items in its state and re-render a feed without reading the records again.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from feedpub.podcast.episode import Episode


class Person(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str | None = None
    url: str | None = None
    email: str | None = None
    avatar: str | None = None  # absolute; from a profile of site.yaml `authors:`
    key: str | None = None  # the site.yaml `authors:` key this person was credited by, if any


class Enclosure(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str  # absolute
    mime_type: str
    length: int  # bytes, > 0


class MediaRef(BaseModel):
    """An enclosure that is a file in the content bucket (`media/...`), published at the same path.

    Its length and type come from the file unless the author gave them (the author's values win)."""

    model_config = ConfigDict(frozen=True)

    key: str  # "media/ep12.mp3"
    mime_type: str | None = None
    length: int | None = None


class Record(BaseModel):
    """One article as its author wrote it: validated, dates aware, URLs absolute.

    The body is rendered later, when a feed shows it, unless it is large: then parse_record renders
    it under the site's CPU and memory limits, so that a body too costly to render is a rejection.
    """

    model_config = ConfigDict(frozen=True)

    path: str  # relative to the content root, e.g. "articles/x.md"
    id: str
    slug: str
    title: str
    date: datetime  # aware
    updated: datetime | None = None  # aware
    publish_at: datetime | None = None  # Hugo's publishDate, when later than `date`: it waits till then
    expires_at: datetime | None = None  # Hugo's expiryDate: it leaves the feeds then
    url: str  # absolute permalink
    authors: tuple[Person, ...] = ()
    tags: tuple[str, ...] = ()  # as written, de-duplicated, order kept
    summary: str | None = None  # plain text from front matter
    image: str | None = None  # absolute
    draft: bool = False
    language: str | None = None
    enclosure: Enclosure | None = None  # for `media`, filled in from the file once it has been read
    media: MediaRef | None = None
    episode: Episode | None = None  # podcast fields, read when the site has a podcast show
    body: str = ""  # Markdown source
    body_html: str | None = None  # rendered while parsing, when the body is too large to render lazily
    warnings: tuple[str, ...] = ()  # what was ignored or guessed; the record is still published

    @property
    def due(self) -> datetime:
        """When the record may first appear in the feeds."""
        return self.publish_at or self.date

    @property
    def sort_key(self) -> tuple[datetime, str]:
        """Newest first is descending order of this key; the id breaks ties deterministically."""
        return (self.date, self.id)


class FeedItem(BaseModel):
    """A record rendered for feeds: sanitised absolute-URL HTML and a plain-text summary."""

    model_config = ConfigDict(frozen=True)

    id: str
    url: str
    title: str
    date: datetime
    updated: datetime | None = None
    authors: tuple[Person, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str = ""
    content_html: str = ""
    image: str | None = None
    language: str | None = None
    enclosure: Enclosure | None = None
    episode: Episode | None = None
    # Only the summary and the link go out (the feed's kind says so, or the feed is over its byte
    # budget): feedpub.budget.summary_only made it from the full item.
    summary_only: bool = False

    @property
    def sort_key(self) -> tuple[datetime, str]:
        return (self.date, self.id)
