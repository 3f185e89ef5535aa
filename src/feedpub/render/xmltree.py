"""feedgen's lxml trees, finished the way feedgen cannot: stylesheet PI, hub links, bytes out.

feedgen formats dates under `locale.setlocale`, which is process-wide and not thread-safe, and
the local pipeline renders from several threads: every feedgen call goes through FEEDGEN_LOCK.
"""

from __future__ import annotations

import threading

from lxml import etree

FEEDGEN_LOCK = threading.Lock()
ATOM_NS = "http://www.w3.org/2005/Atom"


def finish(root: etree._Element, stylesheet: str) -> bytes:
    """Serialise a feed root with the xml-stylesheet processing instruction browsers follow."""
    root.addprevious(etree.ProcessingInstruction("xml-stylesheet", f'type="text/xsl" href="{stylesheet}"'))
    return etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True, pretty_print=True)


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
