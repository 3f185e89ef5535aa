"""The Podcasting 2.0 namespace (https://podcastindex.org/namespace/1.0) as a feedgen extension.

feedgen has none, so this is one, registered through `FeedGenerator.register_extension`:
channel-level `podcast:guid`, `podcast:locked`, `podcast:funding` and `podcast:updateFrequency`
(only to say that a show is complete); item-level
`podcast:transcript`, `podcast:chapters`, `podcast:person`, `podcast:season` and `podcast:episode`.
Values arrive validated (site.yaml and front matter are checked when read); this layer only writes.
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
EXTENSION = "podcastindex"  # the attribute name feedgen gives the extension: fg.podcastindex
CHAPTERS_TYPE = "application/json+chapters"


def _tag(name: str) -> str:
    return f"{{{PODCAST_NS}}}{name}"


def _attributes(**values: str | None) -> dict[str, str]:
    return {name: value for name, value in values.items() if value is not None}


class PodcastIndexShow(BaseExtension):
    def __init__(self) -> None:
        self._guid: str | None = None
        self._locked: tuple[bool, str | None] | None = None
        self._funding: list[tuple[str, str]] = []
        self._complete = False

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def guid(self, value: str) -> None:
        """The show's permanent identity (a UUIDv5; see feedpub.podcast.show.podcast_guid)."""
        self._guid = value

    def locked(self, value: bool, owner: str | None = None) -> None:
        """Whether other hosts may import the feed; `owner` is the e-mail address that proves ownership."""
        self._locked = (value, owner)

    def funding(self, url: str, text: str) -> None:
        """One more place where listeners can support the show (several may be given)."""
        self._funding.append((url, text))

    def complete(self) -> None:
        """No episode will follow: `podcast:updateFrequency` with complete="true"."""
        self._complete = True

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        if self._locked is not None:
            value, owner = self._locked
            xml_elem(_tag("locked"), channel, **_attributes(owner=owner)).text = "yes" if value else "no"
        for url, text in self._funding:
            xml_elem(_tag("funding"), channel, url=url).text = text
        if self._guid:
            xml_elem(_tag("guid"), channel).text = self._guid
        if self._complete:
            xml_elem(_tag("updateFrequency"), channel, complete="true").text = "Complete"
        return rss_feed


class PodcastIndexEpisode(BaseEntryExtension):
    def __init__(self) -> None:
        self._season: int | None = None
        self._episode: int | None = None
        self._transcripts: list[dict[str, str]] = []
        self._chapters: str | None = None
        self._persons: list[tuple[str, dict[str, str]]] = []

    def season(self, number: int) -> None:
        self._season = number

    def episode(self, number: int) -> None:
        self._episode = number

    def transcript(
        self, url: str, media_type: str, language: str | None = None, rel: str | None = None
    ) -> None:
        self._transcripts.append(_attributes(url=url, type=media_type, language=language, rel=rel))

    def chapters(self, url: str) -> None:
        self._chapters = url

    def person(
        self,
        name: str,
        role: str | None = None,
        group: str | None = None,
        img: str | None = None,
        href: str | None = None,
    ) -> None:
        self._persons.append((name, _attributes(role=role, group=group, img=img, href=href)))

    def extend_rss(self, entry: Any) -> Any:
        if self._season is not None:
            xml_elem(_tag("season"), entry).text = str(self._season)
        if self._episode is not None:
            xml_elem(_tag("episode"), entry).text = str(self._episode)
        for attributes in self._transcripts:
            xml_elem(_tag("transcript"), entry, **attributes)
        if self._chapters:
            xml_elem(_tag("chapters"), entry, url=self._chapters, type=CHAPTERS_TYPE)
        for name, attributes in self._persons:
            xml_elem(_tag("person"), entry, **attributes).text = name
        return entry
