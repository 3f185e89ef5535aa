"""Warning lines a person can read at the scale of a migrated site.

A migrated blog can give every one of its thousands of posts the same warning. The human output
lists the first few files of each finding and then one summary line with the count; the machine
outputs (report.json, JSON logs) keep every warning. Findings are grouped on their template: the
message with its quoted values and numbers masked, so "id '17' is not a URI" and "id '18' is not
a URI" are one finding, while the file name (never part of the message) plays no part.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

SHOWN_PER_FINDING = 3
# A quoted value starts and ends off a word: "Hugo's" is prose, 'it's' one value.
_QUOTED = re.compile(r"(?<!\w)('|\").*?\1(?!\w)")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")


def finding_key(message: str) -> str:
    """The finding a warning message states, without the values that differ from file to file."""
    return _NUMBER.sub("N", _QUOTED.sub(r"\1…\1", " ".join(message.split())))


def warning_lines(warnings: Sequence[tuple[str, str]], every_one_in: str) -> list[str]:
    """`WARN path: message` lines in the given order; a finding shared by more files than are
    worth reading lists its first SHOWN_PER_FINDING and ends with one line counting the rest and
    saying where `every_one_in` (every one is listed)."""
    keys = [finding_key(message) for _, message in warnings]
    groups: dict[str, list[tuple[str, str]]] = {}
    for key, warning in zip(keys, warnings, strict=True):
        groups.setdefault(key, []).append(warning)
    folded = {key for key, group in groups.items() if len(group) > SHOWN_PER_FINDING + 1}
    seen: dict[str, int] = {}
    lines = []
    for key, (path, message) in zip(keys, warnings, strict=True):
        seen[key] = seen.get(key, 0) + 1
        if key not in folded or seen[key] <= SHOWN_PER_FINDING:
            lines.append(f"WARN {path}: {message}")
    for key in folded:
        lines.append(_summary(groups[key][SHOWN_PER_FINDING:], key, every_one_in))
    return lines


def _summary(hidden: list[tuple[str, str]], key: str, every_one_in: str) -> str:
    files = len({path for path, _ in hidden})
    more = f"{files:,} more file{'' if files == 1 else 's'}"
    if files != len(hidden):  # a file can state the same finding twice (two unknown keys)
        more = f"{len(hidden):,} more in {files:,} file{'' if files == 1 else 's'}"
    messages = {message for _, message in hidden}
    finding = messages.pop() if len(messages) == 1 else key  # word for word when it is
    return f"WARN … and {more} with the same warning: {finding}; every one is in {every_one_in}"
