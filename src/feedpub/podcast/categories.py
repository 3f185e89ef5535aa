"""Apple Podcasts' categories: what `<itunes:category>` may name (Apple's 2019 list, current today).

A show names up to a few of them in site.yaml as "Category" or "Category > Subcategory"; anything
else is a site error naming the closest valid names, because Apple rejects a feed whose category
it does not know.
"""

from __future__ import annotations

import difflib

from feedpub.errors import describe_value

APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": (
        "Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality",
    ),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden",
        "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News", "Daily News", "Entertainment News", "News Commentary", "Politics",
        "Sports News", "Tech News",
    ),
    "Religion & Spirituality": (
        "Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality",
    ),
    "Science": (
        "Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics", "Natural Sciences",
        "Nature", "Physics", "Social Sciences",
    ),
    "Society & Culture": (
        "Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships",
    ),
    "Sports": (
        "Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby",
        "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}  # fmt: skip
SEPARATOR = ">"


def parse_category(text: str) -> tuple[str, str | None]:
    """("Category", "Subcategory" or None) from "Category > Subcategory"; ValueError naming what is wrong.

    Names are matched without regard to case and spacing, and come back spelt as Apple spells them.
    """
    top, _, sub = (part.strip() for part in text.partition(SEPARATOR))
    category = _match(top, APPLE_CATEGORIES)
    if category is None:
        raise ValueError(
            f"'{describe_value(top)}' is not an Apple Podcasts category{_suggest(top, APPLE_CATEGORIES)}"
        )
    if not sub:
        return category, None
    subcategories = APPLE_CATEGORIES[category]
    subcategory = _match(sub, subcategories)
    if subcategory is None:
        known = f"; its subcategories are {', '.join(subcategories)}" if subcategories else " (it has none)"
        raise ValueError(
            f"'{describe_value(sub)}' is not a subcategory of Apple Podcasts' '{category}'{known}"
        )
    return category, subcategory


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()


def _match(name: str, names: dict[str, tuple[str, ...]] | tuple[str, ...]) -> str | None:
    return next((known for known in names if _folded(known) == _folded(name)), None)


def _suggest(name: str, names: dict[str, tuple[str, ...]]) -> str:
    everything = {_folded(known): known for known in names}
    everything.update(
        {_folded(sub): f"{top} {SEPARATOR} {sub}" for top, subs in names.items() for sub in subs}
    )
    folded = _folded(name)
    containing = [known for known in everything if folded and folded in known.split(" ")]
    close = containing[:3] or difflib.get_close_matches(folded, everything, n=3, cutoff=0.75)
    return f" (did you mean {' or '.join(repr(everything[c]) for c in close)}?)" if close else ""
