"""What the three feed formats share: titles, URLs, the feed-level date, safe text."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from feedpub.config import SiteConfig
from feedpub.model import XSL_PATH, FeedItem, FeedSpec, Person

# XML 1.0 forbids C0 controls other than tab, LF and CR, the surrogates, and U+FFFE/U+FFFF.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# An absolute IRI as Atom ids require: a scheme, a colon, and no whitespace.
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")
# An empty feed still needs a date, and it must not depend on the build time.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
GENERATOR = "feedpub"


def clean(text: str | None) -> str:
    """Text with the characters XML cannot carry removed (the parser strips them too: belt and braces)."""
    return _XML_FORBIDDEN.sub("", text) if text else ""


def people(persons: Sequence[Person]) -> list[Person]:
    """Authors with XML-safe fields, leaving out anyone with neither a name nor an e-mail left."""
    kept = []
    for person in persons:
        name, email = clean(person.name).strip(), clean(person.email).strip()
        if name or email:
            kept.append(Person(name=name or None, email=email or None, url=person.url))
    return kept


def labels(tags: Sequence[str]) -> list[str]:
    """Tags as categories: XML-safe, none empty."""
    return [text for text in (clean(tag).strip() for tag in tags) if text]


def item_title(item: FeedItem) -> str:
    """An item's title, never empty: a title made only of unprintable characters falls back to its URL."""
    return clean(item.title).strip() or item.url


def feed_url(site: SiteConfig, path: str) -> str:
    return site.base_url + path


def stylesheet_url(site: SiteConfig) -> str:
    return site.base_url + XSL_PATH


def feed_title(site: SiteConfig, spec: FeedSpec) -> str:
    return site.title if spec.tag is None else f"{site.title}: {spec.tag}"


def feed_description(site: SiteConfig, spec: FeedSpec) -> str:
    if spec.tag is None:
        return site.description or site.title
    return f"Articles tagged “{spec.tag}” from {site.title}"


def feed_updated(items: Sequence[FeedItem]) -> datetime:
    """The newest item's last change, so two renders of the same items are byte-identical."""
    return max((item.updated or item.date for item in items), default=EPOCH)


def atom_id(item_id: str) -> str:
    """Atom ids must be absolute IRIs; any other id maps to a stable urn:uuid derived from it."""
    if _ABSOLUTE_IRI.fullmatch(item_id):
        return item_id
    return uuid.uuid5(uuid.NAMESPACE_URL, item_id).urn


def seconds(moment: datetime) -> datetime:
    """Feeds carry whole seconds: sub-second precision only makes readers' dates noisier."""
    return moment.replace(microsecond=0)
