"""The page for people: one static HTML page per feed, what a browser navigating to the feed is shown.

It needs no script and no XSLT (browsers are removing XSLT): the feed's title and description, a
subscribe box with the feed's addresses and the links feed readers (or podcast apps, for a podcast
feed) take, and the feed's items with readable dates, a player for each audio or video enclosure.

Safety: every text and attribute value is escaped here (`tag` escapes whatever is not already
`Html`); the only markup passed through is an item's content, which the engine sanitised with nh3
when it rendered the record. The page carries its own Content-Security-Policy (no script at all, the
one inline style by its hash), on top of the one the edge sends with every response.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from urllib.parse import quote, urlsplit

from feedpub import catalogue
from feedpub.catalogue import PAGE, PODCAST, Feed, Format
from feedpub.config import SiteConfig
from feedpub.model import Enclosure, FeedItem
from feedpub.render.common import clean, feed_url, home_url, item_title, language_tag, uri
from feedpub.slugs import tag_slug

# One line: the Nu Html Checker finds a multi-line <style> not to match its hash (browsers match it).
_STYLE = (
    "html{color-scheme:light dark;--muted:#5f6368;--line:#d0d4d9;--box:#f3f5f7}"
    "@media (prefers-color-scheme:dark){html{--muted:#a8adb3;--line:#3c4043;--box:#202326}}"
    "body{font:1.05rem/1.55 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem}"
    "a{color:LinkText}"
    "header p.site{margin:0;font-weight:600}"
    "h1{font-size:1.8rem;line-height:1.2;margin:.3rem 0}"
    ".subscribe{background:var(--box);border:1px solid var(--line);border-radius:.5rem;"
    "padding:.2rem 1rem 1rem}"
    ".subscribe input{width:100%;box-sizing:border-box;font:inherit;padding:.3rem}"
    ".subscribe ul{padding-left:1.2rem}"
    ".meta,.note,footer{color:var(--muted);font-size:.92rem}"
    "article{border-top:1px solid var(--line);padding:.5rem 0 1rem}"
    "article h3{font-size:1.25rem;margin:.4rem 0}"
    "article img,article video{max-width:100%;height:auto}"
    "audio{width:100%}"
    ".tags{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem .8rem;font-size:.92rem}"
    ".align-left{text-align:left}.align-right{text-align:right}.align-center{text-align:center}"
    ".align-justify{text-align:justify}"
)
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
_VOID = frozenset({"meta", "link", "input", "img", "br"})
# A table cell's `align` in item content (how Markdown tables' column alignment reaches the feeds).
# HTML calls the attribute obsolete and the page's policy allows no style attribute, so the page
# gives the cell a class its stylesheet aligns. The content is nh3's serialisation: attributes in
# double quotes, a quote inside a value escaped, and th and td never carry a class of their own.
_CELL_ALIGN = re.compile(r'(<t[hd]\b[^>]*?) align="([^"]*)"')
_ALIGNMENTS = frozenset({"left", "right", "center", "justify"})


class Html(str):
    """Markup that is emitted as it is: built by `tag`, or sanitised item content."""


def tag(name: str, attributes: Mapping[str, str | bool | None] | None = None, *children: str | Html) -> Html:
    """An element; attribute values and children that are not Html are escaped. An attribute whose
    value is None or False is left out, True writes it bare."""
    parts = [f"<{name}"]
    for key, value in (attributes or {}).items():
        if value is True:
            parts.append(f" {key}")
        elif value is not None and value is not False:
            parts.append(f' {key}="{escape(clean(value))}"')
    parts.append(">")
    if name not in _VOID:
        parts.extend(child if isinstance(child, Html) else escape(clean(child)) for child in children)
        parts.append(f"</{name}>")
    return Html("".join(parts))


def join(children: Iterable[str | Html], separator: str = "") -> Html:
    return Html(
        separator.join(child if isinstance(child, Html) else escape(clean(child)) for child in children)
    )


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
    language = language_tag(site.language) or "en"  # else the language of the page's own words
    head = join(
        [
            tag("meta", {"charset": "utf-8"}),
            tag("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}),
            tag("meta", {"http-equiv": "Content-Security-Policy", "content": CONTENT_SECURITY_POLICY}),
            tag("title", None, title),
            tag("meta", {"name": "description", "content": feed.description(site)}),
            *(
                tag(
                    "link",
                    {
                        "rel": "alternate",
                        "type": fmt.media_type.partition(";")[0],
                        "title": f"{title} ({fmt.opml_label or fmt.name})",
                        "href": feed_url(site, feed.path(fmt)),
                    },
                )
                for fmt in documents
            ),
            *([tag("link", {"rel": "icon", "href": icon})] if (icon := web_link(site.favicon)) else []),
            tag("style", None, Html(_STYLE)),
        ],
        "\n",
    )
    body = join(
        [
            _header(site, feed),
            _subscribe(site, feed, documents),
            _items(site, feed, items),
            _footer(site),
        ],
        "\n",
    )
    page = (
        "<!DOCTYPE html>\n"
        + tag(
            "html",
            {"lang": language},
            Html("\n"),
            tag("head", None, head),
            Html("\n"),
            tag("body", None, body),
        )
        + "\n"
    )
    return page.encode("utf-8")


def _header(site: SiteConfig, feed: Feed) -> Html:
    return tag(
        "header",
        None,
        tag("p", {"class": "site"}, tag("a", {"href": web_link(home_url(site))}, site.title)),
        tag("h1", None, feed.title(site)),
        tag("p", None, feed.description(site)),
        tag(
            "p",
            {"class": "note"},
            "This is a web feed: follow it in a feed reader or podcast app to get every new item "
            "as it is published. The page you are reading is how it looks in a browser.",
        ),
    )


def _subscribe(site: SiteConfig, feed: Feed, documents: Sequence[Format]) -> Html:
    main = documents[0]  # the kind's first format is the address to give: RSS, or the show feed
    address = feed_url(site, feed.path(main))
    is_show = PODCAST in documents
    apps = _podcast_apps(address, feed.title(site)) if is_show else _readers(address)
    where = "your podcast app" if is_show else "your feed reader"
    return tag(
        "section",
        {"class": "subscribe", "aria-labelledby": "subscribe"},
        tag("h2", {"id": "subscribe"}, "Subscribe"),
        tag("p", None, tag("label", {"for": "address"}, f"Copy this address into {where}:")),
        tag("input", {"id": "address", "type": "url", "readonly": True, "value": address}),
        tag(
            "p",
            None,
            "Or open it in ",
            join([tag("a", {"href": link}, name) for name, link in apps], ", "),
            ". Self-hosted readers such as Miniflux and FreshRSS take the address above."
            if not is_show
            else ". Any other app takes the address above.",
        ),
        *(
            [
                tag("p", None, "The same feed in other formats:"),
                tag(
                    "ul",
                    None,
                    *(
                        tag(
                            "li",
                            None,
                            tag("a", {"href": feed_url(site, feed.path(fmt))}, fmt.opml_label or fmt.name),
                            " ",
                            tag("code", None, feed_url(site, feed.path(fmt))),
                        )
                        for fmt in documents[1:]
                    ),
                ),
            ]
            if len(documents) > 1
            else []
        ),
    )


def _readers(address: str) -> list[tuple[str, str]]:
    """Web feed readers' own subscribe links, each taking the feed's address %-encoded."""
    encoded = quote(address, safe="")
    return [
        ("Feedly", f"https://feedly.com/i/subscription/feed%2F{encoded}"),
        ("Inoreader", f"https://www.inoreader.com/?add_feed={encoded}"),
        ("NewsBlur", f"https://www.newsblur.com/?url={encoded}"),
        ("The Old Reader", f"https://theoldreader.com/feeds/subscribe?url={encoded}"),
    ]


def _podcast_apps(address: str, title: str) -> list[tuple[str, str]]:
    """Podcast apps' subscribe links: their URL schemes, or AntennaPod's web deep link."""
    encoded = quote(address, safe="")
    without_scheme = address.split("://", 1)[1]
    return [
        ("Apple Podcasts", f"podcast://{without_scheme}"),
        ("Overcast", f"overcast://x-callback-url/add?url={encoded}"),
        ("Pocket Casts", f"pktc://subscribe/{without_scheme}"),
        (
            "AntennaPod",
            f"https://antennapod.org/deeplink/subscribe?url={encoded}&title={quote(clean(title), safe='')}",
        ),
    ]


def _items(site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> Html:
    heading = "Episodes" if PODCAST in feed.formats else "Latest items"
    if not items:
        return tag("main", None, tag("h2", None, heading), tag("p", None, "Nothing published here yet."))
    return tag("main", None, tag("h2", None, heading), *(_item(site, item) for item in items))


def _item(site: SiteConfig, item: FeedItem) -> Html:
    link = web_link(item.url)
    title = item_title(item)
    parts: list[str | Html] = [
        tag("h3", None, tag("a", {"href": link}, title) if link else title),
        tag("p", {"class": "meta"}, join(_facts(site, item), " · ")),
    ]
    if item.enclosure is not None and (player := _player(item.enclosure, title)):
        parts.append(player)
    image = web_link(item.image)
    if image:
        parts.append(tag("p", None, tag("img", {"src": image, "alt": "", "loading": "lazy"})))
    summary = clean(item.summary).strip()
    if summary:
        parts.append(tag("p", None, summary))
    if item.content_html.strip():
        content = Html(_aligned_by_class(clean(item.content_html)))  # sanitised with nh3 when rendered
        parts.append(tag("details", None, tag("summary", None, "Full text"), content))
    if item.tags:
        parts.append(tag("ul", {"class": "tags", "aria-label": "Tags"}, *_tag_links(site, item.tags)))
    return tag("article", {"lang": language_tag(item.language)}, *parts)


def _aligned_by_class(content: str) -> str:
    """Item content with each table cell's `align` turned into the page's class for it (dropped if
    it names no alignment)."""

    def aligned(match: re.Match[str]) -> str:
        alignment = match.group(2).strip().lower()
        return match.group(1) + (f' class="align-{alignment}"' if alignment in _ALIGNMENTS else "")

    return _CELL_ALIGN.sub(aligned, content)


def _facts(site: SiteConfig, item: FeedItem) -> list[str | Html]:
    facts: list[str | Html] = [_time(site, item.date)]
    if item.updated and item.updated.astimezone(site.tz).date() != item.date.astimezone(site.tz).date():
        facts.append(join(["updated ", _time(site, item.updated)]))
    authors = _author_links(site, item)
    if authors:
        facts.append(join(["by ", join(authors, ", ")]))
    episode = item.episode
    if episode is not None:
        if episode.season is not None:
            facts.append(f"season {episode.season}")
        if episode.number is not None:
            facts.append(f"episode {episode.number}")
        if episode.episode_type in ("trailer", "bonus"):
            facts.append(episode.episode_type)
        if episode.duration:
            facts.append(_duration(episode.duration))
    return facts


def _time(site: SiteConfig, moment: datetime) -> Html:
    local = moment.astimezone(site.tz)
    shown = f"{local.day} {_MONTHS[local.month - 1]} {local.year}"
    return tag("time", {"datetime": local.isoformat()}, shown)


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


def _player(enclosure: Enclosure, title: str) -> Html | None:
    """An <audio> or <video> player for an episode's enclosure and a link to download it; None for an
    enclosure of any other type, or one without a web URL."""
    source = web_link(enclosure.url)
    medium = enclosure.mime_type.partition("/")[0].lower()
    if source is None or medium not in ("audio", "video"):
        return None
    media_type = enclosure.mime_type.partition(";")[0].strip().lower()
    kind = _FILE_KINDS.get(media_type) or media_type.partition("/")[2].upper()
    return join(
        [
            tag(medium, {"controls": True, "preload": "none", "src": source, "aria-label": title}),
            tag(
                "p",
                {"class": "meta"},
                tag("a", {"href": source, "download": True}, f"Download the {medium}"),
                f" ({kind}, {_size(enclosure.length)})",
            ),
        ],
        "\n",
    )


def _author_links(site: SiteConfig, item: FeedItem) -> list[Html]:
    """Each author credited by name or e-mail links to their feed's page (they have one while they
    have a published item)."""
    links = []
    for person in item.authors:
        shown = clean(person.name or person.email).strip()
        if shown:
            page = feed_url(site, catalogue.AUTHORS.feed(catalogue.author_slug(person)).path(PAGE))
            links.append(tag("a", {"href": page}, shown))
    return links


def _tag_links(site: SiteConfig, tags: Sequence[str]) -> list[Html]:
    """Each tag links to its feed's page (a published item's tags each have a feed)."""
    links = []
    for label in tags:
        shown = clean(label).strip()
        if shown:
            page = feed_url(site, catalogue.TAGS.feed(tag_slug(label)).path(PAGE))
            links.append(tag("li", None, tag("a", {"href": page}, shown)))
    return links


def _footer(site: SiteConfig) -> Html:
    return tag(
        "footer",
        None,
        tag(
            "p",
            None,
            tag("a", {"href": feed_url(site, catalogue.OPML.path)}, "Every feed of this site (OPML)"),
            " · ",
            tag("a", {"href": feed_url(site, catalogue.main_feed().path(PAGE))}, "All items"),
            " · published with feedpub",
        ),
    )
