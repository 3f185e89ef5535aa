"""The team's model of JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), used to check what we render.

Unknown keys are errors unless they start with "_" (the spec's extension rule), so a typo in the
renderer cannot pass as conformance.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:\S+")


def _rfc3339(value: str) -> str:
    if not RFC3339.fullmatch(value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time")
    return value


def _url(value: str) -> str:
    if not URL.fullmatch(value):
        raise ValueError(f"{value!r} is not an absolute URL")
    return value


Date = Annotated[str, AfterValidator(_rfc3339)]
Url = Annotated[str, AfterValidator(_url)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    @model_validator(mode="after")
    def _only_extensions_unknown(self) -> _Strict:
        unknown = [key for key in (self.model_extra or {}) if not key.startswith("_")]
        if unknown:
            raise ValueError(f"keys not in JSON Feed 1.1: {unknown}")
        return self


class Author(_Strict):
    name: str | None = None
    url: Url | None = None
    avatar: Url | None = None

    @model_validator(mode="after")
    def _one_field(self) -> Author:
        if not (self.name or self.url or self.avatar):
            raise ValueError("an author needs at least one of name, url, avatar")
        return self


class Hub(_Strict):
    type: str = Field(min_length=1)
    url: Url


class Attachment(_Strict):
    url: Url
    mime_type: str = Field(min_length=1)
    title: str | None = None
    size_in_bytes: int | None = Field(default=None, ge=0)
    duration_in_seconds: float | None = Field(default=None, ge=0)


class Item(_Strict):
    id: str
    url: Url | None = None
    external_url: Url | None = None
    title: str | None = None
    content_html: str | None = None
    content_text: str | None = None
    summary: str | None = None
    image: Url | None = None
    banner_image: Url | None = None
    date_published: Date | None = None
    date_modified: Date | None = None
    authors: list[Author] | None = None
    tags: list[str] | None = None
    language: str | None = None
    attachments: list[Attachment] | None = None

    @model_validator(mode="after")
    def _has_content(self) -> Item:
        if self.content_html is None and self.content_text is None:
            raise ValueError(f"item {self.id!r} has neither content_html nor content_text")
        return self


class Feed(_Strict):
    version: Literal["https://jsonfeed.org/version/1.1"]
    title: str
    home_page_url: Url | None = None
    feed_url: Url | None = None
    description: str | None = None
    user_comment: str | None = None
    next_url: Url | None = None
    icon: Url | None = None
    favicon: Url | None = None
    authors: list[Author] | None = None
    language: str | None = None
    expired: bool | None = None
    hubs: list[Hub] | None = None
    items: list[Item]

    @model_validator(mode="after")
    def _unique_ids(self) -> Feed:
        ids = [item.id for item in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError("item ids are not unique")
        return self

    @model_validator(mode="after")
    def _next_url_moves_on(self) -> Feed:
        # "next_url must not be the same as feed_url" (the spec's pagination rule)
        if self.next_url is not None and self.next_url == self.feed_url:
            raise ValueError("next_url is the feed_url")
        return self


def validate_json_feed(data: bytes) -> dict[str, Any]:
    """Parse and check a JSON Feed 1.1 document; raise with the reason when it does not conform."""
    import json

    document = json.loads(data.decode("utf-8"))
    Feed.model_validate(document)
    return document
