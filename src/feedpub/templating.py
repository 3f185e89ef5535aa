"""Jekyll's Liquid and Hugo's shortcodes in a body → the Markdown or HTML they stand for.

A feed reader never sees template syntax: what Jekyll or Hugo would render is converted
(`{% highlight %}` and `{{< highlight >}}` to fenced code, `{{ '/x.png' | relative_url }}` to the
path, `{{< figure >}}` to an image with its caption, `{{< youtube >}}` to a link, kramdown's
`{:toc}` and attribute lists removed); any other tag is removed and named in a warning.
References to other posts (`{% post_url %}`, `{% link %}`, `{{< ref >}}`, `{{< relref >}}`) become
`record:` links that rendering turns into the other record's permalink (see links.py).
As in Jekyll and Hugo, templates are read everywhere, code blocks included; `{% raw %}` and Hugo's
escaped `{{</* … */>}}` are the way to show them literally. Jekyll posts get Liquid and kramdown,
Hugo posts shortcodes (Hugo never runs `{{ … }}` in content); other records are left as written.
"""

from __future__ import annotations

import html
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

RECORD_SCHEME = "record:"  # record:post/<jekyll post name>, record:site/<path>, record:page/<path>

# Bounded repetitions and the block scan below keep every pass linear in the body's length,
# whatever it holds (a megabyte of "{%" must not take minutes).
_TAG = r"\{%-?\s*"
_END = r"\s*-?%\}"
_RAW = (re.compile(_TAG + "raw" + _END), re.compile(_TAG + "endraw" + _END))
_COMMENT = (re.compile(_TAG + "comment" + _END), re.compile(_TAG + "endcomment" + _END))
_HIGHLIGHT = (
    re.compile(_TAG + r"highlight\s+([\w+#.-]{1,40})[^%]{0,200}?-?%\}\n?"),
    re.compile(r"\n?" + _TAG + "endhighlight" + _END),
)
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
# An opening never spans the next one ("(?!\{%)"): "{% {% {% …" costs each opening a few steps.
_LIQUID_TAG = re.compile(r"\{%-?\s*(\w{1,40})((?:(?!\{%).){0,300}?)-?%\}", re.DOTALL)
_LIQUID_OUTPUT = re.compile(r"\{\{-?\s*((?:(?!\{\{).){0,300}?)\s*-?\}\}", re.DOTALL)
_SHORTCODE = re.compile(
    r"\{\{([<%])\s*(/?)\s*([\w./-]{1,60})((?:(?!\{\{).){0,1000}?)\s*(/?)\s*[>%]\}\}", re.DOTALL
)
_FILTER = re.compile(
    r"\|\s*(\w+)(?:\s*:\s*((?:'[^']*'|\"[^\"]*\"|[\w.]+)(?:\s*,\s*(?:'[^']*'|\"[^\"]*\"|[\w.]+))*))?"
)
_PLACEHOLDER = "\x00{}\x00"
_PLACEHOLDER_BACK = re.compile("\x00(\\d+)\x00")


@dataclass
class Conversion:
    """The converted body and what could not be converted."""

    text: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Context:
    home: str  # the site's home page, a directory URL
    kept: list[str] = field(default_factory=list)  # literal text taken out while converting
    warnings: list[str] = field(default_factory=list)
    unknown: dict[str, int] = field(default_factory=dict)

    def keep(self, text: str) -> str:
        self.kept.append(text)
        return _PLACEHOLDER.format(len(self.kept) - 1)

    def drop(self, what: str) -> str:
        self.unknown[what] = self.unknown.get(what, 0) + 1
        return ""


def has_templates(body: str) -> bool:
    """Whether a body holds anything this module converts (most bodies do not: skip the work)."""
    return "{%" in body or "{{" in body or "{:" in body


def convert(body: str, home: str, generator: str) -> Conversion:
    """`body` as Jekyll ("jekyll") or Hugo ("hugo") would render its templates; `home` ends with '/'."""
    if generator not in ("jekyll", "hugo") or not has_templates(body):
        return Conversion(body)
    context = _Context(home)
    text = body
    if generator == "jekyll":
        text = _blocks(text, _RAW, lambda _, inner: context.keep(inner))
        text = _blocks(text, _COMMENT, lambda _, inner: "")
    if generator == "hugo" or "{{<" in text or "{{%" in text:  # shortcodes are Hugo's whoever holds them
        text = _blocks(text, _ESCAPED_SHORTCODE, lambda m, inner: context.keep("{{" + m.group(1) + inner))
        text = _blocks(text, _HUGO_HIGHLIGHT, lambda m, inner: context.keep(_fenced(m.group(1), inner)))
        text = _shortcodes(text, context)
    if generator == "jekyll":
        text = _blocks(text, _HIGHLIGHT, lambda m, inner: context.keep(_fenced(m.group(1), inner)))
        text = _KRAMDOWN_TOC.sub("", text)
        text = _blocks(text, _KRAMDOWN_BLOCK, lambda _, inner: "")
        text = _KRAMDOWN_SINGLE.sub("", text)
        text = _KRAMDOWN_IAL.sub("", text)
        text = _LIQUID_TAG.sub(lambda m: _liquid_tag(m.group(1), m.group(2).strip(), context), text)
        text = _LIQUID_OUTPUT.sub(lambda m: _liquid_output(m.group(1), context), text)
    text = _PLACEHOLDER_BACK.sub(lambda m: context.kept[int(m.group(1))], text)
    for what, count in sorted(context.unknown.items()):
        times = "" if count == 1 else f" ({count} times)"
        context.warnings.append(f"body: {what} is not converted and was removed{times}")
    return Conversion(text, context.warnings)


def _fenced(language: str, code: str) -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code.strip(chr(10))}\n{fence}"


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


def _liquid_tag(name: str, argument: str, context: _Context) -> str:
    if name == "post_url":
        return RECORD_SCHEME + "post/" + argument.split()[0] if argument else context.drop("{% post_url %}")
    if name == "link":
        return (
            RECORD_SCHEME + "site/" + argument.split()[0].lstrip("/")
            if argument
            else context.drop("{% link %}")
        )
    return context.drop(f"{{% {name} %}}")


def _liquid_output(expression: str, context: _Context) -> str:
    operand, _, filters = expression.partition("|")
    value = _operand(operand.strip(), context)
    if value is None:
        return context.drop("{{ " + expression.split("|")[0].strip()[:40] + " }}")
    for match in _FILTER.finditer("|" + filters if filters else ""):
        name, argument = match.group(1), match.group(2)
        if name == "relative_url":
            value = _relative_url(value, context.home)
        elif name == "absolute_url":
            value = context.home + value.lstrip("/") if "://" not in value else value
        elif name in ("prepend", "append") and argument:
            other = _operand(argument.strip(), context)
            if other is None:
                return context.drop(f"{{{{ … | {name}: {argument} }}}}")
            value = other + value if name == "prepend" else value + other
        elif name in ("escape", "xml_escape", "uri_escape", "url_encode", "strip"):
            continue
        else:
            return context.drop(f"the Liquid filter '{name}'")
    return value


def _operand(text: str, context: _Context) -> str | None:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    origin, base_path = _site_parts(context.home)
    return {"site.url": origin, "site.baseurl": base_path, "site.github.url": origin + base_path}.get(text)


def _site_parts(home: str) -> tuple[str, str]:
    """Jekyll's site.url (scheme and host) and site.baseurl (the path, no trailing slash)."""
    parts = urlsplit(home)
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def _relative_url(value: str, home: str) -> str:
    if "://" in value or value.startswith("//"):
        return value
    return _site_parts(home)[1] + "/" + value.lstrip("/")


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
