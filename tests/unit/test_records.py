"""Article records: what authors upload → a validated Record, or one clear reason it is rejected."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from feedpub.config import parse_site
from feedpub.errors import RecordError
from feedpub.model import Enclosure, Person, Record
from feedpub.records import is_record_path, parse_record

SITE = parse_site(
    b"title: Example\n"
    b"base_url: https://feeds.example.org/\n"
    b"home_page_url: https://www.example.org/blog\n"
    b"timezone: Europe/Berlin\n"
    b"author: {name: Site Author, email: editor@example.org}\n"
    b"max_record_bytes: 2048\n"
)
HOME = "https://www.example.org/blog/"
FORMS = (
    "write it like 2024-03-07, 2024-03-07 09:30, 2024-03-07T09:30:00+01:00, 2024-03-07 09:30:00 -0800, "
    "7 Mar 2024 or Thu, 07 Mar 2024 09:30:00 +0000"
)


def markdown(front: str, body: str = "Body text.\n") -> bytes:
    return f"---\n{front}---\n{body}".encode()


def parse_md(front: str, body: str = "Body text.\n", path: str = "articles/post.md") -> Record:
    return parse_record(path, markdown(front, body), SITE)


def rejection(path: str, data: bytes) -> str:
    with pytest.raises(RecordError) as caught:
        parse_record(path, data, SITE)
    assert caught.value.path == path
    assert str(caught.value) == f"REJECTED {path}: {caught.value.reason}"
    return caught.value.reason


# -- which keys are records ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "articles/a.md",
        "articles/a.json",
        "articles/2024/05/launch.md",
        "articles/with space.md",
        "articles/x.y.md",
    ],
)
def test_article_files_at_any_depth_are_records(path: str) -> None:
    # Given a Markdown or JSON file under articles/, when checked, then it is a record.
    assert is_record_path(path)


@pytest.mark.parametrize(
    "path",
    [
        "site.yaml",
        "articles/",
        "articles/notes.txt",
        "articles/.md",
        "articles/.hidden.md",
        "articles/.#draft.md",
        "articles/draft.md~",
        "articles/.draft.md.swp",
        "articles/#draft.md#",
        "articles/.git/x.md",
        "drafts/x.md",
        "x/articles/a.md",
        "articles/a.MD.bak",
    ],
)
def test_hidden_editor_and_foreign_files_are_not_records(path: str) -> None:
    # Given a hidden file, an editor's temporary file or anything outside articles/, when
    # checked, then it is not a record (so it is neither published nor rejected).
    assert not is_record_path(path)


# -- a complete record ----------------------------------------------------------------------


def test_every_front_matter_field_reaches_the_record() -> None:
    # Given a record that uses every field, when parsed, then each is validated and normalised.
    record = parse_md(
        "title: '  Hello,\n  world  '\n"
        "date: 2025-03-01 09:30\n"
        "updated: 2025-03-02T10:00:00Z\n"
        "id: urn:example:hello\n"
        "slug: Hello World\n"
        "url: posts/hello/\n"
        "authors:\n  - Ada\n  - {name: Grace, url: /grace, email: grace@example.org}\n"
        "tags: [Python, ' Web Dev ', python, '', Web-Dev]\n"
        "summary: Short and sweet.\n"
        "image: img/cover.png\n"
        "draft: true\n"
        "language: en-GB\n"
        "enclosure: {url: audio/ep1.mp3, type: audio/mpeg, length: 12345}\n"
        "unknown_key: ignored\n",
        body="# Heading\n\nText.\n",
    )
    assert record.path == "articles/post.md"
    assert record.title == "Hello, world"
    assert record.date.isoformat() == "2025-03-01T09:30:00+01:00"
    assert record.updated == datetime(2025, 3, 2, 10, tzinfo=UTC)
    assert record.id == "urn:example:hello"
    assert record.slug == "hello-world"
    assert record.url == HOME + "posts/hello/"
    assert record.authors == (
        Person(name="Ada"),
        Person(name="Grace", url="https://www.example.org/grace", email="grace@example.org"),
    )
    assert record.tags == ("Python", "Web Dev")
    assert record.summary == "Short and sweet."
    assert record.image == HOME + "img/cover.png"
    assert record.draft is True
    assert record.language == "en-GB"
    assert record.enclosure == Enclosure(url=HOME + "audio/ep1.mp3", mime_type="audio/mpeg", length=12345)
    assert record.body == "# Heading\n\nText.\n"


def test_defaults_come_from_the_file_name_and_the_site() -> None:
    # Given only title and date, when parsed, then slug, url and id derive from the file name
    # (never the title) and the author is the site's.
    record = parse_md("title: Minimal\ndate: 2025-01-01\n", path="articles/2025/My First Post.md")
    assert record.slug == "my-first-post"
    assert record.url == HOME + "my-first-post/"
    assert record.id == HOME + "my-first-post/"
    assert record.authors == (Person(name="Site Author", email="editor@example.org"),)
    assert record.date.isoformat() == "2025-01-01T00:00:00+01:00"
    assert (record.updated, record.tags, record.summary, record.image, record.enclosure) == (
        None,
        (),
        None,
        None,
        None,
    )
    assert record.draft is False


def test_a_renamed_title_keeps_the_id() -> None:
    # Given the same file with two different titles, when parsed, then the id does not change.
    first = parse_md("title: First title\ndate: 2025-01-01\n")
    second = parse_md("title: Better title\ndate: 2025-01-01\n")
    assert first.id == second.id


def test_a_json_record_carries_the_same_fields_and_its_body() -> None:
    # Given a JSON record, when parsed, then it reads like the Markdown one, body included.
    data = json.dumps(
        {
            "title": "From JSON",
            "date": "2025-02-03T04:05:06+00:00",
            "author": {"name": "Jo"},
            "tags": "alpha, beta ,alpha",
            "body": "Some *Markdown*.",
        }
    ).encode()
    record = parse_record("articles/from-json.json", data, SITE)
    assert record.title == "From JSON"
    assert record.date == datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert record.authors == (Person(name="Jo"),)
    assert record.tags == ("alpha", "beta")
    assert record.body == "Some *Markdown*."
    assert record.slug == "from-json"


def test_a_bom_and_crlf_line_endings_are_accepted() -> None:
    # Given a Windows editor's file (UTF-8 BOM, CRLF), when parsed, then it reads as plain LF text.
    data = "\ufeff---\r\ntitle: Windows\r\ndate: 2025-01-01\r\n---\r\nLine one\r\nLine two\r\n".encode()
    record = parse_record("articles/win.md", data, SITE)
    assert record.title == "Windows"
    assert record.body == "Line one\nLine two\n"


def test_absolute_urls_are_kept_and_protocol_relative_ones_become_https() -> None:
    # Given absolute and protocol-relative URLs, when parsed, then they stay absolute.
    record = parse_md(
        "title: t\ndate: 2025-01-01\nurl: https://elsewhere.example/p\nimage: //cdn.example/i.png\n"
    )
    assert record.url == "https://elsewhere.example/p"
    assert record.image == "https://cdn.example/i.png"


def test_xml_forbidden_characters_are_stripped_from_text_fields() -> None:
    # Given control characters in the title, tags, summary and body, when parsed, then they are gone.
    data = json.dumps(
        {
            "title": "Bell\u0007 and \ufffe\ud800",
            "date": "2025-01-01",
            "tags": ["ta\u0000g"],
            "summary": "s\u001bum",
            "body": "bo\u0008dy",
        }
    ).encode()
    record = parse_record("articles/ctl.json", data, SITE)
    assert (record.title, record.tags, record.summary, record.body) == ("Bell and", ("tag",), "sum", "body")


def test_yaml_dates_arrive_as_text_and_numbers_are_accepted_as_text() -> None:
    # Given a title and tag that YAML reads as numbers and an unquoted date, when parsed, then
    # the numbers become text and the date is read by our own rules (site time zone).
    record = parse_md("title: 1917\ndate: 2025-06-01 12:00:00\ntags: [2024, python]\nid: 42\n")
    assert record.title == "1917"
    assert record.tags == ("2024", "python")
    assert record.id == "42"
    assert record.date.isoformat() == "2025-06-01T12:00:00+02:00"


def test_a_closing_dot_line_ends_front_matter_and_the_body_may_contain_fences() -> None:
    # Given YAML's "..." document end and a body with its own "---" rule, when parsed, then the
    # front matter stops at the first closing line and the body keeps the rest.
    record = parse_md("title: t\ndate: 2025-01-01\n", body="a\n\n---\n\nb\n")
    assert record.body == "a\n\n---\n\nb\n"
    dotted = parse_record("articles/d.md", b"---\ntitle: t\ndate: 2025-01-01\n...\nbody\n", SITE)
    assert dotted.body == "body\n"


# -- rejections: each names the path and one reason --------------------------------------------


def test_a_record_over_max_record_bytes_is_rejected_before_decoding() -> None:
    # Given a file larger than the site allows (and not even UTF-8), when parsed, then the size
    # is the reason.
    reason = rejection("articles/big.md", b"\xff" * 4096)
    assert reason == "is 4096 bytes, over max_record_bytes (2048)"


def test_bytes_that_are_not_utf8_are_rejected_at_the_bad_byte() -> None:
    # Given Latin-1 bytes, when parsed, then the reason says where the bad byte is.
    reason = rejection("articles/latin1.md", "---\ntitle: Caf\xe9\n".encode("latin-1"))
    assert reason == "is not UTF-8 text (byte 0xe9 at offset 14)"


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n\n"])
def test_empty_files_are_rejected(data: bytes) -> None:
    # Given an empty or whitespace-only file, when parsed, then it is rejected as empty.
    assert rejection("articles/empty.md", data) == "is empty"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"title: no fences\ndate: 2025-01-01\n", "has no front matter"),
        (b"---\ntitle: never closed\ndate: 2025-01-01\n", "front matter has no closing '---' line"),
        (b"---\n---\nbody\n", "front matter is empty"),
        (b"---\n- a\n- b\n---\nbody\n", "front matter must be a mapping of fields, not a list"),
        (b"---\njust text\n---\n", "front matter must be a mapping of fields, not text"),
        (b"---\ntitle: [unclosed\ndate: 2025-01-01\n---\n", "front matter is not valid YAML at line"),
        (b"---\ntitle: a\n  bad: indent\n---\n", "front matter is not valid YAML at line 3"),
        (b"---\ntitle: *nowhere\n---\n", "front matter is not valid YAML at line 2, column 8"),
        (b"---\ntitle: &a [*a]\ndate: 2025-01-01\n---\n", "title must be text, not a list"),
        (b"---\ntitle: !!python/object:os.system x\n---\n", "front matter is not valid YAML"),
    ],
)
def test_malformed_front_matter_is_rejected_with_the_reason(data: bytes, reason: str) -> None:
    # Given front matter that is missing, unclosed, not YAML or not a mapping, when parsed,
    # then the reason says which.
    assert reason in rejection("articles/bad.md", data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"title": "x", "date": }', "is not valid JSON at line 1, column 24: Expecting value"),
        (
            b'{"title": "x",\n "date": "2025-01-01",}',
            "is not valid JSON at line 2, column 23: Expecting property name",
        ),
        (b'["title", "date"]', "must be a JSON object of fields, not a list"),
        (b'"text"', "must be a JSON object of fields, not text"),
        (b'{"title": "x", "date": "2025-01-01", "body": 7}', "body must be Markdown text, not a number"),
        (b"[" * 100_000, "is not valid JSON"),
    ],
)
def test_malformed_json_is_rejected_with_line_and_column(data: bytes, reason: str) -> None:
    # Given JSON with a syntax error, the wrong shape, or absurd nesting, when parsed, then the
    # reason says where or what.
    site = parse_site(b"title: T\nbase_url: https://f.example/\n")
    with pytest.raises(RecordError) as caught:
        parse_record("articles/bad.json", data, site)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("front", "reason"),
    [
        ("date: 2025-01-01\n", "'title' is missing (title and date are required)"),
        (
            "title: t\n",
            "'date' is missing (title and date are required; a Jekyll file name such as "
            "2024-03-07-my-post.md gives the date too)",
        ),
        ("title: '   '\ndate: 2025-01-01\n", "'title' is empty"),
        ("title:\ndate: 2025-01-01\n", "'title' is empty"),
        ("title: t\ndate:\n", "'date' is empty"),
        ("title: t\ndate: 2025-13-45\n", f"date '2025-13-45' is not a valid date; {FORMS}"),
        ("title: t\ndate: '2025-02-30'\n", f"date '2025-02-30' is not a valid date; {FORMS}"),
        (
            "title: t\npublishDate: soon\ndate: 2025-01-01\n",
            f"publishdate 'soon' is not a valid date; {FORMS}",
        ),
        ("title: [a, b]\ndate: 2025-01-01\n", "title must be text, not a list"),
        ("title: true\ndate: 2025-01-01\n", "title must be text, not true/false"),
    ],
)
def test_missing_or_invalid_title_and_dates_are_rejected(front: str, reason: str) -> None:
    # Given a record without a usable title or date, when parsed, then the reason names the field.
    assert rejection("articles/x.md", markdown(front)) == reason


def test_the_issue_example_reads_exactly_as_documented() -> None:
    # Given the issue's example, when rejected, then the line is exactly the documented one.
    with pytest.raises(RecordError) as caught:
        parse_md("title: t\ndate: 2025-13-45\n", path="articles/x.md")
    assert str(caught.value) == f"REJECTED articles/x.md: date '2025-13-45' is not a valid date; {FORMS}"


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("draft: 'yes please'", "draft must be true or false"),
        ("draft: 1", "draft must be true or false"),
        ("id: [1]", "id must be text, not a list"),
        ("expiryDate: never", "expirydate 'never' is not a valid date"),
        ("updated: soon", "updated 'soon' is not a valid date"),
    ],
)
def test_fields_that_decide_identity_visibility_or_dates_are_rejected_when_wrong(
    field: str, reason: str
) -> None:
    # Given a wrong draft, id or date (guessing could publish a draft, duplicate an item or show a
    # wrong date), when parsed, then the record is rejected and the reason names the field.
    assert reason in rejection("articles/x.md", markdown(f"title: t\ndate: 2025-01-01\n{field}\n"))


ENCLOSURE_SHAPES = [
    ("enclosure: https://x.example/a.mp3", "enclosure must be a mapping of url, mime_type and length"),
    ("enclosure: {url: a.mp3, length: 10}", "enclosure is missing mime_type"),
    ("enclosure: {type: audio/mpeg}", "enclosure is missing url, length"),
    ("enclosure: {url: a.mp3, type: mpeg, length: 10}", "enclosure mime_type 'mpeg' is not a media type"),
    (
        "enclosure: {url: 'ftp://x/a.mp3', type: audio/mpeg, length: 10}",
        "enclosure url 'ftp://x/a.mp3' must be an http(s) URL",
    ),
    ("enclosure: {url: a.mp3, type: audio/mpeg, length: '12'}", "enclosure length must be a positive"),
    ("enclosure: {url: a.mp3, type: audio/mpeg, length: true}", "enclosure length must be a positive"),
    ("enclosure: {url: a.mp3, type: audio/mpeg, length: 0}", "enclosure length must be a positive"),
    ("enclosure: {url: a.mp3, type: audio/mpeg, length: -5}", "enclosure length must be a positive"),
    ("enclosure: {url: a.mp3, type: audio/mpeg, length: 1.5}", "enclosure length must be a positive"),
    ("enclosure: [{a: 1}]", "enclosure is missing url, mime_type, length"),
]


@pytest.mark.parametrize(("field", "reason"), ENCLOSURE_SHAPES)
def test_an_enclosure_of_an_unexpected_shape_is_left_out_with_a_warning(field: str, reason: str) -> None:
    # Given a blog post (no podcast show) whose enclosure has a shape feedpub cannot use, when
    # parsed, then the post is published without it and a warning names the field and why.
    record = parse_md(f"title: t\ndate: 2025-01-01\n{field}\n", path="articles/x.md")
    assert record.enclosure is None
    assert [w for w in record.warnings if reason in w and w.endswith("(enclosure ignored)")], record.warnings


@pytest.mark.parametrize(("field", "reason"), ENCLOSURE_SHAPES)
def test_on_a_podcast_site_a_wrong_enclosure_is_a_rejection(field: str, reason: str) -> None:
    # Given a site with a podcast show, where an item is its enclosure, when a record's enclosure
    # has an unexpected shape, then the record is rejected naming the field (no episode without audio).
    show = parse_site(
        b"title: Show\nbase_url: https://feeds.example.org/\nlanguage: en\ndescription: d\n"
        b"podcast:\n  image: https://www.example.org/show.jpg\n  categories: [TV & Film]\n  explicit: false\n"
        b"  owner: {name: O, email: o@example.org}\n"
    )
    with pytest.raises(RecordError) as caught:
        parse_record("articles/x.md", markdown(f"title: t\ndate: 2025-01-01\n{field}\n"), show)
    assert reason in caught.value.reason


def test_a_wordpress_enclosure_as_exported_is_the_items_enclosure() -> None:
    # Given WordPress's enclosure meta exported as it is (a list of "url\nlength\ntype\n" texts,
    # here in the block form the exporter writes), when parsed, then it is the item's enclosure.
    front = (
        "title: t\ndate: 2025-01-01\nenclosure:\n  - |\n    |\n        https://cdn.example.org/show-12.mp3\n"
        "        30227590\n        audio/mpeg\n        \n"
        "  - |\n    https://cdn.example.org/other.mp3\n    5\n    audio/mpeg\n"
    )
    record = parse_md(front, path="articles/x.md")
    assert record.enclosure == Enclosure(
        url="https://cdn.example.org/show-12.mp3", mime_type="audio/mpeg", length=30227590
    )
    assert record.warnings == ()


@pytest.mark.parametrize(
    ("field", "warning"),
    [
        ("tags: {a: 1}", "tags must be a list or a comma-separated text, not a mapping"),
        ("tags: [[nested]]", "each of tags must be text, not a list"),
        ("tags: [true]", "each of tags must be text, not true/false"),
        ("author: [[a, b]]", "each author must be a name or a mapping of name, url and email, not a list"),
        ("author: []", "author must be a name or a mapping of name, url and email, not a list"),
        ("author: ''", "author is empty"),
        ("author: {}", "author needs at least a name, url or email"),
        ("author: {name: A, email: not-an-address}", "author email 'not-an-address' is not an email address"),
        (
            "author: {name: A, url: 'javascript:alert(1)'}",
            "author url 'javascript:alert(1)' must be an http(s)",
        ),
        ("authors: 7", "authors must be a non-empty list, not a number"),
        ("authors: []", "authors must be a non-empty list, not a list"),
        ("authors: [{name: [x]}]", "each author name must be text, not a list"),
        ("url: 'javascript:alert(1)'", "url 'javascript:alert(1)' must be an http(s) URL"),
        ("url: ' JaVa\tScript:alert(1)'", "must be an http(s) URL"),
        ("url: 'data:text/html,<script>x</script>'", "must be an http(s) URL"),
        ("image: 'mailto:a@example.org'", "image 'mailto:a@example.org' must be an http(s) URL"),
        ("image: {filename: {x: 1}}", "image {'x': 1} has no url, src, path or filename"),
        ("image: {alt: a picture}", "image {'alt': 'a picture'} has no url, src, path or filename"),
        ("language: 'english please'", "language 'english please' is not a language tag"),
        ("summary: {a: b}", "summary must be text, not a mapping"),
    ],
)
def test_optional_fields_of_the_wrong_shape_are_ignored_with_a_warning(field: str, warning: str) -> None:
    # Given one optional field of the wrong type or shape, when parsed, then the record is still
    # published with its defaults, and a warning names the field and why.
    record = parse_md(f"title: t\ndate: 2025-01-01\n{field}\n", path="articles/x.md")
    assert record.url == HOME + "x/"
    assert any(warning in each for each in record.warnings), record.warnings


def test_a_yaml_alias_bomb_in_an_ignored_key_neither_hangs_nor_fails() -> None:
    # Given a "billion laughs" structure under an unknown key, when parsed, then the record is
    # still published: aliases are shared references and unknown keys are never walked.
    bomb = "lol: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"l{n}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 9)}]\n" for n in range(8)
    )
    record = parse_md(f"title: t\ndate: 2025-01-01\n{bomb}")
    assert record.title == "t"


@pytest.mark.parametrize(
    "nested",
    ["[" * 50_000 + "]" * 50_000, "{a: " * 50_000 + "}" * 50_000, "\n" + "- " * 50_000 + "x"],
    ids=["flow-sequences", "flow-mappings", "block-sequences"],
)
def test_deeply_nested_yaml_is_rejected_not_crashed(nested: str) -> None:
    # Given front matter nested 50,000 levels deep (enough to overflow libyaml's C stack and kill
    # the process), when parsed, then it is rejected with the reason.
    site = parse_site(b"title: T\nbase_url: https://f.example/\n")
    data = markdown(f"title: t\ndate: 2025-01-01\nx: {nested}\n")
    with pytest.raises(RecordError, match="front matter is not valid YAML: nested more than 200 levels deep"):
        parse_record("articles/deep.md", data, site)


def test_front_matter_with_many_structural_characters_but_little_depth_is_accepted() -> None:
    # Given a long but flat tag list (hundreds of "-" and ":"), when parsed, then it is published.
    tags = "".join(f"  - tag-{n}: x-y\n" for n in range(100))
    record = parse_md(f"title: t\ndate: 2025-01-01\nlinks:\n{tags}nested: [[[[[a]]]]]\n")
    assert record.title == "t"
