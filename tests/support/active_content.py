"""Find active content in HTML the way a browser would see it: what no feed item may carry."""

from __future__ import annotations

import re

import lxml.html

FORBIDDEN_ELEMENTS = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "base",
        "meta",
        "link",
        "form",
        "portal",
        "template",
        "noscript",
    }
)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "data",
        "poster",
        "background",
        "cite",
        "longdesc",
        "lowsrc",
        "dynsrc",
        "codebase",
        "classid",
        "usemap",
        "manifest",
        "icon",
        "ping",
        "profile",
        "archive",
        "srcset",
        "to",
        "from",
        "values",
    }
)
# Browsers ignore ASCII whitespace and control characters inside a URL's scheme ("jav\tascript:").
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\ufeff]")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


def url_scheme(value: str) -> str | None:
    """The scheme a browser would act on (entities already decoded by the parser), or None if relative."""
    match = _SCHEME.match(_IGNORED_IN_SCHEME.sub("", value).lower())
    return match.group(1) if match else None


def active_content(html: str) -> list[str]:
    """Every piece of active content in `html`, described; empty when the fragment is inert."""
    if not html.strip():
        return []
    problems = []
    for element in lxml.html.fragment_fromstring(html, create_parent="div").iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions are inert once parsed
        name = element.tag.rsplit(":", 1)[-1].rsplit("}", 1)[-1].lower()
        if name in FORBIDDEN_ELEMENTS:
            problems.append(f"<{name}> element")
        for attribute, value in element.attrib.items():
            local = attribute.rsplit(":", 1)[-1].rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                problems.append(f"event handler {attribute}={value!r} on <{name}>")
            elif local == "style" and re.search(r"expression|url\s*\(|behavior|binding|import", value, re.I):
                problems.append(f"active style {value!r} on <{name}>")
            elif local == "srcdoc":
                problems.append(f"srcdoc on <{name}>")
            elif local in URL_ATTRIBUTES:
                urls = (
                    [part.split()[0] for part in value.split(",") if part.split()]
                    if local == "srcset"
                    else [value]
                )
                for url in urls:
                    scheme = url_scheme(url)
                    if scheme is not None and scheme not in SAFE_SCHEMES:
                        problems.append(f"{scheme}: URL in {attribute} of <{name}>")
    return problems
