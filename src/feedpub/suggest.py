"""Near misses: the known name an unknown one was probably meant to be (`darft` → `draft`).

One place for the rule, used by front matter (a WARN) and site.yaml (an error's "did you mean").
"""

from __future__ import annotations

from collections.abc import Iterable


def edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name within a typo's reach of `name` (1 edit for short names, 2 for longer), or None.

    Case is ignored; of equally close names, the first given wins.
    """
    folded = name.lower()
    if len(folded) > 64:  # no field name is that long: not a typo of one (and never slow)
        return None
    reach = 1 if len(folded) <= 5 else 2
    best: tuple[int, str] | None = None
    for candidate in known:
        distance = edit_distance(folded, candidate.lower())
        if 0 < distance <= reach and (best is None or distance < best[0]):
            best = (distance, candidate)
    return None if best is None else best[1]
