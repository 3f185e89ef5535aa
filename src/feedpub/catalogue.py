"""The feed catalogue: every format feedpub publishes and every kind of feed, defined once.

Whatever needs to know which feeds exist asks this module: selection and the offline build (which
records a feed holds), the publisher's state (a feed's id and label), the outputs (paths, write
order, HTTP headers), feeds.opml, the local edge and the CloudFront functions (which paths are
public, which types a browser gets as XML: infra/edge/*.js carry the patterns generated here, and
tests keep them equal).

- A **format** is one row of FORMATS: its name, file name, media type, OPML label and renderer.
  PAGE, the page for people, is a format too: every kind publishes it beside its feed documents, so
  it is rendered, written, deleted and served exactly when and where they are.
- A **kind** of feed is one entry of KINDS: where its feeds live, which records belong to each
  (from the record's facets, so the publisher decides from its state without reading records),
  which feeds exist even when empty, and what each feed is called.

Every feed of every kind also has archive documents (feedpub.archive: RFC 5005 archived feeds), at
`<the directory of its documents>archive/<page>/<file name of each format>`; their paths, public
pattern and headers are defined here once, for all kinds.

Adding a format or a kind is one place here plus tests. Importing this module stays cheap (no
lxml, no feedgen): renderers are imported the first time a document is rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from feedpub.archive import PAGE_NAME, is_page_name
from feedpub.slugs import tag_slug

if TYPE_CHECKING:
    from feedpub.config import SiteConfig
    from feedpub.feed_settings import AuthorProfile, ContentMode
    from feedpub.model import FeedItem, Person, Record

# Feeds change when authors publish: short freshness, then serve stale while revalidating so a burst
# of readers never waits on the origin, and keep serving the last good copy if the origin errs.
FEED_CACHE = "public, max-age=300, stale-while-revalidate=86400, stale-if-error=604800"
# A full archive page never changes when articles are added (feedpub.archive); an edit or a deletion
# of one of its items rewrites it, and the publisher then invalidates it at the edge.
ARCHIVE_CACHE = "public, max-age=31536000, immutable"
STYLESHEET_CACHE = "public, max-age=86400, stale-while-revalidate=604800"
# Episode media: large, fetched by range, replaced rarely (a new upload is invalidated at the edge).
MEDIA_CACHE = "public, max-age=604800"
# Browsers show application/rss+xml and atom+xml as text (or download them) and never run their
# feed.xsl: a navigation gets the formats marked `xml_for_browsers` with this type instead.
XML_FOR_BROWSERS = "application/xml; charset=utf-8"
# A slug as feedpub makes them (feedpub.slugs): the one path segment a feed's name becomes.
SLUG = "[a-z0-9._-]+"
# Archive documents of a feed live in this directory beside its documents (feedpub.archive).
ARCHIVE_DIR = "archive/"
_SLUG = re.compile(SLUG)

Renderer = Callable[["SiteConfig", "Feed", "Sequence[FeedItem]"], bytes]


# -- formats -------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Format:
    """One document format every feed of a kind is published in."""

    name: str  # how code and docs call it
    file_name: str  # the last path segment of each feed's document in this format
    media_type: str  # its Content-Type
    opml_label: str | None  # the group feeds.opml lists it under (None: not listed)
    opml_type: str  # the outline's `type` in feeds.opml
    renderer: Renderer = field(repr=False)
    # A browser navigation gets it as XML_FOR_BROWSERS, so that its stylesheet renders.
    xml_for_browsers: bool = False
    # Its readers page back with RFC 5005's paged-feed `next` link rather than `prev-archive`
    # (AntennaPod and gPodder for podcasts): its documents carry both, to the same older page.
    pages_with_next: bool = False

    def render(self, site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> bytes:
        return self.renderer(site, feed, items)


def _render_rss(site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> bytes:
    from feedpub.render.rss import render_rss

    return render_rss(site, feed, items)


def _render_atom(site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> bytes:
    from feedpub.render.atom import render_atom

    return render_atom(site, feed, items)


def _render_json(site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> bytes:
    from feedpub.render.jsonfeed import render_json

    return render_json(site, feed, items)


def _render_podcast(site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> bytes:
    from feedpub.render.podcast import render_podcast

    return render_podcast(site, feed, items)


def _render_page(site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> bytes:
    from feedpub.render.page import render_page

    return render_page(site, feed, items)


RSS = Format("rss", "feed.xml", "application/rss+xml; charset=utf-8", "RSS 2.0", "rss", _render_rss, True)
ATOM = Format(
    "atom", "atom.xml", "application/atom+xml; charset=utf-8", "Atom 1.0", "atom", _render_atom, True
)
JSON_FEED = Format(
    "json", "feed.json", "application/feed+json; charset=utf-8", "JSON Feed 1.1", "json", _render_json
)
FORMATS: tuple[Format, ...] = (RSS, ATOM, JSON_FEED)
# The show feed: RSS 2.0 with the iTunes and Podcasting 2.0 namespaces, the format podcast apps read.
PODCAST = Format(
    "podcast",
    "podcast.xml",
    "application/rss+xml; charset=utf-8",
    "Podcast",
    "rss",
    _render_podcast,
    xml_for_browsers=True,
    pages_with_next=True,
)
# The page for people: what a browser navigating to any document of the feed is shown (the local
# edge and infra/edge/viewer.js rewrite the request to it). Not a feed: no OPML entry.
PAGE = Format("page", "index.html", "text/html; charset=utf-8", None, "", _render_page)


# -- site-wide files -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SiteFile:
    """A published file that is not a feed: one per site."""

    path: str
    media_type: str
    cache_control: str


XSL = SiteFile("feed.xsl", "text/xsl; charset=utf-8", STYLESHEET_CACHE)  # the page browsers render
OPML = SiteFile("feeds.opml", "text/x-opml; charset=utf-8", FEED_CACHE)  # every feed, for readers to import
SITE_FILES: tuple[SiteFile, ...] = (XSL, OPML)


# -- what a record contributes to membership -------------------------------------------------------

# JSON-able, so the publisher keeps it in its state and decides membership without the record:
# {"tags": [[slug, as written], ...], "authors": [[slug, name], ...], "enclosure": [[media type]]},
# each list in the record's order, one entry per slug; "enclosure" is empty for a record without one.
Facets = dict[str, list[list[str]]]


def facets_of(record: Record) -> Facets:
    tags: dict[str, str] = {}
    for tag in record.tags:
        tags.setdefault(tag_slug(tag), tag)
    authors: dict[str, str] = {}
    for person in record.authors:
        shown = person.name or person.email
        if shown:  # someone known only by a URL has no feed of their own
            authors.setdefault(author_slug(person), shown)
    return {
        "tags": [[slug, spelling] for slug, spelling in tags.items()],
        "authors": [[slug, name] for slug, name in authors.items()],
        "enclosure": [[record.enclosure.mime_type]] if record.enclosure else [],
    }


def author_slug(person: Person) -> str:
    """The path segment of a person's feed: their site.yaml key, else their name (or e-mail)."""
    return tag_slug(person.key or person.name or person.email or "")


# -- kinds of feeds ----------------------------------------------------------------------------------


class Kind:
    """A kind of feed. The base class is a directory of feeds, one per slug:
    `<directory><slug>/<file name of each format>`; subclasses say which records belong where."""

    name: str = ""  # how site.yaml and the docs call the kind
    directory: str = ""
    formats: tuple[Format, ...] = (*FORMATS, PAGE)
    write_rank = 1  # the publisher writes lower ranks first: feeds that others link to go early

    def memberships(self, facets: Facets, site: SiteConfig) -> Iterable[tuple[str, str | None]]:
        """(slug, label) of each feed of this kind a published record with these facets belongs to.

        The label is what the record calls the feed (a tag as written); a feed shows its newest
        record's label."""
        raise NotImplementedError

    def standing(self, site: SiteConfig) -> Iterable[str]:
        """Slugs of the feeds that exist even when no record belongs to them."""
        return ()

    def title(self, site: SiteConfig, feed: Feed) -> str:
        raise NotImplementedError

    def description(self, site: SiteConfig, feed: Feed) -> str:
        raise NotImplementedError

    def people(self, site: SiteConfig, feed: Feed) -> tuple[Person, ...]:
        """Who the feed is by, at feed level: the site's author by default."""
        from feedpub.model import Person

        author = site.author
        return (Person(name=author.name, url=author.url, email=author.email),) if author else ()

    def icon(self, site: SiteConfig, feed: Feed) -> str | None:
        """The feed's image (absolute URL): the site's icon by default."""
        return site.icon

    def content_mode(self, site: SiteConfig, feed: Feed) -> ContentMode:
        """Whether the feed's items carry their full content or only the summary with a link."""
        return site.content_mode(self.name)

    def item_limit(self, site: SiteConfig) -> int | None:
        """How many of its newest members each feed of this kind shows, None for every one (the
        byte budget then bounds the document: budget.fitting_count): site.yaml `feed_limit`. The
        offline build, the publisher's heads (feedpub.publish.heads, which keep a reserve beyond
        it) and the archives (a feed showing every member has none) all ask here."""
        return site.feed_limit

    # -- where its documents live (override all four together) --

    def feed_id(self, slug: str) -> str:
        """The feed's id in the publisher's state: the directory its documents are in."""
        return f"{self.directory}{slug}/"

    def slug_of(self, feed_id: str) -> str | None:
        """The slug of a feed id of this kind, or None if the id is not one."""
        if not feed_id.startswith(self.directory) or not feed_id.endswith("/"):
            return None
        slug = feed_id[len(self.directory) : -1]
        return slug if _SLUG.fullmatch(slug) and slug not in (".", "..") else None

    def path(self, feed: Feed, fmt: Format) -> str:
        return feed.id + fmt.file_name

    def path_pattern(self) -> str:
        """A regular expression (JavaScript and Python alike) of every document path of this kind."""
        return rf"{self.directory_pattern()}{_names(self.formats)}"

    def directory_pattern(self) -> str:
        """A regular expression of the directory (with its "/", or empty) a feed's documents are in."""
        return rf"{_escape(self.directory)}{SLUG}\/"

    def archive_path(self, feed: Feed, fmt: Format) -> str:
        """Where an archive document of the feed is: beside its documents, in archive/<page>/."""
        directory, _, _ = self.path(Feed(self, feed.slug), fmt).rpartition("/")
        prefix = directory + "/" if directory else ""
        return f"{prefix}{ARCHIVE_DIR}{feed.page}/{fmt.file_name}"

    @property
    def archive_formats(self) -> list[Format]:
        """The formats of its archive documents: its feed formats (an archive page has no page for
        people; a browser that opens one gets the XML, with feed.xsl where the format has it)."""
        return _feed_formats(self.formats)

    def archive_pattern(self) -> str:
        return rf"{self.directory_pattern()}{_escape(ARCHIVE_DIR)}{PAGE_NAME}\/{_names(self.archive_formats)}"

    def archive_document(self, path: str) -> tuple[str, str, Format] | None:
        """(feed id, page, format) if `path` is an archive document of a feed of this kind."""
        directory, _, file_name = path.rpartition("/")
        feed_directory, _, page = directory.rpartition("/")
        owner_directory, _, archive_directory = feed_directory.rpartition("/")
        if not is_page_name(page) or archive_directory + "/" != ARCHIVE_DIR:
            return None
        owner = (owner_directory + "/" if owner_directory else "") + file_name
        found = self.document(owner)
        if found is None or found[1] not in self.archive_formats:
            return None
        return found[0], page, found[1]

    def page_route(self) -> tuple[str, str]:
        """(pattern, replacement) turning the request path of a feed document of this kind into the
        path of its feed's page, as JavaScript's String.replace reads them (infra/edge/viewer.js)."""
        directory = rf"{_escape(self.directory)}{SLUG}\/"
        return rf"^\/({directory}){_names(_feed_formats(self.formats))}$", "/$1" + PAGE.file_name

    def document(self, path: str) -> tuple[str, Format] | None:
        """(feed id, format) if `path` is a document of a feed of this kind."""
        directory, _, _ = path.rpartition("/")
        feed_id = directory + "/" if directory else ""
        slug = self.slug_of(feed_id)
        if slug is not None:
            for fmt in self.formats:
                if self.path(Feed(self, slug), fmt) == path:
                    return feed_id, fmt
        return None

    def feed(self, slug: str, label: str | None = None) -> Feed:
        return Feed(self, slug, label)


class MainKind(Kind):
    """The site's feed: every published record, at the root of `base_url`."""

    name = "main"
    write_rank = 2  # after the feeds it does not link to, so readers of it see them first

    def memberships(self, facets: Facets, site: SiteConfig) -> Iterable[tuple[str, str | None]]:
        return (("", None),)

    def standing(self, site: SiteConfig) -> Iterable[str]:
        return ("",)

    def title(self, site: SiteConfig, feed: Feed) -> str:
        return site.title

    def description(self, site: SiteConfig, feed: Feed) -> str:
        return site.description or site.title

    def feed_id(self, slug: str) -> str:
        return ""

    def slug_of(self, feed_id: str) -> str | None:
        return "" if feed_id == "" else None

    def directory_pattern(self) -> str:
        return ""

    def page_route(self) -> tuple[str, str]:
        return rf"^\/{_names(_feed_formats(self.formats))}$", "/" + PAGE.file_name


class TagKind(Kind):
    """One feed per tag, under tags/<tag slug>/; named by the tag as its newest record writes it."""

    name = "tags"
    directory = "tags/"

    def memberships(self, facets: Facets, site: SiteConfig) -> Iterable[tuple[str, str | None]]:
        return ((slug, spelling) for slug, spelling in facets["tags"])

    def title(self, site: SiteConfig, feed: Feed) -> str:
        return f"{site.title}: {feed.label}"

    def description(self, site: SiteConfig, feed: Feed) -> str:
        return f"Articles tagged “{feed.label}” from {site.title}"


class PodcastKind(Kind):
    """The show of site.yaml's `podcast:`: every published record with an audio or video enclosure,
    as podcast.xml at the root of `base_url`. It exists while the site has a show, even empty."""

    name = "podcast"
    formats = (PODCAST, PAGE)
    write_rank = 2
    page_name = "podcast.html"  # beside podcast.xml: the main feed's page is index.html

    def memberships(self, facets: Facets, site: SiteConfig) -> Iterable[tuple[str, str | None]]:
        from feedpub.podcast.media import is_episode_type

        episode = any(is_episode_type(mime_type) for mime_type, *_ in facets.get("enclosure", ()))
        return (("", None),) if site.podcast is not None and episode else ()

    def standing(self, site: SiteConfig) -> Iterable[str]:
        return ("",) if site.podcast is not None else ()

    def item_limit(self, site: SiteConfig) -> int | None:
        """Every episode, unless site.yaml `podcast.episode_limit` says fewer: Apple Podcasts and
        Spotify list only the episodes the show feed holds (they follow no archive link)."""
        return site.podcast.episode_limit if site.podcast is not None else None

    def title(self, site: SiteConfig, feed: Feed) -> str:
        return site.podcast.title_for(site) if site.podcast else site.title

    def description(self, site: SiteConfig, feed: Feed) -> str:
        described = site.podcast.description_for(site) if site.podcast else None
        return described or site.title

    # One feed, one document: its id in the state is its path.
    def feed_id(self, slug: str) -> str:
        return PODCAST.file_name

    def slug_of(self, feed_id: str) -> str | None:
        return "" if feed_id == PODCAST.file_name else None

    def path(self, feed: Feed, fmt: Format) -> str:
        return self.page_name if fmt is PAGE else fmt.file_name

    def path_pattern(self) -> str:
        return f"({_escape(PODCAST.file_name)}|{_escape(self.page_name)})"

    def directory_pattern(self) -> str:
        return ""

    def document(self, path: str) -> tuple[str, Format] | None:
        feed = self.feed("")
        return next(((feed.id, fmt) for fmt in self.formats if self.path(feed, fmt) == path), None)

    def page_route(self) -> tuple[str, str]:
        return rf"^\/{_escape(PODCAST.file_name)}$", "/" + self.page_name


class AuthorKind(Kind):
    """One feed per author with a published record, under authors/<author slug>/: a key of
    site.yaml `authors:` (its profile names the feed and is its author) or a name as written."""

    name = "authors"
    directory = "authors/"

    def memberships(self, facets: Facets, site: SiteConfig) -> Iterable[tuple[str, str | None]]:
        return ((slug, name) for slug, name in facets["authors"])

    def title(self, site: SiteConfig, feed: Feed) -> str:
        return f"{site.title}: {self._name(site, feed)}"

    def description(self, site: SiteConfig, feed: Feed) -> str:
        profile = self.profile(site, feed)
        if profile is not None and profile.bio:
            return profile.bio
        return f"Articles by {self._name(site, feed)} from {site.title}"

    def people(self, site: SiteConfig, feed: Feed) -> tuple[Person, ...]:
        from feedpub.model import Person

        profile = self.profile(site, feed)
        if profile is None:
            return (Person(name=feed.label),) if feed.label else ()
        return (Person(name=profile.name, url=profile.url, email=profile.email, avatar=profile.avatar),)

    def icon(self, site: SiteConfig, feed: Feed) -> str | None:
        profile = self.profile(site, feed)
        return profile.avatar if profile is not None and profile.avatar else site.icon

    def profile(self, site: SiteConfig, feed: Feed) -> AuthorProfile | None:
        """The site.yaml profile whose key gives this feed its slug, if any."""
        return site.author_profiles.get(feed.slug)

    def _name(self, site: SiteConfig, feed: Feed) -> str:
        profile = self.profile(site, feed)
        return profile.name if profile is not None else feed.label or feed.slug


class SiteFeedKind(Kind):
    """The feeds site.yaml names in `feeds:`, under feeds/<name>/: each holds the records its
    selection picks (feedpub.feed_settings.SiteFeed), and exists even while none does."""

    name = "feeds"
    directory = "feeds/"

    def memberships(self, facets: Facets, site: SiteConfig) -> Iterable[tuple[str, str | None]]:
        if not site.feeds:
            return ()
        tags = frozenset(slug for slug, _ in facets["tags"])
        authors = frozenset(slug for slug, _ in facets["authors"])
        return ((name, None) for name, feed in site.feeds.items() if feed.selects(tags, authors))

    def standing(self, site: SiteConfig) -> Iterable[str]:
        return site.feeds

    def title(self, site: SiteConfig, feed: Feed) -> str:
        settings = site.feeds.get(feed.slug)
        return settings.title if settings is not None and settings.title else f"{site.title}: {feed.slug}"

    def description(self, site: SiteConfig, feed: Feed) -> str:
        settings = site.feeds.get(feed.slug)
        if settings is not None and settings.description:
            return settings.description
        return f"{self.title(site, feed)}: selected articles from {site.title}"

    def content_mode(self, site: SiteConfig, feed: Feed) -> ContentMode:
        settings = site.feeds.get(feed.slug)
        if settings is not None and settings.content is not None:
            return settings.content
        return super().content_mode(site, feed)


MAIN = MainKind()
TAGS = TagKind()
PODCASTS = PodcastKind()
AUTHORS = AuthorKind()
SITE_FEEDS = SiteFeedKind()
# feeds.opml lists feeds in this order of kinds, then by slug; site.yaml `content:` names them.
KINDS: tuple[Kind, ...] = (MAIN, PODCASTS, SITE_FEEDS, TAGS, AUTHORS)


@dataclass(frozen=True)
class Feed:
    """One feed: a kind and a slug (its place), and the label it is shown with."""

    kind: Kind
    slug: str
    label: str | None = None
    # Archives (feedpub.archive): the page this document is (None: the subscription document), the
    # next older archive document (prev-archive) and, for a page, the next newer one (next-archive).
    page: str | None = None
    older: str | None = None
    newer: str | None = None

    @property
    def id(self) -> str:
        return self.kind.feed_id(self.slug)

    @property
    def subscription(self) -> Feed:
        """The feed's subscription document (what `current` links to)."""
        return Feed(self.kind, self.slug, self.label)

    def archive_page(self, page: str, older: str | None = None, newer: str | None = None) -> Feed:
        return Feed(self.kind, self.slug, self.label, page, older, newer)

    def with_older(self, older: str | None) -> Feed:
        return Feed(self.kind, self.slug, self.label, self.page, older, self.newer)

    def page_path(self, page: str, fmt: Format) -> str:
        return self.kind.archive_path(self.archive_page(page), fmt)

    @property
    def formats(self) -> tuple[Format, ...]:
        """The formats this document is published in (an archive page: the feed formats only)."""
        return self.kind.formats if self.page is None else tuple(self.kind.archive_formats)

    def path(self, fmt: Format) -> str:
        if self.page is not None:
            return self.kind.archive_path(self, fmt)
        return self.kind.path(self, fmt)

    @property
    def paths(self) -> list[str]:
        return [self.path(fmt) for fmt in self.formats]

    def title(self, site: SiteConfig) -> str:
        return self.kind.title(site, self)

    def description(self, site: SiteConfig) -> str:
        return self.kind.description(site, self)

    def people(self, site: SiteConfig) -> tuple[Person, ...]:
        return self.kind.people(site, self)

    def icon(self, site: SiteConfig) -> str | None:
        return self.kind.icon(site, self)

    def content_mode(self, site: SiteConfig) -> ContentMode:
        return self.kind.content_mode(site, self)

    def item_limit(self, site: SiteConfig) -> int | None:
        return self.kind.item_limit(site)


# -- questions the rest of feedpub asks -------------------------------------------------------------


def memberships(facets: Facets, site: SiteConfig) -> list[tuple[str, str | None]]:
    """(feed id, label) of every feed a published record with these facets belongs to, once each."""
    found: dict[str, str | None] = {}
    for kind in KINDS:
        for slug, label in kind.memberships(facets, site):
            found.setdefault(kind.feed_id(slug), label)
    return list(found.items())


def standing_feeds(site: SiteConfig) -> list[str]:
    """Ids of the feeds published even when empty (the main feed, the feeds of site.yaml)."""
    return [kind.feed_id(slug) for kind in KINDS for slug in kind.standing(site)]


def feed(feed_id: str, label: str | None = None) -> Feed:
    """The feed the publisher's state knows by this id."""
    for kind in KINDS:
        slug = kind.slug_of(feed_id)
        if slug is not None:
            return Feed(kind, slug, label)
    raise ValueError(f"{feed_id!r} is not a feed of any kind in the catalogue")


def is_feed_id(feed_id: str) -> bool:
    return any(kind.slug_of(feed_id) is not None for kind in KINDS)


def main_feed() -> Feed:
    return MAIN.feed("")


def feed_order(feed_id: str) -> tuple[int, str]:
    """Sort key of feed ids: the order of KINDS, then by slug (feeds.opml, the offline build)."""
    for position, kind in enumerate(KINDS):
        slug = kind.slug_of(feed_id)
        if slug is not None:
            return position, slug
    raise ValueError(f"{feed_id!r} is not a feed of any kind in the catalogue")


def document(path: str) -> tuple[str, Format] | None:
    """(feed id, format) of a published feed document, or None for any other path."""
    return next((found for kind in KINDS if (found := kind.document(path)) is not None), None)


def is_feed_document(path: str) -> bool:
    """Whether `path` is a feed a reader subscribes to (a WebSub topic), not a feed's page."""
    found = document(path)
    return found is not None and found[1] is not PAGE


def page_for(path: str) -> str | None:
    """The path of the page of the feed `path` is a document of (None: not a feed document, or the
    page itself). A browser navigating to a feed is shown this page instead."""
    found = document(path)
    if found is None or found[1] is PAGE:
        return None
    return feed(found[0]).path(PAGE)


def page_routes() -> list[tuple[str, str]]:
    """Every kind's page_route: infra/edge/viewer.js holds a copy (tests compare)."""
    return [kind.page_route() for kind in KINDS]


def layout() -> list[list[str]]:
    """Every kind and its formats: a publisher state made for another layout is rebuilt, so that a new
    kind or format reaches every feed of a site at once, not one feed at a time as records change."""
    return [[kind.name, *(fmt.name for fmt in kind.formats)] for kind in KINDS]


def archive_document(path: str) -> tuple[str, str, Format] | None:
    """(feed id, page, format) of an archive document, or None for any other path."""
    return next((found for kind in KINDS if (found := kind.archive_document(path)) is not None), None)


def is_feed_output(path: str) -> bool:
    """A feed's document or one of its archive documents."""
    return document(path) is not None or archive_document(path) is not None


def site_file(path: str) -> SiteFile | None:
    return next((file for file in SITE_FILES if file.path == path), None)


def headers_for(path: str, full_archive: bool = False) -> tuple[str, str]:
    """(Content-Type, Cache-Control) of a published path; a path feedpub does not publish is refused.

    `full_archive`: the path is an archive document that has a newer one (feedpub.archive), which
    no new article can change: it is served as immutable."""
    if (file := site_file(path)) is not None:
        return file.media_type, file.cache_control
    if (found := document(path)) is not None:
        return found[1].media_type, FEED_CACHE
    if (archived := archive_document(path)) is not None:
        return archived[2].media_type, ARCHIVE_CACHE if full_archive else FEED_CACHE
    raise ValueError(f"{path!r} is not a path feedpub publishes")


def write_rank(path: str) -> int:
    """When the publisher writes a path: the stylesheet first, then archive documents (a feed links
    to them), then the feeds (those others link to first), then feeds.opml, which lists them all;
    anything else (the private report) last."""
    if path == XSL.path:
        return 0
    if archive_document(path) is not None:
        return 1
    if (found := document(path)) is not None:
        return feed(found[0]).kind.write_rank + 1
    if path == OPML.path:
        return 4
    return 5


def browser_types() -> list[str]:
    """Media types a browser navigation gets as XML_FOR_BROWSERS (so the feed's stylesheet renders)."""
    types = [fmt.media_type.partition(";")[0] for fmt in _all_formats() if fmt.xml_for_browsers]
    return list(dict.fromkeys(types))  # podcast.xml is RSS too


def browser_type_pattern() -> str:
    """browser_types as the regular expression infra/edge/viewer-response.js holds a copy of."""
    return rf"^({'|'.join(_escape(media_type) for media_type in browser_types())})"


def negotiated_type_pattern() -> str:
    """The media types of every feed document and page: a response of one of them comes from a URL
    that gives browsers the page and readers the feed, so it varies with the request's headers
    (infra/edge/viewer-response.js holds a copy)."""
    types = dict.fromkeys(fmt.media_type.partition(";")[0] for fmt in _all_formats())
    return rf"^({'|'.join(_escape(media_type) for media_type in types)})"


@cache
def public_path_pattern() -> str:
    """The regular expression of every public request path ("/" + a published path), written the
    same for Python's `re` and JavaScript (infra/edge/viewer.js holds a copy; tests compare)."""
    alternatives = [_escape(file.path) for file in SITE_FILES] + [kind.path_pattern() for kind in KINDS]
    alternatives += [kind.archive_pattern() for kind in KINDS]
    return rf"^\/({'|'.join([*alternatives, media_path_pattern()])})$"


def media_path_pattern() -> str:
    """Episode media files (feedpub.podcast.media): the one public family of paths that is not a feed."""
    from feedpub.podcast.media import MEDIA_PREFIX, SEGMENT

    return rf"{_escape(MEDIA_PREFIX)}(?:{SEGMENT}\/)*{SEGMENT}"


def is_public(request_path: str) -> bool:
    return re.fullmatch(public_path_pattern(), request_path) is not None


def _all_formats() -> Iterator[Format]:
    seen: list[Format] = []
    for kind in KINDS:
        for fmt in kind.formats:
            if fmt not in seen:
                seen.append(fmt)
                yield fmt


def _feed_formats(formats: Sequence[Format]) -> list[Format]:
    return [fmt for fmt in formats if fmt is not PAGE]


def _escape(text: str) -> str:
    """Literal text in a pattern Python and JavaScript read alike (a JavaScript literal needs "/" escaped)."""
    return re.sub(r"([\\^$.|?*+()\[\]{}/])", r"\\\1", text)


def _names(formats: Sequence[Format]) -> str:
    return "(" + "|".join(_escape(fmt.file_name) for fmt in formats) + ")"
