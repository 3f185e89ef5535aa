r"""Article bodies: CommonMark (with tables) to sanitised HTML whose links work from any reader.

Raw HTML is allowed in the Markdown source and then cut down to an allow-list: no scripts,
styles, frames, forms, event handlers or style attributes, and only http(s)/mailto URLs.
Relative URLs are made absolute as a browser would on the article's own page (`#x`, `img.png`,
`../other/`, `/x`), since a feed reader shows the HTML far away from that page; links to other
records' source files are marked for links.py to turn into their permalinks. Math (`$…$`,
`$$…$$`, `\(…\)`, `\[…\]`) passes through as written, never read as Markdown.
"""

from __future__ import annotations

import re
from html import escape, unescape
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urljoin

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.texmath import texmath_plugin

from feedpub.links import is_reference, placeholder
from feedpub.templating import RECORD_SCHEME

# XML 1.0 forbids C0 controls other than tab, LF and CR, the surrogates, and U+FFFE/U+FFFF.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Characters a URL may carry as they are; everything else (spaces, quotes, non-ASCII) is escaped.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_URL_IGNORED = re.compile("[\t\n\r]")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))  # what browsers trim from both ends of a URL
_BODY_SCHEMES = frozenset({"http", "https", "mailto"})

# markdown-it caps block and inline nesting (maxNesting=20 in the commonmark preset), which
# keeps pathological input such as 100,000 ">" or "[" linear.
_MARKDOWN = (
    MarkdownIt("commonmark", {"html": True})
    .enable("table")
    # Pandoc's rule: "$5 and $6" is money, "$x$" is math.
    .use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    .use(texmath_plugin, delimiters="brackets")
)
_MATH_CLOSING = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}


def _math(_renderer: object, tokens: list[Token], index: int, *_: object) -> str:
    token = tokens[index]
    text = escape(token.markup + token.content + _MATH_CLOSING.get(token.markup, token.markup))
    return f"<p>{text}</p>\n" if token.block else text


for _rule in ("math_inline", "math_inline_double", "math_block", "math_block_label", "math_block_eqno"):
    _MARKDOWN.add_render_rule(_rule, _math)

_TAGS = frozenset(
    {
        *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code"),
        *("em", "strong", "b", "i", "u", "s", "del", "ins", "sub", "sup", "mark", "small", "q"),
        *("abbr", "cite", "dfn", "kbd", "samp", "var", "time", "span", "div", "wbr"),
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "colgroup", "col"),
        *("a", "img", "figure", "figcaption", "picture", "video", "audio", "source"),
        *("details", "summary"),
    }
)
_MEDIA_SIZE = {"width", "height"}
_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", *_MEDIA_SIZE},
    "video": {"src", "controls", "loop", "muted", *_MEDIA_SIZE},
    "audio": {"src", "controls", "loop", "muted"},
    "source": {"src", "type"},
    "ol": {"start", "reversed"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "col": {"span"},
    "colgroup": {"span"},
    "code": {"class"},
    "abbr": {"title"},
    "time": {"datetime"},
}
# Raw HTML nested deeper than this is shown as text: html5ever checks the whole stack of open
# elements for each block tag, so 100,000 nested <div>s would take minutes to sanitise.
MAX_RAW_HTML_DEPTH = 100
_RAW_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")
_VOID_ELEMENTS = frozenset(
    {
        *("area", "base", "br", "col", "embed", "hr", "img"),
        *("input", "link", "meta", "param", "source", "track", "wbr"),
    }
)
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_BARE_REFERENCE = re.compile(r"record:(?:post|site|page)/[^\s()\[\]\"'<>]+")
_ALIGNMENT = re.compile(r"text-align:(left|right|center)")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry at all."""
    return _XML_FORBIDDEN.sub("", text)


def url_scheme(url: str) -> str | None:
    """The scheme a browser would act on, lowercased; None for a relative URL."""
    # Browsers drop leading controls and spaces, and tabs and newlines anywhere ("jav\tascript:").
    match = _SCHEME.match(_URL_IGNORED.sub("", url.lstrip(_C0_AND_SPACE)))
    return match.group(1).lower() if match else None


def absolute_url(url: str, base: str) -> str:
    """`url` made absolute against the directory URL `base`; protocol-relative URLs become https.

    Only call this for relative URLs or ones whose scheme has been checked.
    """
    url = url.strip(_C0_AND_SPACE)  # not str.strip(): U+2028 and friends are not trimmed by browsers
    if url.startswith("//"):
        url = "https:" + url
    elif url_scheme(url) is None:
        url = urljoin(base, url)
    return quote(url, safe=_URL_SAFE)


def directory_url(url: str) -> str:
    """`url` as a directory, so relative paths resolve beneath it rather than beside it."""
    return url if url.endswith("/") else url + "/"


def _absolute_body_url(url: str, base: str) -> str | None:
    # nh3 calls this for anything its URL parser could not read as absolute; whatever that is,
    # the result must be an http(s) or mailto URL or nothing.
    resolved = absolute_url(url, base)
    return resolved if url_scheme(resolved) in _BODY_SCHEMES else None


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "code" and attribute == "class":
        # Fenced code's language hint is the only class worth keeping.
        return value if _LANGUAGE_CLASS.fullmatch(value) else None
    return value


def render_body(markdown: str, base: str) -> str:
    """Sanitised HTML for a Markdown body, every href/src absolute against `base` (the article's
    page), links to other records as placeholders for links.resolve_references."""
    tokens = _MARKDOWN.parse(xml_safe(markdown))
    _alignment_as_attribute(tokens)
    _shallow_raw_html(tokens)
    _mark_references(tokens)
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    cleaned = nh3.clean(
        html,
        tags=set(_TAGS),
        clean_content_tags={"script", "style", "template", "noscript", "textarea", "title"},
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        url_schemes=set(_BODY_SCHEMES),
        url_relative=lambda url: _absolute_body_url(url, base),
        strip_comments=True,
    )
    return xml_safe(cleaned)


def _mark_references(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type == "html_block" and RECORD_SCHEME in token.content:  # {% post_url %} in an href
            token.content = _BARE_REFERENCE.sub(_bare_placeholder, token.content)
        for child in token.children or ():
            if (
                child.type in ("text", "html_inline") and RECORD_SCHEME in child.content
            ):  # a bare {{< ref >}}: its URL as text
                child.content = _BARE_REFERENCE.sub(_bare_placeholder, child.content)
            attribute = "href" if child.type == "link_open" else "src" if child.type == "image" else None
            target = child.attrs.get(attribute) if attribute else None
            if attribute and isinstance(target, str) and is_reference(unquote(target)):
                child.attrs[attribute] = placeholder(unquote(target))


def _bare_placeholder(match: re.Match[str]) -> str:
    reference = match.group(0).rstrip(".,;:!?")  # the sentence's punctuation is not part of it
    return placeholder(reference) + match.group(0)[len(reference) :]


def _alignment_as_attribute(tokens: list[Token]) -> None:
    # Table column alignment arrives as a style attribute, which the sanitiser removes (no
    # style at all): carry it as the plain `align` attribute instead.
    for token in tokens:
        style = token.attrs.get("style")
        if token.type in ("th_open", "td_open") and isinstance(style, str):
            del token.attrs["style"]
            match = _ALIGNMENT.fullmatch(style)
            if match:
                token.attrs["align"] = match.group(1)


class _OpenElements:
    """The raw-HTML elements left open so far, as an HTML parser would roughly see them."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def admit(self, html: str) -> bool:
        """Take in one raw HTML token, unless it would nest deeper than MAX_RAW_HTML_DEPTH."""
        names = list(self.names)
        for closing, name in _RAW_TAG.findall(html):
            name = name.lower()
            if closing:
                # An end tag with no open element of its name is ignored, as parsers do.
                if name in names:
                    del names[len(names) - 1 - names[::-1].index(name) :]
            elif name not in _VOID_ELEMENTS:  # "<div/>" still opens a div in HTML
                names.append(name)
                if len(names) > MAX_RAW_HTML_DEPTH:
                    return False
        self.names = names
        return True


def _shallow_raw_html(tokens: list[Token]) -> None:
    open_elements = _OpenElements()
    for token in tokens:
        raw = [token] if token.type == "html_block" else []
        raw += [child for child in token.children or () if child.type == "html_inline"]
        for each in raw:
            if not open_elements.admit(each.content):
                each.type = "text"  # rendered escaped, so it adds no depth


class _FirstParagraph(HTMLParser):
    """The text of the first top-level <p> with any, entities decoded; it stops reading after `enough`.

    Text arrives in many small pieces (one per tag boundary), so they are kept in a list and
    joined once: adding them to a string would be quadratic in a paragraph of a million tags.
    """

    def __init__(self, enough: int) -> None:
        super().__init__(convert_charrefs=True)
        self.enough = enough
        self.pieces: list[str] = []
        self.done = False
        self._depth = 0
        self._length = 0
        self._checked_at = 0

    def text(self) -> str:
        return " ".join("".join(self.pieces).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._depth:
            self._depth -= 1
            if not self._depth:
                if self.text():
                    self.done = True
                else:
                    self.pieces, self._length, self._checked_at = [], 0, 0

    def handle_data(self, data: str) -> None:
        if not self._depth or self.done:
            return
        self.pieces.append(data)
        self._length += len(data)
        # Collapsing whitespace costs a pass over the text: do it each time the text doubles.
        if self._length > max(self.enough, 2 * self._checked_at):
            self._checked_at = self._length
            self.done = len(self.text()) > self.enough


def summary_text(html: str, limit: int = 300) -> str:
    """Plain text of the first non-empty paragraph, cut at a word boundary with "…" past `limit`."""
    parser = _FirstParagraph(enough=limit)
    chunk = 16 * 1024
    for start in range(0, len(html), chunk):
        parser.feed(html[start : start + chunk])
        if parser.done:
            break
    else:
        parser.close()
    return _cut(parser.text(), limit)


# Hugo's summary divider; Jekyll's `excerpt_separator` is often set to it too.
MORE = "<!--more-->"


def excerpt_text(markdown: str, limit: int = 600) -> str:
    """Plain text of a Markdown excerpt (the part of a body before its separator), cut past `limit`."""
    html = _MARKDOWN.render(xml_safe(markdown[: limit * 20]))
    text = unescape(nh3.clean(html, tags=set(), clean_content_tags={"script", "style"}))
    return _cut(" ".join(text.split()), limit)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–—-") + "…"
