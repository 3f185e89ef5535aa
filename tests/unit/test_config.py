"""site.yaml parsing: what authors may write and the errors they get."""

import pickle

import pytest

from feedpub.config import parse_site
from feedpub.errors import RecordError, SiteConfigError

MINIMAL = b"title: Film Notes\nbase_url: https://feeds.example.org\n"


def test_given_minimal_site_when_parsed_then_defaults_apply_and_base_url_is_a_directory() -> None:
    site = parse_site(MINIMAL)
    assert site.title == "Film Notes"
    assert site.base_url == "https://feeds.example.org/"
    assert site.home == "https://feeds.example.org/"
    assert (site.timezone, site.feed_limit, site.max_record_bytes) == ("UTC", 20, 1024 * 1024)


def test_given_full_site_when_parsed_then_every_setting_is_kept() -> None:
    site = parse_site(
        b"title: T\nbase_url: https://cdn.example.org/feeds/\nhome_page_url: https://example.org/\n"
        b"description: D\nlanguage: en\n"
        b"author: {name: Ann, url: https://example.org/ann, email: a@example.org}\n"
        b"timezone: Europe/London\nfeed_limit: 5\nmax_record_bytes: 4096\nhub: https://hub.example.org/\n"
        b"icon: https://example.org/icon.png\nfavicon: https://example.org/favicon.ico\n"
    )
    assert site.home == "https://example.org/"
    assert site.author is not None
    assert site.author.email == "a@example.org"
    assert site.tz.key == "Europe/London"
    assert site.feed_limit == 5


def test_given_bom_and_crlf_when_parsed_then_accepted() -> None:
    assert parse_site(b"\xef\xbb\xbf" + MINIMAL.replace(b"\n", b"\r\n")).title == "Film Notes"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"base_url: https://x.org/\n", "'title' is required"),
        (b"title: T\n", "'base_url' is required"),
        (MINIMAL + b"feed_limt: 10\n", "unknown key 'feed_limt'"),
        (MINIMAL + b"timezone: Mars/Olympus\n", "unknown time zone 'Mars/Olympus'"),
        (b"title: T\nbase_url: /relative/\n", "is not an absolute http(s) URL"),
        (b"title: T\nbase_url: ftp://x.org/\n", "is not an absolute http(s) URL"),
        (MINIMAL + b"feed_limit: 0\n", "'feed_limit'"),
        (b"- a\n- b\n", "must be a YAML mapping"),
        (b"title: [unclosed\n", "is not valid YAML"),
        (b"title: \xff\n", "is not UTF-8"),
        (b"title: " + b"[" * 30_000 + b"\n", "is not valid YAML"),
        (b"title: '   '\nbase_url: https://x.org/\n", "'title': has no printable text"),
    ],
)
def test_given_bad_site_when_parsed_then_error_names_file_and_reason(data: bytes, reason: str) -> None:
    with pytest.raises(SiteConfigError) as caught:
        parse_site(data)
    assert str(caught.value).startswith("site.yaml: ")
    assert reason in str(caught.value)


def _round_trip(error: Exception) -> Exception:
    # The build's parser pool sends rejections between processes: they must survive pickling.
    restored: Exception = pickle.loads(pickle.dumps(error))  # noqa: S301 - bytes we just made
    return restored


def test_given_errors_when_sent_between_processes_then_path_and_reason_survive() -> None:
    record_error = _round_trip(RecordError("articles/x.md", "date is missing"))
    assert isinstance(record_error, RecordError)
    assert (record_error.path, record_error.reason) == ("articles/x.md", "date is missing")
    assert (
        str(_round_trip(SiteConfigError("site.yaml", "'title' is required")))
        == "site.yaml: 'title' is required"
    )
