"""Text as the feeds carry it: what the renderers drop, and the rule site.yaml's texts must pass.

The renderers write every text through `clean`; a site.yaml text (a title, a description, a name)
that `clean` leaves blank would reach feedgen as nothing at all, and a title or a description it
requires would then fail every run. `printable` refuses such text when site.yaml is read, so it
is a site error naming the key instead.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# XML 1.0 forbids C0 controls other than tab, LF and CR, the surrogates and U+FFFE/U+FFFF. Readers and
# the W3C validator also object to DEL, the C1 controls, the replacement character and the Unicode
# noncharacters (HTML parsers report them as errors), so none of them is worth carrying. Written as
# the ranges that are kept: sre tests a negated class of ranges 17x faster than a class listing the
# 32 astral noncharacters one by one, and every item body of every feed goes through it.
_UNWANTED = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffc"
    + "".join(f"{chr(plane << 16)}-{chr(plane << 16 | 0xFFFD)}" for plane in range(1, 17))
    + "]"
)


def clean(text: str | None) -> str:
    """Text without the characters XML cannot carry or readers reject (the parser strips most already)."""
    return _UNWANTED.sub("", text) if text else ""


def printable(text: str) -> str:
    """`text` if a feed would show something of it; ValueError if only spaces or control characters."""
    if not clean(text).strip():
        shown = "" if not text else f" ({text[:20].encode('unicode_escape').decode('ascii')})"
        raise ValueError(f"has no printable text{shown}: only spaces or control characters")
    return text


# A site.yaml text the feeds show (a title, a description, a name): never blank once cleaned.
Printable = Annotated[str, AfterValidator(printable)]
