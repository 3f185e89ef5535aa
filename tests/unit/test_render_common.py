"""The character filter every rendered text goes through, checked over all of Unicode."""

from __future__ import annotations

from feedpub.render.common import clean


def _unwanted(code: int) -> bool:
    """What XML 1.0 forbids, plus what readers and the W3C validator reject, spelled out plainly."""
    return (
        (code < 0x20 and code not in (0x09, 0x0A, 0x0D))
        or 0x7F <= code <= 0x9F  # DEL and the C1 controls
        or 0xD800 <= code <= 0xDFFF  # surrogates
        or 0xFDD0 <= code <= 0xFDEF  # noncharacters
        or code == 0xFFFD  # the replacement character: a decoding error upstream
        or code & 0xFFFE == 0xFFFE  # U+FFFE/U+FFFF of every plane
    )


def test_given_every_code_point_when_cleaned_then_exactly_the_unwanted_ones_are_removed() -> None:
    everything = "".join(chr(code) for code in range(0x110000))
    expected = "".join(chr(code) for code in range(0x110000) if not _unwanted(code))
    assert clean(everything) == expected


def test_given_no_text_then_clean_gives_an_empty_string() -> None:
    assert clean(None) == ""
    assert clean("") == ""
