"""Dates as authors write them → aware datetimes.

Accepted: datetime/date objects and text in RFC 3339 / ISO 8601 (`2025-03-30T02:30:00+02:00`,
`2025-03-30T02:30Z`, `2025-03-30 02:30`, `2025-03-30`) or RFC 2822 (`Sun, 30 Mar 2025 02:30:00
+0000`, as found in old RSS). A value without an offset is a wall-clock time in the site's time
zone and a date alone is midnight there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from feedpub.errors import describe_value

# Four-digit years only: feeds print years as four digits, and a year-9999 date with a
# negative offset would overflow when converted to UTC.
MIN_YEAR = 1000
MAX_YEAR = 9998


def parse_when(value: object, tz: ZoneInfo, field: str) -> datetime:
    """An aware datetime from `value`, or ValueError naming `field` and quoting the value."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        moment = _parse_text(value, field)
    else:
        raise ValueError(
            f"{field} {_quoted(value)} is not a date (write it like 2025-03-30 or 2025-03-30T09:00)"
        )
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ValueError(f"{field} {_quoted(value)} is out of range (years {MIN_YEAR} to {MAX_YEAR})")
    if moment.tzinfo is None or moment.utcoffset() is None:
        # The round trip through UTC settles a wall-clock time that DST skips (02:30 on a
        # spring-forward day) onto the real instant; an ambiguous autumn time takes its first
        # (summer-time) reading.
        return moment.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return moment


def _parse_text(value: str, field: str) -> datetime:
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time())
        # RFC 3339 allows a lower-case "t"/"z"; fromisoformat wants them upper case.
        return datetime.fromisoformat(text.upper())
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"{field} {_quoted(value)} is not a valid date") from None
    except OverflowError:  # a year such as 99999999999 does not fit the C library's time types
        raise ValueError(
            f"{field} {_quoted(value)} is out of range (years {MIN_YEAR} to {MAX_YEAR})"
        ) from None


def _quoted(value: object) -> str:
    return f"'{describe_value(value)}'"
