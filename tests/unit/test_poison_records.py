"""Poison records (issue 10): values that used to crash a run are now that record's rejection.

Each case was reproduced on main as an exception escaping the parser or a renderer. Given such a
record, when parsed, then it is rejected with a reason naming the field; and a record the parser
accepts always renders in all three formats.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import lxml.etree
import pytest

from feedpub import cli
from feedpub.build import check_directory, render_site
from feedpub.catalogue import main_feed
from feedpub.config import parse_site
from feedpub.errors import RecordError, SiteConfigError
from feedpub.items import to_feed_item
from feedpub.records import is_record_path, parse_record
from feedpub.render import render_feed
from tests.support.builders import content_dir
from tests.support.pages import parse_errors

SITE = parse_site(
    b"title: Poison\nbase_url: https://feeds.example.org/\nhome_page_url: https://www.example.org/\n"
)
HUGE = "1" * 5000  # over Python's 4,300-digit limit for int("...")
HUGE_HEX = "0x" + "f" * 4000  # YAML reads hex without that limit; str() of it raises


def md(front: str, body: str = "Body.\n") -> bytes:
    return f"---\ntitle: Poison\ndate: 2024-05-01\n{front}---\n{body}".encode()


def rejected(path: str, data: bytes) -> str:
    with pytest.raises(RecordError) as caught:
        parse_record(path, data, SITE)
    assert caught.value.path == path
    return caught.value.reason


def renders(path: str, data: bytes) -> dict[str, bytes]:
    record = parse_record(path, data, SITE)
    outputs = render_feed(SITE, main_feed(), [to_feed_item(record, SITE)])
    for name, body in outputs.items():
        if name.endswith(".json"):
            json.loads(body)
        elif name.endswith(".html"):  # the feed's page for people
            assert parse_errors(body) == [], name
        else:
            lxml.etree.fromstring(body)
    return outputs


@pytest.mark.parametrize("field", ["date", "updated"])
@pytest.mark.parametrize(
    "value",
    [
        "Mon, 01 Jan 99999999999 00:00:00 GMT",
        "Mon, 01 Jan 9999 00:00:00 -2359",
        "Sun, 31 Dec 999999 23:59:59",
    ],
)
def test_an_absurd_date_is_a_rejection_not_an_overflow(field: str, value: str) -> None:
    # Given a date whose year overflows the C time types, when parsed, then it is rejected naming the field.
    front = f"{field}: '{value}'\n" if field == "updated" else ""
    data = md(front) if field == "updated" else f"---\ntitle: t\ndate: '{value}'\n---\n".encode()
    reason = rejected("articles/a.md", data)
    assert reason.startswith(f"{field} '")
    assert "out of range" in reason or "not a valid date" in reason


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("articles/a.md", md(f"ignored: {HUGE}\n")),
        ("articles/a.md", md(f"nested: {{deep: [{HUGE}]}}\n")),
        ("articles/a.json", f'{{"title": "t", "date": "2024-05-01", "ignored": {HUGE}}}'.encode()),
    ],
)
def test_an_integer_over_4300_digits_anywhere_is_a_rejection(path: str, data: bytes) -> None:
    # Given a number of 5,000 digits, even under a key feedpub ignores, when parsed, then the
    # record is rejected saying so (on main, ValueError escaped the YAML reader).
    assert "a number has more than 4300 digits" in rejected(path, data)


@pytest.mark.parametrize("front", [f"title: {HUGE_HEX}\n", f"tags: [{HUGE_HEX}]\n", f"id: {HUGE_HEX}\n"])
def test_a_hex_number_too_long_to_print_is_a_rejection(front: str) -> None:
    # Given a field YAML reads as a number too long for Python to turn into text, then it is rejected.
    data = (
        f"---\ndate: 2024-05-01\n{front}".encode() + (b"" if "title" in front else b"title: t\n") + b"---\n"
    )
    assert "a number of more than 4300 digits" in rejected("articles/a.md", data)


@pytest.mark.parametrize(
    ("front", "field"),
    [
        ("url: 'https://[::1'\n", "url"),
        ("url: '//[::1'\n", "url"),
        ("image: 'https://[::1'\n", "image"),
        ("image: 'http://[not-an-address]/x.png'\n", "image"),
        ("author: {name: A, url: 'https://[::1'}\n", "author url"),
        ("authors: [{name: A, url: 'http://example.org:notaport/'}]\n", "each author url"),
        ("enclosure: {url: 'https://[::1', mime_type: audio/mpeg, length: 10}\n", "enclosure url"),
        (
            "enclosure: {url: 'https://x.org:99999/a.mp3', mime_type: audio/mpeg, length: 10}\n",
            "enclosure url",
        ),
        ("url: 'https:'\n", "url"),
        ("image: 'http:///nohost.png'\n", "image"),
    ],
)
def test_a_url_the_renderers_cannot_write_is_rejected_at_parse_time(front: str, field: str) -> None:
    # Given a URL field that passed parsing on main and then raised while a feed was rendered,
    # when parsed, then the record is rejected naming the field and what is wrong with the URL.
    reason = rejected("articles/a.md", md(front))
    assert reason.startswith(f"{field} '")
    assert "is not a usable URL" in reason


@pytest.mark.parametrize(
    "front",
    [
        "url: 'https://[::1]:8080/post/'\n",
        "image: 'https://bücher.example/ü.png'\n",
        "url: '/relative path/'\n",
        f"enclosure: {{url: 'https://cdn.example.org/a.mp3', mime_type: audio/mpeg, length: {2**63 - 1}}}\n",
    ],
)
def test_unusual_but_valid_urls_and_numbers_are_published(front: str) -> None:
    # Given unusual values that are valid, when parsed and rendered, then every format is well formed.
    renders("articles/a.md", md(front))


@pytest.mark.parametrize("length", ["9223372036854775808", HUGE_HEX])
def test_an_enclosure_length_no_reader_can_hold_is_rejected(length: str) -> None:
    # Given an enclosure length past a 64-bit byte count (a value no feed could carry, even where
    # a wrong enclosure is only a warning), then it is rejected naming the field.
    reason = rejected(
        "articles/a.md", md(f"enclosure: {{url: /a.mp3, mime_type: audio/mpeg, length: {length}}}\n")
    )
    assert reason.startswith("enclosure length must be a positive whole number of bytes")


@pytest.mark.parametrize(
    "path", ["articles/../x.md", "articles/./x.md", "articles//x.md", "articles/a/../x.json"]
)
def test_a_key_with_dot_or_empty_segments_is_reported_not_ignored(path: str) -> None:
    # Given an object key S3 keeps as written but no file system could hold, when checked and
    # parsed, then it is a record, rejected naming the key's problem (on main it was silently ignored).
    assert is_record_path(path)
    assert rejected(path, md("")).startswith("is not a valid record key")


@pytest.mark.parametrize(
    "data",
    [
        f"title: T\nbase_url: https://x.org/\nfeed_limit: {HUGE}\n".encode(),
        f"title: T\nbase_url: https://x.org/\nfeed_limit: {HUGE_HEX}\n".encode(),
        f"title: T\nbase_url: https://x.org/\n{HUGE_HEX}: 1\n".encode(),
        b"title: T\nbase_url: https://x.org/\ntimezone: " + b"x" * 5000 + b"\n",
        b"title: T\nbase_url: https://x.org/\nhub: 'http://127.0.0.1:notaport/'\n",
        b"title: T\nbase_url: https://x.org/\nhub: 'http://[::1/'\n",
        b"title: T\nbase_url: 'https://[::1'\n",
        b"title: T\nbase_url: https://x.org/\nicon: 'javascript:alert(1)'\n",
        b"title: T\nbase_url: https://x.org/\nfavicon: 'data:image/png;base64,AAAA'\n",
        b"title: T\nbase_url: https://x.org/\nauthor: {name: A, url: 'https://x.org:70000/'}\n",
    ],
)
def test_any_site_yaml_problem_is_a_site_error(data: bytes) -> None:
    # Given a site.yaml that used to raise ValueError/OSError or pass a URL no ping or feed can
    # use, when parsed, then it is a SiteConfigError naming the file, with a short reason.
    with pytest.raises(SiteConfigError) as caught:
        parse_site(data)
    assert str(caught.value).startswith("site.yaml: ")
    assert len(caught.value.reason) < 400


# -- feedpub check / build: the same boundary, offline -----------------------------------------


SITE_YAML = b"title: Poison\nbase_url: https://feeds.example.org/\n"
POISON_FILES = {
    "overflow.md": b"---\ntitle: O\ndate: 'Mon, 01 Jan 99999999999 00:00:00 GMT'\n---\n",
    "huge.json": f'{{"title": "H", "date": "2024-01-01", "x": {HUGE}}}'.encode(),
    "ipv6.md": b"---\ntitle: I\ndate: 2024-01-01\nurl: 'https://[::1'\n---\n",
    "good.md": b"---\ntitle: Good\ndate: 2024-01-02\n---\nHello.\n",
}


def test_check_and_build_reject_poison_records_and_build_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a content directory with the poison records and a good one
    content = content_dir(tmp_path / "content", SITE_YAML, POISON_FILES)
    # When checked, Then one REJECTED line names each poison record, and the exit status is 1 (no traceback)
    assert cli.main(["check", str(content)]) == 1
    err = capsys.readouterr().err
    for name in ("overflow.md", "huge.json", "ipv6.md"):
        assert f"REJECTED articles/{name}: " in err
    assert "Traceback" not in err
    # And a build publishes the good record
    assert cli.main(["build", str(content), "--out", str(tmp_path / "public")]) == 0
    assert [
        item["title"] for item in json.loads((tmp_path / "public" / "feed.json").read_bytes())["items"]
    ] == ["Good"]


@pytest.mark.parametrize(
    "site_yaml",
    [SITE_YAML + f"feed_limit: {HUGE}\n".encode(), SITE_YAML + b"hub: 'http://[::1/'\n", b"title: [" * 3000],
)
def test_check_and_build_exit_2_with_the_reason_for_any_site_yaml_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], site_yaml: bytes
) -> None:
    content = content_dir(tmp_path / "content", site_yaml, {"good.md": POISON_FILES["good.md"]})
    for command in (["check", str(content)], ["build", str(content), "--out", str(tmp_path / "out")]):
        assert cli.main(command) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"feedpub: {content / 'site.yaml'}: ")
        assert "Traceback" not in err


def test_a_record_whose_feed_fails_to_render_is_rejected_by_the_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a renderer that fails on one item (standing in for any value the parser let through)
    from feedpub.render import atom

    real = atom.render_atom

    def broken(site_config, spec, items):  # type: ignore[no-untyped-def]
        if any(item.title == "Poison" for item in items):
            raise ValueError("Invalid IPv6 URL")
        return real(site_config, spec, items)

    monkeypatch.setattr(atom, "render_atom", broken)  # the catalogue imports it when rendering
    records = [
        parse_record("articles/poison.md", md("tags: [Film]\n"), SITE),
        parse_record(
            "articles/good.md", md("tags: [Film]\n").replace(b"title: Poison", b"title: Good"), SITE
        ),
    ]
    # When the site is rendered, Then the record at fault is rejected and both feeds carry the other
    result = render_site(SITE, records, datetime(2025, 1, 1, tzinfo=UTC))
    assert [(error.path, error.reason) for error in result.rejected] == [
        ("articles/poison.md", "cannot be rendered into a feed: Invalid IPv6 URL (ValueError)")
    ]
    assert [item["title"] for item in json.loads(result.outputs["tags/film/feed.json"])["items"]] == ["Good"]


def test_a_record_with_more_tags_than_feeds_a_run_can_write_is_rejected() -> None:
    # Given a record with 5,000 distinct tags (each one a feed in three formats: one run would write
    # 15,000 files, time out and be retried forever), when parsed, then it is rejected saying why.
    tags = ", ".join(f"t{n}" for n in range(5000))
    assert (
        rejected("articles/a.md", md(f"tags: [{tags}]\n"))
        == "has 5000 tags; at most 100 (each tag is a feed of its own)"
    )


def test_check_rejects_files_that_are_not_regular_files_instead_of_hanging(tmp_path: Path) -> None:
    # Given a FIFO and a link to /dev/zero named like records (reading either would block or never end)
    content = content_dir(tmp_path, SITE_YAML, {"good.md": POISON_FILES["good.md"]})
    os.mkfifo(content / "articles" / "fifo.md")
    (content / "articles" / "zero.md").symlink_to("/dev/zero")
    # When checked, Then both are rejected by name and the good record is published
    result = check_directory(content, datetime(2025, 1, 1, tzinfo=UTC))
    assert {(error.path, error.reason) for error in result.rejected} == {
        ("articles/fifo.md", "is not a regular file (a FIFO, a device or a link to one)"),
        ("articles/zero.md", "is not a regular file (a FIFO, a device or a link to one)"),
    }
    assert result.published == 1


@pytest.mark.parametrize(
    "site_yaml", [SITE_YAML + f"feed_limit: {HUGE}\n".encode(), SITE_YAML + b"icon: 'javascript:x'\n"]
)
def test_dev_exits_2_with_the_reason_for_any_site_yaml_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], site_yaml: bytes
) -> None:
    # Given a content directory whose site.yaml used to crash `feedpub dev` (a 5,000-digit number)
    # or pass an icon no feed should carry, when dev starts, then it exits 2 naming the file, before
    # starting anything
    content = content_dir(tmp_path / "content", site_yaml, {"good.md": POISON_FILES["good.md"]})
    assert cli.main(["dev", "--content", str(content), "--port", "20080", "--s3-port", "20081"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"feedpub: {content / 'site.yaml'}: ")
    assert "Traceback" not in err
