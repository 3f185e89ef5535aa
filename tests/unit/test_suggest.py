"""Near misses: the one rule that turns a typo into "did you mean" (front matter and site.yaml)."""

from __future__ import annotations

import pytest

from feedpub.config import parse_site
from feedpub.errors import SiteConfigError
from feedpub.fields import FrontMatter
from feedpub.suggest import closest, edit_distance


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("darft", "draft"),
        ("titel", "title"),
        ("summery", "summary"),
        ("Tilte", "title"),
        ("categroies", "categories"),
    ],
)
def test_a_key_a_typo_away_from_a_field_is_a_warning_naming_the_field(typo: str, meant: str) -> None:
    # Given front matter with a misspelt key, when read, then a warning suggests the field
    warnings = FrontMatter({"title": "t", typo: True}).near_misses()
    assert warnings == [f"'{typo}' is not a field feedpub reads (ignored); did you mean '{meant}'?"]


@pytest.mark.parametrize("key", ["layout", "weight", "toc", "comments", "subtitle", "x" * 10_000])
def test_keys_themes_use_are_not_taken_for_typos(key: str) -> None:
    assert FrontMatter({key: 1}).near_misses() == []


def test_edit_distance_counts_a_swap_of_neighbours_as_one_edit() -> None:
    assert edit_distance("darft", "draft") == 1
    assert edit_distance("tag", "tags") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert closest("feed_limt", ["title", "feed_limit"]) == "feed_limit"
    assert closest("zzz", ["title"]) is None


def test_site_yaml_unknown_key_error_says_did_you_mean() -> None:
    with pytest.raises(SiteConfigError) as caught:
        parse_site(b"title: T\nbase_url: https://f.example/\nfeed_limt: 5\n")
    assert caught.value.reason == "unknown key 'feed_limt' (did you mean 'feed_limit'?)"
