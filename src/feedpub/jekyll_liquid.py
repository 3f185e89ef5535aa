"""Jekyll's Liquid, run by python-liquid: control flow, variables, filters and Jekyll's own tags.

Jekyll renders a post's Liquid before its Markdown; so does `render` here, with Jekyll's tags
(`highlight`, `post_url`, `link`) and filters (`relative_url`, `slugify`, `date_to_string`…)
registered through python-liquid's extension API. What feedpub cannot honour (an `include` of a
file it does not have, a tag or filter no one registered, a value that cannot be found) renders
as a *removed* mark naming it, which templating.py turns into a warning (and a dropped link when
a URL held it). Limits bound every loop, the output and the size of assigned values: a hostile
body ends in a LiquidError, never a hang.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, ItemsView, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any, TextIO
from urllib.parse import quote, quote_plus
from zoneinfo import ZoneInfo

from liquid import Environment, RenderContext, Undefined
from liquid.ast import BlockNode, Node
from liquid.parser import get_parser
from liquid.stream import TokenStream
from liquid.tag import Tag
from liquid.template import BoundTemplate
from liquid.token import TOKEN_EOF, TOKEN_EXPRESSION, TOKEN_ILLEGAL, TOKEN_TAG, Token

from feedpub.dates import parse_when
from feedpub.permalinks import jekyll_slugify
from feedpub.templating import RECORD_SCHEME, REMOVED, REMOVED_END, fenced

__all__ = ["Run", "render"]

_PATH = re.compile(r"[\w-]+(?:\.[\w-]+|\[[^\]\n]{0,100}\])*")
_LEADING_INTEGER = re.compile(r"\s*[+-]?\d{1,4000}")  # bounded: Python refuses longer int texts
_UTC = ZoneInfo("UTC")  # a date without a zone is read as UTC: render() is not told the site's zone


@dataclass
class Run:
    """What one body's rendering needs from its caller."""

    base_path: str  # Jekyll's site.baseurl: the home page's path, no trailing slash
    origin: str  # Jekyll's site.url: scheme and host
    keep: Callable[[str], str]  # text that nothing after Liquid may touch -> its placeholder
    missing: Callable[[str], object]  # told what a loop went over that cannot be found


_RUN: ContextVar[Run] = ContextVar("jekyll_liquid_run")


def removed(what: str) -> str:
    """The mark that stands for `what` (a value, tag or filter) where it was removed: templating
    names it in a warning and drops a link whose URL held it."""
    return REMOVED + what + REMOVED_END


class _Undefined(Undefined):
    """A value that cannot be found renders as a removed mark naming its path as written; a loop
    over one (`{% for post in site.posts %}`: feedpub has no site-wide lists) is reported too."""

    __slots__ = ()

    def __str__(self) -> str:
        return removed(self._shown())

    def items(self) -> ItemsView[Any, object]:
        # python-liquid loops over a mapping's items, and an Undefined is an empty mapping
        _RUN.get().missing(self._shown())
        return super().items()

    def _shown(self) -> str:
        path = self.name
        if self.token is not None and self.token.start_index >= 0:
            found = _PATH.match(self.token.source, self.token.start_index)
            path = found.group(0) if found else path
        hint = " (not in site.yaml's variables)" if path.startswith("site.") else ""
        return "{{ " + path[:40] + " }}" + hint


class _Context(RenderContext):
    """Filters as feedpub applies them: one no one registered removes the value, naming the filter
    (Jekyll would pass the value through unfiltered: a value feedpub cannot vouch for is worse
    than none); any other but `default` leaves a value that cannot be found as it is, so that
    `{{ site.missing | truncate: 3 }}` is still removed, and a link holding it dropped."""

    def filter(self, name: str, token: Token | None) -> Callable[..., object]:
        if name not in self.env.filters:
            return lambda *_args, **_kwargs: removed(f"the Liquid filter '{name}'")
        function = super().filter(name, token)
        if name == "default":
            return function

        def applied(value: object, *args: object, **kwargs: object) -> object:
            return value if isinstance(value, Undefined) else function(value, *args, **kwargs)

        return applied


class _Template(BoundTemplate):
    context_class = _Context


class _JekyllEnvironment(Environment):
    """Jekyll's Liquid with limits: a body is someone else's text, possibly hostile."""

    template_class = _Template
    loop_iteration_limit = 10_000  # jekyllrb.com's longest loop in a post: 10 issue numbers
    output_stream_limit = 4_000_000  # characters: 4 x the default max_record_bytes (1 MiB)
    local_namespace_limit = 1_000_000  # bytes held by assigned and captured values
    context_depth_limit = 30
    block_nesting_limit = 30


# -- Tags --------------------------------------------------------------------------------------------


def _markup(stream: TokenStream) -> str:
    """The text after an inline tag's name; the stream is left on the tag's last token."""
    stream.expect(TOKEN_TAG)
    if stream.peek.kind != TOKEN_EXPRESSION:
        return ""
    next(stream)
    return str(stream.current.value).strip()


class _TextNode(Node):
    __slots__ = ("text",)

    def __init__(self, token: Token, text: str) -> None:
        super().__init__(token)
        self.text = text
        self.blank = False

    def render_to_output(self, _context: RenderContext, buffer: TextIO) -> int:
        return buffer.write(self.text)


class _ReferenceNode(Node):
    __slots__ = ("scheme", "tag", "target")

    def __init__(self, token: Token, tag: str, scheme: str, target: str | BoundTemplate) -> None:
        super().__init__(token)
        self.tag = tag
        self.scheme = scheme
        self.target = target
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        target = self.target
        if not isinstance(target, str):
            inner = context.get_buffer(buffer)
            target.render_with_context(context, inner)
            target = inner.getvalue()
        words = target.split()
        if not words or REMOVED in words[0]:
            return buffer.write(removed("{% " + self.tag + " %}"))
        return buffer.write(self.scheme + (words[0] if self.tag == "post_url" else words[0].lstrip("/")))


class _ReferenceTag(Tag):
    """A link to another record, as a record: link that rendering turns into its permalink:
    `{% post_url 2024-12-01-hello %}`, `{% link _posts/x.md %}`; as in Jekyll 4, the name may hold
    Liquid (`{% link {{ page.next }} %}`)."""

    block = False
    scheme = ""

    def parse(self, stream: TokenStream) -> Node:
        token = stream.current
        markup = _markup(stream)
        target = self.env.from_string(markup) if "{{" in markup else markup
        return _ReferenceNode(token, self.name, self.scheme, target)


class _PostUrlTag(_ReferenceTag):
    name = "post_url"
    scheme = RECORD_SCHEME + "post/"


class _LinkTag(_ReferenceTag):
    name = "link"
    scheme = RECORD_SCHEME + "site/"


class _UnavailableTag(Tag):
    """Tags that read files feedpub does not have (`include`, `include_relative`, `render`) and
    tags no one registered: removed, named in a warning."""

    block = False

    def parse(self, stream: TokenStream) -> Node:
        token = stream.current
        words = _markup(stream).split()
        shown = f"{token.value} {words[0]}" if words and token.value in _FILE_TAGS else token.value
        return _TextNode(token, removed("{% " + shown[:60] + " %}"))


_FILE_TAGS = ("include", "include_relative", "render")


def _unavailable(tag_name: str) -> type[Tag]:
    return type(f"_Unavailable_{tag_name}", (_UnavailableTag,), {"name": tag_name})


class _UnknownTag(_UnavailableTag):
    name = TOKEN_ILLEGAL  # python-liquid's name for every tag no one registered


class _HighlightNode(Node):
    __slots__ = ("block", "language")

    def __init__(self, token: Token, language: str, block: BlockNode) -> None:
        super().__init__(token)
        self.language = language
        self.block = block
        self.blank = False

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        inner = context.get_buffer(buffer)
        self.block.render(context, inner)
        return buffer.write(_RUN.get().keep(fenced(self.language, inner.getvalue())))

    def children(self, _static_context: RenderContext, *, include_partials: bool = True) -> Iterable[Node]:
        del include_partials
        yield self.block


class _HighlightTag(Tag):
    """`{% highlight python linenos %}…{% endhighlight %}`: fenced code. As in Jekyll, the
    code's own Liquid is rendered first (`{% raw %}` shows it literally)."""

    name = "highlight"
    end = "endhighlight"

    def parse(self, stream: TokenStream) -> Node:
        token = stream.eat(TOKEN_TAG)
        language = ""
        if stream.current.kind == TOKEN_EXPRESSION:
            words = str(stream.current.value).split()
            language = re.sub(r"[^\w+#.-]", "", words[0])[:40] if words else ""
            next(stream)
        block = get_parser(self.env).parse_block(stream, (self.end, TOKEN_EOF))
        stream.expect(TOKEN_TAG, value=self.end)
        return _HighlightNode(token, language, block)


# -- Filters (Jekyll's, as its "Liquid Filters" page documents them) --------------------------------


def relative_url(value: object) -> object:
    text = str(value)
    if "://" in text or text.startswith("//"):
        return text
    return _RUN.get().base_path + "/" + text.lstrip("/")


def absolute_url(value: object) -> object:
    text = str(value)
    if "://" in text or text.startswith("//"):
        return text
    run = _RUN.get()
    return run.origin + run.base_path + "/" + text.lstrip("/")


def xml_escape(value: object) -> object:
    if value is None:
        return value
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def cgi_escape(value: object) -> object:
    return quote_plus(str(value))


def uri_escape(value: object) -> object:
    # Ruby's Addressable normalisation keeps reserved characters and escapes the rest.
    return quote(str(value), safe="!#$&'()*+,/:;=?@[]~%")


def slugify(value: object, mode: object = "default") -> object:
    """Jekyll's default mode: runs of anything but letters and digits become one hyphen."""
    text = unicodedata.normalize("NFC", str(value))
    if mode == "none":
        return text
    if mode == "raw":
        return re.sub(r"\s+", "-", text).strip("-").lower()
    return jekyll_slugify(text)


def jsonify(value: object) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"), default=str)


def _plain(value: object) -> object:
    if isinstance(value, Undefined):
        return None
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def normalize_whitespace(value: object) -> object:
    return " ".join(str(value).split())


def number_of_words(value: object, _mode: object = None) -> int:
    return len(str(value).split())


def array_to_sentence_string(value: object, connector: object = "and") -> object:
    items = [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]
    if len(items) <= 2:
        return f" {connector} ".join(items)
    return ", ".join(items[:-1]) + f", {connector} " + items[-1]


def to_integer(value: object) -> object:
    """As Ruby's to_i: the leading digits of a text (0 without), a number truncated, true is 1."""
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    digits = _LEADING_INTEGER.match(str(value))
    return int(digits.group(0)) if digits else 0


def _markdown_as_is(value: object) -> object:
    """markdownify and smartify: the body is Markdown, rendered after Liquid: left as it is."""
    return value


def inspect(value: object) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, default=str)


def push(value: object, item: object) -> object:
    return [*value, item] if isinstance(value, list | tuple) else value


def pop(value: object, count: object = 1) -> object:
    if not isinstance(value, list | tuple):
        return value
    return list(value[: max(0, len(value) - _count(count))])


def shift(value: object, count: object = 1) -> object:
    return list(value[_count(count) :]) if isinstance(value, list | tuple) else value


def unshift(value: object, item: object) -> object:
    return [item, *value] if isinstance(value, list | tuple) else value


def find(value: object, key: object, wanted: object) -> object:
    if isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, Mapping) and str(item.get(str(key))) == str(wanted):
                return item
    return None


def _count(value: object) -> int:
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 1


def _date_filter(form: Callable[[datetime], str]) -> Callable[..., object]:
    def apply(value: object, *_args: object) -> object:
        when = _as_datetime(value)
        return str(value) if when is None else form(when)

    return apply


def _as_datetime(value: object) -> datetime | None:
    try:
        return parse_when(value, _UTC, "date")
    except ValueError:  # any text that is no date is shown as it is, as in Jekyll
        return None


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _date_to_string(long: bool) -> Callable[..., object]:
    def apply(value: object, style: object = None, country: object = None) -> object:
        when = _as_datetime(value)
        if when is None:
            return str(value)
        month = when.strftime("%B" if long else "%b")
        if style == "ordinal":
            if country == "US":
                return f"{month} {_ordinal(when.day)}, {when.year}"
            return f"{_ordinal(when.day)} {month} {when.year}"
        return f"{when.day:02d} {month} {when.year}"

    return apply


_FILTERS: dict[str, Callable[..., object]] = {
    "relative_url": relative_url,
    "absolute_url": absolute_url,
    "xml_escape": xml_escape,
    "cgi_escape": cgi_escape,
    "uri_escape": uri_escape,
    "slugify": slugify,
    "jsonify": jsonify,
    "normalize_whitespace": normalize_whitespace,
    "number_of_words": number_of_words,
    "array_to_sentence_string": array_to_sentence_string,
    "to_integer": to_integer,
    "markdownify": _markdown_as_is,
    "smartify": _markdown_as_is,
    "inspect": inspect,
    "push": push,
    "pop": pop,
    "shift": shift,
    "unshift": unshift,
    "find": find,
    "date_to_xmlschema": _date_filter(lambda when: when.isoformat()),
    "date_to_rfc822": _date_filter(lambda when: format_datetime(when)),
    "date_to_string": _date_to_string(long=False),
    "date_to_long_string": _date_to_string(long=True),
}


def _environment() -> _JekyllEnvironment:
    environment = _JekyllEnvironment(undefined=_Undefined)
    tags: list[type[Tag]] = [_PostUrlTag, _LinkTag, _HighlightTag, _UnknownTag]
    for tag in tags + [_unavailable(name) for name in _FILE_TAGS]:
        environment.add_tag(tag)
    for name, function in _FILTERS.items():
        environment.add_filter(name, function)
    return environment


_ENVIRONMENT = _environment()


def render(source: str, run: Run, site: Mapping[str, Any], page: Mapping[str, Any]) -> str:
    """`source` as Jekyll renders its Liquid, with `site` and `page` as its variables.

    Raises LiquidError (naming the problem and its line) for Liquid that cannot be parsed or
    that reaches a limit.
    """
    token = _RUN.set(run)
    try:
        template = _ENVIRONMENT.from_string(source)
        return template.render(site=site, page=page)
    finally:
        _RUN.reset(token)
