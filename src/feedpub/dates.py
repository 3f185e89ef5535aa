"""Dates as authors write them → aware datetimes.

Accepted: datetime/date objects (YAML and TOML front matter) and text in every form that YAML 1.1
timestamps, Jekyll and Hugo read: RFC 3339 / ISO 8601 (`2025-03-30T02:30:00+02:00`, `2025-03-30`),
a space instead of the `T` and an optional space before the offset (`2023-01-29 18:30:22 -0800`,
`2001-12-14 21:59:43.10 -5`), single-digit hours, months and days (`2019-04-25 9:00:00`), a zone
name after the offset (`2006-01-02 15:04:05 -0700 MST`), RFC 2822 as found in old RSS (`Sun, 30 Mar
2025 02:30:00 +0000`) and day-month-year with the month's name (`15 Oct 2023`, `Oct 15, 2023`).
A value without an offset is a wall-clock time in the site's time zone and a date alone is
midnight there. Numeric day/month orders (`03/07/2024`) are refused: they read differently
in different countries.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from feedpub.errors import describe_value

# Four-digit years only: feeds print years as four digits, and a year-9999 date with a
# negative offset would overflow when converted to UTC.
MIN_YEAR = 1000
MAX_YEAR = 9998

# What the error message and the README show an author.
ACCEPTED_FORMS = (
    "2024-03-07",
    "2024-03-07 09:30",
    "2024-03-07T09:30:00+01:00",
    "2024-03-07 09:30:00 -0800",
    "7 Mar 2024",
    "Thu, 07 Mar 2024 09:30:00 +0000",
)

_ISO = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:(?:[Tt]|[ \t]+)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    r"[ \t]*(?P<zone>[Zz]|(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?|UTC|GMT)?"
    r"(?:[ \t]+[A-Z]{2,5})?)?"  # a zone abbreviation after a numeric offset, as Go and Ruby print it
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_DAY_MONTH_YEAR = re.compile(r"(?P<day>\d{1,2})[ -](?P<month>[A-Za-z]+)\.?[ ,-]+(?P<year>\d{4})")
_MONTH_DAY_YEAR = re.compile(r"(?P<month>[A-Za-z]+)\.? (?P<day>\d{1,2})(?:st|nd|rd|th)?,? (?P<year>\d{4})")
_WEEKDAY = re.compile(r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,? ", re.IGNORECASE)


def parse_when(value: object, tz: ZoneInfo, field: str) -> datetime:
    """An aware datetime from `value`, or ValueError naming `field` and quoting the value."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        moment = _parse_text(value, field)
    else:
        raise ValueError(f"{field} {_quoted(value)} is not a date ({_forms()})")
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ValueError(f"{field} {_quoted(value)} is out of range (years {MIN_YEAR} to {MAX_YEAR})")
    if moment.tzinfo is None or moment.utcoffset() is None:
        # The round trip through UTC settles a wall-clock time that DST skips (02:30 on a
        # spring-forward day) onto the real instant; an ambiguous autumn time takes its first
        # (summer-time) reading.
        return moment.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return moment


def _forms() -> str:
    return "write it like " + ", ".join(ACCEPTED_FORMS[:-1]) + " or " + ACCEPTED_FORMS[-1]


def _parse_text(value: str, field: str) -> datetime:
    text = value.strip()
    for parse in (_iso, _named_month, _rfc2822):
        try:
            moment = parse(text)
        except (TypeError, ValueError, IndexError):
            moment = None
        except OverflowError:  # a year such as 99999999999 does not fit the C library's time types
            raise ValueError(
                f"{field} {_quoted(value)} is out of range (years {MIN_YEAR} to {MAX_YEAR})"
            ) from None
        if moment is not None:
            return moment
    if re.fullmatch(r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}", text):
        reason = "is not a valid date: day and month in numbers read differently in different countries"
        raise ValueError(f"{field} {_quoted(value)} {reason}; {_forms()}")
    raise ValueError(f"{field} {_quoted(value)} is not a valid date; {_forms()}")


def _iso(text: str) -> datetime | None:
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    parts = match.groupdict()
    fraction = (parts["fraction"] or "0")[:6].ljust(6, "0")
    moment = datetime(
        int(parts["year"]),
        int(parts["month"]),
        int(parts["day"]),
        int(parts["hour"] or 0),
        int(parts["minute"] or 0),
        int(parts["second"] or 0),
        int(fraction),
    )
    zone = parts["zone"]
    return moment if zone is None else moment.replace(tzinfo=_offset(zone))


def _offset(zone: str) -> timezone:
    zone = zone.upper().removeprefix("UTC").removeprefix("GMT")
    if zone in ("", "Z"):
        return UTC
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = (digits, "0") if len(digits) <= 2 else (digits[:-2], digits[-2:])
    if int(minutes) >= 60 or int(hours) >= 24:
        raise ValueError(zone)
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def _named_month(text: str) -> datetime | None:
    text = _WEEKDAY.sub("", text, count=1) if _WEEKDAY.match(text) else text
    match = _DAY_MONTH_YEAR.fullmatch(text) or _MONTH_DAY_YEAR.fullmatch(text)
    if match is None:
        return None
    month = _MONTHS.get(match["month"].lower())
    return None if month is None else datetime(int(match["year"]), month, int(match["day"]))


def _rfc2822(text: str) -> datetime | None:
    return parsedate_to_datetime(text)


def _quoted(value: object) -> str:
    return f"'{describe_value(value)}'"
