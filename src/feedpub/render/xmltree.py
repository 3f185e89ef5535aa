"""feedgen's lxml trees, finished the way feedgen cannot: stylesheet PI, extra links, bytes out.

feedgen formats dates under `locale.setlocale`, which is process-wide and not thread-safe, and
the local pipeline renders from several threads: every feedgen call goes through FEEDGEN_LOCK.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from lxml import etree

FEEDGEN_LOCK = threading.Lock()
ATOM_NS = "http://www.w3.org/2005/Atom"


def finish(
    root: etree._Element,
    stylesheet: str,
    *,
    namespaces: Mapping[str, str] | None = None,
    hex_references: bool = False,
) -> bytes:
    """Serialise a feed root with the xml-stylesheet processing instruction browsers follow.

    `namespaces` are declared once on the root (unused declarations are dropped). With
    `hex_references`, "&" and "<" in text are written as &#x26; and &#x3C;: the same characters
    to any XML parser, and the RSS Profile's spelling, without which the validator reads escaped
    "&" or "<" in plain-text elements as undeclared HTML.
    """
    etree.cleanup_namespaces(root, top_nsmap=dict(namespaces or {}))
    href = stylesheet.replace("&", "&amp;").replace('"', "&quot;")
    root.addprevious(etree.ProcessingInstruction("xml-stylesheet", f'type="text/xsl" href="{href}"'))
    data = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True, pretty_print=True)
    if hex_references:
        # lxml writes every "&" and "<" of text and attributes as exactly these two references.
        data = data.replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;")
    return data


def add_link(
    parent: etree._Element, tag: str, *, index: int | None = None, **attributes: str
) -> etree._Element:
    """A link element with every attribute kept (feedgen drops rel/type/length on entry links)."""
    link = etree.Element(tag, attrib=attributes)
    if index is None:
        parent.append(link)
    else:
        parent.insert(index, link)
    return link


def add_archive_links(
    parent: etree._Element,
    *,
    before: str,
    link_tag: str,
    media_type: str,
    archive_ns: str | None,
    links: Iterable[tuple[str, str]],
) -> None:
    """RFC 5005 among a feed's metadata, ahead of its first `before` element (entry or item):
    fh:archive when `archive_ns` is given (an archive document), then each (rel, href) link."""
    first = parent.find(before)
    position = parent.index(first) if first is not None else len(parent)
    if archive_ns is not None:
        parent.insert(position, etree.Element(f"{{{archive_ns}}}archive"))
        position += 1
    for rel, href in links:
        add_link(parent, link_tag, index=position, href=href, rel=rel, type=media_type)
        position += 1
