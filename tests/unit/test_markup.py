"""Bodies: CommonMark → sanitised HTML with absolute URLs; summaries; XML-safe text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedpub.markup import MAX_RAW_HTML_DEPTH, render_body, summary_text, xml_safe

BASE = "https://www.example.org/blog/"
ALLOWED_SCHEMES = ("http://", "https://", "mailto:")


class _Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def assert_inert(html: str) -> None:
    """No dangerous element, no handler or style, and every URL absolute http(s)/mailto."""
    for tag, attrs in elements(html):
        assert tag not in {"script", "style", "iframe", "object", "embed", "form", "svg", "math", "base"}, (
            html
        )
        for name, value in attrs.items():
            assert not name.startswith("on"), html
            assert name not in {"style", "srcdoc", "srcset", "formaction", "action", "xlink:href"}, html
            if name in {"href", "src", "poster", "cite"}:
                assert (value or "").startswith(ALLOWED_SCHEMES), html


XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<script/src=https://evil.example/x.js></script>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<img src=`javascript:alert(1)`>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href=" \x01javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<iframe src=https://evil.example/></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="behavior:url(x.htc)">x</div>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">x</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">x</math>',
    "<base href=https://evil.example/>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<body onload="alert(1)">',
    '<details open ontoggle="alert(1)">x</details>',
    '<video poster="javascript:alert(1)" src="x.mp4"></video>',
    '<a href="x" onmouseover="alert(1)">x</a>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<!--<img src=x onerror=alert(1)>-->",
    "<img src=x onerror=alert(1)//",
    "[link](javascript:alert(1))",
    "[link](<javascript:alert(1)>)",
    "[link](jAvAsCrIpT:alert(1))",
    "![img](javascript:alert(1))",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "[x](data:text/html,<script>alert(1)</script>)",
]


@pytest.mark.parametrize("vector", XSS)
def test_active_content_never_survives(vector: str) -> None:
    # Given a filter-evasion vector as a body, when rendered, then nothing in the HTML can run.
    assert_inert(render_body(vector, BASE))


def test_scripts_and_styles_are_dropped_with_their_content() -> None:
    # Given script and style elements, when rendered, then not even their text remains.
    html = render_body("before <script>alert('x')</script> <style>p{}</style> after", BASE)
    assert "alert" not in html
    assert "p{}" not in html
    assert "before" in html
    assert "after" in html


def test_structure_authors_rely_on_is_kept() -> None:
    # Given headings, quotes, lists, code, emphasis, tables, images with alt/title and a figure,
    # when rendered, then each survives as HTML.
    html = render_body(
        "## Sub heading\n\n"
        "> A quote\n\n"
        "1. one\n2. two\n\n- a\n- b\n\n"
        "`inline` and *em* and **strong**\n\n"
        "```python\nprint('hi')\n```\n\n"
        "| a | b |\n|--:|---|\n| 1 | 2 |\n\n"
        '![A cat](cat.jpg "Cat title")\n\n'
        '<figure><img src="cat.jpg" alt="Cat"><figcaption>Photo: Lionsgate</figcaption></figure>\n',
        BASE,
    )
    for fragment in [
        "<h2>Sub heading</h2>",
        "<blockquote>\n<p>A quote</p>\n</blockquote>",
        "<ol>",
        "<ul>",
        "<code>inline</code>",
        "<em>em</em>",
        "<strong>strong</strong>",
        "<pre><code class=\"language-python\">print('hi')\n</code></pre>",
        '<th align="right">a</th>',
        '<img src="https://www.example.org/blog/cat.jpg" alt="A cat" title="Cat title">',
        "<figcaption>Photo: Lionsgate</figcaption>",
    ]:
        assert fragment in html


@pytest.mark.parametrize(
    ("markdown", "fragment"),
    [
        ("[a](post/)", 'href="https://www.example.org/blog/post/"'),
        ("[a](../about)", 'href="https://www.example.org/about"'),
        ("[a](/root)", 'href="https://www.example.org/root"'),
        ("[a](#section)", 'href="https://www.example.org/blog/#section"'),
        ("[a](?q=1)", 'href="https://www.example.org/blog/?q=1"'),
        ("[a](//cdn.example/x)", 'href="https://cdn.example/x"'),
        ("[a](https://other.example/x)", 'href="https://other.example/x"'),
        ("[a](mailto:me@example.org)", 'href="mailto:me@example.org"'),
        ("![i](img/a%20b.png)", 'src="https://www.example.org/blog/img/a%20b.png"'),
        ("![i](<img/café.png>)", 'src="https://www.example.org/blog/img/caf%C3%A9.png"'),
        ('<img src="pic.png">', 'src="https://www.example.org/blog/pic.png"'),
        ('<video src="v.mp4" controls></video>', 'src="https://www.example.org/blog/v.mp4"'),
        ('<audio src="a.mp3"></audio>', 'src="https://www.example.org/blog/a.mp3"'),
        (
            '<video><source src="v.webm" type="video/webm"></video>',
            'src="https://www.example.org/blog/v.webm"',
        ),
    ],
)
def test_relative_urls_become_absolute_against_the_base(markdown: str, fragment: str) -> None:
    # Given a relative, root-relative, fragment or protocol-relative URL, when rendered, then a
    # reader far from the site still reaches the right place.
    html = render_body(markdown, BASE)
    assert fragment in html
    assert_inert(html)


def test_cdata_terminators_and_markup_characters_in_text_stay_escaped() -> None:
    # Given text containing "]]>", "<" and "&", when rendered, then they are escaped so the HTML
    # never depends on CDATA and cannot close it.
    html = render_body("a ]]> b < c & d `]]>`\n\n![x]]>y](i.png)", BASE)
    assert "]]>" not in html
    assert "]]&gt;" in html
    assert "&lt; c &amp; d" in html


def test_xml_forbidden_characters_are_stripped_from_the_html() -> None:
    # Given a body with NUL, escape, and U+FFFE characters (raw and as entities), when rendered,
    # then none reach the HTML.
    html = render_body("a\x00b\x1bc\ufffe &#0; &#xFFFE; &#27;", BASE)
    assert xml_safe(html) == html
    assert "abc" in html


@pytest.mark.parametrize(
    "body",
    [">" * 100_000, "[" * 100_000, "- " * 50_000, "*" * 100_000, "<div>" * 20_000, "![" * 20_000 + "](x)"],
    ids=["quotes", "brackets", "lists", "stars", "divs", "images"],
)
def test_pathological_nesting_renders_to_bounded_inert_html(body: str) -> None:
    # Given 100,000 nested quotes, brackets or list markers, when rendered, then rendering
    # finishes (markdown-it's nesting cap) with output no larger than a small multiple of the input.
    html = render_body(body, BASE)
    assert len(html) < 8 * len(body)
    assert_inert(html)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>[]()!*_`#&;:/\"'= \n-|ajvscriptonerrorhref")), max_size=200))
def test_any_markup_soup_renders_inert_and_xml_safe(body: str) -> None:
    # Given arbitrary soup of Markdown/HTML punctuation and attack words, when rendered, then the
    # result is inert and carries only XML-legal characters.
    html = render_body(body, BASE)
    assert_inert(html)
    assert xml_safe(html) == html


# -- summaries --------------------------------------------------------------------------------


def test_the_summary_is_the_first_non_empty_paragraph_as_plain_text() -> None:
    # Given HTML with a heading, an empty paragraph and then text with markup and entities,
    # when summarised, then the summary is that paragraph's text, whitespace collapsed.
    html = "<h1>Title</h1><p> </p><p>Fish &amp; <em>chips</em>,\n   &lt;hot&gt;</p><p>Second</p>"
    assert summary_text(html) == "Fish & chips, <hot>"


def test_a_long_paragraph_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    # Given a paragraph longer than the limit, when summarised, then it ends at a whole word
    # followed by "…" and fits the limit.
    text = "alpha beta gamma delta epsilon zeta eta theta"
    summary = summary_text(f"<p>{text}</p>", limit=20)
    assert summary == "alpha beta gamma…"
    assert len(summary) <= 20


def test_a_short_paragraph_is_kept_whole() -> None:
    # Given a paragraph exactly at the limit, when summarised, then it is not cut.
    assert summary_text("<p>exactly ten</p>", limit=11) == "exactly ten"


def test_a_single_long_word_is_cut_inside_the_word() -> None:
    # Given one word longer than the limit, when summarised, then it is cut hard with "…".
    assert summary_text("<p>" + "x" * 50 + "</p>", limit=10) == "x" * 9 + "…"


def test_html_without_a_paragraph_has_an_empty_summary() -> None:
    # Given only a heading and a list, when summarised, then there is no summary to show.
    assert summary_text("<h2>Only</h2><ul><li>items</li></ul>") == ""


def test_the_rendered_body_summary_reads_like_the_source() -> None:
    # Given Markdown with links and emphasis, when rendered and summarised, then the summary is
    # the first paragraph's words only.
    html = render_body("# Heading\n\nRead [the *docs*](docs/) now.\n\nMore.", BASE)
    assert summary_text(html) == "Read the docs now."


# -- XML safety ---------------------------------------------------------------------------------


def test_xml_safe_removes_exactly_the_characters_xml_forbids() -> None:
    # Given every kind of forbidden character next to allowed ones, when cleaned, then only the
    # forbidden ones are gone.
    allowed = "tab\tlf\ncr\r é 日本 🙂 \ud7ff \ue000 \ufffd \U0010ffff"
    forbidden = "\x00\x01\x08\x0b\x0c\x0e\x1f\ufffe\uffff\ud800\udfff"
    assert xml_safe(forbidden + allowed + forbidden) == allowed


@pytest.mark.parametrize(
    "markup",
    [
        "<div>" * 150_000 + "x" + "</div>" * 150_000,  # one html block, about 1 MB
        "<div></span>" * 80_000,  # end tags of elements never opened close nothing
        "<div/>" * 100_000,  # a non-void element stays open despite the slash
        "<div>\n\n" * 20_000,  # depth that builds up over many blocks
    ],
)
def test_raw_html_nested_past_the_depth_limit_is_shown_as_text(markup: str) -> None:
    # Given raw HTML nested far deeper than any article needs (which the sanitiser would take
    # minutes on), when rendered, then the excess arrives as escaped text, never as elements.
    html = render_body(markup, BASE)
    assert html.count("<div>") <= MAX_RAW_HTML_DEPTH
    assert "&lt;div" in html


def test_raw_html_within_the_depth_limit_is_kept() -> None:
    # Given ordinary nested raw HTML around Markdown, then the structure and the Markdown survive.
    html = render_body("<div>\n<div>\n\n*kept*\n\n</div>\n</div>\n\n" * 3, BASE)
    assert html.count("<div>") == 6
    assert "<em>kept</em>" in html
    assert "&lt;" not in html
