"""Jekyll posts whose Liquid uses assign, for, if, unless, case, capture and Jekyll's filters are
published as Jekyll publishes them (python-liquid runs it); what feedpub cannot honour is removed
with a warning; hostile Liquid ends, bounded, in a published body kept as written and a warning."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from feedpub import build
from feedpub.config import parse_site
from feedpub.records import parse_record

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SITE = "title: T\nbase_url: https://f.example/\nhome_page_url: https://blog.example.org/notes/\n"
KEPT = "the template text is kept as written"


def parse(
    text: str, site_yaml: str = "generator: jekyll\n", path: str = "articles/_posts/2024-02-03-a.md"
) -> Any:
    site = parse_site(f"{SITE}{site_yaml}".encode())
    return parse_record(path, f"---\ntitle: A\n{text}".encode(), site)


def published(tmp_path: Path, name: str, text: str, site_yaml: str) -> tuple[str, list[str]]:
    """The item's content_html in feed.json and the record's warnings, as `feedpub check` gives them."""
    (tmp_path / "articles" / "_posts").mkdir(parents=True)
    (tmp_path / "site.yaml").write_text(SITE + site_yaml, encoding="utf-8")
    (tmp_path / "articles" / "_posts" / name).write_text(text, encoding="utf-8")
    result = build.check_directory(tmp_path, NOW)
    assert result.rejected == []
    (item,) = json.loads(result.outputs["feed.json"])["items"]
    return item["content_html"], [warning for _, warning in result.warnings]


def test_jekyllrb_release_notes_issue_links_are_the_links_jekyll_publishes(tmp_path: Path) -> None:
    # Given jekyllrb.com's release-note pattern: reference definitions built by a Liquid loop
    text = (
        "---\ntitle: Jekyll 1.0.1 Released\n---\n"
        "* Add newer `language-` class name prefix ([#1037][])\n"
        "* Commander error message now preferred over process abort ([#1040][])\n\n"
        '{% assign issue_numbers = "1037|1040" | split: "|" %}\n'
        "{% for issue in issue_numbers %}\n"
        "[#{{ issue }}]: {{ site.repository }}/issues/{{ issue }}\n"
        "{% endfor %}\n"
    )
    # When the site is published
    html, warnings = published(
        tmp_path,
        "2013-05-08-jekyll-1-0-1-released.markdown",
        text,
        "variables: {repository: https://github.com/jekyll/jekyll}\n",
    )
    # Then each reference is the link Jekyll gives it, and nothing is reported
    assert (
        '<a href="https://github.com/jekyll/jekyll/issues/1037" rel="noopener noreferrer">#1037</a>' in html
    )
    assert (
        '<a href="https://github.com/jekyll/jekyll/issues/1040" rel="noopener noreferrer">#1040</a>' in html
    )
    assert "{%" not in html
    assert "[#" not in html
    assert warnings == []


def test_a_loop_over_front_matter_with_jekyll_filters_builds_the_links_jekyll_builds(tmp_path: Path) -> None:
    # Given jekyllrb.com's 4.1.0 notes: a loop over a front-matter list, slugify, prepend, relative_url
    text = (
        "---\ntitle: Jekyll 4.1.0\nfilters_linked_to:\n- where expression\n- Number of Words\n---\n"
        "The [`where_exp`][where-expression-filter] and [count][number-of-words-filter] filters.\n\n"
        "{% for filter in page.filters_linked_to %}\n{% assign filter_slug = filter | slugify %}\n"
        "[{{ filter_slug }}-filter]: {{ filter_slug | prepend: '/docs/liquid/filters/#' | relative_url }}\n"
        "{% endfor %}\n"
    )
    html, warnings = published(tmp_path, "2020-05-27-jekyll-4-1-0-released.markdown", text, "")
    # Then the links are Jekyll's, under the site's base path, resolved against the site's origin
    filters = "https://blog.example.org/notes/docs/liquid/filters/"
    assert (
        f'<a href="{filters}#where-expression" rel="noopener noreferrer"><code>where_exp</code></a>' in html
    )
    assert f'<a href="{filters}#number-of-words" rel="noopener noreferrer">count</a>' in html
    assert warnings == []


@pytest.mark.parametrize(
    ("liquid", "shown"),
    [
        ("{% if page.level > 2 %}deep{% elsif page.level == 2 %}middle{% else %}flat{% endif %}", "middle"),
        ("{% unless page.draft %}final{% endunless %}", "final"),
        ("{% case page.kind %}{% when 'note', 'memo' %}short{% else %}long{% endcase %}", "short"),
        (
            "{% capture who %}{{ page.author | upcase }} & co{% endcapture %}By {{ who | xml_escape }}.",
            "By ADA &amp; co.",
        ),
        (
            "{% for tag in page.tags limit: 2 %}{{ forloop.index }}={{ tag }}"
            "{% unless forloop.last %}, {% endunless %}{% endfor %}",
            "1=a, 2=b",
        ),
        ("{%- assign n = page.tags | size -%} {{ n | times: 10 }}", "30"),
        (
            "{{ page.tags | array_to_sentence_string }}; {{ page.tags | jsonify }}",
            'a, b, and c; ["a","b","c"]',
        ),
        (
            "{{ page.day | date_to_string }} / {{ page.day | date_to_long_string: 'ordinal', 'US' }}",
            "07 Mar 2024 / March 7th, 2024",
        ),
        (
            "{{ 'Hello, Wörld!' | slugify }} {{ 'a b&c' | cgi_escape }} "
            "{{ '  x \n y ' | normalize_whitespace }}",
            "hello-wörld a+b%26c x y",
        ),
        ("{{ '12abc' | to_integer | plus: 1 }} {{ 'soon' | date_to_string }}", "13 soon"),
    ],
)
def test_liquid_control_flow_and_filters_render_as_in_jekyll(liquid: str, shown: str) -> None:
    # Given a Jekyll post using Liquid's control flow and Jekyll's filters on its front matter
    front = "level: 2\nkind: memo\nauthor: Ada\ntags: [a, b, c]\nday: 2024-03-07\n---\n"
    # When parsed, then its body is what Jekyll renders, with no warning
    record = parse(front + liquid + "\n")
    assert record.body == shown + "\n"
    assert record.warnings == ()


def test_what_feedpub_cannot_honour_is_removed_and_named_and_a_link_that_held_it_dropped() -> None:
    # Given an include of a file feedpub does not have, a tag and a filter no one registered, and
    # links through a variable the site does not give, inside a loop too
    record = parse(
        "---\nBefore.\n{% include signup.html %}\n{% gist 12345 %}\n{{ page.title | shout }}\n"
        "See [#1][] and [#2][].\n\n"
        "{% for n in (1..2) %}\n[#{{ n }}]: {{ site.tracker }}/{{ n }}\n{% endfor %}\n"
    )
    # Then the text stays, the links go, and each thing is named once
    assert "Before.\n\n\n\nSee #1 and #2." in record.body
    assert "tracker" not in record.body
    assert "]:" not in record.body
    assert sorted(record.warnings) == [
        "body: 2 links whose URL held a value that could not be found dropped (the text kept)",
        "body: the Liquid filter 'shout' is not converted and was removed",
        "body: {% gist %} is not converted and was removed",
        "body: {% include signup.html %} is not converted and was removed",
        "body: {{ site.tracker }} (not in site.yaml's variables) is not converted and was removed (2 times)",
    ]


@pytest.mark.parametrize(
    "url", ["{{ site.tracker | truncate: 3 }}/1", "{{ site.tracker | slugify | prepend: '/' }}"]
)
def test_a_filter_never_turns_a_value_that_cannot_be_found_into_a_url(url: str) -> None:
    # Given a link whose URL filters a variable the site does not give
    record = parse(f"---\nSee [the tracker]({url}).\n")
    # Then the link is dropped, its text kept, and both are said
    assert record.body == "See the tracker.\n"
    assert len(record.warnings) == 2


def test_a_loop_over_a_list_feedpub_does_not_have_shows_nothing_and_says_so() -> None:
    # Given a post listing the site's posts (Jekyll's site.posts: feedpub has no site-wide lists)
    record = parse(
        "---\nRecent:\n{% for post in site.posts limit: 3 %}\n"
        "* [{{ post.title }}]({{ post.url }})\n{% endfor %}\n"
    )
    # Then the list is empty, and the warning names what the loop went over
    assert record.body == "Recent:\n\n"
    assert record.warnings == (
        "body: {{ site.posts }} (not in site.yaml's variables) is not converted and was removed",
    )


def test_link_and_post_url_read_liquid_in_the_name_as_jekyll_4_does() -> None:
    # Given links whose target names come from front matter, one of them missing
    record = parse(
        "next: _posts/2024-03-01-next.md\nprev: 2024-01-01-prev\n---\n"
        "[Next]({% link {{ page.next }} %}), [previous]({% post_url {{ page.prev }} %}), "
        "[lost]({% link {{ page.gone }} %}).\n"
    )
    # Then each is a link to that record (rendering gives its permalink); the missing one is text
    assert (
        record.body
        == "[Next](record:site/_posts/2024-03-01-next.md), [previous](record:post/2024-01-01-prev), lost.\n"
    )
    assert "body: {% link %} is not converted and was removed" in record.warnings


def test_highlight_renders_its_liquid_and_raw_shows_liquid_literally() -> None:
    # Given a highlight block holding Liquid and Ruby's {:key => …}, and a raw block
    record = parse(
        "---\n{% highlight ruby linenos %}\nurl = {:repo => '{{ site.url }}'}\n{% endhighlight %}\n"
        "{% raw %}{% if x %}{{ y }}{% endraw %}\n"
    )
    # Then the code is fenced with Jekyll's rendering of it (kramdown's attribute lists do not touch
    # code), and the raw text is shown as written
    assert record.body == "```ruby\nurl = {:repo => 'https://blog.example.org'}\n```\n{% if x %}{{ y }}\n"
    assert record.warnings == ()


@pytest.mark.parametrize(
    ("liquid", "problem"),
    [
        ("Intro.\n\n{% if page.x %}never closed", "expected tag endif"),
        ("Intro.\n\n{{ 'a' | }}", "expected word, found end of expression"),
        ("Intro.\n\nan unclosed {{ output", "line 3: expected '}}', found end of file"),
        (
            "{% for a in (1..1000) %}{% for b in (1..1000) %}{% for c in (1..1000) %}x"
            "{% endfor %}{% endfor %}{% endfor %}",
            "line 1: loop iteration limit reached",
        ),
        (
            "{% assign x = 'abcdefgh' %}" + "{% assign x = x | append: x %}" * 40,
            "local namespace limit reached",
        ),
        ("{% capture x %}" * 40 + "deep", "block nesting limit reached"),
        (
            "{% for a in (1..1000) %}{% for b in (1..1000) %}{{ 'xxxxxxxxxx' }}{% endfor %}{% endfor %}",
            "loop iteration limit reached",
        ),
        ("{{ " * 100_000, "expected '}}', found end of file"),
        ("{{ a" + "[a" * 5000 + "]" * 5000 + " }}", "unexpected liquid parsing error: RecursionError"),
        ("{% " * 100_000, "missing tag name or closing delimiter"),
    ],
)
def test_liquid_that_cannot_be_run_leaves_the_text_as_written_with_a_warning(
    liquid: str, problem: str
) -> None:
    # Given a Jekyll post whose Liquid is malformed or would run away (loops, output, memory)
    body = f"---\n{liquid}\n"
    # When parsed (the test ends: every limit holds), then the record is published: its body is the
    # text as written, and one warning names the problem (and its line where there is one)
    record = parse(body)
    assert record.body == liquid + "\n"
    assert len(record.warnings) == 1
    assert record.warnings[0].startswith("body: its Liquid cannot be run (")
    assert problem in record.warnings[0]
    assert record.warnings[0].endswith(KEPT)


def test_a_feed_check_reports_the_file_whose_liquid_cannot_be_run(tmp_path: Path) -> None:
    # Given a site with a post whose {% for %} is never closed
    html, warnings = published(
        tmp_path, "2024-01-02-broken.md", "---\ntitle: B\n---\n{% for x in y %}Text.\n", ""
    )
    # Then it is published with its text, and the warning says why
    assert "{% for x in y %}Text." in html
    assert warnings == [
        "body: its Liquid cannot be run (expected tag endfor, found end of expression); " + KEPT
    ]


def test_hugo_bodies_are_never_run_as_liquid() -> None:
    # Given a Hugo post (site.yaml says so) whose text shows Liquid and Go template syntax
    text = "date: 2024-02-03\n---\n{% assign x = 1 %}{% for i in (1..3) %}{{ i }}{% endfor %} {{ .Title }}\n"
    record = parse(text, "generator: hugo\n", path="articles/posts/a.md")
    # Then it is shown as written, with no warning
    assert record.body == text.split("---\n", 1)[1]
    assert record.warnings == ()


def test_python_liquid_is_loaded_only_for_a_body_that_needs_it() -> None:
    # Given a fresh interpreter (a function's cold start) that imports the record parser and parses
    # a feedpub record and a Jekyll post without templates
    probe = (
        "import sys\n"
        "from feedpub.config import parse_site\n"
        "from feedpub.records import parse_record\n"
        "site = parse_site(b'title: T\\nbase_url: https://f.example/\\n')\n"
        "parse_record('articles/a.md', b'---\\ntitle: A\\ndate: 2024-02-03\\n---\\nText.\\n', site)\n"
        "parse_record('articles/_posts/2024-02-03-b.md', b'---\\ntitle: B\\n---\\nText.\\n', site)\n"
        "assert 'liquid' not in sys.modules, 'python-liquid was imported'\n"
        "parse_record('articles/_posts/2024-02-03-c.md', b'---\\ntitle: C\\n---\\n{{ page.title }}', site)\n"
        "assert 'liquid' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    # Then python-liquid (a fifth of the parser's import time) is imported by the post with Liquid only
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize(
    ("front_matter", "path", "shown"),
    [
        # a text of tags is split at spaces, as Jekyll splits it
        ("tags: release notes\n", "articles/_posts/2024-02-03-a.md", "tags [release][notes] categories "),
        (
            "tags: [Film, Box Office]\n",
            "articles/_posts/2024-02-03-a.md",
            "tags [Film][Box Office] categories ",
        ),
        # a singular tag or category is taken whole; the folders above _posts come first
        (
            "tag: release notes\ncategory: big news\n",
            "articles/news/_posts/2024-02-03-a.md",
            "tags [release notes] categories [news][big news]",
        ),
        (
            "categories: jekyll update\n",
            "articles/_posts/2024-02-03-a.md",
            "tags  categories [jekyll][update]",
        ),
    ],
)
def test_page_tags_and_categories_are_the_lists_jekyll_gives_liquid(
    front_matter: str, path: str, shown: str
) -> None:
    # Given a Jekyll post looping over its own tags and categories
    loop = (
        "tags {% for t in page.tags %}[{{ t }}]{% endfor %} "
        "categories {% for c in page.categories %}[{{ c }}]{% endfor %}\n"
    )
    # When it is read, Then each loop went over the list Jekyll builds, and no Liquid is warned about
    # (a singular `tag:` gets its usual note)
    record = parse(f"{front_matter}---\n{loop}", path=path)
    assert record.body.strip() == shown.strip()
    assert all("'tag' is read as 'tags'" in warning for warning in record.warnings)
