"""Front matter: the fast reading of simple lines must agree with YAML on every input."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from feedpub import frontmatter
from feedpub.frontmatter import FrontMatterError, FrontMatterLoader


def yaml_reading(source: str) -> object:
    try:
        return yaml.load(source, Loader=FrontMatterLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError:
        return FrontMatterError


def our_reading(source: str) -> object:
    try:
        return frontmatter.load(source)
    except FrontMatterError:
        return FrontMatterError


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            'title: "Quoted: with # marks"\ndate: 2025-01-02\n',
            {"title": "Quoted: with # marks", "date": "2025-01-02"},
        ),
        ("title: It's plain, [really]\n", {"title": "It's plain, [really]"}),
        ("tags: [Web Dev, 'a, b', \"c\"]\n", {"tags": ["Web Dev", "a, b", "c"]}),
        ("draft: yes\nimage:\nsummary: ~\n", {"draft": True, "image": None, "summary": None}),
        ("title: 1917\ntags: [2024, x]\n", {"title": 1917, "tags": [2024, "x"]}),
        ("title: a # comment\n", {"title": "a"}),
        ("title: >\n  folded\n  text\n", {"title": "folded text\n"}),
        ("date: 2025-13-45 10:00\n", {"date": "2025-13-45 10:00"}),
        ("# only a comment\n", None),
        ("", None),
    ],
)
def test_front_matter_reads_exactly_as_yaml_with_dates_as_text(source: str, expected: object) -> None:
    # Given typical and tricky front matter, when loaded, then the result is YAML's, dates as text.
    assert frontmatter.load(source) == expected
    assert yaml_reading(source) == expected


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("title: [unclosed\n", "front matter is not valid YAML at line 3"),
        ("title: a\n bad: b\n", "front matter is not valid YAML at line 3, column 5"),
        ("title: \x07bell\n", "front matter is not valid YAML"),
        (
            "x: " + "[" * 300 + "]" * 300 + "\n",
            "front matter is not valid YAML: nested more than 200 levels deep",
        ),
    ],
)
def test_invalid_front_matter_says_where(source: str, reason: str) -> None:
    # Given invalid or absurdly nested YAML, when loaded, then the error says where or why
    # (line numbers count the opening "---" as line 1).
    with pytest.raises(FrontMatterError) as caught:
        frontmatter.load(source)
    assert str(caught.value).startswith(reason)


_KEYS = st.sampled_from(["title", "date", "tags", "draft", "y", "null", "a-b", "_x", "Key", "on"])
_ATOMS = st.sampled_from(
    ["a", "Web Dev", "2024", "1.5", "-1", "yes", "No", "null", "~", "true", ".inf", "0x1F", "1_000",
     "2025-01-02", "a: b", "a #b", "#c", "a:", "x, y", "[a]", "{a: b}", "'q'", '"d"', "'it''s'",
     '"e\\"s"', "&x", "*x", "!t", "%p", "@a", "`b", "|", ">", "-", "- a", "?", "? a", ":a", "a\tb",
     "é", "\u2028", "\x85", "\ufeff", " ", ""]
)  # fmt: skip
_VALUES = st.one_of(
    _ATOMS,
    st.lists(_ATOMS, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r"), max_size=12),
)
_LINES = st.one_of(
    st.tuples(_KEYS, _VALUES).map(lambda pair: f"{pair[0]}: {pair[1]}"),
    st.tuples(_KEYS, _VALUES).map(lambda pair: f"{pair[0]}:{pair[1]}"),
    st.sampled_from(["", "# comment", "  - indented", "- item", "...x", "key: value  ", " # c"]),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_LINES, max_size=6).map("\n".join))
def test_the_fast_path_agrees_with_yaml_on_any_line_soup(source: str) -> None:
    # Given any mix of simple and tricky lines, when loaded, then the result (or the refusal)
    # is exactly what YAML itself gives.
    assert our_reading(source) == yaml_reading(source)
