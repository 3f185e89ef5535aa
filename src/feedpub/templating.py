"""Jekyll's Liquid and Hugo's shortcodes in a body → the Markdown or HTML they stand for.

A feed reader never sees template syntax: what Jekyll or Hugo would render is converted.
Jekyll's Liquid is run by python-liquid (jekyll_liquid.py: `assign`, `for`, `if`, `capture`…,
Jekyll's own tags and filters, `{% highlight %}` to fenced code), before kramdown's `{:toc}` and
attribute lists are removed; Hugo's shortcodes are converted here (`{{< highlight >}}` to fenced
code, `{{< figure >}}` to an image with its caption, `{{< youtube >}}` to a link). Any other tag
or shortcode is removed and named in a warning. Liquid that cannot be run (a tag never closed, a
loop past the limits) leaves the body's template text as written, with a warning.
References to other posts (`{% post_url %}`, `{% link %}`, `{{< ref >}}`, `{{< relref >}}`) become
`record:` links that rendering turns into the other record's permalink (see links.py).
As in Jekyll and Hugo, templates are read everywhere, code blocks included; `{% raw %}` and Hugo's
escaped `{{</* … */>}}` are the way to show them literally. Jekyll posts get Liquid and kramdown,
Hugo posts shortcodes (Hugo never runs `{{ … }}` in content); other records are left as written.
Where only the record itself suggests Jekyll (site.yaml names no generator), template text in
code that is not Jekyll's (`{{ item.name }}` in an Angular sample) is a code sample: kept.

`site.*` (Liquid) and `{{< param >}}` (Hugo) read the site's variables (site.yaml `variables`);
`page.*` and `param` read the record's own front matter first (any case). A value that cannot be
found is removed, and a link whose URL held it is dropped (its text kept): a wrong link is worse
than none.
"""

from __future__ import annotations

import bisect
import html
import re
import shlex
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

RECORD_SCHEME = "record:"  # record:post/<jekyll post name>, record:site/<path>, record:page/<path>

# Bounded repetitions and the block scan below keep every pass linear in the body's length,
# whatever it holds (a megabyte of "{%" must not take minutes).
_TAG = r"\{%-?\s*"
_END = r"\s*-?%\}"
_RAW = (re.compile(_TAG + "raw" + _END), re.compile(_TAG + "endraw" + _END))
_HUGO_HIGHLIGHT = (
    re.compile(r"\{\{[<%]\s*highlight\s+([\w+#.-]{1,40})[^}]{0,200}?[>%]\}\}\n?"),
    re.compile(r"\n?\{\{[<%]\s*/\s*highlight\s*[>%]\}\}"),
)
_ESCAPED_SHORTCODE = (re.compile(r"\{\{([<%])/\*"), re.compile(r"\*/([>%])\}\}"))
_KRAMDOWN_BLOCK = (re.compile(r"\{::(\w{1,40})[^}/]{0,200}\}"), re.compile(r"\{:/\w{0,40}\}"))
_KRAMDOWN_SINGLE = re.compile(r"\{::\w{1,40}[^}]{0,200}/\}")
_KRAMDOWN_TOC = re.compile(
    r"^[ \t]*(?:[*+-]|1\.)[ \t]+.*\n[ \t]*\{:[ \t]*\.?toc[ \t]*\}[ \t]*$", re.MULTILINE
)
_KRAMDOWN_IAL = re.compile(r"\{:(?:(?!\{:)[^}\n]){0,200}\}")
# Template text in code, where only the record suggests Jekyll (a code sample, perhaps). An opening
# never spans the next one ("(?!\{%)"): "{% {% {% …" costs each opening a few steps.
_LIQUID_TAG = re.compile(r"\{%-?\s*(\w{1,40})((?:(?!\{%).){0,300}?)-?%\}", re.DOTALL)
_LIQUID_OUTPUT = re.compile(r"\{\{-?\s*((?:(?!\{\{).){0,300}?)\s*-?\}\}", re.DOTALL)
_SHORTCODE = re.compile(
    r"\{\{([<%])\s*(/?)\s*([\w./-]{1,60})((?:(?!\{\{).){0,1000}?)\s*(/?)\s*[>%]\}\}", re.DOTALL
)
_PLACEHOLDER = "\x00{}\x00"
_PLACEHOLDER_BACK = re.compile("\x00(\\d+)\x00")
# Where a template value could not be found (bodies are XML-safe: no control characters of their own).
# Liquid's removed values come as REMOVED + what was removed + REMOVED_END, to be named in a warning.
REMOVED, REMOVED_END = "\x01", "\x02"
_REMOVED_BY_LIQUID = re.compile(REMOVED + "([^\x00-\x02]{0,200})" + REMOVED_END)
# Link syntax around a removed value. Labels and destinations never hold "[" or "]", so each scan
# stops at the next bracket: linear in the body's length.
_LABEL = r"[^\[\]\n]{0,999}"
_REFERENCE_DEFINITION = re.compile(
    r"^ {0,3}\[("
    + _LABEL
    + r")\]:[ \t]*(?:<[^<>\n\x01]{0,2000}\x01[^<>\n]{0,2000}>|[^\s\[\]\x01]{0,2000}\x01\S{0,2000})"
    r"(?:[ \t]+(?:\"[^\"\n]{0,999}\"|'[^'\n]{0,999}'|\([^)\n]{0,999}\)))?[ \t]*(?:\n|$)",
    re.MULTILINE,
)
_MAX_SHAPES = 20  # each reference use is tried against each: bounded, whatever the body holds
_ANY_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[(" + _LABEL + r")\]:", re.MULTILINE)
_REFERENCE_USE = re.compile(r"(!?)\[(" + _LABEL + r")\](?:\[(" + _LABEL + r")\])?(?![(:])")
_INLINE_LINK = re.compile(
    r"!?\[(" + _LABEL + r")\]\([ \t]*<?[^()\s<>\[\]\x01]{0,2000}\x01[^()\s<>\[\]]{0,2000}>?"
    r"(?:[ \t]+\"[^\"\n]{0,999}\")?[ \t]*\)"
)
# An <a> or <img> whose URL held one goes (a closing </a> left alone is dropped by the sanitiser);
# on any other element, the attribute goes.
_LINK_TAG = re.compile(
    r"<(?:a|img)\s[^<>\x01]{0,2000}(?:href|src)\s*=\s*[\"']?[^\"'<>\x01]{0,2000}\x01[^<>]{0,2000}>",
    re.IGNORECASE,
)
_URL_ATTRIBUTE = re.compile(
    r"\s(?:href|src)\s*=\s*(?:\"[^\"\x01]{0,2000}\x01[^\"]{0,2000}\"|'[^'\x01]{0,2000}\x01[^']{0,2000}')",
    re.IGNORECASE,
)
# Liquid's own objects (Jekyll's `site`, `page`…): an expression on one of them is Jekyll's, even in code.
_JEKYLL_OBJECTS = ("site", "page", "post", "layout", "include", "jekyll", "paginator", "content", "forloop")
_CODE_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)
_BACKTICKS = re.compile(r"`+")
_HTML_CODE = (re.compile(r"<(?:pre|code)\b", re.IGNORECASE), re.compile(r"</(?:pre|code)\s*>", re.IGNORECASE))


@dataclass
class Conversion:
    """The converted body and what could not be converted."""

    text: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Context:
    home: str  # the site's home page, a directory URL
    site: Mapping[str, Any]  # Liquid's `site` / Hugo's site params: site.yaml's title, description, variables
    page: Mapping[str, Any]  # the record's front matter (lower-case keys)
    keep_foreign_code: bool  # template text in code that is not Jekyll's stays: it may be a code sample
    kept: list[str] = field(default_factory=list)  # literal text taken out while converting
    warnings: list[str] = field(default_factory=list)
    unknown: dict[str, int] = field(default_factory=dict)

    def keep(self, text: str) -> str:
        self.kept.append(text)
        return _PLACEHOLDER.format(len(self.kept) - 1)

    def drop(self, what: str) -> str:
        self.unknown[what] = self.unknown.get(what, 0) + 1
        return REMOVED


def has_templates(body: str) -> bool:
    """Whether a body holds anything this module converts (most bodies do not: skip the work)."""
    return "{%" in body or "{{" in body or "{:" in body


def convert(
    body: str,
    home: str,
    generator: str,
    *,
    declared: bool = True,
    site: Mapping[str, Any] | None = None,
    page: Mapping[str, Any] | None = None,
) -> Conversion:
    """`body` as Jekyll ("jekyll") or Hugo ("hugo") would render its templates; `home` ends with '/'.

    `declared`: the site says whose rules apply (else only the record suggests it, and template
    text in code that is not Jekyll's is kept as a code sample). `site`: the values of `site.x`
    and Hugo's site params; `page`: the record's front matter.
    """
    if generator not in ("jekyll", "hugo") or not has_templates(body):
        return Conversion(body)
    context = _Context(home, site or {}, page or {}, keep_foreign_code=not declared)
    text = body
    if generator == "hugo" or "{{<" in text or "{{%" in text:  # shortcodes are Hugo's whoever holds them
        text = _blocks(text, _ESCAPED_SHORTCODE, lambda m, inner: context.keep("{{" + m.group(1) + inner))
        text = _blocks(text, _HUGO_HIGHLIGHT, lambda m, inner: context.keep(fenced(m.group(1), inner)))
        text = _shortcodes(text, context)
    if generator == "jekyll":
        text = _liquid(text, context)  # as in Jekyll: Liquid first, then kramdown reads the result
        text = _KRAMDOWN_TOC.sub("", text)
        text = _blocks(text, _KRAMDOWN_BLOCK, lambda _, inner: "")
        text = _KRAMDOWN_SINGLE.sub("", text)
        text = _KRAMDOWN_IAL.sub("", text)
    if REMOVED in text:
        text = _drop_broken_links(text, context)
    text = _PLACEHOLDER_BACK.sub(lambda m: context.kept[int(m.group(1))], text)
    for what, count in sorted(context.unknown.items()):
        times = "" if count == 1 else f" ({count} times)"
        context.warnings.append(f"body: {what} is not converted and was removed{times}")
    return Conversion(text, context.warnings)


def code_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the code in Markdown text, sorted, none overlapping: fenced and indented
    blocks, `code spans` (within a paragraph) and HTML <pre>/<code> elements. One pass over the
    text for each kind."""
    spans: list[tuple[int, int]] = []
    position = 0
    while (fence := _CODE_FENCE.search(text, position)) is not None:
        marker = fence.group(1)
        closing = re.compile(
            r"^ {0,3}" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}[ \t]*$", re.MULTILINE
        )
        line_end = text.find("\n", fence.end())
        end = None if line_end < 0 else closing.search(text, line_end + 1)
        stop = len(text) if end is None else end.end()
        spans.append((fence.start(), stop))
        position = stop
    fenced = list(spans)
    runs: dict[int, list[int]] = {}
    for run in _BACKTICKS.finditer(text):
        if not _inside(fenced, run.start()):
            runs.setdefault(len(run.group(0)), []).append(run.start())
    taken: dict[int, int] = {}  # backtick run length -> index of the next unused run of that length
    for length, starts in runs.items():
        for index, start in enumerate(starts):
            if index < taken.get(length, 0) or index + 1 >= len(starts):
                continue
            after = starts[index + 1] + length
            if "\n\n" not in text[start:after]:
                spans.append((start, after))
                taken[length] = index + 2
    spans += _html_code(text) + _indented_code(text)
    return _merged(sorted(spans))


def _indented_code(text: str) -> list[tuple[int, int]]:
    """Indented code blocks: lines indented 4 spaces or a tab after a blank line, to the next line
    that is not. A list item's indented paragraph counts too: it errs on the side of keeping."""
    spans = []
    start = None
    blank_before = True
    position = 0
    for line in text.splitlines(keepends=True):
        blank = not line.strip()
        indented = line.startswith(("    ", "\t")) and not blank
        if start is None and indented and blank_before:
            start = position
        elif start is not None and not (indented or blank):
            spans.append((start, position))
            start = None
        blank_before = blank
        position += len(line)
    if start is not None:
        spans.append((start, position))
    return spans


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlaps joined, so that a bisect finds the one holding a position."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _inside(spans: list[tuple[int, int]], position: int) -> bool:
    index = bisect.bisect_right(spans, (position, 2**62)) - 1
    return index >= 0 and spans[index][0] <= position < spans[index][1]


def _html_code(text: str) -> list[tuple[int, int]]:
    opening, closing = _HTML_CODE
    spans = []
    position = 0
    while (start := opening.search(text, position)) is not None:
        end = closing.search(text, start.end())
        if end is None:
            break
        spans.append((start.start(), end.end()))
        position = end.end()
    return spans


def _drop_broken_links(text: str, context: _Context) -> str:
    """Links whose URL held a value that could not be found lose their link, not their text."""
    dropped: set[str] = set()
    # A definition whose label held a removed value too (`[#{{ issue }}]: …` in a Liquid loop
    # feedpub does not run) stood for every label of that shape: `[#1037][]`, `[#1040][]`…
    shapes: list[re.Pattern[str]] = []

    def definition(match: re.Match[str]) -> str:
        label = match.group(1)
        dropped.add(_label(label))
        if REMOVED in label and _label(label) and len(shapes) < _MAX_SHAPES:
            parts = [re.escape(_label(part)) for part in label.split(REMOVED)]
            shapes.append(re.compile(".+?".join(parts)))
        return ""

    text = _REFERENCE_DEFINITION.sub(definition, text)
    count = len(dropped)
    defined = {_label(label) for label in _ANY_REFERENCE_DEFINITION.findall(text)}
    code = code_spans(text)

    def use(match: re.Match[str]) -> str:
        _, first, second = match.groups()
        label = _label(second or first)
        gone = label in dropped or (label not in defined and any(shape.fullmatch(label) for shape in shapes))
        return first if gone and not _inside(code, match.start()) else match.group(0)  # alt text, link text

    if dropped:
        text = _REFERENCE_USE.sub(use, text)

    def inline(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return match.group(1) if match.re is _INLINE_LINK else ""

    for pattern in (_INLINE_LINK, _LINK_TAG, _URL_ATTRIBUTE):
        text = pattern.sub(inline, text)
    if count:
        links = "a link" if count == 1 else f"{count} links"
        context.warnings.append(
            f"body: {links} whose URL held a value that could not be found dropped (the text kept)"
        )
    return text.replace(REMOVED, "")


def fenced(language: str, code: str) -> str:
    """`code` as a fenced block, its fence longer than any run of backticks in it."""
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code.strip(chr(10))}\n{fence}"


def _label(text: str) -> str:
    """A reference label as CommonMark matches it: case-folded, inner whitespace collapsed."""
    return " ".join(text.replace(REMOVED, "").split()).casefold()


def _blocks(
    text: str, markers: tuple[re.Pattern[str], re.Pattern[str]], replace: Callable[[re.Match[str], str], str]
) -> str:
    """Replace each opening ... closing block with replace(opening match, the text between).

    The first opening without a closing after it ends the scan: no later one can close either.
    """
    opening, closing = markers
    parts: list[str] = []
    position = 0
    while (start := opening.search(text, position)) is not None:
        end = closing.search(text, start.end())
        if end is None:
            break
        parts += [text[position : start.start()], replace(start, text[start.end() : end.start()])]
        if end.groups():  # the escaped shortcode's closing keeps its own delimiter
            parts[-1] += end.group(1) + "}}"
        position = end.end()
    parts.append(text[position:])
    return "".join(parts)


# -- Liquid (Jekyll) ---------------------------------------------------------------------------------


def _liquid(text: str, context: _Context) -> str:
    """`text` with its Liquid run as Jekyll runs it; as written, with a warning, where it cannot be."""
    source = _blocks(text, _RAW, lambda _, inner: context.keep(inner))  # literal: nothing touches it
    if context.keep_foreign_code:
        source = _keep_foreign_code(source, context)
    origin, base_path = _site_parts(context.home)
    github = context.site.get("github")
    site = {
        **context.site,
        "url": origin,
        "baseurl": base_path,
        "github": {**(github if isinstance(github, Mapping) else {}), "url": origin + base_path},
    }
    # python-liquid is imported on the first Jekyll body that needs it: most sites never do, and
    # every cold start of the functions would pay for it (it is a fifth of feedpub.records' imports).
    from feedpub import jekyll_liquid

    run = jekyll_liquid.Run(base_path=base_path, origin=origin, keep=context.keep, missing=context.drop)
    try:
        rendered = jekyll_liquid.render(source, run, site, _AnyCase(context.page))
    except Exception as error:  # someone else's text in a third-party engine: whatever
        # fails (syntax, a limit reached), the record is published with its text and told why
        context.warnings.append(
            f"body: its Liquid cannot be run ({_problem(error, source, context)}); "
            "the template text is kept as written"
        )
        return text
    rendered = _REMOVED_BY_LIQUID.sub(lambda m: context.drop(m.group(1)), rendered)
    return rendered.replace(REMOVED_END, "")


def _problem(error: Exception, source: str, context: _Context) -> str:
    """The error's own message, and the body's line it is on when known."""
    from liquid.exceptions import LiquidError  # loaded already: the error came from it

    if not isinstance(error, LiquidError):
        return f"{type(error).__name__}: {error}"[:300]
    message = " ".join(str(error.message).split())[:300]
    if error.__cause__ is not None:  # "unexpected liquid parsing error": python-liquid's own failure
        message += f": {type(error.__cause__).__name__}"
    index = error.token.start_index if error.token is not None else -1
    if not 0 <= index <= len(source):
        return message
    written = _PLACEHOLDER_BACK.sub(lambda m: context.kept[int(m.group(1))], source[:index])
    return f"line {written.count(chr(10)) + 1}: {message}"


def _keep_foreign_code(text: str, context: _Context) -> str:
    """Where only the record suggests Jekyll, template text in code that is not Jekyll's (a
    Django, Jinja or Angular sample, perhaps) is kept as written: `{% post_url %}`, `{% link %}`
    and expressions on Jekyll's own objects or on literals still run."""

    code = code_spans(text)

    def tag(match: re.Match[str]) -> str:
        if match.group(1) in ("post_url", "link") or not _inside(code, match.start()):
            return match.group(0)
        return context.keep(match.group(0))

    def output(match: re.Match[str]) -> str:
        operand = match.group(1).partition("|")[0].strip()
        variable = operand.split(".", 1)[0].split("[", 1)[0]
        literal = operand[:1] in ("'", '"') or operand[:1].isdigit()
        if literal or variable in _JEKYLL_OBJECTS or not _inside(code, match.start()):
            return match.group(0)
        return context.keep(match.group(0))

    text = _LIQUID_TAG.sub(tag, text)
    code = code_spans(text)  # the kept tags moved what follows them
    return _LIQUID_OUTPUT.sub(output, text)


class _AnyCase(Mapping[str, Any]):
    """Front matter as `page.x` reads it: keys in any case (`page.Title` is `title`)."""

    def __init__(self, values: Mapping[Any, Any]) -> None:
        self._values = {str(key).lower(): value for key, value in values.items()}

    def __getitem__(self, key: str) -> Any:
        value = self._values[str(key).lower()]
        return _AnyCase(value) if isinstance(value, Mapping) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def lookup(values: Mapping[str, Any], path: str, *, case_sensitive: bool) -> str | None:
    """The text at a dotted path (`github.repo`) in nested mappings, or None: only text and
    numbers are values a body can show."""
    value: Any = values
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        if not case_sensitive:
            value = {str(key).lower(): item for key, item in value.items()}
            part = part.lower()
        value = value.get(part)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value)


def _site_parts(home: str) -> tuple[str, str]:
    """Jekyll's site.url (scheme and host) and site.baseurl (the path, no trailing slash)."""
    parts = urlsplit(home)
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


# -- Hugo shortcodes -------------------------------------------------------------------------------


def _shortcodes(text: str, context: _Context) -> str:
    def replace(match: re.Match[str]) -> str:
        closing, name, arguments = match.group(2), match.group(3), match.group(4)
        if closing:
            return ""  # the end of a paired shortcode: its inner text stays
        return _shortcode(name, _arguments(arguments), context)

    return _SHORTCODE.sub(replace, text)


def _arguments(text: str) -> tuple[list[str], dict[str, str]]:
    try:
        words = shlex.split(text.replace("\n", " "), posix=True)
    except ValueError:
        words = text.split()
    positional = [word for word in words if "=" not in word]
    named = dict(word.split("=", 1) for word in words if "=" in word)
    return positional, named


def _shortcode(name: str, arguments: tuple[list[str], dict[str, str]], context: _Context) -> str:
    positional, named = arguments
    first = positional[0] if positional else None
    if name in ("ref", "relref"):
        target = named.get("path") or first
        return RECORD_SCHEME + "page/" + target if target else context.drop(f"{{{{< {name} >}}}}")
    if name == "figure":
        return _figure(named)
    if name == "param" and (first or named.get("name")):
        key = (first or named["name"]).lower()
        found = lookup(context.page, key, case_sensitive=False)
        if found is None:
            found = lookup(context.site, key, case_sensitive=False)
        return found if found is not None else context.drop(f"{{{{< param {key} >}}}}")
    links = {
        "youtube": ("https://www.youtube.com/watch?v={}", "YouTube video"),
        "vimeo": ("https://vimeo.com/{}", "Vimeo video"),
        "instagram": ("https://www.instagram.com/p/{}/", "Instagram post"),
    }
    if name in links:
        video = named.get("id") or first
        if video:
            pattern, label = links[name]
            return f"[{html.escape(named.get('title', label))}]({pattern.format(video)})"
    if name in ("x", "tweet", "twitter"):
        user, post = named.get("user"), named.get("id")
        if user and post:
            return f"[Post by @{user}](https://x.com/{user}/status/{post})"
    if name == "gist" and len(positional) >= 2:
        return f"[Gist {positional[1]}](https://gist.github.com/{positional[0]}/{positional[1]})"
    return context.drop(f"the Hugo shortcode '{name}'")


def _figure(named: dict[str, str]) -> str:
    src = named.get("src")
    if not src:
        return ""
    attributes = f' src="{html.escape(src)}" alt="{html.escape(named.get("alt", ""))}"'
    image = f"<img{attributes}>"
    if named.get("link"):
        image = f'<a href="{html.escape(named["link"])}">{image}</a>'
    caption = " ".join(part for part in (named.get("title"), named.get("caption")) if part)
    figcaption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f"\n<figure>{image}{figcaption}</figure>\n"
