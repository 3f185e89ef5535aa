"""Hostile input: XSS filter evasion, fuzzed records, pathological Markdown.

Given what an attacker or a broken editor could upload, when the engine parses and renders
it, then every record is either published or rejected with a reason (never a crash), every
feed stays well-formed, and no active content reaches a reader.
"""

from __future__ import annotations

import codecs
import faulthandler
import json
import re
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.etree
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedpub.build import BuildResult
from feedpub.catalogue import main_feed
from feedpub.config import SiteConfig, parse_site
from feedpub.errors import RecordError, SiteConfigError
from feedpub.items import to_feed_item
from feedpub.markup import render_body
from feedpub.model import Record
from feedpub.publish import MemoryStore, Publisher
from feedpub.records import parse_record
from feedpub.render import render_feed
from feedpub.render.common import atom_id, clean
from tests.support.active_content import active_content
from tests.support.pages import body_active_content, parse_errors
from tests.support.soak import record_figures

SITE = parse_site(
    b"title: Hostile Times\nbase_url: https://feeds.example.org/\nhome_page_url: https://www.example.org/\n"
)
BASE = SITE.home
CORPUS = Path(__file__).with_name("xss_corpus.txt")
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
# Hypothesis budgets: modest in the normal suite, the issue's 10,000 examples under `make soak`.
settings.register_profile("hostile-fast", max_examples=150, deadline=None)
settings.register_profile(
    "hostile-soak", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
FAST = settings.get_profile("hostile-fast")
SOAK = settings.get_profile("hostile-soak")
# Whole sites (a publish, a rebuild and a check each, about 0.3 s): fewer examples in both runs.
settings.register_profile("sites-fast", max_examples=40, deadline=None)
settings.register_profile(
    "sites-soak", max_examples=1_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
SITES_FAST = settings.get_profile("sites-fast")
SITES_SOAK = settings.get_profile("sites-soak")


def _corpus() -> Iterator[Any]:  # pytest.param objects
    for number, line in enumerate(CORPUS.read_text(encoding="ascii").splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            yield pytest.param(codecs.decode(line, "unicode_escape"), id=f"line{number}")


def _record_bytes(body: str, title: str = "Hostile") -> bytes:
    front = yaml.safe_dump({"title": title, "date": "2024-05-01 10:00", "tags": ["Security"]})
    return f"---\n{front}---\n{body}\n".encode()


def _feed_html(outputs: dict[str, bytes]) -> list[str]:
    """Every HTML fragment a reader would render from the main feed's three formats."""
    fragments: list[str] = []
    rss = lxml.etree.fromstring(outputs["feed.xml"])
    fragments += [el.text or "" for el in rss.iterfind(".//item/description")]
    fragments += [el.text or "" for el in rss.iterfind(".//item/content:encoded", NS)]
    atom = lxml.etree.fromstring(outputs["atom.xml"])
    for el in [
        *atom.iterfind(".//atom:entry/atom:content", NS),
        *atom.iterfind(".//atom:entry/atom:summary", NS),
    ]:
        if el.get("type") == "xhtml":
            fragments += [lxml.etree.tostring(child, encoding="unicode") for child in el]
        else:
            fragments.append(el.text or "")
    fragments += [item.get("content_html", "") for item in json.loads(outputs["feed.json"])["items"]]
    return fragments


def _assert_valid_feeds(outputs: dict[str, bytes]) -> None:
    for path, data in outputs.items():
        if path.endswith(".json"):
            json.loads(data.decode("utf-8"))
        elif path.endswith(".html"):  # the page for people: valid HTML, nothing active in its body
            assert parse_errors(data) == [], path
            assert body_active_content(data) == [], path
        else:
            lxml.etree.fromstring(data)  # raises on anything not well-formed


@pytest.fixture
def watchdog() -> Iterator[None]:
    """Dump every thread's stack and stop the run if a case hangs, instead of stalling the suite."""
    faulthandler.dump_traceback_later(300, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.mark.parametrize(
    "html",
    [
        '<a href="jav&#x0A;ascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        "<img src=x onerror=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
        '<base href="https://evil.example/">',
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
        '<object data="https://evil.example/x.swf"></object>',
        '<p style="width:expression(alert(1))">x</p>',
        '<img srcset="https://ok.example/a.png 1x, javascript:alert(1) 2x">',
        '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
    ],
)
def test_detector_flags_active_content(html: str) -> None:
    # Given HTML a browser would act on, then the oracle the corpus tests rely on reports it.
    assert active_content(html) != []


def test_detector_accepts_inert_html() -> None:
    # Given ordinary sanitised article HTML, then the oracle reports nothing.
    html = (
        '<p>See <a href="https://www.example.org/x/">this</a> and '
        '<a href="mailto:desk@example.org">mail</a>.</p>'
        '<p><img src="https://www.example.org/i.png" alt="i"> <code>&lt;script&gt;</code></p>'
    )
    assert active_content(html) == []


@pytest.mark.parametrize("vector", list(_corpus()))
def test_xss_vector_yields_no_active_content(vector: str) -> None:
    # Given an evasion vector as an article body, when it is rendered on its own and in every
    # feed format, then no script, handler, dangerous element or non-http(s)/mailto URL survives.
    assert active_content(render_body(vector, BASE)) == []
    record = parse_record("articles/hostile.md", _record_bytes(vector), SITE)
    outputs = render_feed(SITE, main_feed(), [to_feed_item(record, SITE)])
    _assert_valid_feeds(outputs)
    for fragment in _feed_html(outputs):
        assert active_content(fragment) == []


def test_corpus_covers_the_issue_vectors() -> None:
    # Given the team's corpus, then it holds every family of vector the issue names.
    text = CORPUS.read_text(encoding="ascii")
    for needle in (
        '<a href="jav&#x0A;ascript:',
        "<img/src/onerror=",
        "<svg><script>",
        "<math><mi xlink:href",
        "<base href",
        '<meta http-equiv="refresh"',
        "<object data=",
        "expression(",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:",
        "![x](data:image/svg+xml;base64,",
        "<javascript:alert(1)>",
        "[evil]: javascript:",
        "\\0",
        "`",
    ):
        assert needle.lower() in text.lower(), needle
    assert len(list(_corpus())) >= 150


def _check_record(path: str, data: bytes) -> bool:
    """The property: a Record (whose feeds are valid) or a RecordError naming the path, nothing else.

    Returns whether the record was rejected."""
    outcome: Record | RecordError
    try:
        outcome = parse_record(path, data, SITE)
    except RecordError as exc:
        outcome = exc
    if isinstance(outcome, RecordError):
        assert outcome.path == path
        assert outcome.reason.strip()
        return True
    _assert_valid_feeds(render_feed(SITE, main_feed(), [to_feed_item(outcome, SITE)]))
    return False


_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=60),
    st.dates().map(str),
    st.datetimes().map(str),
)
_value = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
_keys = st.sampled_from(
    [
        "title",
        "date",
        "updated",
        "tags",
        "slug",
        "id",
        "url",
        "summary",
        "image",
        "draft",
        "language",
        "author",
        "authors",
        "enclosure",
        "unknown",
    ]
)
_front_matter = st.dictionaries(_keys, _value, max_size=10)
_body = st.text(max_size=400) | st.sampled_from([str(p.values[0]) for p in _corpus()])


@st.composite
def _md_record(draw: st.DrawFn) -> bytes:
    front = draw(_front_matter)
    if draw(st.booleans()):
        front.setdefault("title", draw(st.text(min_size=1, max_size=60)))
        front.setdefault("date", draw(st.datetimes().map(str)))
    return ("---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + draw(_body)).encode()


@st.composite
def _json_record(draw: st.DrawFn) -> bytes:
    front = draw(_front_matter)
    front["body"] = draw(_body)
    return json.dumps(front, default=str).encode()


# Records an author could plausibly write (every field well-typed, values hostile): without
# them, nearly every fuzzed record is rejected and the feed-validity half of the property goes
# almost unexercised.
_when = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2035, 1, 1)).map(str)
_plausible_fields = st.fixed_dictionaries(
    {"title": st.text(min_size=1, max_size=60).filter(str.strip), "date": _when},
    optional={
        "updated": _when,
        "tags": st.lists(st.text(min_size=1, max_size=20).filter(str.strip), max_size=4),
        "summary": st.text(max_size=120),
        "slug": st.text(min_size=1, max_size=30).filter(str.strip),
        "id": st.text(min_size=1, max_size=40).filter(str.strip),
        "author": st.text(min_size=1, max_size=30).filter(str.strip),
        "language": st.sampled_from(["en", "fr-CA", "zh-Hant", "x", "en_GB"]),
        "image": st.sampled_from(["/img/a.png", "https://cdn.example.org/ü.jpg", "//cdn.example.org/x"]),
        "url": st.sampled_from(["/posts/x/", "https://www.example.org/a b", "relative/path"]),
    },
)


@st.composite
def _plausible_record(draw: st.DrawFn) -> bytes:
    fields = draw(_plausible_fields)
    body = draw(_body)
    if draw(st.booleans()):
        return json.dumps({**fields, "body": body}).encode()
    return ("---\n" + yaml.safe_dump(fields, allow_unicode=True) + "---\n" + body).encode()


# Values an author (or an attacker) can write into any field, as raw YAML scalars, so they reach the
# parser exactly as typed: absurd dates, numbers over Python's 4,300-digit limit or too long to
# print, URLs no renderer can write, nested mappings, huge strings.
_HOSTILE_URLS = [
    "https://[::1",
    "//[::1",
    "http://[not-an-address]/x",
    "http://example.org:notaport/",
    "https://example.org:99999/",
    "http://[::1]:8080/ok/",
    "https:",
    "http:///nohost",
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "https://bücher.example/ü ö.png",
    "https://example.org/%zz%",
    "https://user:pa@ss@example.org/",
    "/relative/path",
    "relative path/x.png",
    "https://example.org/" + "a" * 3000,
    "\u0000https://example.org/",
]
_HOSTILE_DATES = [
    "Mon, 01 Jan 99999999999 00:00:00 GMT",
    "Mon, 01 Jan 9999 00:00:00 -2359",
    "Sat, 01 Jan 0001 00:00:00 +2359",
    "9998-12-31T23:59:59-23:59",
    "1000-01-01T00:00:00+23:59",
    "2024-02-30",
    "2024-01-01T25:00",
    "0000-00-00",
    "2024-W01-1",
    "+002024-01-01",
]
_RAW_HOSTILE = st.sampled_from(
    [
        "1" * 4400,
        "-" + "9" * 4301,
        "0x" + "f" * 4000,
        "0b" + "1" * 15000,
        ".inf",
        ".nan",
        "-.inf",
        "1e400",
        "9223372036854775808",
        "1:2:3:4:5:6:7:8:9:10:11:12:13:14:15",
        "!!binary aGVsbG8=",
        "{a: {b: {c: [1, {d: 2}]}}}",
        "[[], {}, null, ~, true]",
        "&a [*a]",
        "''",
        "null",
    ]
)


def _raw(value: object) -> str:
    """A value as a YAML flow scalar (JSON is YAML), or a raw token as it is."""
    return value if isinstance(value, _RawYaml) else json.dumps(value, ensure_ascii=False)


class _RawYaml(str):
    """Text to place into front matter as it is, not quoted."""


_hostile_value = st.one_of(
    _value,
    st.sampled_from(_HOSTILE_URLS),
    st.sampled_from(_HOSTILE_DATES),
    _RAW_HOSTILE.map(_RawYaml),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(min_size=1000, max_size=20_000).filter(lambda text: len(text) < 20_000),
)
_url_field = st.one_of(st.sampled_from(_HOSTILE_URLS), _hostile_value)
_date_field = st.one_of(_when, st.sampled_from(_HOSTILE_DATES), _hostile_value)
_hostile_fields = st.fixed_dictionaries(
    {
        "title": st.one_of(st.text(min_size=1, max_size=60).filter(str.strip), _hostile_value),
        "date": _date_field,
    },
    optional={
        "updated": _date_field,
        "url": _url_field,
        "image": _url_field,
        "id": _hostile_value,
        "slug": _hostile_value,
        "summary": _hostile_value,
        "tags": st.one_of(st.lists(_hostile_value, max_size=3), _hostile_value),
        "language": _hostile_value,
        "draft": _hostile_value,
        "author": st.one_of(
            st.fixed_dictionaries({"name": _hostile_value, "url": _url_field, "email": _hostile_value}),
            _hostile_value,
        ),
        "authors": st.lists(
            st.fixed_dictionaries({"name": st.text(max_size=20)}, optional={"url": _url_field}), max_size=2
        ),
        "enclosure": st.fixed_dictionaries(
            {
                "url": _url_field,
                "mime_type": st.sampled_from(["audio/mpeg", "x", "a/b/c"]),
                "length": _hostile_value,
            }
        ),
        "ignored": _hostile_value,
    },
)


@st.composite
def _hostile_record(draw: st.DrawFn) -> bytes:
    """A record with hostile values in well-known fields; raw YAML tokens go in unquoted (Markdown)."""
    fields = draw(_hostile_fields)
    lines = []
    for key, value in fields.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{json.dumps(k)}: {_raw(v)}" for k, v in value.items())
            lines.append(f"{key}: {{{inner}}}")
        elif isinstance(value, list):
            lines.append(f"{key}: [{', '.join(_raw(each) for each in value)}]")
        else:
            lines.append(f"{key}: {_raw(value)}")
    return ("---\n" + "\n".join(lines) + "\n---\n" + draw(_body)).encode("utf-8", "surrogatepass")


_any_record = st.one_of(
    st.tuples(st.just("articles/fuzz.md"), st.binary(max_size=600)),
    st.tuples(st.just("articles/fuzz.json"), st.binary(max_size=600)),
    st.tuples(st.just("articles/fuzz.md"), _md_record()),
    st.tuples(st.just("articles/fuzz.json"), _json_record()),
    _plausible_record().map(
        lambda data: ("articles/fuzz.json" if data.startswith(b"{") else "articles/fuzz.md", data)
    ),
    st.tuples(st.just("articles/fuzz.md"), _hostile_record()),
)


# -- the same records through the publisher ------------------------------------------------------

SITE_YAML = (
    b"title: Hostile Times\nbase_url: https://feeds.example.org/\nhome_page_url: https://www.example.org/\n"
)
PUBLISH_NOW = datetime(2036, 1, 1, tzinfo=UTC)  # after every plausible date (1990-2035)
_batch = st.lists(_any_record, min_size=1, max_size=5)


def _good_record(number: int) -> bytes:
    return f"---\ntitle: Good {number}\ndate: 2020-01-0{number + 1}\ntags: [Good]\n---\nFine.\n".encode()


def _feed_id(record: Record) -> str:
    return clean(record.id) or atom_id(record.id)  # as feed.json writes it


def _publish_batch(cases: list[tuple[str, bytes]]) -> Counter[str]:
    """Publish hostile records with two good ones in one batch, then rebuild; check the property.

    Every run completes (no failed key, no site error); the good records are in the main feed;
    every other record is in the main feed, a draft, scheduled or rejected in report.json; no
    record the parser accepted is rejected later for failing to render; every output is valid.
    """
    content, output = MemoryStore(), MemoryStore()
    content.put("site.yaml", SITE_YAML)
    keys = {}
    for number, (path, data) in enumerate(cases):
        key = path.replace("fuzz", f"fuzz-{number}")
        content.put(key, data)
        keys[key] = data
    good = {f"articles/good-{number}.md": _good_record(number) for number in range(2)}
    for key, data in good.items():
        content.put(key, data)
    publisher = Publisher(content, output, clock=lambda: PUBLISH_NOW, websub=False)
    for report in (publisher.apply(["site.yaml", *keys, *good]), publisher.rebuild()):
        assert report.failed_keys == []
        assert report.site_error is None
    public = {key: output.get(key).body for key in output.keys(prefix="") if not key.startswith("_state/")}
    _assert_valid_feeds(public)
    shown = {item["id"] for item in json.loads(public["feed.json"])["items"]}
    state = json.loads(output.get("_state/report.json").body)
    rejected = {entry["path"]: entry["reason"] for entry in state["rejected"]}
    scheduled = {entry["path"] for entry in state["scheduled"]}
    assert not [reason for reason in rejected.values() if reason.startswith("cannot be rendered")]
    site = parse_site(SITE_YAML)
    outcomes: Counter[str] = Counter()
    for key, data in {**good, **keys}.items():
        if key in rejected:
            assert key not in good, rejected[key]
            outcomes["rejected"] += 1
            continue
        record = parse_record(key, data, site)  # not rejected: so the parser accepts it
        if record.draft:
            outcomes["draft"] += 1
        elif key in scheduled:
            outcomes["scheduled"] += 1
        else:
            assert _feed_id(record) in shown, f"{key} is neither published nor reported"
            outcomes["published"] += 1
    return outcomes


@FAST
@given(_batch)
def test_hostile_batches_through_the_publisher_complete_and_name_every_record(
    cases: list[tuple[str, bytes]],
) -> None:
    # Given hostile and plausible records in one batch with good ones, when the publisher applies
    # them and then rebuilds, then every run completes and every record is accounted for.
    _publish_batch(cases)


@FAST
@given(_any_record)
def test_fuzzed_record_is_published_or_rejected_never_crashes(case: tuple[str, bytes]) -> None:
    # Given arbitrary bytes or front matter, when parsed and rendered, then a Record with
    # well-formed feeds or a RecordError naming the record: never another exception.
    _check_record(*case)


@pytest.fixture(scope="module")
def campaign_tally() -> Iterator[Counter[str]]:
    """Counts the soak campaign's examples and outcomes, then records them for the benchmarks page."""
    tally: Counter[str] = Counter()
    yield tally
    if tally:
        record_figures(
            "hostile_input",
            {**tally, "xss_vectors": len(list(_corpus())), "pathological_inputs": len(PATHOLOGICAL)},
        )


@pytest.mark.soak
@SOAK
@given(case=_any_record)
def test_fuzzed_record_campaign_soak(case: tuple[str, bytes], campaign_tally: Counter[str]) -> None:
    # The same property over the soak budget (10,000 examples).
    campaign_tally["examples"] += 1
    campaign_tally["rejected" if _check_record(*case) else "published"] += 1


@pytest.fixture(scope="module")
def publisher_tally() -> Iterator[Counter[str]]:
    tally: Counter[str] = Counter()
    yield tally
    if tally:
        record_figures("hostile_publisher", dict(tally))


@pytest.mark.soak
@SOAK
@given(cases=_batch)
def test_hostile_batches_through_the_publisher_soak(
    cases: list[tuple[str, bytes]], publisher_tally: Counter[str]
) -> None:
    # The publisher property over the soak budget (10,000 batches, each applied and rebuilt).
    publisher_tally["batches"] += 1
    publisher_tally.update(_publish_batch(cases))


def pathological(size: int) -> dict[str, str]:
    """Deeply nested or huge Markdown shapes, each about `size` bytes."""
    depth = int((size / 2) ** 0.5)  # nested lists grow with the square of their depth
    return {
        "nested blockquotes": ">" * size + " x",
        "nested lists": "".join("  " * level + "- x\n" for level in range(depth)),
        "open brackets": "[" * size + "x",
        "nested links": "[" * (size // 25) + "x" + "](https://ok.example/)" * (size // 25),
        "emphasis run": "*a **" * (size // 5),
        "underscores": "_" * size,
        "backticks": "`" * size + "x",
        "nested html": "<div>" * (size // 11) + "x" + "</div>" * (size // 11),
        "entities": "&#x41;" * (size // 6),
        "link references": "".join(f"[r{n}]: https://ok.example/{n}\n" for n in range(size // 80))
        + "[r1] " * (size // 12),
        "long line": "word " * (size // 5),
        "many tables": "| a | b |\n|---|---|\n" + "| x | y |\n" * (size // 10),
    }


NORMAL_SIZE = 50_000  # the normal suite: every shape, quickly
SOAK_SIZE = 1_000_000  # the soak run: the default max_record_bytes, the largest record accepted
PATHOLOGICAL = pathological(NORMAL_SIZE)


def _render_bounded(markdown: str) -> None:
    """Render under tracemalloc: peak Python memory within 100x the input plus 16 MiB, no active content."""
    tracemalloc.start()
    try:
        html = render_body(markdown, BASE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * len(markdown) + 16 * 1024 * 1024
    assert active_content(html) == []


def _publish_or_reject(markdown: str, site: SiteConfig = SITE) -> str | None:
    """Parse a record with this body as the engine does: None if published inert, else the rejection."""
    try:
        record = parse_record("articles/pathological.md", _record_bytes(markdown), site)
    except RecordError as exc:
        return exc.reason
    assert active_content(to_feed_item(record, site).content_html) == []
    return None


@pytest.mark.parametrize("markdown", list(PATHOLOGICAL.values()), ids=list(PATHOLOGICAL))
@pytest.mark.usefixtures("watchdog")
def test_pathological_markdown_finishes_in_bounded_memory(markdown: str) -> None:
    # Given deeply nested or huge Markdown (about 50 kB), when rendered, then it finishes (the
    # watchdog catches a hang), peak memory stays bounded and no active content comes out.
    _render_bounded(markdown)


@pytest.mark.parametrize("shape", ["open brackets", "emphasis run", "many tables"])
def test_pathological_record_over_its_cpu_budget_is_rejected_naming_the_limit(shape: str) -> None:
    # Given a site allowing 1 s of CPU per body and a 900 kB body of a shape markdown-it-py needs
    # several seconds for (300 kB of the emphasis run took 0.94 s here: too close to the limit to
    # say anything), when the record is parsed, then it is rejected and the reason names the
    # setting (the child process rendering it was stopped; nothing else was held up).
    site = SITE.model_copy(update={"render_cpu_seconds": 1})
    reason = _publish_or_reject(pathological(900_000)[shape], site)
    assert reason is not None
    assert "render_cpu_seconds" in reason
    assert "1 s of CPU" in reason


def test_pathological_record_over_its_memory_budget_is_rejected_naming_the_limit() -> None:
    # Given a site allowing 64 MiB per body and a body whose tokens take several hundred MiB,
    # when the record is parsed, then it is rejected naming render_memory_mib.
    site = SITE.model_copy(update={"render_memory_mib": 64, "render_cpu_seconds": 120})
    reason = _publish_or_reject("*a" * 500_000, site)
    assert reason is not None
    assert "render_memory_mib" in reason
    assert "64 MiB" in reason


@pytest.mark.soak
@pytest.mark.parametrize("shape", list(PATHOLOGICAL))
@pytest.mark.usefixtures("watchdog")
def test_pathological_markdown_at_the_record_size_limit(
    shape: str, pathological_tally: dict[str, Any]
) -> None:
    # The same shapes at 1 MB, the largest record the default max_record_bytes accepts, through
    # the parser with the default render limits: each is published inert or rejected naming a
    # limit, in bounded time. Their outcomes and times go to docs/benchmarks.md.
    started = time.perf_counter()
    reason = _publish_or_reject(pathological(SOAK_SIZE)[shape])
    assert reason is None or "render_cpu_seconds" in reason or "render_memory_mib" in reason
    pathological_tally[shape] = {
        "outcome": "published" if reason is None else "rejected",
        "seconds": round(time.perf_counter() - started, 2),
    }


@pytest.fixture(scope="module")
def pathological_tally() -> Iterator[dict[str, Any]]:
    tally: dict[str, Any] = {}
    yield tally
    if tally:
        record_figures("pathological_markdown", {"bytes": SOAK_SIZE, "shapes": tally})


def test_oversized_record_is_rejected_with_its_size() -> None:
    # Given a record over max_record_bytes, when parsed, then it is rejected naming the limit.
    data = _record_bytes("x" * (SITE.max_record_bytes + 1))
    with pytest.raises(RecordError) as caught:
        parse_record("articles/huge.md", data, SITE)
    assert caught.value.path == "articles/huge.md"
    assert "max_record_bytes" in caught.value.reason


# -- the feed kinds, the show, migrated posts and media (everything added since issue 10) ---------
#
# A whole site at once: a site.yaml with hostile `authors:`, `feeds:`, `podcast:`, `permalink`,
# `generator`, `content` and `feed_max_bytes`; records with hostile episode fields, author keys and
# Jekyll/Hugo fields in YAML, TOML or JSON front matter; media objects that are empty, not audio,
# truncated or lying about their length, under odd keys. The property: site.yaml is a site error
# (reported, no key failed, so nothing is retried) or every run completes, every output is valid,
# the good records are published, every other record is published, a draft, scheduled, expired or
# named in report.json, and `feedpub check` of the same content agrees on what it rejects.

_GOOD_MP3 = None  # made on first use: LAME is only needed when this campaign runs


def _good_mp3() -> bytes:
    global _GOOD_MP3
    if _GOOD_MP3 is None:
        from tests.support.audio import tone_mp3

        _GOOD_MP3 = tone_mp3(1.0)
    return _GOOD_MP3


def _xing_mp3(frames: int) -> bytes:
    header = bytes([0xFF, 0xFB, 0x90, 0x64])
    first = bytearray(413)
    first[32:44] = b"Xing" + (1).to_bytes(4, "big") + frames.to_bytes(4, "big")  # the frame count only
    return header + bytes(first) + (header + bytes(413)) * 3


_MEDIA_BODIES = {
    "mp3": lambda: _good_mp3(),
    "empty": lambda: b"",
    "text": lambda: b"this is not audio\n" * 50,
    "html": lambda: b"<html><script>alert(1)</script></html>",
    "truncated": lambda: _good_mp3()[:700],
    "header only": lambda: _good_mp3()[:4],
    "claims years": lambda: _xing_mp3(0xFFFFFFFF),
    "claims nothing": lambda: _xing_mp3(0),
    "id3 huge": lambda: b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + b"\x00" * 64,
}
_MEDIA_KEYS = [
    "media/ep.mp3",
    "media/ep.m4a",
    "media/ep",
    "media/shows/s1/ep-2.mp3",
    "media/ep.MP3",
    "media/a b.mp3",
    "media/.hidden.mp3",
    "media/ünï.mp3",
    "media/ep.pdf",
    "media/-.mp3",
    "media/",  # the folder marker the S3 console creates
    "media/shows/",
]
_AUTHOR_KEYS = ["jane", "Jane Doe", "jane-doe", "sam", "", "!!!", "..", "Zoë", "a\x01b", "x" * 90]
_TAG_NAMES = ["Stunts", "stunts", "Podcast", "C++", "C", "", "!!!", "ünï", "a/b", "..", "x" * 300]
_CATEGORIES = [
    "Arts",
    "TV & Film",
    "TV & Film > Film Interviews",
    "Nope",
    "TV & Film > ",
    "> x",
    "Arts > Arts",
]
_PATTERNS = [
    "/:year/:month/:day/:title/",
    "/:categories/:title:output_ext",
    "pretty",
    "date",
    "none",
    "/:section/:slug/",
    "/:slugorcontentbasename/",
    "/../../:title/",
    "/?x=:title#frag",
    "//evil.example/:title",
    "https://www.example.org/:title/",
    "/:nonsense/",
    "/:year/:monthname/:title/",
    ":title",
    "/a b/:title",
    "/:2006/:01/:title/",
]
_ODD_TEXT = st.sampled_from(
    ["\x01", " \u2028 ", "\ufffe", "x\x00y", "<b>bold</b>", "&amp;", "]]>", "a" * 3000]
)


def _mostly(plausible: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Values from `plausible`, one in six a hostile one instead: a site with every setting hostile
    is nearly always a site error, which leaves publishing unexercised."""
    return st.integers(0, 5).flatmap(lambda pick: _hostile_value if pick == 0 else plausible)


# Dates: mostly plausible, sometimes absurd (_HOSTILE_DATES), sometimes any hostile value.
_DATE = _mostly(
    st.integers(0, 4).flatmap(lambda pick: st.sampled_from(_HOSTILE_DATES) if pick == 0 else _when)
)


def _text_field(min_size: int = 1) -> st.SearchStrategy[Any]:
    plausible = st.text(min_size=min_size, max_size=40).filter(str.strip)
    return _mostly(st.integers(0, 7).flatmap(lambda pick: _ODD_TEXT if pick == 0 else plausible))


def _url_or(extra: list[str]) -> st.SearchStrategy[Any]:
    return st.integers(0, 3).flatmap(lambda pick: _url_field if pick == 0 else st.sampled_from(extra))


_profile = st.fixed_dictionaries(
    {"name": _text_field()},
    optional={
        "url": _url_or(["https://jane.example.org/"]),
        "email": _mostly(st.sampled_from(["jane@example.org", "jane", "a@b\x00", "<x>@y.org", "a@b.c d"])),
        "avatar": _url_or(["https://jane.example.org/a.png", "/a.png"]),
        "bio": _text_field(),
        "twitter": st.just("@jane"),
    },
)
_tag_list = st.lists(st.sampled_from(_TAG_NAMES), max_size=3)
_site_feed = st.fixed_dictionaries(
    {},
    optional={
        "title": _text_field(),
        "description": _text_field(),
        "tags": _mostly(
            st.fixed_dictionaries({}, optional={"any": _tag_list, "all": _tag_list, "exclude": _tag_list})
        ),
        "authors": _mostly(st.lists(st.sampled_from(_AUTHOR_KEYS), max_size=2)),
        "content": st.sampled_from(["full", "summary", "both"]),
    },
)
_plain_text = st.text(min_size=1, max_size=40).filter(lambda text: clean(text).strip() != "")
# A show Apple would take, with its optional settings as plausible values...
_valid_show = st.fixed_dictionaries(
    {
        "image": st.sampled_from(["https://www.example.org/show.jpg", "https://www.example.org/show.png"]),
        "categories": st.lists(st.sampled_from(_CATEGORIES[:3]), min_size=1, max_size=3),
        "explicit": st.booleans(),
        "owner": st.fixed_dictionaries(
            {"email": st.just("desk@example.org")}, optional={"name": _plain_text}
        ),
        "description": _plain_text,
        "language": st.sampled_from(["en", "en-us"]),
    },
    optional={
        "title": _plain_text,
        "author": _plain_text,
        "copyright": _plain_text,
        "type": st.sampled_from(["episodic", "serial"]),
        "complete": st.booleans(),
        "block": st.booleans(),
        "locked": st.booleans(),
        "new_feed_url": st.just("https://feeds.example.org/new.xml"),
        "funding": st.lists(
            st.fixed_dictionaries({"url": st.just("https://www.example.org/support/"), "text": _plain_text}),
            max_size=2,
        ),
        "guid": st.just("917393e3-1b1e-5cef-ace4-edaa54e1f810"),
        "episode_limit": st.sampled_from([1, 2, 100]),
    },
)
# ... and one setting of it hostile (a show with every setting hostile is always a site error).
_HOSTILE_SHOW = {
    "image": _url_or(["https://www.example.org/show.gif"]),
    "categories": _mostly(st.lists(st.sampled_from(_CATEGORIES), min_size=1, max_size=3)),
    "explicit": _hostile_value,
    "owner": st.fixed_dictionaries(
        {"email": _mostly(st.sampled_from(["desk", "d\x00@x.org", "a@b.c d"]))},
        optional={"name": _text_field()},
    ),
    "title": _text_field(),
    "description": _text_field(),
    "author": _text_field(),
    "copyright": _text_field(),
    "type": _mostly(st.just("weekly")),
    "language": _mostly(st.just("english")),
    "complete": _hostile_value,
    "locked": _hostile_value,
    "new_feed_url": _url_field,
    "funding": st.lists(st.fixed_dictionaries({"url": _url_field, "text": _text_field()}), max_size=2),
    "guid": _mostly(st.just("not-a-uuid")),
    "episode_limit": _mostly(st.sampled_from([0, -1, 10**30])),
}
_show = st.integers(0, 2).flatmap(
    lambda pick: (
        _valid_show
        if pick
        else st.tuples(
            _valid_show,
            st.sampled_from(sorted(_HOSTILE_SHOW)).flatmap(
                lambda key: st.tuples(st.just(key), _HOSTILE_SHOW[key])
            ),
        ).map(lambda shown: {**shown[0], shown[1][0]: shown[1][1]})
    )
)
_site_settings = st.fixed_dictionaries(
    {"title": st.one_of(st.just("Hostile Times"), st.just("Hostile Times"), _text_field())},
    optional={
        "description": _text_field(),
        "language": st.sampled_from(["en", "fr-CA"]),
        "authors": _mostly(st.dictionaries(st.sampled_from(_AUTHOR_KEYS), _profile, max_size=3)),
        "feeds": _mostly(
            st.dictionaries(
                st.sampled_from(["action", "action", "jane", "a.b_c-d", "Action", "-x", "tags", "x" * 81]),
                _site_feed,
                max_size=3,
            )
        ),
        "podcast": _show,
        "permalink": st.sampled_from(_PATTERNS)
        | st.dictionaries(st.sampled_from(["posts", ""]), st.sampled_from(_PATTERNS), max_size=2),
        "generator": st.sampled_from(["jekyll", "hugo", "wordpress"]),
        "content": st.dictionaries(
            st.sampled_from(["main", "tags", "authors", "feeds", "podcast", "nope"]),
            st.sampled_from(["full", "summary", "both"]),
            max_size=3,
        ),
        "feed_max_bytes": st.sampled_from([16 * 1024, 16 * 1024 - 1, 10_000_000, 10_000_001, 0, -1, 2**70])
        | st.integers(16 * 1024, 200_000),
        "excerpt_separator": st.sampled_from(["<!--more-->", "\n\n", "\x01", "x" * 500]),
        "archive_page_size": _mostly(st.sampled_from([2, 3, 50, 1000, 1, 0, 1001, -1])),
    },
)


_SURROGATE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def _quoted(value: object) -> str:
    """A value as JSON whose strings are also valid YAML double-quoted and TOML basic strings: ASCII,
    astral characters as \\UXXXXXXXX (JSON's surrogate pairs are valid in neither)."""

    def astral(match: re.Match[str]) -> str:
        high, low = int(match[1], 16), int(match[2], 16)
        return f"\\U{0x10000 + (high - 0xD800) * 0x400 + (low - 0xDC00):08x}"

    return _SURROGATE_PAIR.sub(astral, json.dumps(value, default=str))


def _yaml_document(fields: dict[str, Any]) -> str:
    """Fields as YAML lines, raw hostile tokens unquoted at the top level (as _hostile_record)."""
    lines = []
    for key, value in fields.items():
        if isinstance(value, _RawYaml):
            lines.append(f"{json.dumps(key)}: {value}")
        else:
            lines.append(f"{_quoted(key)}: {_quoted(value)}")
    return "\n".join(lines) + "\n"


@st.composite
def _site_document(draw: st.DrawFn) -> bytes:
    settings = draw(_site_settings)
    fixed = {"base_url": "https://feeds.example.org/", "home_page_url": "https://www.example.org/"}
    return _yaml_document({**fixed, **settings}).encode("utf-8", "surrogatepass")


_episode_fields = {
    "episode": _mostly(st.integers(1, 3) | st.sampled_from(["12", "0", "-1", "²", "١٢", "0x10"])),
    "season": _mostly(st.integers(-1, 3)),
    "episode_type": st.sampled_from(["full", "trailer", "bonus", "FULL", "x"]),
    "duration": _mostly(
        st.sampled_from(["1:02:03", "59:59", "0", "99999999:00:00", "³", "1:60:00"])
        | st.floats(allow_nan=True, allow_infinity=True)
    ),
    "explicit": _mostly(st.booleans()),
    "block": st.booleans(),
    "transcript": st.one_of(
        st.sampled_from(["/t.vtt", "https://x.example/t.srt", "t.xyz"]),
        st.fixed_dictionaries(
            {"url": _url_or(["/t.vtt"])},
            optional={
                "type": st.sampled_from(["text/vtt", "x", "\x01"]),
                "language": st.sampled_from(["en", "english"]),
            },
        ),
        st.lists(st.just("/t.vtt"), max_size=3),
    ),
    "chapters": _url_or(["/chapters.json", "chapters.json"]),
    "persons": st.one_of(
        st.lists(
            st.fixed_dictionaries(
                {"name": _text_field()}, optional={"role": _text_field(), "img": _url_or(["/jo.jpg"])}
            ),
            max_size=2,
        ),
        _text_field(),
    ),
}
_migrated_fields = {
    "categories": _mostly(_tag_list | st.sampled_from(["a b c", "x" * 300])),
    "category": _mostly(st.sampled_from(["Stunts", "", "a/b"])),
    "publishDate": _DATE,
    "expiryDate": _DATE,
    "lastmod": _DATE,
    "aliases": st.lists(_mostly(st.just("/old/")), max_size=2),
    "permalink": _mostly(
        st.sampled_from(["/:year/:title/", "https://evil.example/x", "/:nonsense/", "javascript:x"])
    ),
    "excerpt": _text_field(),
    "description": _text_field(),
    "published": st.booleans(),
    "layout": st.just("post"),
}


@st.composite
def _site_record(draw: st.DrawFn) -> tuple[str, bytes]:
    """A record of any front-matter flavour with the new fields, hostile or plausible."""
    fields: dict[str, Any] = {
        "title": draw(_text_field()),
        "date": draw(_DATE),
    }
    if draw(st.booleans()):
        fields["author"] = draw(
            st.one_of(st.sampled_from(_AUTHOR_KEYS), st.lists(st.sampled_from(_AUTHOR_KEYS), max_size=3))
        )
    if draw(st.booleans()):
        fields["tags"] = draw(_tag_list)
    if draw(st.booleans()):
        fields["enclosure"] = draw(
            st.one_of(
                st.sampled_from([*_MEDIA_KEYS, "media/good-0.mp3", "media/missing.mp3", "media/../x.mp3"]),
                st.fixed_dictionaries(
                    {"url": st.sampled_from([*_MEDIA_KEYS, "media/good-1.mp3"])},
                    optional={
                        "mime_type": st.sampled_from(["audio/mpeg", "x", "video/mp4"]),
                        "length": _mostly(st.integers(1, 10**9)),
                    },
                ),
            )
        )
    for pool, chance in ((_episode_fields, 0.5), (_migrated_fields, 0.4)):
        for key, strategy in pool.items():
            if draw(st.floats(0, 1)) < chance / 3:
                fields[key] = draw(strategy)
    body = draw(
        st.one_of(
            _body,
            st.sampled_from(
                [
                    "{% highlight py %}\n# x\n{% endhighlight %}",
                    "{% raw %}{{ x }}",
                    '{{< figure src="a.png" caption="<script>x</script>" >}}',
                    '{{< youtube "x onload=alert(1)" >}}',
                    "{% post_url 2020-01-01-missing %}",
                    '{{< ref "../good-0.md" >}} [x](../good-1.md)',
                    "Intro<!--more-->rest",
                    "{{< highlight go >}}{{< highlight go >}}",
                    "{:toc}\n{: .x}\n{::comment}x",
                    "A long article. " * 1900,  # about 30 kB: past the smallest feed budget alone
                ]
            ),
        )
    )
    flavour = draw(st.sampled_from(["yaml", "yaml", "toml", "json", "jekyll", "bundle"]))
    if flavour == "json":
        return "articles/fuzz.json", json.dumps({**fields, "body": body}, default=str).encode()
    if flavour == "toml":
        return "articles/fuzz.md", ("+++\n" + _toml(fields) + "+++\n" + body).encode("utf-8", "surrogatepass")
    path = {
        "yaml": "articles/fuzz.md",
        "jekyll": "articles/_posts/2021-02-03-fuzz.md",
        "bundle": "articles/posts/fuzz/index.md",
    }[flavour]
    return path, ("---\n" + _yaml_document(fields) + "---\n" + body).encode("utf-8", "surrogatepass")


def _toml(fields: dict[str, Any]) -> str:
    """Fields as TOML (a JSON string is a TOML basic string); what TOML cannot hold goes in as it is."""
    lines = []
    for key, value in fields.items():
        if isinstance(value, bool) or (isinstance(value, int) and not isinstance(value, _RawYaml)):
            text = json.dumps(value)
        elif isinstance(value, list) and all(isinstance(each, str) for each in value):
            text = _quoted(value)
        else:
            text = value if isinstance(value, _RawYaml) else _quoted(str(value))
        lines.append(f"{_quoted(key)} = {text}")
    return "\n".join(lines) + "\n"


_site_case = st.tuples(
    _site_document(),
    st.lists(_site_record(), min_size=1, max_size=4),
    st.dictionaries(st.sampled_from(_MEDIA_KEYS), st.sampled_from(sorted(_MEDIA_BODIES)), max_size=3),
)


def _good_site_record(number: int) -> bytes:
    return (
        f"---\ntitle: Good {number}\ndate: 2020-01-0{number + 1}\ntags: [Stunts]\nauthor: jane\n"
        f"enclosure: media/good-{number}.mp3\nepisode: {number + 1}\nduration: 1\n---\nFine.\n"
    ).encode()


def _publish_site(case: tuple[bytes, list[tuple[str, bytes]], dict[str, str]]) -> Counter[str]:
    """One hostile site through the publisher (applied, then rebuilt) and `feedpub check`."""
    site_bytes, records, media_kinds = case
    content = MemoryStore()
    files: dict[str, bytes] = {"site.yaml": site_bytes}
    for number, (path, data) in enumerate(records):
        files[path.replace("fuzz", f"fuzz-{number}")] = data
    good = {f"articles/good-{number}.md": _good_site_record(number) for number in range(2)}
    files |= good
    files |= {f"media/good-{number}.mp3": _good_mp3() for number in range(2)}
    files |= {key: _MEDIA_BODIES[kind]() for key, kind in media_kinds.items()}
    for key, data in files.items():
        content.put(key, data)
    output = MemoryStore()
    publisher = Publisher(content, output, clock=lambda: PUBLISH_NOW, websub=False)
    reports = [publisher.apply(list(files)), publisher.rebuild()]
    # The same content published first under a good site.yaml, then the hostile one uploaded over
    # it: the path of a site.yaml change (re-rendered from the state when only the feeds change).
    before = MemoryStore()
    for key, data in files.items():
        before.put(key, BASELINE_SITE if key == "site.yaml" else data)
    changed = MemoryStore()
    publisher = Publisher(before, changed, clock=lambda: PUBLISH_NOW, websub=False)
    assert publisher.apply(list(files)).failed_keys == []
    baseline = _public(changed)
    before.put("site.yaml", site_bytes)
    reports += [publisher.apply(["site.yaml"]), publisher.rebuild()]
    checked = _check_directory(files)
    outcomes: Counter[str] = Counter()
    try:
        site = parse_site(site_bytes)
    except SiteConfigError:
        for report in reports:
            assert report.failed_keys == []
            assert report.site_error
        assert isinstance(checked, SiteConfigError)
        assert _public(changed) == baseline, "a bad site.yaml changed what was published"
        outcomes["site errors"] += 1
        return outcomes
    outcomes["sites accepted"] += 1
    for report in reports:
        assert report.failed_keys == []
        assert report.site_error is None
    public = _public(output)
    assert _public(changed) == public, "a site.yaml change does not give what publishing it afresh gives"
    _assert_valid_feeds(
        {key: body for key, body in public.items() if key.endswith((".xml", ".json", ".opml"))}
    )
    state = json.loads(output.get("_state/report.json").body)
    rejected = {entry["path"]: entry["reason"] for entry in state["rejected"]}
    for reason in rejected.values():
        assert reason.strip()
        assert not reason.startswith("cannot be rendered"), reason
        assert "Traceback" not in reason
    assert not isinstance(checked, BaseException), checked
    assert sorted(error.path for error in checked.rejected) == sorted(rejected), "check and publish disagree"
    shown = {item["id"] for item in json.loads(public["feed.json"])["items"]}
    scheduled = {entry["path"] for entry in state["scheduled"]}
    for key, data in files.items():
        if not key.startswith("articles/"):
            continue
        if key in rejected:
            assert key not in good, rejected[key]
            outcomes["records rejected"] += 1
            continue
        record = parse_record(key, data, site)
        if record.draft:
            outcomes["drafts"] += 1
        elif key in scheduled:
            outcomes["scheduled"] += 1
        elif record.expires_at is not None and record.expires_at <= PUBLISH_NOW:
            outcomes["expired"] += 1
        else:
            assert _feed_id(record) in shown, f"{key} is neither published nor reported"
            outcomes["records published"] += 1
    if site.podcast is not None:
        outcomes["podcast sites"] += 1
    return outcomes


BASELINE_SITE = _yaml_document(
    {
        "title": "Baseline",
        "base_url": "https://feeds.example.org/",
        "home_page_url": "https://www.example.org/",
        "description": "Before the change.",
        "language": "en",
        "authors": {"jane": {"name": "Jane"}},
        "feeds": {"action": {"tags": {"any": ["Stunts"]}}},
        "podcast": {
            "image": "https://www.example.org/show.jpg",
            "categories": ["Arts"],
            "explicit": False,
            "owner": {"email": "desk@example.org"},
        },
    }
).encode()


def _public(store: MemoryStore) -> dict[str, bytes]:
    """The published documents (media copies and the publisher's state left out)."""
    keys = store.keys(prefix="")
    return {key: store.get(key).body for key in keys if not key.startswith(("_state/", "media/"))}


def _check_directory(files: dict[str, bytes]) -> BuildResult | BaseException:
    """`feedpub check` of the same content (media keys a file system cannot hold left out)."""
    import tempfile

    from feedpub.build import check_directory

    with tempfile.TemporaryDirectory() as root:
        for key, data in files.items():
            if "/." in key or "//" in key or key.endswith("/"):
                continue
            path = Path(root, key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        try:
            return check_directory(Path(root), PUBLISH_NOW)
        except SiteConfigError as exc:
            return exc


@SITES_FAST
@given(_site_case)
def test_hostile_sites_with_feed_kinds_podcast_and_media_publish_or_report(
    case: tuple[bytes, list[tuple[str, bytes]], dict[str, str]],
) -> None:
    # Given a site.yaml with hostile authors, feeds, podcast, permalink and budget settings, records
    # with hostile episode and Jekyll/Hugo fields in any front matter, and hostile media files,
    # when published, rebuilt and checked, then site.yaml is a site error that fails no key, or
    # every run completes with valid outputs and every record accounted for, as check finds it.
    _publish_site(case)


@pytest.fixture(scope="module")
def site_tally() -> Iterator[Counter[str]]:
    tally: Counter[str] = Counter()
    yield tally
    if tally:
        record_figures("hostile_sites", dict(tally))


@pytest.mark.soak
@SITES_SOAK
@given(case=_site_case)
def test_hostile_sites_soak(
    case: tuple[bytes, list[tuple[str, bytes]], dict[str, str]], site_tally: Counter[str]
) -> None:
    # The whole-site property over the soak budget (1,000 sites).
    site_tally["sites"] += 1
    site_tally.update(_publish_site(case))
