"""site.yaml `podcast:`: the show, validated when site.yaml is read, and its Podcasting 2.0 guid."""

from __future__ import annotations

import pytest

from feedpub.config import parse_site
from feedpub.errors import SiteConfigError
from feedpub.podcast.categories import APPLE_CATEGORIES, parse_category
from feedpub.podcast.show import podcast_guid

SITE = (
    b"title: The Cutting Room\nbase_url: https://feeds.example.org/\ndescription: Film news.\nlanguage: en\n"
)
SHOW = (
    b"podcast:\n"
    b"  image: https://www.example.org/show.jpg\n"
    b"  categories: [TV & Film > Film Interviews]\n"
    b"  explicit: false\n"
    b"  owner: {name: Film Desk, email: desk@example.org}\n"
)


def site_error(data: bytes) -> str:
    with pytest.raises(SiteConfigError) as caught:
        parse_site(data)
    return caught.value.reason


def test_given_the_podcast_spec_examples_when_the_guid_is_made_then_it_matches_the_spec() -> None:
    # Given the worked examples of the Podcasting 2.0 guid tag (feed URL without its scheme, in the
    # spec's namespace), when computed from the full feed URLs, then they are the spec's values.
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert podcast_guid("http://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("https://podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_given_a_minimal_show_when_parsed_then_the_site_fills_in_title_description_language_author() -> None:
    site = parse_site(SITE + b"author: {name: Film Desk}\n" + SHOW)
    show = site.podcast
    assert show is not None
    assert show.title_for(site) == "The Cutting Room"
    assert show.description_for(site) == "Film news."
    assert show.language_for(site) == "en"
    assert show.author_for(site) == "Film Desk"
    assert (show.type, show.complete, show.block, show.locked, show.funding) == (
        "episodic",
        False,
        False,
        None,
        (),
    )
    assert show.guid_for("https://feeds.example.org/podcast.xml") == podcast_guid(
        "https://feeds.example.org/podcast.xml"
    )


def test_given_every_show_key_when_parsed_then_each_is_kept_and_categories_are_spelt_as_apple_does() -> None:
    site = parse_site(
        SITE + b"podcast:\n"
        b"  title: Cutting Room Sessions\n"
        b"  description: Conversations about how films get made.\n"
        b"  image: https://www.example.org/show.png?v=2\n"
        b"  categories: ['tv & film > film interviews', '  Arts  >  Performing   Arts ', Technology]\n"
        b"  explicit: true\n"
        b"  owner: {email: desk@example.org}\n"
        b"  author: The Film Desk\n"
        b"  type: serial\n"
        b"  language: en-GB\n"
        b"  copyright: (c) 2024 The Cutting Room\n"
        b"  complete: true\n"
        b"  block: true\n"
        b"  new_feed_url: https://feeds.example.com/podcast.xml\n"
        b"  locked: true\n"
        b"  funding: [{url: https://www.example.org/support, text: Support the show}]\n"
        b"  guid: 917393E3-1B1E-5CEF-ACE4-EDAA54E1F810\n"
        b"  episode_limit: 300\n"
    )
    show = site.podcast
    assert show is not None
    assert show.categories == ("TV & Film > Film Interviews", "Arts > Performing Arts", "Technology")
    assert show.category_pairs == [
        ("TV & Film", "Film Interviews"),
        ("Arts", "Performing Arts"),
        ("Technology", None),
    ]
    assert (show.explicit, show.type, show.language, show.complete, show.block, show.locked) == (
        True, "serial", "en-GB", True, True, True,
    )  # fmt: skip
    assert show.owner.name is None
    assert show.owner.email == "desk@example.org"
    assert show.funding[0].url == "https://www.example.org/support"
    assert show.guid == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert show.new_feed_url == "https://feeds.example.com/podcast.xml"
    assert show.episode_limit == 300


@pytest.mark.parametrize(
    ("show", "reason"),
    [
        (SHOW.replace(b"  explicit: false\n", b""), "'podcast.explicit' is required"),
        (SHOW.replace(b"  image: https://www.example.org/show.jpg\n", b""), "'podcast.image' is required"),
        (
            SHOW.replace(b"  owner: {name: Film Desk, email: desk@example.org}\n", b""),
            "'podcast.owner' is required",
        ),
        (SHOW.replace(b"email: desk@example.org", b"email: desk"), "'desk' is not a plain e-mail address"),
        (SHOW.replace(b"[TV & Film > Film Interviews]", b"[]"), "'podcast.categories'"),
        (
            SHOW.replace(b"TV & Film > Film Interviews", b"Movies"),
            "'Movies' is not an Apple Podcasts category",
        ),
        (
            SHOW.replace(b"TV & Film > Film Interviews", b"TV & Film > Films"),
            "'Films' is not a subcategory of Apple Podcasts' 'TV & Film'; its subcategories are After Shows",
        ),
        (
            SHOW.replace(b"show.jpg", b"show.webp"),
            "must be a JPEG or PNG image whose URL ends in .jpg or .png",
        ),
        (SHOW.replace(b"https://www.example.org/show.jpg", b"/show.jpg"), "is not an absolute http(s) URL"),
        (SHOW.replace(b"  explicit: false\n", b"  explicit: sometimes\n"), "'podcast.explicit'"),
        (SHOW + b"  type: weekly\n", "'podcast.type'"),
        (SHOW + b"  language: english\n", "'english' is not an ISO 639 language code"),
        (SHOW + b"  guid: my-show\n", "'my-show' is not a UUID"),
        (SHOW + b"  colour: red\n", "unknown key 'podcast.colour'"),
        (SHOW + b"  funding: [{url: /support, text: Support}]\n", "is not an absolute http(s) URL"),
        (SHOW + b"  new_feed_url: feeds.example.com\n", "is not an absolute http(s) URL"),
        (SHOW + b"  episode_limit: 0\n", "'podcast.episode_limit': Input should be greater than or equal"),
    ],
)
def test_given_a_show_apple_or_spotify_would_refuse_when_parsed_then_site_yaml_names_the_key(
    show: bytes, reason: str
) -> None:
    assert reason in site_error(SITE + show)


def test_given_a_site_without_description_or_language_when_a_show_is_added_then_both_are_required() -> None:
    reason = site_error(b"title: T\nbase_url: https://feeds.example.org/\n" + SHOW)
    assert "'podcast.description' is required (the site has no description to use)" in reason
    assert "'podcast.language' is required (the site has no language to use)" in reason


def test_given_a_description_over_apples_4000_bytes_when_parsed_then_it_is_a_site_error() -> None:
    reason = site_error(SITE + SHOW + b"  description: " + b"x" * 4001 + b"\n")
    assert "4001 bytes; Apple Podcasts accepts at most 4000" in reason


def test_given_a_near_miss_category_when_parsed_then_the_error_suggests_apples_spelling() -> None:
    assert "did you mean 'Technology'?" in site_error(
        SITE + SHOW.replace(b"TV & Film > Film Interviews", b"Tecnology")
    )
    assert "did you mean 'TV & Film'" in site_error(
        SITE + SHOW.replace(b"TV & Film > Film Interviews", b"Film")
    )


def test_every_apple_category_and_subcategory_is_accepted_as_apple_spells_it() -> None:
    for category, subcategories in APPLE_CATEGORIES.items():
        assert parse_category(category) == (category, None)
        for subcategory in subcategories:
            assert parse_category(f"{category} > {subcategory}") == (category, subcategory)
    assert len(APPLE_CATEGORIES) == 19


def test_given_an_author_longer_than_apples_255_characters_when_parsed_then_it_is_a_site_error() -> None:
    assert "'podcast.author'" in site_error(SITE + SHOW + b"  author: " + b"a" * 256 + b"\n")
    assert "'podcast.owner.name'" in site_error(
        SITE + SHOW.replace(b"name: Film Desk", b"name: " + b"n" * 256)
    )
