"""feedgen's podcast (iTunes) extension, brought up to Apple's current rules where it lags.

feedgen 1.0 writes `itunes:explicit` as yes/no/clean; Apple now reads true/false (and the W3C
validator reports anything else as an error). It insists on an owner name beside the e-mail, which
Apple does not. It drops a show image whose URL does not literally end in .jpg or .png (a query
string is enough) without a word, and raises for such an episode image. These subclasses keep
every other tag to feedgen and are registered with `FeedGenerator.register_extension`, feedgen's
public extension point; nothing edits the XML afterwards.
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from feedgen.util import xml_elem

from feedpub.podcast.show import apple_artwork_url

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
EXTENSION = "itunes"  # the attribute name feedgen gives the extension: fg.itunes, entry.itunes


def _tag(name: str) -> str:
    return f"{{{ITUNES_NS}}}{name}"


def _explicit(parent: Any, value: bool | None) -> None:
    if value is not None:
        xml_elem(_tag("explicit"), parent).text = "true" if value else "false"


class ItunesShow(PodcastExtension):
    """Channel-level itunes tags."""

    def __init__(self) -> None:
        super().__init__()
        self._explicit: bool | None = None
        self._owner: tuple[str | None, str] | None = None
        self._image: str | None = None

    def itunes_explicit(self, itunes_explicit: bool | None = None) -> bool | None:
        """Whether the show is explicit: written as Apple's true or false."""
        if itunes_explicit is not None:
            if not isinstance(itunes_explicit, bool):
                raise ValueError("itunes:explicit is true or false")
            self._explicit = itunes_explicit
        return self._explicit

    def itunes_owner(
        self, name: str | None = None, email: str | None = None
    ) -> tuple[str | None, str] | None:
        """Who Apple and Spotify contact about the show: the e-mail is required, the name is not."""
        if email is not None:
            self._owner = (name, email)
        elif name is not None:
            raise ValueError("itunes:owner needs an e-mail address")
        return self._owner

    def itunes_image(self, itunes_image: str | None = None) -> str | None:
        if itunes_image is not None:
            if not apple_artwork_url(itunes_image):
                raise ValueError(f"itunes:image must be a .jpg or .png URL, not {itunes_image!r}")
            self._image = itunes_image
        return self._image

    def extend_rss(self, rss_feed: Any) -> Any:
        rss_feed = super().extend_rss(rss_feed)
        channel = rss_feed[0]
        if self._image:
            xml_elem(_tag("image"), channel).attrib["href"] = self._image
        _explicit(channel, self._explicit)
        if self._owner:
            owner = xml_elem(_tag("owner"), channel)
            name, email = self._owner
            if name:
                xml_elem(_tag("name"), owner).text = name
            xml_elem(_tag("email"), owner).text = email
        return rss_feed


class ItunesEpisode(PodcastEntryExtension):
    """Item-level itunes tags."""

    def __init__(self) -> None:
        super().__init__()
        self._explicit: bool | None = None
        self._image: str | None = None

    def itunes_explicit(self, itunes_explicit: bool | None = None) -> bool | None:
        if itunes_explicit is not None:
            if not isinstance(itunes_explicit, bool):
                raise ValueError("itunes:explicit is true or false")
            self._explicit = itunes_explicit
        return self._explicit

    def itunes_image(self, itunes_image: str | None = None) -> str | None:
        """The episode art, when Apple would take its URL; any other image is left out, not an error
        (`feedpub check` warns about it, and the show art stands in)."""
        if itunes_image is not None and apple_artwork_url(itunes_image):
            self._image = itunes_image
        return self._image

    def extend_rss(self, entry: Any) -> Any:
        entry = super().extend_rss(entry)
        if self._image:
            xml_elem(_tag("image"), entry).attrib["href"] = self._image
        _explicit(entry, self._explicit)
        return entry
