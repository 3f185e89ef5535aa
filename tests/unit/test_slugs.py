"""Tag and article slugs: safe URL path segments from any text an author writes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedpub.slugs import MAX_SLUG_LENGTH, record_slug, tag_slug

SAFE = re.compile(r"[a-z0-9._-]+")


@pytest.mark.parametrize(
    ("tag", "slug"),
    [
        ("Python", "python"),
        ("Machine Learning", "machine-learning"),
        ("Café Crème", "cafe-creme"),
        ("  spaced   out  ", "spaced-out"),
        ("node.js", "node.js"),
        ("snake_case", "snake_case"),
        ("Ünïcödé -- Tag!", "unicode-tag"),
        ("C++", "c-plus-plus"),
        ("C#", "c-sharp"),
        ("R&D", "r-and-d"),
        ("#hashtag", "hashtag"),
        ("ＦＵＬＬ　ｗｉｄｔｈ", "full-width"),
    ],
)
def test_readable_tags_keep_their_words(tag: str, slug: str) -> None:
    # Given a tag a person would write, when slugged, then its words survive in lowercase ASCII.
    assert tag_slug(tag) == slug


@pytest.mark.parametrize("tag", ["../../etc", "..", ".", "/", "a/../../b", "./.hidden", "..\\..\\x"])
def test_path_tricks_never_leave_the_tags_directory(tag: str) -> None:
    # Given a tag built to climb out of tags/, when slugged, then the result is one plain segment.
    slug = tag_slug(tag)
    assert SAFE.fullmatch(slug)
    assert slug not in (".", "..")
    assert "/" not in slug
    assert not slug.startswith(".")


def test_dot_dot_etc_keeps_its_last_word() -> None:
    # Given "../../etc", when slugged, then only the harmless word remains.
    assert tag_slug("../../etc") == "etc"


@pytest.mark.parametrize("tag", ["日本語", "Ελληνικά?", "🙂🙂", "!!!", "   ", "", "-.-.", "\ud800\udfff"])
def test_text_with_nothing_transliterable_gets_a_stable_hash_slug(tag: str) -> None:
    # Given a tag with no ASCII letters or digits, when slugged twice, then both give the same
    # hash form, so the tag still gets its own feed.
    slug = tag_slug(tag)
    assert re.fullmatch(r"tag-[0-9a-f]{12}", slug)
    assert tag_slug(tag) == slug


def test_different_unusable_tags_get_different_slugs() -> None:
    # Given two tags in a script with no transliteration, when slugged, then their feeds differ.
    assert tag_slug("日本語") != tag_slug("中文")


def test_long_tags_are_capped_without_a_trailing_separator() -> None:
    # Given a very long tag, when slugged, then the slug is at most the cap and ends in a word.
    slug = tag_slug("word " * 100)
    assert len(slug) <= MAX_SLUG_LENGTH
    assert slug[-1] not in "-."
    assert slug.startswith("word-word-")


def test_record_slugs_follow_the_same_rules_with_their_own_fallback() -> None:
    # Given article names, when slugged, then they read like the tags' slugs, and a name with
    # nothing usable falls back to an article-prefixed hash.
    assert record_slug("Hello, World!") == "hello-world"
    assert record_slug("2024-05-01-launch") == "2024-05-01-launch"
    assert re.fullmatch(r"article-[0-9a-f]{12}", record_slug("日本語"))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gives_a_safe_slug(text: str) -> None:
    # Given any text at all (surrogates, controls, emoji), when slugged, then the slug is a
    # non-empty lowercase ASCII segment that is neither "." nor "..", within the length cap.
    for slug in (tag_slug(text), record_slug(text)):
        assert SAFE.fullmatch(slug)
        assert slug not in (".", "..")
        assert len(slug) <= MAX_SLUG_LENGTH
        assert not slug.startswith((".", "-"))
