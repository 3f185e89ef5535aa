"""The W3C Feed Validation Service's rules that apply to what feedpub writes, encoded as checks.

Each check returns problems in the validator's own vocabulary (e.g. "SelfDoesntMatchLocation"),
errors and warnings alike: feedpub's feeds must have none of either.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterable

from lxml import etree, html

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
ABSOLUTE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+")
EMAIL = re.compile(r"[^@\s()]+@[^@\s()]+\.[^@\s()]+( \(.+\))?")
MIME = re.compile(r"[\w.+-]+/[\w.+-]+")
URL_ATTRIBUTES = ("href", "src", "cite", "poster", "action", "srcset")


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _relative_refs(markup: str) -> list[str]:
    """URLs in an HTML fragment that are not absolute (the validator's ContainsRelRef)."""
    if not markup.strip():
        return []
    fragment = html.fragment_fromstring(markup, create_parent="div")
    found = []
    for element in fragment.iter():
        for name in URL_ATTRIBUTES:
            value = element.get(name)
            if value is None:
                continue
            candidates = (
                [part.split()[0] for part in value.split(",") if part.strip()]
                if name == "srcset"
                else [value]
            )
            found += [
                url for url in candidates if not ABSOLUTE.match(url.strip()) and not url.startswith("#")
            ]
    return found


def _rfc822(value: str) -> bool:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return (
        parsed is not None
        and re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}", value) is not None
    )


def check_rss(data: bytes, location: str) -> list[str]:
    root = etree.fromstring(data)
    problems: list[str] = []
    if root.tag != "rss" or root.get("version") != "2.0":
        return ["NotRss20"]
    channel = root.find("channel")
    if channel is None:
        return ["MissingChannel"]
    for required in ("title", "link", "description"):
        if not _text(channel.find(required)):
            problems.append(f"MissingElement channel/{required}")
    selves = [link for link in channel.iterfind(f"{{{ATOM}}}link") if link.get("rel") == "self"]
    if not selves:
        problems.append("MissingAtomSelfLink")
    elif selves[0].get("href") != location:
        problems.append(f"SelfDoesntMatchLocation {selves[0].get('href')} != {location}")
    elif selves[0].get("type") != "application/rss+xml":
        problems.append("SelfLinkType")
    image = channel.find("image")
    if image is not None:
        if _text(image.find("link")) != _text(channel.find("link")):
            problems.append("ImageLinkDoesntMatch")
        if _text(image.find("title")) != _text(channel.find("title")):
            problems.append("ImageTitleDoesntMatch")
    for name in ("lastBuildDate", "pubDate"):
        value = _text(channel.find(name))
        if value and not _rfc822(value):
            problems.append(f"InvalidRFC2822Date channel/{name} {value!r}")
    guids: set[str] = set()
    for item in channel.iterfind("item"):
        problems += _check_rss_item(item, guids)
    return problems


def _check_rss_item(item: etree._Element, guids: set[str]) -> list[str]:
    problems = []
    if not (_text(item.find("title")) or _text(item.find("description"))):
        problems.append("ItemMustContainTitleOrDescription")
    guid = item.find("guid")
    if guid is None:
        problems.append("MissingGuid")
    else:
        if _text(guid) in guids:
            problems.append(f"DuplicateItem {_text(guid)}")
        guids.add(_text(guid))
        if guid.get("isPermaLink", "true") == "true" and not ABSOLUTE.fullmatch(_text(guid)):
            problems.append("InvalidPermalink")
    link = _text(item.find("link"))
    if link and not ABSOLUTE.fullmatch(link):
        problems.append(f"InvalidURL link {link!r}")
    if not _rfc822(_text(item.find("pubDate"))):
        problems.append("InvalidRFC2822Date item/pubDate")
    authors = item.findall("author")
    for author in authors:
        if not EMAIL.fullmatch(_text(author)):
            problems.append(f"InvalidContact {_text(author)!r}")
    if authors and item.find(f"{{{DC}}}creator") is not None:
        problems.append("DuplicateSemantics author/dc:creator")
    for category in item.iterfind("category"):
        if not _text(category):
            problems.append("EmptyCategory")
    enclosures = item.findall("enclosure")
    if len(enclosures) > 1:
        problems.append("DuplicateEnclosure")
    for enclosure in enclosures:
        if not ABSOLUTE.fullmatch(enclosure.get("url", "")):
            problems.append("InvalidURLAttribute enclosure/url")
        if not (enclosure.get("length") or "").isdigit():
            problems.append("InvalidIntegerAttribute enclosure/length")
        if not MIME.fullmatch(enclosure.get("type", "")):
            problems.append("InvalidMIMEAttribute enclosure/type")
    for element in (item.find("description"), item.find(f"{{{CONTENT}}}encoded")):
        if element is not None:
            problems += [f"ContainsRelRef {url!r}" for url in _relative_refs(element.text or "")]
    return problems


def check_atom(data: bytes, location: str) -> list[str]:
    root = etree.fromstring(data)
    if root.tag != f"{{{ATOM}}}feed":
        return ["NotAtom"]
    problems: list[str] = []
    problems += _check_atom_common(root, "feed")
    selves = [link for link in root.iterfind(f"{{{ATOM}}}link") if link.get("rel") == "self"]
    if not selves:
        problems.append("MissingSelf")
    elif selves[0].get("href") != location:
        problems.append(f"SelfDoesntMatchLocation {selves[0].get('href')} != {location}")
    feed_has_author = root.find(f"{{{ATOM}}}author") is not None
    ids: set[str] = set()
    for entry in root.iterfind(f"{{{ATOM}}}entry"):
        problems += _check_atom_common(entry, "entry")
        entry_id = _text(entry.find(f"{{{ATOM}}}id"))
        if entry_id in ids:
            problems.append(f"DuplicateEntries {entry_id}")
        ids.add(entry_id)
        if not feed_has_author and entry.find(f"{{{ATOM}}}author") is None:
            problems.append("MissingAuthor")
        alternates = [
            link for link in entry.iterfind(f"{{{ATOM}}}link") if link.get("rel", "alternate") == "alternate"
        ]
        content = entry.find(f"{{{ATOM}}}content")
        if not alternates and content is None:
            problems.append("MissingAlternateOrContent")
        if content is not None:
            if content.get("type") not in (None, "text", "html", "xhtml"):
                problems.append(f"InvalidContentType {content.get('type')!r}")
            if content.get("type") == "html":
                problems += [f"ContainsRelRef {url!r}" for url in _relative_refs(content.text or "")]
        for link in entry.iterfind(f"{{{ATOM}}}link"):
            if link.get("rel") == "enclosure" and not (link.get("length") or "").isdigit():
                problems.append("MissingEnclosureLength")
        for name in ("published",):
            value = _text(entry.find(f"{{{ATOM}}}{name}"))
            if value and not RFC3339.fullmatch(value):
                problems.append(f"InvalidRFC3339Date entry/{name}")
    return problems


def _check_atom_common(element: etree._Element, where: str) -> list[str]:
    problems = []
    element_id = _text(element.find(f"{{{ATOM}}}id"))
    if not element_id:
        problems.append(f"MissingElement {where}/id")
    elif not ABSOLUTE.fullmatch(element_id):
        problems.append(f"InvalidFullLink {where}/id {element_id!r}")
    if element.find(f"{{{ATOM}}}title") is None:
        problems.append(f"MissingElement {where}/title")
    if not RFC3339.fullmatch(_text(element.find(f"{{{ATOM}}}updated"))):
        problems.append(f"InvalidRFC3339Date {where}/updated")
    for link in element.iterfind(f"{{{ATOM}}}link"):
        if not ABSOLUTE.fullmatch(link.get("href", "")):
            problems.append(f"InvalidFullLink {where}/link {link.get('href')!r}")
    return problems


def check_all(outputs: dict[str, bytes], base_url: str) -> dict[str, list[str]]:
    """Problems per path for every RSS and Atom document in a build's outputs (empty lists when clean)."""
    checks = {"feed.xml": check_rss, "atom.xml": check_atom}
    found = {}
    for path, data in outputs.items():
        check = checks.get(path.rpartition("/")[2])
        if check:
            found[path] = check(data, base_url + path)
    return found


def first_problems(found: dict[str, list[str]]) -> Iterable[str]:
    return (f"{path}: {problem}" for path, problems in found.items() for problem in problems)
