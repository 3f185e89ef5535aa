"""What real blogs hold beyond the conventions' examples (found on real Jekyll and Hugo blogs):
exporters' fields, code samples that look like templates, the site's own variables, dates as
Ruby reads them, WordPress enclosures and post numbers, drafts that are not finished."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from feedpub import build
from feedpub.config import parse_site
from feedpub.errors import RecordError
from feedpub.records import parse_record

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
PRESS = "https://press.example.org/"


def built(name: str) -> build.BuildResult:
    return build.check_directory(FIXTURES / name, NOW)


def items_of(result: build.BuildResult) -> dict[str, dict[str, Any]]:
    return {item["title"]: item for item in json.loads(result.outputs["feed.json"])["items"]}


def warnings_of(result: build.BuildResult, name: str) -> list[str]:
    return [warning for path, warning in result.warnings if path.endswith(name)]


def parse(path: str, text: str, site_yaml: str = "") -> Any:
    site = parse_site(f"title: T\nbase_url: https://f.example/\n{site_yaml}".encode())
    return parse_record(path, text.encode(), site)


def test_a_wordpress_export_to_hugo_keeps_its_code_samples_and_its_feeds_links_and_ids() -> None:
    # Given a Hugo blog exported from WordPress (dated file names, each post's own url, Angular and
    # Jinja code samples, a shortcode the exporter mangled), no generator in site.yaml
    result = built("wordpress-hugo")
    item = items_of(result)["Binding Forms, Part 3"]
    # Then the link and the id are Hugo's: the post's url, the permalink as guid
    assert item["url"] == item["id"] == PRESS + "index.php/webdev/binding-forms-3/"
    # And the code samples are as Hugo shows them (Hugo never runs {{ }} in content)
    html = item["content_html"]
    assert "valid={{ form.name.$valid }}" in html
    assert "{{ plant.Name }}" in html
    assert "<code>{{ total }}</code>" in html
    assert "<code>{% for x in xs %}</code>" in html
    assert "indented: {{ kept.too }}" in html
    assert '{{ &lt; youtube id="VJrshV22MD4" &gt; }}' in html  # not a shortcode to Hugo either
    assert not [w for w in warnings_of(result, "binding-forms.md") if "body:" in w]
    assert item["tags"] == ["bindings", "validation", "Javascript", "UI Development"]


@pytest.mark.parametrize(
    ("site_yaml", "kept"),
    [
        ("", True),  # only the dated file name says Jekyll: the code may be another language's
        ("generator: jekyll\n", False),  # the site says Jekyll: Liquid runs in code, as in Jekyll
    ],
)
def test_liquid_in_code_is_a_code_sample_unless_the_site_says_jekyll(site_yaml: str, kept: bool) -> None:
    # Given a post whose code holds {{ item.name }} and {% if %}…{% endif %}, and Liquid outside code
    text = (
        "---\ntitle: Loops\n---\nSee {{ site.url }}/x and {{ unknown }}.\n\n"
        "```html\n<li>{{ item.name }}</li>{% if x %}<i>x</i>{% endif %}\n<p>{{ page.title }}</p>\n```\n\n"
        "Indented:\n\n    <b>{{ row.total }}</b>\n\nAfter {{ row.total }}.\n"
    )
    record = parse("articles/2024-02-03-loops.md", text, site_yaml)
    # Then outside code Jekyll's rules apply either way; in code, what is not Jekyll's own stays
    # unless the site says it is a Jekyll site
    assert "See https://f.example/x and ." in record.body
    assert ("<li>{{ item.name }}</li>{% if x %}<i>x</i>{% endif %}" in record.body) is kept
    assert ("<li></li>\n<p>" in record.body) is not kept  # run: x is not defined, so no <i>
    assert ("    <b>{{ row.total }}</b>" in record.body) is kept
    assert "After ." in record.body  # outside code it is Liquid either way
    assert "<p>Loops</p>" in record.body  # page.title is Jekyll's own, even in code
    removed = [w for w in record.warnings if "is not converted and was removed" in w]
    # ({{ unknown }} and {{ row.total }}; and {{ item.name }} where code is Liquid; an {% if %} runs)
    assert len(removed) == (2 if kept else 3)


def test_site_variables_fill_liquid_and_a_link_that_lost_a_value_keeps_only_its_text() -> None:
    # Given site.yaml `variables: {repository: …}` and a post linking through {{ site.repository }}
    # and through variables the site does not give
    result = built("jekyll")
    html = items_of(result)["Patch Release"]["content_html"]
    # Then the known variable gives the links Jekyll gave
    assert '<a href="https://github.com/example/notes/issues/42"' in html
    assert '<a href="https://github.com/example/notes/issues/9156"' in html
    assert "on Jekyll Notes." in html  # site.title, as _config.yml (and variables) has it
    # And each link whose URL held an unknown variable is dropped, its text kept: no wrong link
    assert "ask in the chat." in html
    assert "Read the forum thread and the install guide" in html
    for wrong in ("/t/1", "/install/", "/room"):
        assert wrong not in html
    warnings = warnings_of(result, "patch-release.markdown")
    assert "body: 3 links whose URL held a value that could not be found dropped (the text kept)" in warnings
    assert (
        "body: {{ site.forum_url }} (not in site.yaml's variables) is not converted and was removed"
        in warnings
    )


def test_hugo_param_reads_the_posts_front_matter_then_the_sites_variables() -> None:
    # Given {{< param repository >}} (a site param) and {{< param "Maintainer" >}} (front matter)
    html = items_of(built("hugo"))["Second Post"]["content_html"]
    assert '<a href="https://git.example.org/notes/tree/main"' in html
    assert "by Ada." in html


def test_a_date_ruby_reads_is_the_date_jekyll_published() -> None:
    # Given `date: "2023-01-29 18:30:22 2023 -0800"` (the year twice: Ruby's Time.parse passes over it)
    item = items_of(built("jekyll"))["Patch Release"]
    assert item["date_published"] == "2023-01-29T18:30:22-08:00"
    assert item["url"] == "https://jekyll.example.org/blog/release/2023/01/29/patch-release/"


def test_wordpress_enclosures_are_read_and_any_other_shape_is_left_out_with_a_warning() -> None:
    result = built("wordpress-hugo")
    items = items_of(result)
    # Given WordPress's enclosure meta as the exporter wrote it, then it is the item's attachment
    assert items["On the Radio"]["attachments"] == [
        {
            "url": "https://media.example.org/radio/episode-260.mp3",
            "mime_type": "audio/mpeg",
            "size_in_bytes": 30227590,
        }
    ]
    # Given an enclosure that is none of the known shapes, then the post is published without it
    assert "attachments" not in items["Server News"]
    assert warnings_of(result, "server-news.md") == [
        "enclosure must be a mapping of url, mime_type and length, or a file under media/, not text "
        "(enclosure ignored)"
    ]
    assert result.rejected == []


def test_a_wordpress_post_number_never_becomes_the_id_of_a_migrated_post() -> None:
    # Given `ID: 1598` (the exporter's WordPress post number) on a Hugo post
    result = built("wordpress-hugo")
    item = items_of(result)["On the Radio"]
    # Then the id is the one Hugo's feed gave (the permalink), and a warning says why
    assert item["id"] == PRESS + "index.php/misc/on-the-radio/"
    assert (
        "id '1598' is not a URI, and Jekyll's and Hugo's feeds never used a post's own id: the item "
        "keeps the id its old feed gave it (id ignored)"
    ) in warnings_of(result, "on-the-radio.md")


@pytest.mark.parametrize(
    ("path", "front", "expected"),
    [
        ("articles/_posts/2024-02-03-a.md", "id: tag:example.org,2024:a\n", "tag:example.org,2024:a"),
        ("articles/notes.md", "id: 42\n", "42"),  # feedpub's own record: its id is its own
    ],
)
def test_a_uri_id_or_a_feedpub_records_own_id_is_kept(path: str, front: str, expected: str) -> None:
    record = parse(path, f"---\ntitle: A\ndate: 2024-02-03\n{front}---\nText.\n")
    assert record.id == expected
    assert record.warnings == ()


@pytest.mark.parametrize(
    ("front", "warning"),
    [
        ("published: false\n", "has no title: 'Ideas' is taken from the file name"),
        ("draft: true\ntitle: [a, b]\n", "title must be text, not a list: a draft, so 'Ideas' is taken"),
        ("draft: true\ntitle: Ideas\ndate: soon\n", "date 'soon' is not a valid date"),
    ],
)
def test_a_draft_is_never_rejected_for_its_title_or_date(front: str, warning: str) -> None:
    # Given an unfinished draft (no title, a title of the wrong shape, no usable date), when parsed,
    # then it is a draft (never shown) with a warning, not a rejection
    record = parse("articles/ideas.md", f"---\n{front}---\nText.\n")
    assert record.draft
    assert record.title == "Ideas"
    assert [w for w in record.warnings if w.startswith(warning)], record.warnings


def test_a_published_post_without_a_title_is_still_rejected() -> None:
    with pytest.raises(RecordError, match="'title' is missing"):
        parse("articles/ideas.md", "---\ndate: 2024-02-03\n---\nText.\n")


def test_references_a_liquid_loop_defines_link_as_in_jekyll() -> None:
    # Given a Jekyll post whose reference definitions come from a Liquid loop (as jekyllrb.com's
    # release notes write them), next to a definition of its own and code
    text = (
        "---\ntitle: Release\n---\n"
        "* Fix the build ([#1037][]) and the index ([#1045][]), see [History][].\n\n"
        "`a[#1][]` stays.\n\n"
        '{% assign issue_numbers = "1037|1045" | split: "|" %}\n{% for issue in issue_numbers %}\n'
        "[#{{ issue }}]: {{ site.repository }}/issues/{{ issue }}\n{% endfor %}\n\n"
        "[History]: /docs/history/\n"
    )
    record = parse(
        "articles/2024-02-03-release.md", text, "variables: {repository: https://github.com/x/y}\n"
    )
    # Then the loop defines each reference Jekyll defines, the uses and the code stay as written
    # (Markdown makes them links), and nothing is reported
    assert "* Fix the build ([#1037][]) and the index ([#1045][]), see [History][]." in record.body
    assert "[#1037]: https://github.com/x/y/issues/1037\n" in record.body
    assert "[#1045]: https://github.com/x/y/issues/1045\n" in record.body
    assert "`a[#1][]` stays." in record.body
    assert "[History]: /docs/history/" in record.body
    assert record.warnings == ()
