"""Item links and ids as Jekyll and Hugo make them, from site.yaml's `permalink` pattern.

Jekyll (its URL drop and jekyll-feed): placeholders `:year :month :day :i_month :i_day :hour
:minute :second :short_year :y_day :short_month :long_month :week :w_year :w_day :short_day
:long_day :title :slug :name :categories :output_ext :path :collection`; named styles `date`,
`pretty`, `ordinal`, `weekdate`, `none`; a post's own `permalink` wins. jekyll-feed's entry id is
the link's folder joined with the slug (`/2025/01/29/title/` → `/2025/01/29/title`).

Hugo (its permalink expander): `:year :month :monthname :day :weekday :weekdayname :yearday
:section :sections (with [slices]) :title :slug :filename :slugorfilename :contentbasename
:slugorcontentbasename` and Go time layouts (`:2006`, `:01`); a page's own `url` wins; a
mapping `{section: pattern}` as in Hugo's `permalinks`. Hugo's feeds use the link as the id.

Jekyll's `:title`/`:slug` come from the file name, Hugo's from the title: which rules a record
follows is its `generator` (site.yaml), else what the pattern or the record itself shows.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from feedpub.sources import SourcePath

JEKYLL, HUGO, NATIVE = "jekyll", "hugo", "native"
JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_JEKYLL_ONLY = frozenset(
    {
        *("i_month", "i_day", "hour", "minute", "second", "short_year", "y_day", "short_month"),
        *("long_month", "week", "w_year", "w_day", "short_day", "long_day", "name", "categories"),
        *("output_ext", "path", "collection"),
    }
)
_HUGO_ONLY = frozenset(
    {
        *("monthname", "weekday", "weekdayname", "yearday", "section", "sections", "sectionslug"),
        *("sectionslugs", "filename", "slugorfilename", "contentbasename", "slugorcontentbasename"),
    }
)
_SHARED = frozenset({"year", "month", "day", "title", "slug"})
# Go's reference-time layout elements, as a Hugo pattern may use them (`:2006/:01/:02`).
_GO_LAYOUT = {
    "2006": "%Y",
    "06": "%y",
    "01": "%m",
    "02": "%d",
    "Jan": "%b",
    "January": "%B",
    "Mon": "%a",
    "Monday": "%A",
    "002": "%j",
    "15": "%H",
    "04": "%M",
    "05": "%S",
}
_GO_UNPADDED = {"1": "month", "2": "day"}
_JEKYLL_TOKEN = re.compile(r":([a-z_]+)")
_HUGO_TOKEN = re.compile(r":(\w+)(\[[^\]]*\])?")
_HUGO_ESCAPED_COLON = "\\:"
_JEKYLL_PATH_SAFE = re.compile(r"[a-zA-Z0-9./-]+")
_JEKYLL_DEFAULT_SLUG = re.compile(r"[^\w]+|_+")  # not a letter, mark or digit (Jekyll's default mode)
_JEKYLL_PRETTY_SLUG = re.compile(r"[^\w._~!$&'()+,;=@]+")
_PATH_CHARS = "/!$&'()*+,;=:@-._~%"
# A language code Hugo reads off a file name (post.fr.md); only common ones, so node.js.md keeps its name.
_LANGUAGES = "en|fr|de|es|it|pt|nl|ru|ja|zh|ko|pl|sv|da|nb|no|fi|cs|tr|ar|he|uk|el|hu|ro|id|vi|th|ca|fa|hi"
_TRANSLATION = re.compile(rf"\.(?:{_LANGUAGES})(?:-[a-z]{{2,4}})?$", re.IGNORECASE)


class PermalinkError(ValueError):
    """A pattern is not a path on the site, or names a placeholder neither Jekyll nor Hugo knows."""


# A pattern is a path resolved against home_page_url; one written as a whole URL would give every
# record a link with a mangled host ("https:/x/..."), so every record would be rejected for it.
_URL_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def url_instead_of_path(pattern: str) -> bool:
    """Whether a permalink (the site's pattern or a record's own) is written as a URL, not a path."""
    return _URL_PREFIX.match(pattern.strip()) is not None


def placeholders(pattern: str) -> list[str]:
    """Every placeholder name in a pattern (Hugo's slices dropped, escaped colons ignored)."""
    return [match.group(1) for match in _HUGO_TOKEN.finditer(pattern.replace(_HUGO_ESCAPED_COLON, ""))]


def check_pattern(pattern: str) -> str:
    """The pattern (a named style expanded), or PermalinkError naming the unknown placeholder."""
    pattern = JEKYLL_STYLES.get(pattern, pattern)
    if url_instead_of_path(pattern):
        raise PermalinkError(
            "is a URL; a permalink is a path on the site such as /:year/:month/:title/ "
            "(links are resolved against home_page_url)"
        )
    for name in placeholders(pattern):
        if not _known(name):
            known = ", ".join(f":{n}" for n in sorted(_SHARED | _JEKYLL_ONLY | _HUGO_ONLY))
            raise PermalinkError(f"unknown placeholder ':{name}' (known: {known}, and Go time layouts)")
    return pattern


def _known(name: str) -> bool:
    return name in _SHARED or name in _JEKYLL_ONLY or name in _HUGO_ONLY or _go_layout(name) is not None


def pattern_flavour(patterns: list[str]) -> str | None:
    """JEKYLL or HUGO when the site's patterns use a placeholder only one of them has, else None."""
    names = {name for pattern in patterns for name in placeholders(JEKYLL_STYLES.get(pattern, pattern))}
    if any(pattern in JEKYLL_STYLES for pattern in patterns) or names & _JEKYLL_ONLY:
        return JEKYLL
    if names & _HUGO_ONLY or any(_go_layout(name) for name in names - _SHARED):
        return HUGO
    return None


@dataclass(frozen=True)
class LinkFacts:
    """What a record's link may be made of."""

    source: SourcePath
    flavour: str
    title: str
    slug: str | None  # front matter `slug`, as written
    date: datetime  # in the site's time zone
    categories: tuple[str, ...]  # Jekyll's: the path's, then the front matter's
    own_path: str | None  # the record's own `permalink` (Jekyll) or `url` path (Hugo)


def pattern_for(permalink: str | dict[str, str], source: SourcePath) -> str:
    """The site's pattern for a record: one for all, or by the record's first section (Hugo's map)."""
    if isinstance(permalink, str):
        return JEKYLL_STYLES.get(permalink, permalink)
    section = source.sections[0] if source.sections else ""
    for key, pattern in permalink.items():
        if key.strip(" /") == section:
            return JEKYLL_STYLES.get(pattern, pattern)
    return "/:sections/:slugorcontentbasename/"  # Hugo's default for a section it was not told about


def expand(pattern: str, facts: LinkFacts) -> str:
    """The site-relative path ("/2024/03/07/title/") a pattern gives a record."""
    if facts.flavour == HUGO:
        return _hugo_path(_expand_hugo(pattern, facts))
    return _jekyll_sanitize(_expand_jekyll(pattern, facts))


def jekyll_feed_id(path: str, facts: LinkFacts) -> str:
    """jekyll-feed's entry id: the link's folder joined with the post's slug (as written)."""
    slug = facts.slug if facts.slug is not None else facts.source.slug
    return posixpath.join(posixpath.dirname(path.rstrip("/")) or "/", slug)


# -- Jekyll ----------------------------------------------------------------------------------


def jekyll_slugify(text: str, *, pretty: bool = False, cased: bool = False) -> str:
    pattern = _JEKYLL_PRETTY_SLUG if pretty else _JEKYLL_DEFAULT_SLUG
    slug = pattern.sub("-", text).strip("-")
    return slug if cased else slug.lower()


def _jekyll_values(facts: LinkFacts) -> dict[str, str]:
    when = facts.date
    slug = facts.slug if facts.slug is not None else facts.source.slug
    categories = list(dict.fromkeys(category.lower() for category in facts.categories))
    relative = facts.source.path.removeprefix("articles/")
    return {
        "year": when.strftime("%Y"),
        "month": when.strftime("%m"),
        "day": when.strftime("%d"),
        "hour": when.strftime("%H"),
        "minute": when.strftime("%M"),
        "second": when.strftime("%S"),
        "i_day": str(when.day),
        "i_month": str(when.month),
        "short_month": when.strftime("%b").upper(),
        "long_month": when.strftime("%B"),
        "short_year": when.strftime("%y"),
        "y_day": when.strftime("%j"),
        "w_year": f"{when.isocalendar().year}",
        "week": f"{when.isocalendar().week:02d}",
        "w_day": str(when.isoweekday()),
        "short_day": when.strftime("%a").upper(),
        "long_day": when.strftime("%A"),
        "title": jekyll_slugify(slug, pretty=True, cased=True),
        "slug": jekyll_slugify(slug),
        "name": jekyll_slugify(facts.source.name),
        "categories": "/".join(categories),
        "output_ext": ".html",
        "path": "/" + relative.rsplit(".", 1)[0].removeprefix("_posts/"),
        "collection": "posts",
        # Hugo's names that Jekyll lacks, so one pattern serves a site of both kinds.
        "section": facts.source.sections[0] if facts.source.sections else "",
        "sections": "/".join(facts.source.sections),
        "filename": jekyll_slugify(facts.source.name),
        "contentbasename": jekyll_slugify(facts.source.name),
        "slugorfilename": jekyll_slugify(slug),
        "slugorcontentbasename": jekyll_slugify(slug),
    }


def _expand_jekyll(pattern: str, facts: LinkFacts) -> str:
    values = _jekyll_values(facts)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        for candidate in (name, name.rstrip("_")):
            if candidate in values:
                return _jekyll_escape(values[candidate]) + name[len(candidate) :]
        go = _go_layout(name)
        return match.group(0) if go is None else _jekyll_escape(go(facts.date))

    return _JEKYLL_TOKEN.sub(replace, pattern)


def _jekyll_escape(value: str) -> str:
    if not value or _JEKYLL_PATH_SAFE.fullmatch(value):
        return value
    return quote(value, safe=_PATH_CHARS.replace("%", "")).replace("#", "%23")


def _jekyll_sanitize(path: str) -> str:
    path = ("/" + path).replace("..", "/").replace("./", "")
    return re.sub(r"/{2,}", "/", path)


# -- Hugo --------------------------------------------------------------------------------------


def hugo_urlize(text: str) -> str:
    """Hugo's URLize: spaces to one hyphen, only letters, digits, marks and `._~#+@-/\\%` kept, lower case."""
    kept: list[str] = []
    pending_hyphen = was_hyphen = False
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        allowed = char in "./\\_#+~-@" or category[0] in "LM" or category == "Nd"
        if char == "%":
            allowed = bool(re.fullmatch(r"[0-9A-Fa-f]{2}", text[index + 1 : index + 3]))
        if allowed:
            was_hyphen = char == "-"
            if pending_hyphen:
                if not was_hyphen:
                    kept.append("-")
                pending_hyphen = False
            kept.append(char)
        elif kept and not was_hyphen and char.isspace():
            pending_hyphen = True
    return "".join(kept).lower()


def _hugo_value(name: str, cut: str | None, facts: LinkFacts) -> str:
    when = facts.date
    source = facts.source
    slug = hugo_urlize(facts.slug) if facts.slug else ""
    title = hugo_urlize(facts.title)
    base = hugo_urlize(_TRANSLATION.sub("", source.name))  # post.fr.md is the French "post"
    values = {
        "year": str(when.year),
        "month": f"{when.month:02d}",
        "monthname": when.strftime("%B"),
        "day": f"{when.day:02d}",
        "weekday": str(when.isoweekday() % 7),
        "weekdayname": when.strftime("%A"),
        "yearday": str(when.timetuple().tm_yday),
        "section": source.sections[0] if source.sections else "",
        "sectionslug": hugo_urlize(source.sections[0]) if source.sections else "",
        "title": title,
        "slug": slug or title,
        "filename": base,
        "contentbasename": base,
        "slugorfilename": slug or base,
        "slugorcontentbasename": slug or base,
    }
    if name in ("sections", "sectionslugs"):
        sections = [hugo_urlize(s) if name == "sectionslugs" else s for s in source.sections]
        return "/".join(_hugo_slice(sections, cut))
    if name in values:
        return values[name]
    # Jekyll's names that Hugo lacks, so one pattern serves a site of both kinds.
    jekyll = _jekyll_values(facts)
    if name in jekyll:
        return jekyll[name]
    go = _go_layout(name)
    return "" if go is None else go(when)


def _expand_hugo(pattern: str, facts: LinkFacts) -> str:
    pattern = pattern.replace(_HUGO_ESCAPED_COLON, "\x00")
    expanded = _HUGO_TOKEN.sub(lambda m: _hugo_value(m.group(1), m.group(2), facts), pattern)
    return expanded.replace("\x00", ":")


def _hugo_slice(sections: list[str], cut: str | None) -> list[str]:
    """Hugo's lenient `[low:high]`, `[n]`, `[last]` slices of the section list."""
    if not cut:
        return sections
    inner = cut[1:-1].strip().lower()

    def index(text: str, low: bool) -> int:
        if text == "":
            return 0 if low else len(sections)
        if text == "last":
            return len(sections) - 1
        number = max(int(text), 0) if text.lstrip("-").isdigit() else 0
        return (-1 if low else len(sections)) if number >= len(sections) else number

    if ":" not in inner:
        n = index(inner, True)
        return [] if not sections or n < 0 else [sections[n]]
    low, high = (index(part, low) for part, low in zip(inner.split(":", 1), (True, False), strict=True))
    return [] if low < 0 or high < 0 else sections[low:high]


def _hugo_path(path: str) -> str:
    """Hugo's published path: a leading slash, single slashes, a trailing slash unless it names a file."""
    path = re.sub(r"/{2,}", "/", "/" + path.lstrip("/"))
    last = path.rsplit("/", 1)[-1]
    return path if path.endswith("/") or "." in last else path + "/"


def hugo_own_url(url: str) -> str:
    """A Hugo page's own `url` as a site-relative path (`about` and `/about` are `/about/`)."""
    return _hugo_path(url.replace(_HUGO_ESCAPED_COLON, ":"))


def _go_layout(name: str) -> Callable[[datetime], str] | None:
    if name in _GO_UNPADDED:
        field = _GO_UNPADDED[name]
        return lambda when: str(getattr(when, field))
    if name in _GO_LAYOUT:
        directive = _GO_LAYOUT[name]
        return lambda when: when.strftime(directive)
    return None
