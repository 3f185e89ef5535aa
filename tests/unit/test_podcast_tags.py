"""The feedgen extensions podcast.xml is written with: feedgen's iTunes extension brought up to Apple's
current rules, and the Podcasting 2.0 namespace (feedgen has none)."""

from __future__ import annotations

import pytest
from feedgen.feed import FeedGenerator
from lxml import etree

from feedpub.render import itunes, podcastindex
from feedpub.render.xmltree import FEEDGEN_LOCK

NS = {"itunes": itunes.ITUNES_NS, "podcast": podcastindex.PODCAST_NS}


def podcast_feed() -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension(itunes.EXTENSION, itunes.ItunesShow, itunes.ItunesEpisode, atom=False)
    fg.register_extension(
        podcastindex.EXTENSION, podcastindex.PodcastIndexShow, podcastindex.PodcastIndexEpisode, atom=False
    )
    fg.title("Show")
    fg.link(href="https://www.example.org/")
    fg.description("About the show")
    return fg


def written(fg: FeedGenerator) -> etree._Element:
    with FEEDGEN_LOCK:
        return etree.fromstring(fg.rss_str())


@pytest.mark.parametrize(("explicit", "text"), [(True, "true"), (False, "false")])
def test_given_explicit_when_written_then_itunes_explicit_is_apples_true_or_false(
    explicit: bool, text: str
) -> None:
    fg = podcast_feed()
    fg.itunes.itunes_explicit(explicit)
    entry = fg.add_entry()
    entry.title("Episode")
    entry.itunes.itunes_explicit(not explicit)
    root = written(fg)
    assert root.xpath("channel/itunes:explicit/text()", namespaces=NS) == [text]
    assert root.xpath("channel/item/itunes:explicit/text()", namespaces=NS) == [str(not explicit).lower()]


def test_given_yes_no_words_when_explicit_is_set_then_they_are_refused() -> None:
    fg = podcast_feed()
    with pytest.raises(ValueError, match="true or false"):
        fg.itunes.itunes_explicit("yes")


def test_given_an_owner_with_only_an_email_when_written_then_the_owner_has_no_empty_name() -> None:
    fg = podcast_feed()
    fg.itunes.itunes_owner(email="desk@example.org")
    root = written(fg)
    assert root.xpath("channel/itunes:owner/itunes:email/text()", namespaces=NS) == ["desk@example.org"]
    assert root.xpath("channel/itunes:owner/itunes:name", namespaces=NS) == []
    named = podcast_feed()
    named.itunes.itunes_owner("Film Desk", "desk@example.org")
    assert written(named).xpath("channel/itunes:owner/itunes:name/text()", namespaces=NS) == ["Film Desk"]


def test_given_show_art_with_a_query_string_when_written_then_it_is_kept_not_silently_dropped() -> None:
    # feedgen compares the raw string's end with ".jpg" and drops anything else without a word.
    fg = podcast_feed()
    fg.itunes.itunes_image("https://www.example.org/show.jpg?v=2")
    assert written(fg).xpath("channel/itunes:image/@href", namespaces=NS) == [
        "https://www.example.org/show.jpg?v=2"
    ]
    with pytest.raises(ValueError, match=r"must be a \.jpg or \.png URL"):
        fg.itunes.itunes_image("https://www.example.org/show.webp")


def test_given_episode_art_apple_would_not_take_when_written_then_it_is_left_out_not_raised() -> None:
    fg = podcast_feed()
    good, bad = fg.add_entry(), fg.add_entry()
    for entry in (good, bad):
        entry.title("Episode")
    good.itunes.itunes_image("https://www.example.org/ep.png?size=3000")
    bad.itunes.itunes_image("https://www.example.org/ep.webp")
    hrefs = written(fg).xpath("channel/item/itunes:image/@href", namespaces=NS)
    assert hrefs == ["https://www.example.org/ep.png?size=3000"]


def test_feedgen_keeps_the_itunes_tags_it_already_writes_right() -> None:
    fg = podcast_feed()
    fg.itunes.itunes_category([{"cat": "TV & Film", "sub": "Film Interviews"}, {"cat": "Arts"}])
    fg.itunes.itunes_type("serial")
    fg.itunes.itunes_author("Film Desk")
    fg.itunes.itunes_block(True)
    fg.itunes.itunes_complete(True)
    fg.itunes.itunes_new_feed_url("https://feeds.example.com/podcast.xml")
    entry = fg.add_entry()
    entry.title("Episode")
    entry.itunes.itunes_episode(12)
    entry.itunes.itunes_season(2)
    entry.itunes.itunes_episode_type("bonus")
    entry.itunes.itunes_duration(3723)
    entry.itunes.itunes_block(True)
    root = written(fg)
    channel, item = root.find("channel"), root.find("channel/item")
    assert channel is not None
    assert item is not None
    assert [c.get("text") for c in channel.iterfind("itunes:category", NS)] == ["TV & Film", "Arts"]
    assert channel.xpath("itunes:category/itunes:category/@text", namespaces=NS) == ["Film Interviews"]
    assert {
        name: channel.findtext(f"itunes:{name}", namespaces=NS)
        for name in ("type", "author", "block", "complete", "new-feed-url")
    } == {
        "type": "serial",
        "author": "Film Desk",
        "block": "yes",
        "complete": "yes",
        "new-feed-url": "https://feeds.example.com/podcast.xml",
    }
    assert {
        name: item.findtext(f"itunes:{name}", namespaces=NS)
        for name in ("episode", "season", "episodeType", "duration", "block")
    } == {"episode": "12", "season": "2", "episodeType": "bonus", "duration": "3723", "block": "yes"}


def test_given_podcasting_2_0_values_when_written_then_each_tag_is_in_its_namespace() -> None:
    fg = podcast_feed()
    fg.podcastindex.guid("917393e3-1b1e-5cef-ace4-edaa54e1f810")
    fg.podcastindex.locked(True, owner="desk@example.org")
    fg.podcastindex.funding("https://www.example.org/support", "Support the show")
    fg.podcastindex.funding("https://www.example.org/members", "Become a member")
    fg.podcastindex.complete()
    entry = fg.add_entry()
    entry.title("Episode")
    entry.podcastindex.season(2)
    entry.podcastindex.episode(12)
    entry.podcastindex.transcript("https://www.example.org/ep12.vtt", "text/vtt")
    entry.podcastindex.transcript("https://www.example.org/ep12.json", "application/json", "es", "captions")
    entry.podcastindex.chapters("https://www.example.org/ep12-chapters.json")
    entry.podcastindex.person("Tom Hollis")
    entry.podcastindex.person(
        "Jo Park", role="guest", group="cast", img="https://x.org/jo.jpg", href="https://jo.org/"
    )
    root = written(fg)
    assert root.nsmap["podcast"] == "https://podcastindex.org/namespace/1.0"
    channel, item = root.find("channel"), root.find("channel/item")
    assert channel is not None
    assert item is not None
    assert channel.findtext("podcast:guid", namespaces=NS) == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    locked = channel.find("podcast:locked", NS)
    assert locked is not None
    assert (locked.text, locked.get("owner")) == ("yes", "desk@example.org")
    assert [(f.get("url"), f.text) for f in channel.iterfind("podcast:funding", NS)] == [
        ("https://www.example.org/support", "Support the show"),
        ("https://www.example.org/members", "Become a member"),
    ]
    complete = channel.find("podcast:updateFrequency", NS)
    assert complete is not None
    assert (complete.text, dict(complete.attrib)) == ("Complete", {"complete": "true"})
    assert (
        item.findtext("podcast:season", namespaces=NS),
        item.findtext("podcast:episode", namespaces=NS),
    ) == (
        "2",
        "12",
    )
    assert [dict(t.attrib) for t in item.iterfind("podcast:transcript", NS)] == [
        {"url": "https://www.example.org/ep12.vtt", "type": "text/vtt"},
        {
            "url": "https://www.example.org/ep12.json",
            "type": "application/json",
            "language": "es",
            "rel": "captions",
        },
    ]
    chapters = item.find("podcast:chapters", NS)
    assert chapters is not None
    assert dict(chapters.attrib) == {
        "url": "https://www.example.org/ep12-chapters.json",
        "type": "application/json+chapters",
    }
    assert [(p.text, dict(p.attrib)) for p in item.iterfind("podcast:person", NS)] == [
        ("Tom Hollis", {}),
        (
            "Jo Park",
            {"role": "guest", "group": "cast", "img": "https://x.org/jo.jpg", "href": "https://jo.org/"},
        ),
    ]
