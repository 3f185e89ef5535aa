"""The feed byte budget (site.yaml feed_max_bytes): documents stay within it, the newest items keep
their content, older ones go out summary-only with their link, and the weights it decides by are
true upper bounds of what items add to a document in every format."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import feedparser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedpub import budget
from feedpub.build import render_site
from feedpub.catalogue import AUTHORS, TAGS, main_feed
from feedpub.config import parse_site
from feedpub.model import Enclosure, FeedItem, Person
from feedpub.records import parse_record
from feedpub.render import render_feed
from tests.support.builders import article, site_yaml
from tests.unit.jsonfeed_spec import validate_json_feed
from tests.unit.w3c_rules import check_all, first_problems

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SITE = parse_site(site_yaml(hub="https://hub.example.org/", icon="https://www.example.org/icon.png"))

# Text that escaping makes longer in some format: markup, quotes, backslashes, line breaks, and
# characters a URL carries percent-escaped.
HOSTILE = st.text(
    alphabet=st.sampled_from(list("<>&\"'\\\n\t ]]>aé€😀-")) | st.characters(codec="utf-8"), max_size=400
)
URLS = st.builds(
    lambda path: "https://www.example.org/" + path,
    st.text(alphabet=st.sampled_from(list('aé€ "<>&%?#=')), max_size=60),
)


@st.composite
def items(draw: st.DrawFn) -> FeedItem:
    url = draw(URLS)
    return FeedItem(
        id=draw(st.one_of(URLS, HOSTILE.filter(str.strip))),
        url=url,
        title=draw(HOSTILE),
        date=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 10_000))),
        authors=tuple(
            draw(
                st.lists(
                    st.builds(
                        Person,
                        name=HOSTILE,
                        email=st.sampled_from([None, "a@example.org", "x<y>@example.org"]),
                        url=st.one_of(st.none(), URLS),
                    ),
                    max_size=3,
                )
            )
        ),
        tags=tuple(draw(st.lists(HOSTILE, max_size=4))),
        summary=draw(HOSTILE),
        content_html=draw(HOSTILE.map(lambda text: f"<p>{text}</p>")),
        image=draw(st.one_of(st.none(), URLS)),
        enclosure=draw(
            st.one_of(
                st.none(),
                st.builds(Enclosure, url=URLS, mime_type=st.just("audio/mpeg"), length=st.integers(1, 10**9)),
            )
        ),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(items(), min_size=1, max_size=4), st.booleans())
def test_weights_bound_what_items_add_to_every_document(feed_items: list[FeedItem], trimmed: bool) -> None:
    # Given any items, shown in full or summary-only, in a feed with a hub, an icon and a long label
    feed_items = sorted(feed_items, key=lambda item: item.sort_key, reverse=True)
    shown = [budget.summary_only(item) for item in feed_items] if trimmed else feed_items
    feed = TAGS.feed("t", "Tag “<&>” " * 5)
    bound = budget.feed_weight(SITE, feed) + sum(
        budget.weights(item)[1 if trimmed else 0] for item in feed_items
    )
    # Then no document of the feed is larger than the budget's weights say, wherever it stands in
    # the feed's archive (a subscription document linking its archive, an archive page between two)
    for document in (feed, feed.with_older("1" * 12), feed.archive_page("0" * 12, "1" * 12, "2" * 12)):
        for path, data in render_feed(SITE, document, shown).items():
            assert len(data) <= bound, path


def big_article(number: int, body_bytes: int) -> bytes:
    paragraph = f"Paragraph of story {number} with <em>markup</em> & more. " * 8
    body = f"Summary line of story {number}, long enough to be its summary.\n\n" + (paragraph + "\n\n") * (
        body_bytes // (len(paragraph) + 2)
    )
    return article(f"Story {number}", f"2025-01-{number:02d}", ("Film",), body=body)


def test_the_default_budget_is_a_mebibyte() -> None:
    assert parse_site(site_yaml()).feed_max_bytes == 1024 * 1024


def test_past_the_budget_older_items_go_out_summary_only_and_every_document_fits() -> None:
    # Given 20 articles of about 28 kB each (560 kB of content) and a budget of 256 KiB
    site = parse_site(site_yaml(feed_max_bytes=256 * 1024))
    records = [parse_record(f"articles/s{n}.md", big_article(n, 28_000), site) for n in range(1, 21)]
    outputs = render_site(site, records, NOW).outputs
    for path in ("feed.xml", "atom.xml", "feed.json", "tags/film/feed.xml", "tags/film/feed.json"):
        # Then each document stays within the budget
        assert len(outputs[path]) <= site.feed_max_bytes, path
    items = json.loads(outputs["feed.json"])["items"]
    full = [item for item in items if "content_html" in item]
    # And the newest items keep their full content, all of them before any summary-only one
    assert 1 <= len(full) < len(items)
    assert items[: len(full)] == full
    assert [item["title"] for item in items] == [f"Story {n}" for n in range(20, 0, -1)]
    # And an older item still has its title, link, date and summary: a reader follows the link
    oldest = items[-1]
    assert oldest["url"] == "https://www.example.org/s1/"
    assert oldest["summary"].startswith("Summary line of story 1")
    assert oldest["content_text"] == oldest["summary"]
    entries = feedparser.parse(outputs["atom.xml"]).entries
    assert "content" in entries[0]
    assert "content" not in entries[-1]
    assert entries[-1].link == "https://www.example.org/s1/"
    assert list(first_problems(check_all(outputs, site.base_url))) == []
    validate_json_feed(outputs["feed.json"])


def test_a_smaller_budget_keeps_fewer_items_in_full() -> None:
    records_at = {}
    for limit in (128 * 1024, 512 * 1024):
        site = parse_site(site_yaml(feed_max_bytes=limit))
        records = [parse_record(f"articles/s{n}.md", big_article(n, 15_000), site) for n in range(1, 21)]
        outputs = render_site(site, records, NOW).outputs
        assert len(outputs["feed.xml"]) <= limit
        records_at[limit] = sum("content_html" in item for item in json.loads(outputs["feed.json"])["items"])
    assert 0 < records_at[128 * 1024] < records_at[512 * 1024]


def test_within_the_budget_every_item_is_full() -> None:
    site = parse_site(site_yaml())
    records = [parse_record(f"articles/s{n}.md", big_article(n, 2_000), site) for n in range(1, 21)]
    items = json.loads(render_site(site, records, NOW).outputs["feed.json"])["items"]
    assert all("content_html" in item for item in items)


def test_one_item_larger_than_the_budget_goes_out_summary_only_itself() -> None:
    site = parse_site(site_yaml(feed_max_bytes=64 * 1024, max_record_bytes=1024 * 1024))
    record = parse_record("articles/huge.md", big_article(1, 500_000), site)
    outputs = render_site(site, [record], NOW).outputs
    assert all(len(outputs[path]) <= 64 * 1024 for path in ("feed.xml", "atom.xml", "feed.json"))
    assert "content_html" not in json.loads(outputs["feed.json"])["items"][0]


def test_the_split_depends_on_the_feed_so_each_kind_is_budgeted_on_its_own() -> None:
    site = parse_site(site_yaml(content={"authors": "summary"}))
    item = FeedItem(
        id="https://www.example.org/a/",
        url="https://www.example.org/a/",
        title="A",
        date=NOW,
        summary="S",
        content_html="<p>S</p>",
    )
    assert budget.full_count(site, main_feed(), [budget.weights(item)]) == 1
    assert budget.full_count(site, AUTHORS.feed("x", "X"), [budget.weights(item)]) == 0
