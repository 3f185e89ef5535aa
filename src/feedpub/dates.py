"""Dates as authors write them → aware datetimes.

Accepted: datetime/date objects (YAML and TOML front matter) and text in every form that YAML 1.1
timestamps, Jekyll and Hugo read: RFC 3339 / ISO 8601 (`2025-03-30T02:30:00+02:00`, `2025-03-30`),
a space instead of the `T` and an optional space before the offset (`2023-01-29 18:30:22 -0800`,
`2001-12-14 21:59:43.10 -5`), single-digit hours, months and days (`2019-04-25 9:00:00`), a zone
name after the offset (`2006-01-02 15:04:05 -0700 MST`) or instead of it (`2013-05-06 10:00 PST`,
as Ruby reads it), RFC 2822 as found in old RSS (`Sun, 30 Mar 2025 02:30:00 +0000`) and
day-month-year with the month's name (`15 Oct 2023`, `Oct 15, 2023`). Like Ruby's Time.parse
(which Jekyll uses), words around an ISO date that add nothing are passed over: a repeated year,
a weekday, "at", a 12-hour clock's am/pm (`2023-01-29 18:30:22 2023 -0800`, `Sunday 2023-01-29 at
6:30 pm`). A value without an offset is a wall-clock time in the site's time zone and a date alone is
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
    r"(?:[ \t]+(?P<name>[A-Z]{2,5}))?)?"  # a zone abbreviation, as Go and Ruby print it
)
# Zone abbreviations Ruby's Date._parse knows (the common ones), as hours from UTC: read where no
# numeric offset is given. After an offset (Go's "-0700 MST") the offset decides.
_ZONE_NAMES = {
    **{"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "CET": 1, "MET": 1, "WEST": 1},
    **{"CEST": 2, "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "IST": 5.5, "JST": 9, "KST": 9},
    **{"AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13, "HST": -10, "AKST": -9, "AKDT": -8},
    **{"PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5, "EST": -5, "EDT": -4},
    **{"AST": -4, "ADT": -3, "NST": -3.5, "NDT": -2.5},
}
_NOISE_WORDS = re.compile(
    r"at|(?:mon|tue|wed|thu|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\.?,?", re.IGNORECASE
)
_ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?", re.IGNORECASE)
_MERIDIEM = re.compile(r"([ap])\.?m\.?", re.IGNORECASE)
_NUMERIC_ZONE = re.compile(r"(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?|[Zz]", re.IGNORECASE)
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
    for parse in (_iso, _named_month, _rfc2822, _among_words):
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
    zone, name = parts["zone"], parts["name"]
    if zone is None and name in _ZONE_NAMES:
        return moment.replace(tzinfo=timezone(timedelta(hours=_ZONE_NAMES[name])))
    return moment if zone is None else moment.replace(tzinfo=_offset(zone))


def _among_words(text: str) -> datetime | None:
    """An ISO date, a clock time and a zone among words Ruby's Time.parse passes over."""
    words = text.split()
    dates = [word for word in words if _ISO_DATE.fullmatch(word)]
    if len(dates) != 1:
        return None
    year = dates[0][:4]
    clock = zone = meridiem = None
    for word in words:
        if word == dates[0]:
            continue
        if clock is None and (found := _CLOCK.fullmatch(word.rstrip("apmAPM."))) is not None:
            clock, rest = found, word[len(found.group(0)) :]
            meridiem = _MERIDIEM.fullmatch(rest) if rest else None
            if rest and meridiem is None:
                return None
        elif clock is not None and meridiem is None and _MERIDIEM.fullmatch(word):
            meridiem = _MERIDIEM.fullmatch(word)
        elif zone is None and (_NUMERIC_ZONE.fullmatch(word) or word.upper() in _ZONE_NAMES):
            zone = word
        elif not (word == year or _NOISE_WORDS.fullmatch(word)):
            return None  # a word that says something else: never guessed away
    hour, minute, second = (0, 0, 0) if clock is None else (int(clock[1]), int(clock[2]), int(clock[3] or 0))
    if meridiem is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.group(1).lower() == "p" else 0)
    moment = _iso(f"{dates[0]} {hour:02d}:{minute:02d}:{second:02d}")
    if moment is None or zone is None:
        return moment
    if zone.upper() in _ZONE_NAMES:
        return moment.replace(tzinfo=timezone(timedelta(hours=_ZONE_NAMES[zone.upper()])))
    return moment.replace(tzinfo=_offset(zone))


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
