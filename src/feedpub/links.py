"""Links from one record to another: `../other-post.md`, `other/index.md`, `{% post_url %}`,
`{% link %}`, `{{< ref >}}` all become the other record's permalink.

Rendering (markup.render_body) cannot know other records, so it marks each such link with a
placeholder URL under REF_ORIGIN; `resolve_references` then replaces the placeholders, given a
way to find a record's link by its content key. A reference that finds no record falls back to
what a browser would do with the link on the article's own page.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from urllib.parse import quote, unquote, urljoin

from feedpub.sources import ARTICLES_PREFIX, HTML_SUFFIXES, MARKDOWN_SUFFIXES, RECORD_SUFFIXES
from feedpub.templating import RECORD_SCHEME

REF_ORIGIN = "https://feedpub.invalid/ref/"
# The reference is quoted whole (its slashes too), so the closing "/" ends it unambiguously.
_PLACEHOLDER = re.compile(re.escape(REF_ORIGIN) + r"([^/\"'\s<>]*)/")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")

# key -> the record's permalink, or None when there is no such record
LinkLookup = Callable[[str], str | None]


def is_reference(href: str) -> bool:
    """Whether a Markdown link target points at another record rather than at a web page."""
    if href.startswith(RECORD_SCHEME):
        return True
    if _SCHEME.match(href) or href.startswith(("/", "#", "//")):
        return False
    path = href.split("#", 1)[0].split("?", 1)[0]
    return path.lower().endswith(RECORD_SUFFIXES)  # a relative .html link is a page of the site


def placeholder(href: str) -> str:
    return REF_ORIGIN + quote(href, safe="") + "/"


def resolve_references(html_text: str, record_path: str, page_url: str, lookup: LinkLookup) -> str:
    """Replace every placeholder in rendered HTML with the permalink of the record it names."""
    if REF_ORIGIN not in html_text:
        return html_text

    def replace(match: re.Match[str]) -> str:
        href = unquote(html.unescape(match.group(1)))
        return html.escape(resolve(href, record_path, page_url, lookup), quote=True)

    return _PLACEHOLDER.sub(replace, html_text)


def resolve(href: str, record_path: str, page_url: str, lookup: LinkLookup) -> str:
    """The permalink (with any #fragment) of the record `href` names, seen from `record_path`."""
    target, _, fragment = href.partition("#")
    suffix = "#" + fragment if fragment else ""
    for key in candidates(target, record_path):
        url = lookup(key)
        if url is not None:
            return url + suffix
    if target.startswith(RECORD_SCHEME):
        return page_url + suffix  # nothing better to point at: the article itself
    return urljoin(page_url, href)


def candidates(target: str, record_path: str) -> list[str]:
    """The content keys a reference may mean, most likely first."""
    folder = posixpath.dirname(record_path)
    if target.startswith(RECORD_SCHEME + "post/"):
        name = target.removeprefix(RECORD_SCHEME + "post/").lstrip("/")  # "/subdir/name": inside _posts
        folders = ["articles/_posts", "articles"]
        suffixes = (*MARKDOWN_SUFFIXES, *HTML_SUFFIXES)
        return [f"{base}/{name}{suffix}" for base in folders for suffix in suffixes]
    if target.startswith(RECORD_SCHEME + "site/"):
        path = target.removeprefix(RECORD_SCHEME + "site/")
        return _keys([ARTICLES_PREFIX + path, ARTICLES_PREFIX + posixpath.basename(path)])
    if target.startswith(RECORD_SCHEME + "page/"):
        path = target.removeprefix(RECORD_SCHEME + "page/")
        if path.startswith("/"):
            # Hugo's content root: the folders copied under articles/, with or without their section
            found = [ARTICLES_PREFIX + path.lstrip("/"), ARTICLES_PREFIX + path.lstrip("/").partition("/")[2]]
        else:
            found = [posixpath.join(folder, path), posixpath.join(posixpath.dirname(folder), path)]
        return _keys(found, guess_suffix=True)
    return _keys([posixpath.join(folder, target.split("?", 1)[0])])


def _keys(paths: list[str], guess_suffix: bool = False) -> list[str]:
    keys: list[str] = []
    for path in paths:
        path = posixpath.normpath(path)
        if not path.startswith(ARTICLES_PREFIX):
            continue
        if path.lower().endswith(RECORD_SUFFIXES):
            keys.append(path)
        elif guess_suffix:  # Hugo refs may name a bundle's folder or leave out the extension
            keys += [path + suffix for suffix in MARKDOWN_SUFFIXES]
            keys += [f"{path}/index{suffix}" for suffix in MARKDOWN_SUFFIXES]
    return list(dict.fromkeys(keys))
