"""Slugs: safe path segments derived from any text a person wrote (tag names, article names).

A slug becomes part of a public URL and of a file path under the output directory, so it is
lowercase ASCII `[a-z0-9._-]+`, never "", "." or "..", and never contains "/". Text that
leaves nothing usable (only punctuation, or a script with no ASCII transliteration) gets a
stable hash-based slug instead, so distinct tags still get distinct feeds.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

MAX_SLUG_LENGTH = 80
_UNSAFE_RUNS = re.compile(r"[^a-z0-9._-]+")
_DASH_RUNS = re.compile(r"-{2,}")
_EDGES = "-."
# Symbols that carry the meaning of common tags ("C++", "C#", "R&D"), spelled out so that
# "C", "C++" and "C#" do not all collapse into the same feed.
_SPELLED_OUT = (
    (re.compile(r"\+"), " plus "),
    (re.compile(r"(?<=\w)#"), " sharp "),
    (re.compile(r"&"), " and "),
)


def _ascii_slug(text: str) -> str:
    # NFKD splits "é" into "e" + a combining accent, which the ASCII encode then drops.
    for symbol, words in _SPELLED_OUT:
        text = symbol.sub(words, text)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = _DASH_RUNS.sub("-", _UNSAFE_RUNS.sub("-", folded)).strip(_EDGES)
    return slug[:MAX_SLUG_LENGTH].rstrip(_EDGES)


def _hashed(prefix: str, text: str) -> str:
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()
    return f"{prefix}-{digest[:12]}"


def _slug(text: str, fallback_prefix: str) -> str:
    slug = _ascii_slug(text)
    # Only dots and dashes left would mean a hidden or relative path segment: use the hash.
    return slug if slug.strip(_EDGES) else _hashed(fallback_prefix, text)


@lru_cache(maxsize=4096)  # a site has few distinct tags, repeated on thousands of records
def tag_slug(tag: str) -> str:
    """The URL/path segment of a tag's feeds: `tags/<tag_slug(tag)>/feed.xml`."""
    return _slug(tag, "tag")


def record_slug(text: str) -> str:
    """An article's slug (from its front matter `slug` or its file name), used in its default URL and id."""
    return _slug(text, "article")
