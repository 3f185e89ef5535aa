"""The feed byte budget: which items of a feed keep their full content.

site.yaml `feed_max_bytes` (1 MiB by default) bounds each document of a feed. The newest items
keep their full content while the document stays within it; every older item goes out
summary-only: its title, link, dates, authors, tags and summary, without the content. A kind of
feed that site.yaml sets to `summary` has every item summary-only. An archive document
(feedpub.archive) takes the split of its whole page, so that the publisher's page objects, which
keep their items as the documents show them, stay within the budget too.

The split is a pure function of the items, so the offline build and the publisher (which keeps
each shown item's weights in its state and only the content of the items that go out in full)
always agree. A weight is an upper bound of the bytes an item adds to any one document, in any
format: its text, counted with the worst escaping a format gives it (an RSS description escapes
HTML and then XML), plus a fixed allowance for the markup around it. Documents therefore stay
within the budget even though nothing is rendered to decide; only a feed whose titles and
summaries alone exceed it comes out larger (every item is then summary-only), unless it lists
every member (podcast.xml: catalogue.Kind.item_limit None), which holds as many of the newest as
fit (`fitting_count`): it has no other bound.
"""

from __future__ import annotations

from collections.abc import Sequence

from feedpub.archive import FIRST_PAGE
from feedpub.catalogue import Feed
from feedpub.config import SiteConfig
from feedpub.model import FeedItem, Person

# Markup around an item that its text does not account for: element names, dates, guid and link
# attributes, indentation, JSON keys. An item's rendering in any format stays under this plus
# the bounds of its texts (tests/unit/test_budget.py checks it on hostile items).
ITEM_ALLOWANCE = 1536
PER_VALUE_ALLOWANCE = 160  # each author, tag, image or enclosure: its elements or JSON object
FEED_ALLOWANCE = 4096  # the document's own markup: declarations, channel/feed elements, links
# RFC 5005 links a document may carry (current, prev-archive, next-archive, a podcast's next), plus
# fh:archive and its namespace: each with its markup, and its URL counted in feed_weight.
ARCHIVE_LINKS = 4
SUMMARY_ONLY_CHARACTERS = 1000  # a summary-only item's summary is cut there, at a word boundary
# Characters a format may spell as longer references: "<", ">" and "&" up to "&#x26;lt;" in plain
# text (an RSS description is HTML, escaped again as XML), "&#x3C;" in content (escaped once);
# quotes, backslashes and line breaks in JSON, quotes in XML attributes.
_MARKUP = "<>&"
_ESCAPED = "\"\\\n\r\t'"


def text_weight(text: str | None, markup_extra: int = 9, escaped_extra: int = 5) -> int:
    if not text:
        return 0
    markup = sum(text.count(ch) for ch in _MARKUP)
    escaped = sum(text.count(ch) for ch in _ESCAPED)
    return len(text.encode("utf-8", "surrogatepass")) + markup_extra * markup + escaped_extra * escaped


def content_weight(html: str) -> int:
    """Content is escaped once: "&#x3C;" in RSS, "&lt;" in Atom, as it is in JSON (where quotes,
    backslashes and line breaks take one more byte); it never goes into an attribute."""
    return text_weight(html, markup_extra=5, escaped_extra=1)


def url_weight(url: str | None) -> int:
    """A URL may come out percent-escaped: three bytes for each byte of UTF-8."""
    return 3 * len(url.encode("utf-8", "surrogatepass")) + text_weight(url) if url else 0


def _person_weight(person: Person) -> int:
    return (
        PER_VALUE_ALLOWANCE
        + 2 * text_weight(person.name)
        + 2 * text_weight(person.email)
        + url_weight(person.url)
        + url_weight(person.avatar)
    )


def _fixed_weight(item: FeedItem) -> int:
    """What an item carries whether it goes out in full or summary-only."""
    weight = ITEM_ALLOWANCE + 3 * text_weight(item.title) + 2 * url_weight(item.url) + 3 * url_weight(item.id)
    weight += sum(_person_weight(person) for person in item.authors)
    weight += sum(PER_VALUE_ALLOWANCE + text_weight(tag) for tag in item.tags)
    if item.image:
        weight += PER_VALUE_ALLOWANCE + 2 * url_weight(item.image)
    if item.enclosure:
        weight += (
            PER_VALUE_ALLOWANCE + 2 * url_weight(item.enclosure.url) + text_weight(item.enclosure.mime_type)
        )
    if item.episode:
        weight += text_weight(item.episode.model_dump_json())  # podcast.xml's episode tags
    return weight + text_weight(item.language)


def weights(item: FeedItem) -> tuple[int, int]:
    """(full, summary-only): upper bounds of the bytes the item adds to one feed document."""
    trimmed = summary_only(item)
    # Content goes into a document once; a summary twice at most (JSON Feed's summary, and its
    # content_text when there is no content).
    summary_only_weight = _fixed_weight(item) + 2 * text_weight(trimmed.summary)
    full = _fixed_weight(item) + content_weight(item.content_html) + 2 * text_weight(item.summary)
    return max(full, summary_only_weight), summary_only_weight


def feed_weight(site: SiteConfig, feed: Feed) -> int:
    """An upper bound of a document of this feed without its items."""
    urls = [site.base_url + path for path in feed.paths + _archive_link_paths(feed)] + [
        site.home,
        site.hub,
        site.favicon,
        feed.icon(site),
    ]
    return (
        FEED_ALLOWANCE
        + ARCHIVE_LINKS * PER_VALUE_ALLOWANCE
        + 3 * text_weight(feed.title(site))
        + 2 * text_weight(feed.description(site))
        + sum(2 * url_weight(url) for url in urls)
        + sum(_person_weight(person) for person in feed.people(site))
        + text_weight(site.title)
        + text_weight(site.language)
    )


def _archive_link_paths(feed: Feed) -> list[str]:
    """What the RFC 5005 links of any document of the feed may name (feedpub.render.common
    .archive_links): its subscription documents and three archive pages. Counted for every document
    alike, so a document's weight does not depend on where it stands in the archive (page names all
    have one length)."""
    page = feed.subscription.archive_page(FIRST_PAGE)
    return feed.subscription.paths + page.paths * (ARCHIVE_LINKS - 1)


def full_count(site: SiteConfig, feed: Feed, item_weights: Sequence[tuple[int, int]]) -> int:
    """How many of the newest items keep their full content: as many as fit within feed_max_bytes
    with every older item summary-only (none when the feed's kind is set to summary)."""
    if feed.content_mode(site) == "summary":
        return 0
    total = feed_weight(site, feed) + sum(summary for _, summary in item_weights)
    for count, (full, summary) in enumerate(item_weights):
        total += full - summary
        if total > site.feed_max_bytes:
            return count
    return len(item_weights)


def fitting_count(site: SiteConfig, feed: Feed, item_weights: Sequence[tuple[int, int]]) -> int:
    """How many of the newest items a feed that lists every member holds: as many as fit within
    feed_max_bytes summary-only, and at least one."""
    total = feed_weight(site, feed)
    for count, (_, summary) in enumerate(item_weights):
        total += summary
        if total > site.feed_max_bytes:
            return max(count, 1)
    return len(item_weights)


def summary_only(item: FeedItem) -> FeedItem:
    """The item without its content, its summary cut to SUMMARY_ONLY_CHARACTERS (readers follow the link)."""
    if item.summary_only:
        return item
    return item.model_copy(
        update={"content_html": "", "summary": _shortened(item.summary), "summary_only": True}
    )


def shown(site: SiteConfig, feed: Feed, items: Sequence[FeedItem]) -> list[FeedItem]:
    """The items as the feed shows them: the newest in full while they fit, the rest summary-only
    (and for a feed that lists every member, only those that fit: fitting_count)."""
    item_weights = [weights(item) for item in items]
    if feed.item_limit(site) is None:
        item_weights = item_weights[: fitting_count(site, feed, item_weights)]
    count = full_count(site, feed, item_weights)
    return [item if position < count else summary_only(item) for position, item in enumerate(items)][
        : len(item_weights)
    ]


def _shortened(text: str) -> str:
    if len(text) <= SUMMARY_ONLY_CHARACTERS:
        return text
    cut = text[: SUMMARY_ONLY_CHARACTERS - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–—-") + "…"
