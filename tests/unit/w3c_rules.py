"""The W3C Feed Validation Service's rules that apply to what feedpub writes, encoded as checks.

Learnt from the validator's documentation and behaviour (w3c/feedvalidator); written here from
scratch. Each check returns problems in the validator's own vocabulary (e.g. "ContainsHTML",
"SelfDoesntMatchLocation"), errors and warnings alike: feedpub's feeds must have none of either.
Its informational notes ("recommendations") are not problems.
"""

from __future__ import annotations

import email.utils
import html.entities
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import html5lib
from html5lib.html5parser import ParseError
from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
MEDIA = "http://search.yahoo.com/mrss/"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
# Podcasting 2.0: the validator knows the namespace but does not check it (an informational note).
PODCAST = "https://podcastindex.org/namespace/1.0"
# RFC 5005 (feed paging and archiving): a namespace the validator knows, with the prefix it expects.
FEED_HISTORY = "http://purl.org/syndication/history/1.0"
RSS_NAMESPACES = {
    ATOM,
    CONTENT,
    DC,
    MEDIA,
    ITUNES,
    PODCAST,
    FEED_HISTORY,
    "http://www.w3.org/XML/1998/namespace",
}

RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
RFC822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}(:\d{2})? ([+-]\d{2}[03]0|UT|GMT|Z)"
)
# A full URI in the RFC 2396 alphabet: what RSS links, guids and Atom ids must be (no IRIs).
FULL_URI = re.compile(r"[a-zA-Z][0-9a-zA-Z+.\-]*:(//)?[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,#]+")
HTTP_URL = re.compile(
    r"https?://(\d{1,3}(\.\d{1,3}){3}|([a-z0-9\-]+\.)+[a-z0-9][a-z0-9\-]*)(:\d+)?(/|$)", re.I
)
ADDR_SPEC = re.compile(r"[a-z0-9_\-+.']+@(\d{1,3}(\.\d{1,3}){3}|([a-z0-9\-]+\.)+[a-z0-9][a-z0-9\-]*)", re.I)
MIME = re.compile(r"[^\s()<>,;:\\\"/\[\]?=]+/[^\s()<>,;:\\\"/\[\]?=]+")
LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
UUID_URN = re.compile(r"urn:uuid:[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
TAG_URI = re.compile(
    r"tag:([a-z0-9\-._]+?@)?[a-z0-9.\-]+?,\d{4}(-\d{2}(-\d{2})?)?:[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,]*"
)
# RFC 5005's relations: registered, but only at feed level (FeedHistoryRelInEntry in an entry).
RFC5005_RELS = {"current", "first", "last", "next", "next-archive", "prev-archive", "previous"}
ATOM_RELS = {"alternate", "enclosure", "related", "self", "via", "hub", "license", "replies"} | RFC5005_RELS
# HTML end tags the validator recognises in plain text (a subset is enough: the renderer escapes any).
END_TAG = re.compile(r"</(\w+)>")
ENTITY = re.compile(r"&(#?\w+)")
RISKY_ELEMENTS = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "link",
    "meta", "param", "html", "head", "body", "title", "noframes", "plaintext", "xmp", "isindex",
}  # fmt: skip
URL_ATTRIBUTES = ("href", "src", "cite", "poster", "action", "srcset")
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _lines_with_hex_references(data: bytes) -> list[bool]:
    """Per source line, whether it holds a "&#x" reference: the validator then reads "&" and "<" as text."""
    return [b"&#x" in line for line in data.split(b"\n")]


def _plain_text(element: etree._Element, hex_lines: list[bool], rss: bool) -> list[str]:
    """Problems of an element meant to hold plain text (the validator's "nonhtml" rule)."""
    value = element.text or ""
    first = (element.sourceline or 1) - 1
    escaped = any(hex_lines[first : first + value.count("\n") + 1])
    name = etree.QName(element).localname
    if END_TAG.search(value):
        return [f"ContainsHTML {name} {value!r}"]
    entities = [e for e in ENTITY.findall(value) if e in html.entities.name2codepoint or not e.isalpha()]
    if entities and not escaped:
        return [f"ContainsHTML {name} entity {entities[0]!r}"]
    if rss and re.search(r"&#[x0-9]|<[/a-zA-Z]", value) and not escaped:
        return [f"CharacterData {name} {value!r}"]
    return []


def _bad_characters(root: etree._Element) -> list[str]:
    found = []
    for element in root.iter():
        values = [element.text or "", *element.attrib.values()]
        if any(0x80 <= ord(c) <= 0x9F or c == "\ufffd" for value in values for c in value):
            found.append(f"BadCharacters {etree.QName(element).localname}")
    return found


def html_problems(markup: str, where: str) -> list[str]:
    """Problems of an HTML fragment: not HTML, risky elements or attributes, relative references."""
    if not markup.strip():
        return []
    try:
        fragment = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parseFragment(markup)
    except ParseError as exc:
        return [f"NotHtml {where} {exc}"]
    problems = []
    for element in fragment.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag.lower() in RISKY_ELEMENTS:
            problems.append(f"SecurityRisk {where} <{element.tag}>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on") or name.lower() in ("style", "srcdoc", "formaction"):
                problems.append(f"SecurityRiskAttr {where} {name}")
            if name in URL_ATTRIBUTES:
                urls = (
                    [part.split()[0] for part in value.split(",") if part.strip()]
                    if name == "srcset"
                    else [value]
                )
                problems += [
                    f"ContainsRelRef {where} {url!r}"
                    for url in urls
                    if not re.match(r"\w+:", url.strip()) and not url.startswith("#")
                ]
    return problems


def _date_problems(value: str, where: str) -> list[str]:
    if not RFC822.fullmatch(value):
        return [f"InvalidRFC2822Date {where} {value!r}"]
    moment = email.utils.parsedate_to_datetime(value)
    if moment.strftime("%a") != value[:3]:
        return [f"IncorrectDOW {where} {value!r}"]
    return _plausible(moment, where)


def _plausible(moment: datetime, where: str) -> list[str]:
    if moment < EARLIEST or moment > datetime.now(UTC) + timedelta(minutes=10):
        return [f"ImplausibleDate {where} {moment.isoformat()}"]
    return []


def _rfc3339(value: str, where: str) -> list[str]:
    if not RFC3339.fullmatch(value):
        return [f"InvalidRFC3339Date {where} {value!r}"]
    return _plausible(datetime.fromisoformat(value.replace("Z", "+00:00")), where)


def canonical_form(value: str) -> str | None:
    """RFC 3986 normalisation (scheme and host case, default port, dot segments, escapes) of a URI."""
    match = re.fullmatch(r"([A-Za-z][A-Za-z0-9+.\-]*):(//([^/?#]*))?([^?#]*)(\?[^#]*)?(#.*)?", value)
    if not match or not value.isascii():
        return None
    scheme, authority, path = match[1].lower(), match[3], match[4]
    if authority is not None:
        authority = authority.lower()
        default_port = {"http": ":80", "https": ":443"}.get(scheme)
        if default_port and authority.endswith(default_port):
            authority = authority[: -len(default_port)]
        path = _remove_dot_segments(path) or "/"
    query = _normalise_escapes(match[5] or "", "/?")
    fragment = _normalise_escapes(match[6] or "", "/?")
    head = f"{scheme}:" + (f"//{authority}" if authority is not None else "")
    return head + _normalise_escapes(path, "/") + query + fragment


def _remove_dot_segments(path: str) -> str:
    kept: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "..":
            if len(kept) > 1:
                kept.pop()
            if last:
                kept.append("")
        elif segment == ".":
            if last:
                kept.append("")
        else:
            kept.append(segment)
    return "/".join(kept)


def _normalise_escapes(part: str, extra: str) -> str:
    keep = "-._~!$&'()*+,;=:@" + extra

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match[1], 16))
        return char if char.isascii() and (char.isalnum() or char in keep) else match[0].upper()

    return re.sub(r"%([0-9A-Fa-f]{2})", fix, part)


def _uri(value: str, where: str, *, canonical: bool = False) -> list[str]:
    if value.startswith(("urn:uuid:", "tag:")):
        good = UUID_URN.fullmatch(value) or TAG_URI.fullmatch(value)
        return [] if good else [f"InvalidURN {where} {value!r}"]
    if not FULL_URI.fullmatch(value):
        return [f"InvalidFullLink {where} {value!r}"]
    if canonical and canonical_form(value) != value:
        return [f"NonCanonicalURI {where} {value!r} != {canonical_form(value)!r}"]
    return []


def check_rss(data: bytes, location: str) -> list[str]:
    root = etree.fromstring(data)
    if root.tag != "rss" or root.get("version") != "2.0":
        return ["NotRss20"]
    channel = root.find("channel")
    if channel is None:
        return ["MissingChannel"]
    hex_lines = _lines_with_hex_references(data)
    problems = _bad_characters(root)
    problems += [f"UnknownNamespace {uri}" for uri in root.nsmap.values() if uri not in RSS_NAMESPACES]
    problems += _feed_history_prefix(root)
    for required in ("title", "link", "description"):
        if not _text(channel.find(required)):
            problems.append(f"MissingElement channel/{required}")
    for name in ("title", "description"):
        element = channel.find(name)
        if element is not None:
            problems += _plain_text(element, hex_lines, rss=True)
    problems += _uri(_text(channel.find("link")), "channel/link")
    language = channel.find("language")
    if language is not None and not LANGUAGE.fullmatch(_text(language)):
        problems.append(f"InvalidLanguage {_text(language)!r}")
    selves = [link for link in channel.iterfind(f"{{{ATOM}}}link") if link.get("rel") == "self"]
    if not selves:
        problems.append("MissingAtomSelfLink")
    elif selves[0].get("href") != location:
        problems.append(f"SelfDoesntMatchLocation {selves[0].get('href')} != {location}")
    elif selves[0].get("type") != "application/rss+xml":
        problems.append("SelfNotAtom")
    for link in channel.iterfind(f"{{{ATOM}}}link"):
        problems += _uri(link.get("href", ""), f"atom:link[{link.get('rel')}]")
        rel = link.get("rel", "alternate")
        if rel not in ATOM_RELS and not FULL_URI.fullmatch(rel):
            problems.append(f"UnregisteredAtomLinkRel {rel!r}")
    problems += _check_rss_image(channel, hex_lines)
    for name in ("lastBuildDate", "pubDate"):
        value = _text(channel.find(name))
        if value:
            problems += _date_problems(value, f"channel/{name}")
    guids: set[str] = set()
    for item in channel.iterfind("item"):
        problems += _check_rss_item(item, guids, hex_lines)
    if any(
        element.tag.startswith(f"{{{ITUNES}}}") for element in channel.iter() if isinstance(element.tag, str)
    ):
        problems += _check_itunes(channel, hex_lines)
    return problems


def _check_rss_image(channel: etree._Element, hex_lines: list[bool]) -> list[str]:
    image = channel.find("image")
    if image is None:
        return []
    problems = []
    url = _text(image.find("url"))
    problems += _uri(url, "image/url")
    extension = url.rsplit(".", 1)[-1].lower()
    if re.fullmatch(r"\w+", extension) and extension not in ("jpg", "jpeg", "gif", "png"):
        problems.append(f"ImageUrlFormat {url!r}")
    if _text(image.find("link")) != _text(channel.find("link")):
        problems.append("ImageLinkDoesntMatch")
    title = image.find("title")
    if title is None or (title.text or "") != (channel.findtext("title") or ""):
        problems.append("ImageTitleDoesntMatch")
    else:
        problems += _plain_text(title, hex_lines, rss=True)
    return problems


def _check_rss_item(item: etree._Element, guids: set[str], hex_lines: list[bool]) -> list[str]:
    problems = []
    title = item.find("title")
    if title is not None:
        problems += ["NotBlank item/title"] if not _text(title) else _plain_text(title, hex_lines, rss=True)
    if not (_text(title) or _text(item.find("description"))):
        problems.append("ItemMustContainTitleOrDescription")
    problems += _check_guid(item.find("guid"), guids)
    link = item.find("link")
    if link is not None:
        problems += _uri(_text(link), "item/link")
    problems += _date_problems(_text(item.find("pubDate")), "item/pubDate")
    authors = item.findall("author")
    for author in authors:
        problems += _check_rss_author(_text(author))
    if authors and item.find(f"{{{DC}}}creator") is not None:
        problems.append("DuplicateItemSemantics author/dc:creator")
    for category in item.iterfind("category"):
        problems += (
            ["NotBlank category"] if not _text(category) else _plain_text(category, hex_lines, rss=True)
        )
    enclosures = item.findall("enclosure")
    if len(enclosures) > 1:
        problems.append("DuplicateEnclosure")
    for enclosure in enclosures:
        url = enclosure.get("url", "")
        if not (HTTP_URL.match(url) and FULL_URI.fullmatch(url)):
            problems.append(f"InvalidURLAttribute enclosure/url {url!r}")
        if not (enclosure.get("length") or "").isdigit():
            problems.append("InvalidIntegerAttribute enclosure/length")
        if not MIME.fullmatch(enclosure.get("type", "")):
            problems.append("InvalidMIMEAttribute enclosure/type")
    names = [etree.QName(child).localname for child in item]
    if "encoded" in names and (
        "description" not in names or names.index("description") > names.index("encoded")
    ):
        problems.append("NeedDescriptionBeforeContent")
    for element in (item.find("description"), item.find(f"{{{CONTENT}}}encoded")):
        if element is not None:
            problems += html_problems(element.text or "", etree.QName(element).localname)
    for group in item.iterfind(f"{{{MEDIA}}}group"):
        if len(group.findall(f"{{{MEDIA}}}content")) < 2:
            problems.append("MediaGroupWithoutAlternatives")
    for media in item.iter(f"{{{MEDIA}}}content"):
        problems += _uri(media.get("url", ""), "media:content/url")
        if media.get("medium") not in (None, "image", "audio", "video", "document", "executable"):
            problems.append(f"InvalidMediaMedium {media.get('medium')!r}")
    return problems


# -- the iTunes namespace: checked once any itunes: element appears (the validator's itunes.py) ------

# Apple's categories as the validator knows them: its list omits Religion & Spirituality > Religion,
# which Apple lists. The validator calls Apple's obsolete categories a warning and any other an error:
# both are problems here.
ITUNES_CATEGORIES: dict[str, set[str]] = {
    "Arts": {"Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"},
    "Business": {"Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"},
    "Comedy": {"Comedy Interviews", "Improv", "Stand-Up"},
    "Education": {"Courses", "How To", "Language Learning", "Self-Improvement"},
    "Fiction": {"Comedy Fiction", "Drama", "Science Fiction"},
    "Government": set(),
    "History": set(),
    "Health & Fitness": {
        "Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality",
    },
    "Kids & Family": {"Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"},
    "Leisure": {
        "Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden",
        "Video Games",
    },
    "Music": {"Music Commentary", "Music History", "Music Interviews"},
    "News": {
        "Business News", "Daily News", "Entertainment News", "News Commentary", "Politics", "Sports News",
        "Tech News",
    },
    "Religion & Spirituality": {"Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Spirituality"},
    "Science": {
        "Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics", "Natural Sciences",
        "Nature", "Physics", "Social Sciences",
    },
    "Society & Culture": {
        "Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships",
    },
    "Sports": {
        "Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby",
        "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling",
    },
    "Technology": set(),
    "True Crime": set(),
    "TV & Film": {"After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"},
}  # fmt: skip
ITUNES_FORMATS = ("m4a", "mp3", "mov", "mp4", "m4v", "pdf", "epub")
DURATION = re.compile(r"\d+(:[0-5][0-9](:[0-5][0-9])?)?")
# Element -> (where it may appear, how its value is checked); any other itunes: element is undefined.
_LIMITED = {"author": 255, "keywords": 255, "subtitle": 255, "summary": 4000, "name": 255}
_CHANNEL_ONLY = {"owner", "category", "pubDate", "new-feed-url", "type"}
_ITEM_ONLY = {"duration", "title", "episode", "season", "episodeType"}
_BOTH = {"author", "block", "explicit", "keywords", "subtitle", "summary", "image"}


def _itunes(name: str) -> str:
    return f"{{{ITUNES}}}{name}"


def _check_itunes(channel: etree._Element, hex_lines: list[bool]) -> list[str]:
    problems = []
    children = {etree.QName(child).localname for child in channel if etree.QName(child).namespace == ITUNES}
    if channel.find("language") is None:
        problems.append("MissingItunesElement channel/language")
    for required in ("category", "explicit"):
        if required not in children:
            problems.append(f"MissingItunesElement channel/itunes:{required}")
    if "owner" not in children:
        problems.append("MissingItunesEmail channel")
    problems += _check_itunes_children(channel, _CHANNEL_ONLY | _BOTH, "channel", hex_lines)
    for item in channel.iterfind("item"):
        problems += _check_itunes_children(item, _ITEM_ONLY | _BOTH, "item", hex_lines)
        for enclosure in item.iterfind("enclosure"):
            extension = enclosure.get("url", "").split(".")[-1]
            if extension not in ITUNES_FORMATS:
                problems.append(f"UnsupportedItunesFormat {extension!r}")
    return problems


def _check_itunes_children(
    parent: etree._Element, known: set[str], where: str, hex_lines: list[bool]
) -> list[str]:
    problems = []
    seen: set[str] = set()
    for child in parent:
        if etree.QName(child).namespace != ITUNES:
            continue
        name = etree.QName(child).localname
        at = f"{where}/itunes:{name}"
        if name not in known:
            problems.append(f"UndefinedElement {at}")
            continue
        if name in seen and name != "category":
            problems.append(f"DuplicateElement {at}")
        seen.add(name)
        value = child.text or ""
        if name in _LIMITED:
            problems += _itunes_text(child, _LIMITED[name], at, hex_lines)
        if name == "keywords" and " " in value and "," not in value:
            problems.append(f"InvalidKeywords {at}")
        if name == "block" and value.lower() not in ("yes", "no", "clean"):
            problems.append(f"InvalidYesNoClean {at} {value!r}")
        if name == "explicit" and value.lower() not in ("true", "false"):
            problems.append(f"InvalidTrueFalse {at} {value!r}")
        if name == "image":
            href = child.get("href")
            if href is None:
                problems.append(f"MissingAttribute {at} href")
            elif not (HTTP_URL.match(href) and FULL_URI.fullmatch(href)):
                problems.append(f"InvalidURLAttribute {at} {href!r}")
        if name == "owner":
            problems += _check_itunes_owner(child, at, hex_lines)
        if name == "category":
            problems += _check_itunes_category(child, ITUNES_CATEGORIES, at)
        if name == "pubDate":
            problems += _date_problems(value.strip(), at)
        if name == "new-feed-url":
            problems += _uri(value.strip(), at)
        if name == "type" and value not in ("episodic", "serial"):
            problems.append(f"InvalidItunesChannelType {value!r}")
        if name == "episodeType" and value not in ("full", "trailer", "bonus"):
            problems.append(f"InvalidItunesEpisodeType {value!r}")
        if name == "duration" and not DURATION.fullmatch(value):
            problems.append(f"InvalidDuration {at} {value!r}")
        if name in ("episode", "season") and not (value.strip().isdigit() and int(value) > 0):
            problems.append(f"InvalidPositiveInteger {at} {value!r}")
    return problems


def _itunes_text(element: etree._Element, limit: int, where: str, hex_lines: list[bool]) -> list[str]:
    value = element.text or ""
    problems = [f"TooLong {where} {len(value)} > {limit}"] if len(value) > limit else []
    return problems + _plain_text(element, hex_lines, rss=False)


def _check_itunes_owner(owner: etree._Element, where: str, hex_lines: list[bool]) -> list[str]:
    problems = []
    email = owner.find(_itunes("email"))
    if email is None:
        problems.append(f"MissingElement {where}/itunes:email")
    else:
        address = email.text or ""
        if not ADDR_SPEC.fullmatch(address) or END_TAG.search(address):
            problems.append(f"InvalidContact {where}/itunes:email {address!r}")
    name = owner.find(_itunes("name"))
    if name is not None:
        problems += _itunes_text(name, 255, f"{where}/itunes:name", hex_lines)
    return problems


def _check_itunes_category(category: etree._Element, valid: dict[str, set[str]], where: str) -> list[str]:
    text = category.get("text")
    if text is None:
        return [f"MissingAttribute {where} text"]
    problems = [] if text in valid else [f"InvalidItunesCategory {where} {text!r}"]
    subcategories: dict[str, set[str]] = {name: set() for name in valid.get(text, ())}
    for sub in category.iterfind(_itunes("category")):
        problems += _check_itunes_category(sub, subcategories, f"{where}/itunes:category")
    return problems


def _check_guid(guid: etree._Element | None, guids: set[str]) -> list[str]:
    if guid is None:
        return ["MissingGuid"]
    value = _text(guid)
    problems = [f"DuplicateItem {value}"] if value in guids else []
    guids.add(value)
    if guid.get("isPermaLink", "true") == "true":
        problems += _uri(value, "guid")
        if value.lower().startswith(("tag:", "urn:uuid:")):
            problems.append("InvalidPermalink")
    elif value.isdigit() and len(value) < 9:
        problems.append(f"NotSufficientlyUnique guid {value!r}")
    return problems


def _check_rss_author(value: str) -> list[str]:
    """RSS <author>: "address (Real Name)", the address a plain addr-spec."""
    if not value.endswith(")"):
        return ["MissingRealName" if " " not in value else "EmailFormat"]
    address, _, name = value.partition(" (")
    if not ADDR_SPEC.fullmatch(address) or not name[:-1] or re.search(r"[()<>\"\\,;:@\[\]]", name[:-1]):
        return [f"InvalidContact {value!r}"]
    return []


def check_atom(data: bytes, location: str) -> list[str]:
    root = etree.fromstring(data)
    if root.tag != f"{{{ATOM}}}feed":
        return ["NotAtom"]
    hex_lines = _lines_with_hex_references(data)
    problems = _bad_characters(root)
    problems += [
        f"AvoidNamespacePrefix {prefix}" for prefix, uri in root.nsmap.items() if uri == ATOM and prefix
    ]
    problems += _check_atom_common(root, "feed", hex_lines)
    problems += _feed_history_prefix(root) + _check_archive(root)
    seen_entry = False
    for child in root:
        if not isinstance(child.tag, str):
            continue
        if child.tag == f"{{{ATOM}}}entry":
            seen_entry = True
        elif seen_entry:
            problems.append(f"MisplacedMetadata {etree.QName(child).localname}")
    selves = [link for link in root.iterfind(f"{{{ATOM}}}link") if link.get("rel") == "self"]
    if not selves:
        problems.append("MissingSelf")
    elif selves[0].get("href") != location:
        problems.append(f"SelfDoesntMatchLocation {selves[0].get('href')} != {location}")
    feed_has_author = root.find(f"{{{ATOM}}}author") is not None
    ids: set[str] = set()
    for entry in root.iterfind(f"{{{ATOM}}}entry"):
        problems += _check_atom_common(entry, "entry", hex_lines)
        problems += [
            f"FeedHistoryRelInEntry {link.get('rel')}"
            for link in entry.iterfind(f"{{{ATOM}}}link")
            if link.get("rel") in RFC5005_RELS
        ]
        entry_id = _text(entry.find(f"{{{ATOM}}}id"))
        if entry_id in ids:
            problems.append(f"DuplicateEntries {entry_id}")
        ids.add(entry_id)
        if not feed_has_author and entry.find(f"{{{ATOM}}}author") is None:
            problems.append("MissingAuthor")
        alternates = [
            link for link in entry.iterfind(f"{{{ATOM}}}link") if link.get("rel", "alternate") == "alternate"
        ]
        if not alternates and entry.find(f"{{{ATOM}}}content") is None:
            problems.append("MissingContentOrAlternate")
        for link in entry.iterfind(f"{{{ATOM}}}link"):
            if link.get("rel") == "enclosure" and not (link.get("length") or "").isdigit():
                problems.append("MissingEnclosureLength")
        published = entry.find(f"{{{ATOM}}}published")
        if published is not None:
            problems += _rfc3339(_text(published), "entry/published")
    return problems


def _feed_history_prefix(root: etree._Element) -> list[str]:
    """The validator expects RFC 5005's namespace under the prefix "fh" (NonstdPrefix otherwise)."""
    return [
        f"NonstdPrefix {prefix} for {uri}"
        for prefix, uri in root.nsmap.items()
        if uri == FEED_HISTORY and prefix != "fh"
    ]


def _check_archive(feed: etree._Element) -> list[str]:
    """RFC 5005 as the validator checks an Atom feed: an archive (fh:archive) links along its chain
    (prev-archive or next-archive, else ArchiveIncomplete) and to its subscription document
    (current, else MissingCurrentInArchive), unless it is also complete; a complete feed
    (fh:complete) links nothing but itself as current."""
    rels = [(link.get("rel"), link.get("href")) for link in feed.iterfind(f"{{{ATOM}}}link")]
    selves = {href for rel, href in rels if rel == "self"}
    archive = feed.find(f"{{{FEED_HISTORY}}}archive") is not None
    complete = feed.find(f"{{{FEED_HISTORY}}}complete") is not None
    problems = []
    if complete:
        for rel, href in rels:
            if rel == "current" and href not in selves:
                problems.append("CurrentNotSelfInCompleteFeed")
            elif rel in RFC5005_RELS and rel != "current":
                problems.append(f"FeedRelInCompleteFeed {rel}")
    if archive and not complete:
        if not {"prev-archive", "next-archive"} & {rel for rel, _ in rels}:
            problems.append("ArchiveIncomplete")
        if "current" not in {rel for rel, _ in rels}:
            problems.append("MissingCurrentInArchive")
    return problems


def _check_atom_common(element: etree._Element, where: str, hex_lines: list[bool]) -> list[str]:
    problems = []
    element_id = _text(element.find(f"{{{ATOM}}}id"))
    if not element_id:
        problems.append(f"MissingElement {where}/id")
    else:
        problems += _uri(element_id, f"{where}/id", canonical=True)
    if element.find(f"{{{ATOM}}}title") is None:
        problems.append(f"MissingElement {where}/title")
    problems += _rfc3339(_text(element.find(f"{{{ATOM}}}updated")), f"{where}/updated")
    for name in ("title", "subtitle", "summary", "content"):
        construct = element.find(f"{{{ATOM}}}{name}")
        if construct is not None:
            problems += _check_text_construct(construct, f"{where}/{name}", hex_lines)
    for link in element.iterfind(f"{{{ATOM}}}link"):
        href = link.get("href", "")
        if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9+.\-]*:\S+", href):
            problems.append(f"InvalidIRI {where}/link {href!r}")
        rel = link.get("rel", "alternate")
        if rel not in ATOM_RELS and not FULL_URI.fullmatch(rel):
            problems.append(f"UnregisteredAtomLinkRel {rel!r}")
        if link.get("type") is not None and not MIME.fullmatch(link.get("type", "")):
            problems.append(f"InvalidMIMEType {link.get('type')!r}")
        if rel == "self" and link.get("type") not in (None, "application/atom+xml"):
            problems.append("SelfNotAtom")
    for person in element.iterfind(f"{{{ATOM}}}author"):
        if not _text(person.find(f"{{{ATOM}}}name")):
            problems.append(f"MissingElement {where}/author/name")
        mail = person.find(f"{{{ATOM}}}email")
        if mail is not None and not ADDR_SPEC.fullmatch(_text(mail)):
            problems.append(f"InvalidAddrSpec {_text(mail)!r}")
    return problems


def _check_text_construct(construct: etree._Element, where: str, hex_lines: list[bool]) -> list[str]:
    kind = construct.get("type", "text")
    if kind not in ("text", "html", "xhtml"):
        return [f"InvalidTextType {where} {kind!r}"]
    if not (construct.text or "").strip():
        return [f"NotBlank {where}"]
    if kind == "html":
        return html_problems(construct.text or "", where)
    return [
        problem.replace("ContainsHTML", "ContainsUndeclaredHTML")
        for problem in _plain_text(construct, hex_lines, rss=False)
    ]


def check_all(outputs: dict[str, bytes], base_url: str) -> dict[str, list[str]]:
    """Problems per path for every RSS and Atom document in a build's outputs (empty lists when clean)."""
    checks = {"feed.xml": check_rss, "podcast.xml": check_rss, "atom.xml": check_atom}  # archives too
    found = {}
    for path, data in outputs.items():
        check = checks.get(path.rpartition("/")[2])
        if check:
            found[path] = check(data, base_url + path)
    return found


def first_problems(found: dict[str, list[str]]) -> Iterable[str]:
    return (f"{path}: {problem}" for path, problems in found.items() for problem in problems)
