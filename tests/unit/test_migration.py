"""Blogs brought from Jekyll and Hugo as they are (tests/fixtures/jekyll, tests/fixtures/hugo): item
links, ids, dates, tags, summaries and bodies are what Jekyll's and Hugo's documented rules give,
and every feed still passes the W3C validator's rules, the JSON Feed schema and feedparser."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest

from feedpub import build, cli
from feedpub.config import parse_site
from feedpub.records import parse_record
from tests.unit.jsonfeed_spec import validate_json_feed
from tests.unit.w3c_rules import check_all, first_problems

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
JEKYLL = "https://jekyll.example.org/blog/"
HUGO = "https://hugo.example.org/"


# Each blog's own template syntax: Hugo's is its shortcodes ({% … %} in a Hugo post is a code sample).
TEMPLATE_SYNTAX = {"jekyll": r"\{%|\{\{[<%]|\{:", "hugo": r"\{\{[<%]", "wordpress-hugo": r"\{\{[<%]"}


@pytest.fixture(scope="module", params=sorted(TEMPLATE_SYNTAX))
def blog(request: pytest.FixtureRequest) -> tuple[str, build.BuildResult]:
    return request.param, build.check_directory(FIXTURES / request.param, NOW)


def items_of(name: str) -> dict[str, dict[str, Any]]:
    result = build.check_directory(FIXTURES / name, NOW)
    return {item["title"]: item for item in json.loads(result.outputs["feed.json"])["items"]}


def test_jekyll_posts_get_the_links_and_jekyll_feed_ids_jekyll_gives_them() -> None:
    # Given Jekyll's _posts with permalink /:categories/:year/:month/:day/:title/ on a site in
    # Los Angeles, when built, then each link is the page Jekyll writes and each id jekyll-feed's
    items = items_of("jekyll")
    release = items["Jekyll 4.4.1 Released"]
    assert release["url"] == JEKYLL + "release/2025/01/29/jekyll-4-4-1-released/"
    assert release["id"] == JEKYLL + "release/2025/01/29/jekyll-4-4-1-released"
    assert release["date_published"] == "2025-01-29T18:30:22-08:00"
    assert release["tags"] == ["jekyll", "ruby", "release"]  # space-separated, then the category
    hello = items["Hello, World!"]  # no date in front matter: the file name's, in the site zone
    assert (hello["url"], hello["date_published"]) == (
        JEKYLL + "2024/12/01/hello-world/",
        "2024-12-01T00:00:00-08:00",
    )
    assert hello["summary"] == "The first post on the new blog."  # Jekyll's `excerpt`
    news = items["Site News"]  # news/_posts: "news" is a category; `category` is one, kept whole
    assert news["url"] == JEKYLL + "news/site%20updates/2024/06/15/site-news/"
    assert news["tags"] == ["news", "Site Updates"]
    assert news["date_published"] == "2024-06-15T09:05:00-07:00"  # a one-digit hour
    assert news["date_modified"] == "2024-06-20T00:00:00-07:00"  # last_modified_at
    assert news["summary"] == "First paragraph of the news."  # Jekyll's excerpt: the first paragraph
    assert set(items) == {
        "Jekyll 4.4.1 Released",
        "Hello, World!",
        "Site News",
        "An HTML Post",
        "Patch Release",
    }


def test_a_jekyll_post_written_in_html_is_published_as_its_html() -> None:
    # Given _posts/2023-07-04-html-post.html, when built, then its HTML is kept as written: an
    # indented line is not code, "2 * 3 * 4" is no emphasis, blank lines in <pre> stay
    item = items_of("jekyll")["An HTML Post"]
    assert item["url"] == JEKYLL + "2023/07/04/html-post/"
    html = item["content_html"]
    assert f'<a href="{JEKYLL}2024/12/01/hello-world/"' in html  # post_url inside an href
    assert "<p>Indented, yet not code; and 2 * 3 * 4 is not emphasis.</p>" in html
    assert "<pre><code>line one\n\nline three</code></pre>" in html


def test_jekyll_bodies_are_rendered_as_jekyll_renders_liquid_and_kramdown() -> None:
    release = items_of("jekyll")["Jekyll 4.4.1 Released"]["content_html"]
    # post_url and #anchors: the other post's permalink, this article's own page
    assert f'<a href="{JEKYLL}2024/12/01/hello-world/"' in release
    assert f'<a href="{JEKYLL}release/2025/01/29/jekyll-4-4-1-released/#notes"' in release
    assert f'<img src="{JEKYLL}assets/logo.png" alt="Logo">' in release  # relative_url, IAL gone
    assert '<pre><code class="language-python"># a comment, not a heading\n' in release  # highlight
    assert "<h1>" not in release
    assert "TOC" not in release
    assert "Use {{ page.title }} in a layout." in release  # {% raw %} shows it literally
    assert r"$E = mc^2$" in release
    assert r"$$\sum_{i=1}^n x_i$$" in release
    assert "tickets cost $5 or $6." in release  # money is not math
    hello = items_of("jekyll")["Hello, World!"]["content_html"]
    assert f'<a href="{JEKYLL}release/2025/01/29/jekyll-4-4-1-released/"' in hello  # {% link %}


def test_hugo_pages_get_the_links_hugo_gives_them() -> None:
    # Given Hugo's content/ with permalinks {posts: /:year/:month/:slug/} on a Berlin site
    items = items_of("hugo")
    bundle = items["Hello, Bundles!"]  # a TOML bundle without slug: :slug is the title, urlized
    assert bundle["url"] == bundle["id"] == HUGO + "2024/03/hello-bundles/"
    assert bundle["date_published"] == "2024-03-10T09:00:00+01:00"
    assert bundle["tags"] == ["hugo", "bundles", "Notes"]
    assert bundle["summary"] == "Bundles keep a post and its files together."  # up to <!--more-->
    assert bundle["image"] == HUGO + "2024/03/hello-bundles/featured.png"  # a bundle resource
    second = items["Second Post"]
    assert second["url"] == HUGO + "2024/04/custom-slug/"
    assert second["date_modified"] == "2024-04-05T10:00:00+00:00"  # lastmod
    assert second["summary"] == "A post with its own slug."
    third = items["Third: The Return"]  # JSON front matter
    assert third["url"] == HUGO + "2024/05/third-the-return/"
    assert third["image"] == HUGO + "images/third.jpg"  # cover.image
    assert items["About"]["url"] == HUGO + "about-me/"  # its own url, outside the map
    assert "Old Sale" not in items  # past its expiryDate


def test_hugo_bodies_are_rendered_as_hugo_renders_shortcodes() -> None:
    body = items_of("hugo")["Hello, Bundles!"]["content_html"]
    assert (
        f'<figure><img src="{HUGO}2024/03/hello-bundles/featured.png" alt="A chart">'
        "<figcaption>Posts per month</figcaption></figure>"
    ) in body
    assert f'<a href="{HUGO}2024/04/custom-slug/#setup"' in body  # ../second-post.md#setup
    assert f"or {HUGO}2024/04/custom-slug/." in body  # a bare {{< ref >}}
    assert f'<a href="{HUGO}2024/03/hello-bundles/#end"' in body
    assert '<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in body
    assert '<pre><code class="language-go">// a comment\npackage main\n</code></pre>' in body
    assert "<p>Back up first.</p>" in body  # an unknown paired shortcode keeps its text
    assert '<code>{{&lt; figure src="x.png" &gt;}}</code>' in body  # the escaped form, literally
    assert r"\(a^2 + b^2\)" in body
    assert r"\int_0^1 x\,dx" in body
    second = items_of("hugo")["Second Post"]["content_html"]
    assert f'<a href="{HUGO}2024/03/hello-bundles/"' in second  # relref to a bundle's folder


def test_check_lists_skipped_files_and_warnings_and_counts_them() -> None:
    out, err = io.StringIO(), io.StringIO()
    build.report(build.check_directory(FIXTURES / "hugo", NOW), out, err)
    assert err.getvalue().splitlines() == [
        "SKIPPED articles/posts/_index.md: is a Hugo section's list page (_index), not a post",
        "SKIPPED articles/posts/first-bundle/featured.png: is not a record "
        "(records are .md, .markdown, .mdown, .mkd, .mkdn or .json files, and .html posts in _posts)",
        "WARN articles/posts/first-bundle/index.md: body: the Hugo shortcode 'notice' is not "
        "converted and was removed",
    ]
    assert out.getvalue().splitlines()[0] == (
        "4 published, 0 rejected, 0 drafts, 0 scheduled, 1 expired; 1 warning, 2 skipped"
    )


def test_check_exits_1_when_articles_holds_no_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a content directory whose articles/ holds only an image
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "photo.jpg").write_bytes(b"JPEG")
    (tmp_path / "site.yaml").write_text("title: T\nbase_url: https://f.example/\n")
    # When checked, then it says so and exits 1
    assert cli.main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "SKIPPED articles/photo.jpg: is not a record" in err
    assert "no records found under articles/" in err


def test_every_migrated_feed_passes_the_validators_and_shows_no_template_syntax(
    blog: tuple[str, build.BuildResult],
) -> None:
    name, result = blog
    assert list(first_problems(check_all(result.outputs, "https://feeds.example.org/"))) == []
    for path, data in result.outputs.items():
        if path.endswith("feed.json"):
            assert validate_json_feed(data)["items"]
        elif path.endswith((".xml",)) and path != "feed.xsl":
            parsed = feedparser.parse(data)
            assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
            assert all(entry.get("link") for entry in parsed.entries)
        text = data.decode()
        assert not re.search(TEMPLATE_SYNTAX[name], text), f"{path} holds template syntax"


@pytest.mark.parametrize(
    ("path", "data", "title"),
    [
        ("articles/_posts/2024-02-03-first-light.md", b"---\nlayout: post\n---\nText.\n", "First Light"),
        ("articles/posts/quiet-week/index.md", b"+++\ndate = 2024-02-03\n+++\nText.\n", "Quiet Week"),
        ("articles/posts/notes_on_go.md", b"+++\ndate = 2024-02-03\ntitle = ''\n+++\nText.\n", "Notes On Go"),
    ],
)
def test_a_jekyll_or_hugo_post_without_a_title_is_titled_from_its_name_with_a_warning(
    path: str, data: bytes, title: str
) -> None:
    # Given a Jekyll or Hugo post with a date but no title, when parsed, then it is published with
    # the title Jekyll gives it (Hugo's would be empty), and a warning says where the title came from.
    site = parse_site(b"title: T\nbase_url: https://f.example/\n")
    record = parse_record(path, data, site)
    assert record.title == title
    assert record.warnings == (f"has no title: '{title}' is taken from the file name",)


@pytest.mark.parametrize(
    ("path", "front", "link"),
    [
        # `hugo new` writes draft: false; :slug is then the title, urlized, as Hugo reads it
        (
            "articles/posts/notes.md",
            "title: 'Go: Notes & Tips'\ndate: 2024-02-03\ndraft: false\n",
            "go-notes-tips",
        ),
        # a Jekyll post: :slug is the file name's
        ("articles/_posts/2024-02-03-notes.md", "title: 'Go: Notes & Tips'\nlayout: post\n", "notes"),
    ],
)
def test_without_generator_each_record_shows_whose_slug_rules_it_follows(
    path: str, front: str, link: str
) -> None:
    site = parse_site(b"title: T\nbase_url: https://f.example/\npermalink: /:year/:slug/\n")
    record = parse_record(path, f"---\n{front}---\nText.\n".encode(), site)
    assert record.url == f"https://f.example/2024/{link}/"


def test_a_hugo_translation_keeps_its_base_name_in_the_link() -> None:
    # Given Hugo's post.fr.md (the French translation of "post"), then :contentbasename is "post"
    site = parse_site(b"title: T\nbase_url: https://f.example/\npermalink: /:section/:contentbasename/\n")
    record = parse_record(
        "articles/posts/bonjour.fr.md", b"+++\ntitle = 'Bonjour'\ndate = 2024-01-01\n+++\n", site
    )
    assert record.url == "https://f.example/posts/bonjour/"
