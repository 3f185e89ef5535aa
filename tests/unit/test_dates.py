"""Dates as authors write them: always aware, naive values in the site's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from feedpub.dates import parse_when

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-01T09:30:00+02:00", datetime(2025, 3, 1, 7, 30, tzinfo=UTC)),
        ("2025-03-01T09:30:00Z", datetime(2025, 3, 1, 9, 30, tzinfo=UTC)),
        ("2025-03-01t09:30:00z", datetime(2025, 3, 1, 9, 30, tzinfo=UTC)),
        ("2025-03-01T09:30:00.250-05:00", datetime(2025, 3, 1, 14, 30, 0, 250000, tzinfo=UTC)),
        ("2025-03-01 09:30+01:00", datetime(2025, 3, 1, 8, 30, tzinfo=UTC)),
        ("Sat, 01 Mar 2025 09:30:00 +0000", datetime(2025, 3, 1, 9, 30, tzinfo=UTC)),
    ],
)
def test_text_with_an_offset_means_that_instant(text: str, expected: datetime) -> None:
    # Given a date with its own offset, when parsed for a Berlin site, then the offset wins.
    parsed = parse_when(text, BERLIN, "date")
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    ("text", "wall_clock"),
    [
        ("2025-01-15 09:30", datetime(2025, 1, 15, 9, 30)),
        ("2025-01-15 09:30:45", datetime(2025, 1, 15, 9, 30, 45)),
        ("2025-01-15T09:30", datetime(2025, 1, 15, 9, 30)),
        ("  2025-07-15 09:30  ", datetime(2025, 7, 15, 9, 30)),
        ("Wed, 15 Jan 2025 09:30:00", datetime(2025, 1, 15, 9, 30)),
    ],
)
def test_text_without_an_offset_is_site_local_time(text: str, wall_clock: datetime) -> None:
    # Given a naive date-time, when parsed for a New York site, then it is New York wall-clock time.
    parsed = parse_when(text, NEW_YORK, "date")
    assert parsed == wall_clock.replace(tzinfo=NEW_YORK)
    assert parsed.utcoffset() == NEW_YORK.utcoffset(wall_clock)


def test_a_date_alone_is_midnight_in_the_site_zone() -> None:
    # Given "2025-07-01" on a Berlin site, when parsed, then it is midnight summer time there.
    parsed = parse_when("2025-07-01", BERLIN, "date")
    assert parsed.isoformat() == "2025-07-01T00:00:00+02:00"


def test_date_and_datetime_objects_are_accepted() -> None:
    # Given values a YAML or Python caller already parsed, when passed in, then naive ones are
    # site-local and aware ones are kept.
    assert parse_when(date(2025, 1, 2), BERLIN, "date").isoformat() == "2025-01-02T00:00:00+01:00"
    assert parse_when(datetime(2025, 1, 2, 3, 4), UTC, "date").isoformat() == "2025-01-02T03:04:00+00:00"
    aware = datetime(2025, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=9)))
    assert parse_when(aware, BERLIN, "date") == aware


def test_a_time_skipped_by_spring_forward_lands_on_the_real_instant() -> None:
    # Given 02:30 on the day Berlin skips from 02:00 to 03:00, when parsed, then it becomes the
    # real local time 03:30 summer time (01:30 UTC), not a clock reading that never happened.
    parsed = parse_when("2025-03-30 02:30", BERLIN, "date")
    assert parsed.isoformat() == "2025-03-30T03:30:00+02:00"
    assert parsed.astimezone(UTC) == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)


def test_an_ambiguous_autumn_time_takes_its_first_reading() -> None:
    # Given 02:30 on the night Berlin repeats 02:00-03:00, when parsed, then it is the
    # summer-time (first) 02:30.
    parsed = parse_when("2025-10-26 02:30", BERLIN, "date")
    assert parsed.isoformat() == "2025-10-26T02:30:00+02:00"
    assert parsed.astimezone(UTC) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


def test_the_same_wall_clock_time_moves_with_the_zone_across_dst() -> None:
    # Given the same naive time in winter and summer, when parsed for New York, then the UTC
    # offsets differ by the DST hour.
    winter = parse_when("2025-01-15 12:00", NEW_YORK, "date")
    summer = parse_when("2025-07-15 12:00", NEW_YORK, "date")
    assert winter.utcoffset() == timedelta(hours=-5)
    assert summer.utcoffset() == timedelta(hours=-4)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2025-13-45", "date '2025-13-45' is not a valid date"),
        ("2025-02-30", "date '2025-02-30' is not a valid date"),
        ("2025-01-01 25:00", "date '2025-01-01 25:00' is not a valid date"),
        ("yesterday", "date 'yesterday' is not a valid date"),
        ("", "date '' is not a valid date"),
        ("0001-01-01", "date '0001-01-01' is out of range (years 1000 to 9998)"),
        ("9999-12-31T23:00:00-05:00", "is out of range"),
        (2025, "date '2025' is not a date"),
        (True, "date 'True' is not a date"),
        (["2025-01-01"], "is not a date"),
    ],
)
def test_invalid_dates_are_refused_naming_the_field_and_quoting_the_value(
    value: object, message: str
) -> None:
    # Given something that is not a usable date, when parsed, then the error quotes it and says why.
    with pytest.raises(ValueError, match=r"^date ") as caught:
        parse_when(value, UTC, "date")
    assert message in str(caught.value)


def test_the_error_names_the_field_it_came_from() -> None:
    # Given a bad `updated` value, when parsed, then the message names `updated`, not `date`.
    with pytest.raises(ValueError, match=r"^updated '2025-13-45' is not a valid date; write it like "):
        parse_when("2025-13-45", UTC, "updated")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Ruby's Time.parse (Jekyll's) passes over a repeated year, a weekday, "at"; reads am/pm
        ("2023-01-29 18:30:22 2023 -0800", datetime(2023, 1, 30, 2, 30, 22, tzinfo=UTC)),
        ("Sunday 2023-01-29 at 6:30 pm -0800", datetime(2023, 1, 30, 2, 30, tzinfo=UTC)),
        ("2023-01-29 6:30pm +01:00", datetime(2023, 1, 29, 17, 30, tzinfo=UTC)),
        ("2023-01-29 12:05 am UTC", datetime(2023, 1, 29, 0, 5, tzinfo=UTC)),
        # a zone's abbreviation without an offset is that zone, as Ruby reads it
        ("2013-05-06 10:00:00 PST", datetime(2013, 5, 6, 18, 0, tzinfo=UTC)),
        ("2013-05-06 10:00 CEST", datetime(2013, 5, 6, 8, 0, tzinfo=UTC)),
        # after a numeric offset (Go's "-0700 MST"), the offset decides
        ("2013-05-06 10:00:00 -0700 MST", datetime(2013, 5, 6, 17, 0, tzinfo=UTC)),
    ],
)
def test_dates_as_jekylls_ruby_reads_them(text: str, expected: datetime) -> None:
    # Given a date Jekyll publishes (Ruby's Time.parse), when parsed, then it is the same instant.
    assert parse_when(text, BERLIN, "date") == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-07 soon",
        "2024-03-07 2023",
        "2024-03-07 13:00 pm",
        "2024-03-07 2024-03-08",
        "2024-03-07 10:00 x",
    ],
)
def test_a_word_that_says_something_else_is_never_passed_over(text: str) -> None:
    # Given a date next to a word that could change its meaning, then it is refused, not guessed.
    with pytest.raises(ValueError, match="is not a valid date"):
        parse_when(text, UTC, "date")
