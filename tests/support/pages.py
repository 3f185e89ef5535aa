"""Checks on the HTML pages feedpub publishes for people (feedpub.render.page)."""

from __future__ import annotations

import html5lib
import lxml.html

from tests.support.active_content import active_content

# The podcast apps' own subscribe links (feedpub.render.page._podcast_apps) open the app, not a page.
APP_SCHEMES = ("podcast://", "overcast://", "pktc://")


def parse_errors(page: bytes) -> list[str]:
    """What an HTML5 parser (html5lib, the WHATWG algorithm) reports about the page: empty when valid."""
    parser = html5lib.HTMLParser(strict=False)
    parser.parse(page)
    return [f"line {line}:{column} {code} {data}" for (line, column), code, data in parser.errors]


def body_active_content(page: bytes) -> list[str]:
    """Active content in the page's body (the head carries only the page's own meta, title and style);
    the subscribe box may link to the podcast apps by their URL schemes, and to nothing else."""
    body = lxml.html.document_fromstring(page).body
    for link in body.xpath("//section[@class='subscribe']//a[@href]"):
        if link.get("href").startswith(APP_SCHEMES):
            link.drop_tree()
    return active_content(lxml.html.tostring(body, encoding="unicode"))
