"""The page for people: one static HTML page per feed, what a browser navigating to the feed is shown.

It needs no script and no XSLT (browsers are removing XSLT): the feed's title and description, a
subscribe box with the feed's addresses and the links feed readers (or podcast apps, for a podcast
feed) take, and the feed's items with readable dates, a player for each audio or video enclosure.

The markup is a Jinja2 template shipped in the package (templates/page.html); this module prepares
the values it shows: dates, durations, sizes, the readers' and apps' links, and URLs that are safe
to link to (`web_link`). Safety: the template escapes every value (autoescaping is on for every
template) except an item's content, which the engine sanitised with nh3 when it rendered the record
and `_item` alone marks as `Markup`. The page carries its own Content-Security-Policy (no script at
all, the one inline style by its hash), on top of the one the edge sends with every response.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from feedpub import catalogue
from feedpub.catalogue import PAGE, PODCAST, Feed, Format
from feedpub.config import SiteConfig
from feedpub.model import Enclosure, FeedItem
from feedpub.render.common import clean, feed_url, home_url, item_title, language_tag, uri
from feedpub.slugs import tag_slug


def _cleaned(value: object) -> object:
    """Every value the template shows, without the characters HTML cannot carry (`Markup` was
    cleaned before it was marked)."""
    return value if isinstance(value, Markup) or not isinstance(value, str) else clean(value)


_TEMPLATES = Environment(
    loader=PackageLoader("feedpub", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    finalize=_cleaned,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_PAGE = _TEMPLATES.get_template("page.html")

# templates/page.css holds a rule a line; the page emits it on one line (the Nu Html Checker finds a
# multi-line <style> not to match its hash, browsers match it). Nothing in it is escaped, so the hash
# is that of the very text the page emits (a test hashes the page's bytes).
_STYLE = "".join(
    line.strip() for line in files("feedpub").joinpath("templates/page.css").read_text().splitlines()
)
if escape(_STYLE) != _STYLE:
    raise ValueError("templates/page.css must hold no character HTML escapes (<, >, &, quotes)")
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
# Narrower than the edge's policy (which also serves feed.xsl): no script of any kind, this page's
# one stylesheet, images and media from here or over https. `frame-ancestors` only works as a header,
# which the edge sends.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; script-src 'none'; style-src 'sha256-{_STYLE_HASH}'; "
    "img-src 'self' https: data:; media-src 'self' https:; base-uri 'none'; form-action 'none'"
)
_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)
# What people call the files of the usual episode types.
_FILE_KINDS = {"audio/mpeg": "MP3", "audio/mp4": "M4A", "audio/x-m4a": "M4A", "video/mp4": "MP4"}
# A table cell's `align` in item content (how Markdown tables' column alignment reaches the feeds).
# HTML calls the attribute obsolete and the page's policy allows no style attribute, so the page
# gives the cell a class its stylesheet aligns. The content is nh3's serialisation: attributes in
# double quotes, a quote inside a value escaped, and th and td never carry a class of their own.
_CELL_ALIGN = re.compile(r'(<t[hd]\b[^>]*?) align="([^"]*)"')
_ALIGNMENTS = frozenset({"left", "right", "center", "justify"})


@dataclass(frozen=True)
class Link:
    name: str
    href: str


@dataclass(frozen=True)
class Alternate:
    media_type: str
    title: str
    href: str


@dataclass(frozen=True)
class Moment:
    iso: str
    shown: str


@dataclass(frozen=True)
class Player:
    medium: str  # "audio" or "video": the element's name
    source: str
    kind: str
    size: str


@dataclass(frozen=True)
class Item:
    title: str
    link: str | None
    language: str | None
    published: Moment
    updated: Moment | None
    authors: list[Link]
    facts: list[str]
    player: Player | None
    image: str | None
    summary: str
    content: Markup | None
    tags: list[Link]


def web_link(url: str | None) -> str | None:
    """An http(s) URL with a host, as a URI, or None: nothing else ever becomes a link or a source."""
    if not url:
        return None
    address = uri(url)
    parts = urlsplit(address)
    return address if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def render_page(site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> bytes:
    title = feed.title(site)
    documents = [fmt for fmt in feed.formats if fmt is not PAGE]
    main = documents[0]  # the kind's first format is the address to give: RSS, or the show feed
    address = feed_url(site, feed.path(main))
    is_show = PODCAST in documents
    page = _PAGE.render(
        language=language_tag(site.language) or "en",  # else the language of the page's own words
        policy=CONTENT_SECURITY_POLICY,
        style=_STYLE,
        title=title,
        description=feed.description(site),
        alternates=[
            Alternate(
                fmt.media_type.partition(";")[0],
                f"{title} ({fmt.opml_label or fmt.name})",
                feed_url(site, feed.path(fmt)),
            )
            for fmt in documents
        ],
        icon=web_link(site.favicon),
        home=web_link(home_url(site)),
        site_title=site.title,
        is_show=is_show,
        address=address,
        apps=_podcast_apps(address, title) if is_show else _readers(address),
        others=[_format_link(site, feed, fmt) for fmt in documents[1:]],
        items=[_item(site, item) for item in items],
        opml=feed_url(site, catalogue.OPML.path),
        all_items=feed_url(site, catalogue.main_feed().path(PAGE)),
    )
    return page.encode("utf-8")


def _format_link(site: SiteConfig, feed: Feed, fmt: Format) -> Link:
    return Link(fmt.opml_label or fmt.name, feed_url(site, feed.path(fmt)))


def _readers(address: str) -> list[Link]:
    """Web feed readers' own subscribe links, each taking the feed's address %-encoded."""
    encoded = quote(address, safe="")
    return [
        Link("Feedly", f"https://feedly.com/i/subscription/feed%2F{encoded}"),
        Link("Inoreader", f"https://www.inoreader.com/?add_feed={encoded}"),
        Link("NewsBlur", f"https://www.newsblur.com/?url={encoded}"),
        Link("The Old Reader", f"https://theoldreader.com/feeds/subscribe?url={encoded}"),
    ]


def _podcast_apps(address: str, title: str) -> list[Link]:
    """Podcast apps' subscribe links: their URL schemes, or AntennaPod's web deep link."""
    encoded = quote(address, safe="")
    without_scheme = address.split("://", 1)[1]
    return [
        Link("Apple Podcasts", f"podcast://{without_scheme}"),
        Link("Overcast", f"overcast://x-callback-url/add?url={encoded}"),
        Link("Pocket Casts", f"pktc://subscribe/{without_scheme}"),
        Link(
            "AntennaPod",
            f"https://antennapod.org/deeplink/subscribe?url={encoded}&title={quote(clean(title), safe='')}",
        ),
    ]


def _item(site: SiteConfig, item: FeedItem) -> Item:
    title = item_title(item)
    updated = item.updated
    shown_updated = updated and updated.astimezone(site.tz).date() != item.date.astimezone(site.tz).date()
    content = clean(item.content_html)
    return Item(
        title=title,
        link=web_link(item.url),
        language=language_tag(item.language),
        published=_moment(site, item.date),
        updated=_moment(site, updated) if updated and shown_updated else None,
        authors=_author_links(site, item),
        facts=_episode_facts(item),
        player=_player(item.enclosure, title) if item.enclosure is not None else None,
        image=web_link(item.image),
        summary=clean(item.summary).strip(),
        # The one value shown unescaped: sanitised with nh3 when the engine rendered the record.
        content=Markup(_aligned_by_class(content)) if content.strip() else None,  # noqa: S704
        tags=_tag_links(site, item.tags),
    )


def _aligned_by_class(content: str) -> str:
    """Item content with each table cell's `align` turned into the page's class for it (dropped if
    it names no alignment)."""

    def aligned(match: re.Match[str]) -> str:
        alignment = match.group(2).strip().lower()
        return match.group(1) + (f' class="align-{alignment}"' if alignment in _ALIGNMENTS else "")

    return _CELL_ALIGN.sub(aligned, content)


def _episode_facts(item: FeedItem) -> list[str]:
    episode = item.episode
    if episode is None:
        return []
    facts = []
    if episode.season is not None:
        facts.append(f"season {episode.season}")
    if episode.number is not None:
        facts.append(f"episode {episode.number}")
    if episode.episode_type in ("trailer", "bonus"):
        facts.append(episode.episode_type)
    if episode.duration:
        facts.append(_duration(episode.duration))
    return facts


def _moment(site: SiteConfig, moment: datetime) -> Moment:
    local = moment.astimezone(site.tz)
    return Moment(local.isoformat(), f"{local.day} {_MONTHS[local.month - 1]} {local.year}")


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _size(length: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if length >= scale:
            return f"{length / scale:.1f} {unit}"
    return f"{length} bytes"


def _player(enclosure: Enclosure, title: str) -> Player | None:
    """An <audio> or <video> player for an episode's enclosure and a link to download it; None for an
    enclosure of any other type, or one without a web URL."""
    source = web_link(enclosure.url)
    medium = enclosure.mime_type.partition("/")[0].lower()
    if source is None or medium not in ("audio", "video"):
        return None
    media_type = enclosure.mime_type.partition(";")[0].strip().lower()
    kind = _FILE_KINDS.get(media_type) or media_type.partition("/")[2].upper()
    return Player(medium, source, kind, _size(enclosure.length))


def _author_links(site: SiteConfig, item: FeedItem) -> list[Link]:
    """Each author credited by name or e-mail links to their feed's page (they have one while they
    have a published item)."""
    links = []
    for person in item.authors:
        shown = clean(person.name or person.email).strip()
        if shown:
            page = feed_url(site, catalogue.AUTHORS.feed(catalogue.author_slug(person)).path(PAGE))
            links.append(Link(shown, page))
    return links


def _tag_links(site: SiteConfig, tags: Sequence[str]) -> list[Link]:
    """Each tag links to its feed's page (a published item's tags each have a feed)."""
    links = []
    for label in tags:
        shown = clean(label).strip()
        if shown:
            links.append(Link(shown, feed_url(site, catalogue.TAGS.feed(tag_slug(label)).path(PAGE))))
    return links
