"""Golden test: the sample site (tests/fixtures/sample-site, a copy of content/ that only tests use)
builds to exactly the files in tests/golden/.

After an intended change to the output, regenerate with `UPDATE_GOLDEN=1 pytest tests/unit/test_golden.py`
and review the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import feedparser
import pytest

from feedpub import cli
from feedpub.outdir import MANIFEST
from tests.support.pages import body_active_content, parse_errors
from tests.support.sample_site import SAMPLE_SITE
from tests.unit.jsonfeed_spec import validate_json_feed
from tests.unit.w3c_rules import check_all, first_problems

REPO = Path(__file__).resolve().parents[2]
CONTENT = SAMPLE_SITE
GOLDEN = REPO / "tests" / "golden"
NOW = "2026-11-01T00:00:00Z"  # after every sample article except the one scheduled for 2031


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("golden") / "public"
    assert cli.main(["build", str(CONTENT), "--out", str(out), "--now", NOW]) == 0
    outputs = tree(out)
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN, ignore=shutil.ignore_patterns(MANIFEST))
    return outputs


def test_given_the_sample_site_when_built_then_every_output_matches_golden_bytes(
    built: dict[str, bytes],
) -> None:
    golden = tree(GOLDEN)
    assert sorted(built) == sorted(golden)
    for path, data in golden.items():
        assert built[path] == data, f"{path} differs from tests/golden/{path}"


def golden_feeds() -> list[str]:
    return sorted(
        path.relative_to(GOLDEN).as_posix()
        for path in GOLDEN.rglob("*")
        if path.name in ("feed.xml", "atom.xml", "feed.json", "podcast.xml")
    )


@pytest.mark.parametrize("path", golden_feeds())
def test_given_a_golden_feed_when_read_then_it_parses_cleanly_with_linked_items(path: str) -> None:
    data = (GOLDEN / path).read_bytes()
    if path.endswith(".json"):
        items = validate_json_feed(data)["items"]  # feedparser 6.0 reads only XML feeds
        assert all(item["title"] and item["url"] for item in items)
    else:
        parsed = feedparser.parse(data)
        assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
        items = parsed.entries
        assert all(entry.get("title") and entry.get("link") for entry in items)
    assert items, f"{path} has no items"


def test_given_the_golden_feeds_then_the_w3c_validator_rules_find_no_problem() -> None:
    problems = check_all(tree(GOLDEN), "https://feeds.example.org/")
    assert list(first_problems(problems)) == []


def golden_pages() -> list[str]:
    return sorted(path.relative_to(GOLDEN).as_posix() for path in GOLDEN.rglob("*.html"))


def test_every_feed_of_the_sample_site_has_a_page() -> None:
    # Each feed's directory holds its page, and the show's page stands beside podcast.xml
    directories = {path.parent for path in GOLDEN.rglob("feed.xml")}
    pages = {GOLDEN / path for path in golden_pages()}
    assert pages == {directory / "index.html" for directory in directories} | {GOLDEN / "podcast.html"}


@pytest.mark.parametrize("path", golden_pages())
def test_given_a_golden_page_then_it_is_valid_html_with_nothing_active(path: str) -> None:
    page = (GOLDEN / path).read_bytes()
    assert parse_errors(page) == []
    assert body_active_content(page) == []


def main_feed_items() -> list[dict[str, object]]:
    items: list[dict[str, object]] = json.loads((GOLDEN / "feed.json").read_bytes())["items"]
    return items


def test_given_the_sample_site_then_the_main_feed_lists_published_articles_newest_first() -> None:
    titles = [item["title"] for item in main_feed_items()]
    assert titles == [
        "Weekend Box Office: Animated Sequel Holds Off Three New Openers",
        "John Wick: Chapter 5 Is in Development — What We Know So Far",
        "Where to Watch New Films This Summer: Our Festival Guide",
        "How Fight Scenes Are Built",
        "Ballerina Is About Getting Into the John Wick World, Not Out, Say Franchise Filmmakers",
    ]  # neither the draft nor the article scheduled for 2031


def test_given_the_ballerina_article_then_its_heading_quotes_image_and_credit_survive() -> None:
    ballerina = next(item for item in main_feed_items() if "Ballerina" in str(item["title"]))
    html = str(ballerina["content_html"])
    assert "<h2>John Wick Filmmakers Tease Ballerina Spinoff Film</h2>" in html
    assert html.count("<blockquote>") == 5
    assert 'src="https://www.example.org/images/ballerina.jpg"' in html
    assert "Lionsgate" in html


def test_given_the_sample_site_then_shared_tags_get_their_own_feeds() -> None:
    john_wick = json.loads((GOLDEN / "tags" / "john-wick" / "feed.json").read_bytes())
    assert len(john_wick["items"]) == 3  # the Ballerina article, the Chapter 5 news, the podcast
    assert (GOLDEN / "feeds.opml").read_bytes().count(b"<outline") >= 1 + len(
        list((GOLDEN / "tags").iterdir())
    )


def test_no_test_reads_the_editable_sample_in_content() -> None:
    # Given every test module, then none builds a path to the repository's content/ (the README
    # invites editing it); they read the copy in tests/fixtures/sample-site instead
    to_content = re.compile(r"""(REPO|ROOT|parents\[\d\])\s*/\s*["']content["']""")
    offenders = [
        path.relative_to(REPO).as_posix()
        for path in (REPO / "tests").rglob("*.py")
        if to_content.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
