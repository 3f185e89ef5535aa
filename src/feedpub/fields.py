"""Front-matter fields by what they mean, under any name Jekyll, Hugo or feedpub gives them.

Keys are read case-insensitively (Hugo does; `Title` is `title`), custom fields under Hugo's
`params` count when the top level lacks them, and each meaning has its names in priority order:
`updated` is `updated`, else `lastmod`, else `last_modified_at`, else `modified`. An unknown
key a typo away from a known one is a warning (`darft` → did you mean `draft`?).
"""

from __future__ import annotations

from typing import Any

from feedpub.suggest import closest

# meaning -> the names it goes by, first found wins
ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "date": ("date",),
    # Hugo's order when `date` is missing: its publish date, then its last-modified date.
    "date_fallback": ("publishdate", "pubdate", "published", "lastmod", "modified"),
    "publish_date": ("publishdate", "pubdate", "published"),
    "expiry_date": ("expirydate", "unpublishdate"),
    "updated": ("updated", "lastmod", "last_modified_at", "modified"),
    "summary": ("summary", "excerpt", "description"),
    "tags": ("tags",),
    "tag": ("tag",),
    "categories": ("categories",),
    "category": ("category",),
    "draft": ("draft",),
    "id": ("id",),
    "slug": ("slug",),
    "url": ("url",),
    "permalink": ("permalink",),
    "author": ("author",),
    "authors": ("authors",),
    "image": ("image", "images", "cover", "featured_image", "featuredimage", "feature_image", "thumbnail"),
    "language": ("language", "lang"),
    "enclosure": ("enclosure",),
    "excerpt_separator": ("excerpt_separator",),
    "body": ("body",),
}
KNOWN = frozenset(name for names in ALIASES.values() for name in names)
# What a near miss is compared with, in the order suggestions are preferred.
_SUGGESTIONS = tuple(dict.fromkeys(name for names in ALIASES.values() for name in names))
# Keys themes commonly use that are a typo's distance from a field but mean something else.
_NOT_TYPOS = frozenset({"data", "image_alt", "images_alt", "tagline", "type", "lastmodified", "update"})


class FrontMatter:
    """Case-insensitive access to front-matter fields by meaning; notes near-miss keys as warnings."""

    def __init__(self, fields: dict[str, Any]) -> None:
        # An exact lower-case key wins over other spellings of it; Hugo's params come last.
        lower = {str(k): v for k, v in fields.items() if str(k) == str(k).lower()}
        self.fields: dict[str, Any] = {str(k).lower(): v for k, v in fields.items() if str(k) not in lower}
        self.fields.update(lower)
        params = self.fields.get("params")
        if isinstance(params, dict):
            for key, value in params.items():
                self.fields.setdefault(str(key).lower(), value)
        self.raw_keys = [str(key) for key in fields]

    def has(self, meaning: str) -> bool:
        return self.name_of(meaning) is not None

    def name_of(self, meaning: str) -> str | None:
        """The name under which this meaning is present (with a value other than null)."""
        return next((name for name in ALIASES[meaning] if self.fields.get(name) is not None), None)

    def get(self, meaning: str) -> Any:
        name = self.name_of(meaning)
        return None if name is None else self.fields[name]

    def near_misses(self) -> list[str]:
        """Warnings for unknown keys that look like typos of known ones."""
        warnings = []
        for key in self.raw_keys:
            folded = key.lower()
            if folded in KNOWN or folded in _NOT_TYPOS:
                continue
            meant = closest(folded, _SUGGESTIONS)
            if meant is not None:
                warnings.append(f"'{key}' is not a field feedpub reads (ignored); did you mean '{meant}'?")
        return warnings
