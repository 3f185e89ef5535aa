"""What the three feed formats share: titles, URLs, ids, the feed-level date, safe text."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit, urlunsplit

from feedpub.catalogue import XSL, Feed, Format
from feedpub.config import SiteConfig
from feedpub.model import FeedItem, Person
from feedpub.text import clean

# The characters a URI may hold as they are (RFC 2396, as the W3C validator checks it); `%` only
# when it starts an escape.
_URI_SAFE = ";/?:@&=+$-_.!~*'(),#%"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_FULL_URI = re.compile(r"[a-zA-Z][0-9a-zA-Z+\-.]*:(//)?[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,#]+")
# Ids the validator takes as they are: http(s) URIs already in canonical form (lowercase scheme and
# host, no default port, a path, no dot segments, upper-case escapes of reserved octets only), urn:uuid
# and tag: URIs. Anything else becomes a urn:uuid derived from it (stable across builds).
_CANONICAL_HTTP = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d+)?"
    r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*"
    r"(?:\?(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*)?"
    r"(?:#(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*)?"
)
_UUID_URN = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TAG_URI = re.compile(
    r"tag:([a-z0-9\-._]+?@)?[a-z0-9.\-]+?,\d{4}(-\d{2}(-\d{2})?)?:[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,]*"
)
_ESCAPE = re.compile(r"%([0-9A-F]{2})")
# Characters a canonical URI never escapes (the validator unescapes them when it compares).
_NEVER_ESCAPED = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?"
)
_DEFAULT_PORT = re.compile(r"^http://[^/]*:80/|^https://[^/]*:443/")
_DOT_SEGMENT = re.compile(r"/\.\.?(/|$|[?#])")
# An empty feed still needs a date, and it must not depend on the build time.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
GENERATOR = "feedpub"


def uri(url: str) -> str:
    """A URL as a plain ASCII URI: IDNA host, everything else outside the URI alphabet %-escaped.

    Readers and validators want URIs, not IRIs; a URL that is already a URI comes back unchanged.
    """
    url = clean(url).strip()
    if _FULL_URI.fullmatch(url) and not _LONE_PERCENT.search(url):
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if netloc and not netloc.isascii():
        userinfo, at, hostport = netloc.rpartition("@")
        host, colon, port = hostport.partition(":")
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = quote(host, safe="")
        netloc = f"{quote(userinfo, safe=':')}{at}{host}{colon}{port}"
    escaped = urlunsplit((parts.scheme, netloc, *parts[2:]))
    return quote(_LONE_PERCENT.sub("%25", escaped), safe=_URI_SAFE)


def people(persons: Sequence[Person]) -> list[Person]:
    """Authors with XML-safe fields, leaving out anyone with neither a name nor an e-mail left."""
    kept = []
    for person in persons:
        name, email = clean(person.name).strip(), clean(person.email).strip()
        if name or email:
            kept.append(
                Person(
                    name=name or None,
                    email=email or None,
                    url=uri(person.url) if person.url else None,
                    avatar=uri(person.avatar) if person.avatar else None,
                )
            )
    return kept


def labels(tags: Sequence[str]) -> list[str]:
    """Tags as categories: XML-safe, none empty."""
    return [text for text in (clean(tag).strip() for tag in tags) if text]


def item_title(item: FeedItem) -> str:
    """An item's title on one line, never empty: a title made only of unprintable characters falls back
    to its URL. Line breaks and runs of spaces become one space, as readers show a title anyway (and
    feedparser drops a carriage return from an HTML-typed Atom title but keeps it in RSS)."""
    return " ".join(clean(item.title).split()) or uri(item.url)


def feed_url(site: SiteConfig, path: str) -> str:
    """Where a published path is served: the self link every feed carries."""
    return uri(site.base_url + path)


# RFC 5005's namespace: fh:archive marks an archive document.
FEED_HISTORY_NS = "http://purl.org/syndication/history/1.0"


def archive_links(site: SiteConfig, feed: Feed, fmt: Format) -> list[tuple[str, str]]:
    """(rel, URL) of the RFC 5005 links of one document of a feed in `fmt`.

    The subscription document links its newest archive document (prev-archive). An archive document
    links its subscription document (current), the next older document (prev-archive) and the next
    newer one (next-archive); the newest archive document's next is the subscription document
    itself, so that every archive document links somewhere along the chain, which the W3C validator
    asks of an archive (its ArchiveIncomplete warning) even when there is only one. A format read by
    apps that page with RFC 5005's paged-feed `next` instead (podcast apps) gets that link too."""
    links: list[tuple[str, str]] = []
    if feed.page is not None:
        current = feed_url(site, feed.subscription.path(fmt))
        links.append(("current", current))
    if feed.older is not None:
        older = feed_url(site, feed.page_path(feed.older, fmt))
        links.append(("prev-archive", older))
        if fmt.pages_with_next:
            links.append(("next", older))
    if feed.page is not None:
        newer = feed.page_path(feed.newer, fmt) if feed.newer else feed.subscription.path(fmt)
        links.append(("next-archive", feed_url(site, newer)))
    return links


def home_url(site: SiteConfig) -> str:
    return uri(site.home)


def stylesheet_url(site: SiteConfig) -> str:
    return feed_url(site, XSL.path)


def feed_updated(items: Sequence[FeedItem]) -> datetime:
    """The newest item's last change, so two renders of the same items are byte-identical."""
    return max((item.updated or item.date for item in items), default=EPOCH)


def atom_id(item_id: str) -> str:
    """An id the validator accepts as it is (see _CANONICAL_HTTP), else a stable urn:uuid derived from it."""
    if _is_canonical_id(item_id):
        return item_id
    return uuid.uuid5(uuid.NAMESPACE_URL, item_id).urn


def _is_canonical_id(value: str) -> bool:
    if _UUID_URN.fullmatch(value) or _TAG_URI.fullmatch(value):
        return True
    return (
        _CANONICAL_HTTP.fullmatch(value) is not None
        and not any(chr(int(code, 16)) in _NEVER_ESCAPED for code in _ESCAPE.findall(value))
        and not _DEFAULT_PORT.match(value)
        and not _DOT_SEGMENT.search(value.split("//", 1)[1])
    )


def seconds(moment: datetime) -> datetime:
    """Feeds carry whole seconds: sub-second precision only makes readers' dates noisier."""
    return moment.replace(microsecond=0)


# The addresses the validator accepts without a DNS lookup (its addr_spec rule).
_EMAIL = re.compile(r"[A-Z0-9_\-+.']+@(([0-9]{1,3}\.){3}|([A-Z0-9\-]+\.)+)[A-Z0-9][-A-Z0-9]*", re.IGNORECASE)
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


def plain_email(address: str | None) -> bool:
    return address is not None and _EMAIL.fullmatch(address) is not None


def language_tag(value: str | None) -> str | None:
    """A language as feeds declare it (a BCP 47 shape), or None when the value is not one."""
    return value if value and _LANGUAGE.fullmatch(value) else None


# Text readers would take for HTML: an end tag (the validator's "ContainsHTML") or an entity or
# character reference (readers decode "&quot;" in an RSS title to a quote).
_MARKUP = re.compile(r"</\w+>|&#?\w+;")


def looks_like_markup(text: str) -> bool:
    return _MARKUP.search(text) is not None
