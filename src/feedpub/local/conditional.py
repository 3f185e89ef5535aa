"""Conditional request headers (RFC 9110 §13), read the way CloudFront reads them.

A malformed If-None-Match or If-Modified-Since is ignored, as if it had not been sent: the client
then gets the full response, never an error. Nothing here raises on what a client sends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text (commas included)
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
_ENTITY_TAG_LIST = re.compile(rf"[ \t]*(?:{_ENTITY_TAG}[ \t]*)?(?:,[ \t]*(?:{_ENTITY_TAG}[ \t]*)?)*")
_ONE_TAG = re.compile(_ENTITY_TAG)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)"
_LONG_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_TIME = r"\d\d:\d\d:\d\d"
# RFC 9110 §5.6.7: IMF-fixdate | rfc850-date | asctime-date; fixed widths, so no number can overflow.
_HTTP_DATE = re.compile(
    rf"{_DAY}, (?P<day>\d\d) (?P<month>{_MONTH}) (?P<year>\d{{4}}) (?P<time>{_TIME}) GMT"
    rf"|{_LONG_DAY}, (?P<day850>\d\d)-(?P<month850>{_MONTH})-(?P<year850>\d\d) (?P<time850>{_TIME}) GMT"
    rf"|{_DAY} (?P<monthasc>{_MONTH}) (?P<dayasc>[ \d]\d) (?P<timeasc>{_TIME}) (?P<yearasc>\d{{4}})",
    re.IGNORECASE | re.ASCII,
)


def entity_tags(field: str) -> list[str] | None:
    """The opaque tags of an If-None-Match list (weak prefix dropped, quotes kept); ["*"] for `*`;
    None when the field is not a valid list (it is then ignored)."""
    if field.strip() == "*":
        return ["*"]
    if _ENTITY_TAG_LIST.fullmatch(field) is None:
        return None
    return [tag.removeprefix("W/") for tag in _ONE_TAG.findall(field)]


def http_date(field: str, now: datetime | None = None) -> datetime | None:
    """An HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms, always GMT), or None
    for anything else: other shapes or zones, impossible values, several dates in one field."""
    match = _HTTP_DATE.fullmatch(field.strip())
    if match is None:
        return None
    parts = match.groupdict()
    day = parts["day"] or parts["day850"] or parts["dayasc"]
    month = parts["month"] or parts["month850"] or parts["monthasc"]
    clock = parts["time"] or parts["time850"] or parts["timeasc"]
    year_text = parts["year"] or parts["yearasc"]
    if year_text is not None:
        year = int(year_text)
    else:  # RFC 850's two digits: more than 50 years ahead means the previous century (RFC 9110)
        this_year = (now or datetime.now(UTC)).year
        year = this_year - this_year % 100 + int(parts["year850"])
        if year > this_year + 50:
            year -= 100
    hour, minute, second = (int(part) for part in clock.split(":"))
    try:
        return datetime(year, _MONTHS[month.lower()], int(day), hour, minute, second, tzinfo=UTC)
    except ValueError:  # 30 February, 25:00, a leap second
        return None


def not_modified(request_headers: Mapping[str, str], etag: str, last_modified: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present and valid; else If-Modified-Since.

    `request_headers` has lower-case names; repeated fields arrive joined with ", "."""
    if_none_match = request_headers.get("if-none-match")
    tags = entity_tags(if_none_match) if if_none_match is not None else None
    if tags is not None:
        return "*" in tags or etag.removeprefix("W/") in tags
    if_modified_since = request_headers.get("if-modified-since")
    since = http_date(if_modified_since) if if_modified_since is not None else None
    if since is None:
        return False
    return last_modified.astimezone(UTC).replace(microsecond=0) <= since
