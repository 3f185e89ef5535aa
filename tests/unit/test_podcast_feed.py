"""podcast.xml: the show feed as a kind of the catalogue, every tag at show and episode level, what the
W3C validator's iTunes rules say of it, and what feedparser reads back."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from feedpub import build, catalogue, cli
from feedpub.config import parse_site
from feedpub.podcast.show import podcast_guid
from feedpub.records import parse_record
from tests.support.builders import content_dir
from tests.support.sample_site import SAMPLE_SITE
from tests.unit.w3c_rules import check_rss

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 1, tzinfo=UTC)
CONTENT = "http://purl.org/rss/1.0/modules/content/"
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
}
SITE = (
    b"title: The Cutting Room\nbase_url: https://feeds.example.org/\nhome_page_url: https://www.example.org/\n"
    b"description: Film news.\nlanguage: en\nauthor: {name: Film Desk}\n"
)
SHOW = (
    b"podcast:\n  image: https://www.example.org/show.jpg\n  categories: [TV & Film > Film Interviews]\n"
    b"  explicit: false\n  owner: {name: Film Desk, email: desk@example.org}\n"
)


def outputs(site_yaml: bytes, *articles: tuple[str, str]) -> dict[str, bytes]:
    site = parse_site(site_yaml)
    records = [parse_record(path, f"---\n{front}---\nNotes.\n".encode(), site) for path, front in articles]
    return build.render_site(site, records, NOW).outputs


def episode(number: int, day: int, extra: str = "") -> tuple[str, str]:
    return (
        f"articles/ep{number}.md",
        f"title: Episode about cut {number}\ndate: 2024-04-{day:02d}\nepisode: {number}\nduration: 600\n"
        f"enclosure: {{url: https://cdn.example.org/ep{number}.mp3, mime_type: audio/mpeg, length: 1000}}\n"
        + extra,
    )


def attachment(name: str, mime_type: str) -> str:
    return f"enclosure: {{url: https://cdn.example.org/{name}, mime_type: {mime_type}, length: 5}}\n"


def parsed(data: bytes) -> etree._Element:
    return etree.fromstring(data)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("sample")
    result = build.build_directory(SAMPLE_SITE, out, NOW)
    assert result.rejected == []
    assert result.warnings == ()
    return {path.relative_to(out).as_posix(): path.read_bytes() for path in out.rglob("*") if path.is_file()}


def test_given_the_sample_show_when_built_then_podcast_xml_passes_the_w3c_rules_with_nothing_to_say(
    sample: dict[str, bytes],
) -> None:
    assert check_rss(sample["podcast.xml"], "https://feeds.example.org/podcast.xml") == []


def test_given_the_sample_show_when_read_by_feedparser_then_the_itunes_fields_come_back(
    sample: dict[str, bytes],
) -> None:
    feed = feedparser.parse(sample["podcast.xml"])
    assert not feed.bozo
    assert feed.feed.title == "The Cutting Room Podcast"
    assert feed.feed.image.href == "https://www.example.org/images/podcast/show-art.jpg"
    assert feed.feed.itunes_type == "episodic"
    assert feed.feed.publisher_detail == {
        "name": "The Cutting Room Film Desk",
        "email": "podcast@example.org",
    }
    assert [tag.term for tag in feed.feed.tags] == ["TV & Film", "Film Interviews", "Film History"]
    (entry,) = feed.entries
    assert (entry.itunes_episode, entry.itunes_season, entry.itunes_episodetype) == ("12", "1", "full")
    assert entry.itunes_duration == "5"  # read from the generated MP3 itself
    assert entry.enclosures == [
        {
            "href": "https://feeds.example.org/media/episode-12.mp3",
            "length": str(len(sample["media/episode-12.mp3"])),
            "type": "audio/mpeg",
        }
    ]
    assert entry.image.href == "https://www.example.org/images/podcast/episode-12.jpg"
    # feedparser 6 maps itunes:explicit "yes"/"clean" only: Apple's current "false" comes back as None.
    assert entry.itunes_explicit is None
    assert parsed(sample["podcast.xml"]).xpath("channel/item/itunes:explicit/text()", namespaces=NS) == [
        "false"
    ]


def test_given_the_sample_show_then_the_media_file_is_published_and_podcast_xml_is_listed_and_served(
    sample: dict[str, bytes],
) -> None:
    assert sample["media/episode-12.mp3"] == (SAMPLE_SITE / "media" / "episode-12.mp3").read_bytes()
    assert b'xmlUrl="https://feeds.example.org/podcast.xml"' in sample["feeds.opml"]
    assert catalogue.headers_for("podcast.xml") == (
        "application/rss+xml; charset=utf-8",
        catalogue.FEED_CACHE,
    )
    assert catalogue.is_public("/podcast.xml")
    assert catalogue.document("podcast.xml") == ("podcast.xml", catalogue.PODCAST)


def test_given_a_show_when_rendered_then_every_show_tag_is_written() -> None:
    full = SHOW + (
        b"  title: Cutting Room Sessions\n  description: How films get made.\n  author: The Film Desk\n"
        b"  type: serial\n  language: en-GB\n  copyright: (c) 2024 The Cutting Room\n  block: true\n"
        b"  new_feed_url: https://feeds.example.com/podcast.xml\n  locked: false\n"
        b"  funding: [{url: https://www.example.org/support, text: Support us}]\n"
        b"  guid: 917393e3-1b1e-5cef-ace4-edaa54e1f810\n  complete: true\n"
    )
    podcast = outputs(SITE + full, episode(1, 1))["podcast.xml"]
    assert check_rss(podcast, "https://feeds.example.org/podcast.xml") == []
    channel = parsed(podcast).find("channel")
    assert channel is not None
    text = {name: channel.findtext(name, namespaces=NS) for name in (
        "title", "description", "language", "copyright", "itunes:author", "itunes:type", "itunes:block",
        "itunes:explicit", "itunes:new-feed-url", "podcast:guid", "podcast:locked", "podcast:funding",
        "podcast:updateFrequency", "itunes:owner/itunes:email", "itunes:owner/itunes:name",
    )}  # fmt: skip
    assert text == {
        "title": "Cutting Room Sessions",
        "description": "How films get made.",
        "language": "en-GB",
        "copyright": "(c) 2024 The Cutting Room",
        "itunes:author": "The Film Desk",
        "itunes:type": "serial",
        "itunes:block": "yes",
        "itunes:explicit": "false",
        "itunes:new-feed-url": "https://feeds.example.com/podcast.xml",
        "podcast:guid": "917393e3-1b1e-5cef-ace4-edaa54e1f810",
        "podcast:locked": "no",
        "podcast:funding": "Support us",
        "podcast:updateFrequency": "Complete",
        "itunes:owner/itunes:email": "desk@example.org",
        "itunes:owner/itunes:name": "Film Desk",
    }
    assert channel.xpath("itunes:image/@href", namespaces=NS) == ["https://www.example.org/show.jpg"]
    assert channel.xpath("podcast:funding/@url", namespaces=NS) == ["https://www.example.org/support"]
    assert channel.xpath("podcast:updateFrequency/@complete", namespaces=NS) == ["true"]
    assert channel.xpath("itunes:category/@text", namespaces=NS) == ["TV & Film"]
    assert channel.xpath("itunes:category/itunes:category/@text", namespaces=NS) == ["Film Interviews"]


def test_given_a_show_without_a_guid_then_its_guid_is_the_uuidv5_of_its_feed_url_and_the_site_fills_in() -> (
    None
):
    channel = parsed(outputs(SITE + SHOW, episode(1, 1))["podcast.xml"]).find("channel")
    assert channel is not None
    assert channel.findtext("podcast:guid", namespaces=NS) == podcast_guid(
        "https://feeds.example.org/podcast.xml"
    )
    assert (channel.findtext("title"), channel.findtext("description"), channel.findtext("language")) == (
        "The Cutting Room", "Film news.", "en",
    )  # fmt: skip
    assert channel.findtext("itunes:author", namespaces=NS) == "Film Desk"
    assert channel.findtext("itunes:type", namespaces=NS) == "episodic"
    assert channel.find("podcast:locked", NS) is None


def test_given_episodes_and_articles_when_built_then_podcast_xml_holds_only_audio_or_video_records() -> None:
    built = outputs(
        SITE + SHOW,
        episode(1, 1),
        ("articles/video.md", "title: Set visit\ndate: 2024-04-02\n" + attachment("v.mp4", "video/mp4")),
        ("articles/notes.md", "title: Notes\ndate: 2024-04-03\n" + attachment("n.pdf", "application/pdf")),
        ("articles/news.md", "title: News\ndate: 2024-04-04\n"),
    )
    titles = parsed(built["podcast.xml"]).xpath("channel/item/title/text()")
    assert titles == ["Set visit", "Episode about cut 1"]
    assert len(parsed(built["feed.xml"]).xpath("channel/item")) == 4  # the main feed is unchanged


def test_given_every_episode_field_when_rendered_then_each_itunes_and_podcasting_2_tag_is_written() -> None:
    extra = (
        "season: 2\nepisode_type: bonus\nexplicit: true\nblock: true\nimage: /ep.png\n"
        "transcripts: [/t.vtt, {url: /t.json, type: application/json, language: es, rel: captions}]\n"
        "chapters: /chapters.json\n"
        "persons: [{name: Jo Park, role: guest, group: cast, img: /jo.jpg, href: /jo}]\n"
    )
    podcast = outputs(SITE + SHOW, episode(7, 1, extra))["podcast.xml"]
    assert check_rss(podcast, "https://feeds.example.org/podcast.xml") == []
    item = parsed(podcast).find("channel/item")
    assert item is not None
    text = {name: item.findtext(name, namespaces=NS) for name in (
        "itunes:episode", "itunes:season", "itunes:episodeType", "itunes:duration", "itunes:explicit",
        "itunes:block", "podcast:episode", "podcast:season",
    )}  # fmt: skip
    assert text == {
        "itunes:episode": "7", "itunes:season": "2", "itunes:episodeType": "bonus", "itunes:duration": "600",
        "itunes:explicit": "true", "itunes:block": "yes", "podcast:episode": "7", "podcast:season": "2",
    }  # fmt: skip
    assert item.xpath("itunes:image/@href", namespaces=NS) == ["https://www.example.org/ep.png"]
    assert [dict(t.attrib) for t in item.iterfind("podcast:transcript", NS)] == [
        {"url": "https://www.example.org/t.vtt", "type": "text/vtt"},
        {
            "url": "https://www.example.org/t.json",
            "type": "application/json",
            "language": "es",
            "rel": "captions",
        },
    ]
    assert item.xpath("podcast:chapters/@url", namespaces=NS) == ["https://www.example.org/chapters.json"]
    person = item.find("podcast:person", NS)
    assert person is not None
    assert (person.text, dict(person.attrib)) == (
        "Jo Park",
        {
            "role": "guest",
            "group": "cast",
            "img": "https://www.example.org/jo.jpg",
            "href": "https://www.example.org/jo",
        },
    )


def test_given_more_episodes_than_feed_limit_then_podcast_xml_holds_the_whole_back_catalogue() -> None:
    # Apple Podcasts and Spotify list only the episodes the show feed holds.
    built = outputs(SITE + b"feed_limit: 2\n" + SHOW, *(episode(number, number) for number in range(1, 6)))
    titles = parsed(built["podcast.xml"]).xpath("channel/item/title/text()")
    assert titles == [f"Episode about cut {number}" for number in (5, 4, 3, 2, 1)]
    assert len(parsed(built["feed.xml"]).xpath("channel/item")) == 2
    assert check_rss(built["podcast.xml"], "https://feeds.example.org/podcast.xml") == []


def test_given_an_episode_limit_then_podcast_xml_holds_only_the_newest_that_many() -> None:
    built = outputs(
        SITE + SHOW + b"  episode_limit: 2\n", *(episode(number, number) for number in range(1, 6))
    )
    titles = parsed(built["podcast.xml"]).xpath("channel/item/title/text()")
    assert titles == ["Episode about cut 5", "Episode about cut 4"]


def long_episode(number: int) -> tuple[str, str]:
    """An episode with show notes of about 4 KB."""
    path, front = episode(number, number)
    return path, front + f"summary: Cut {number} in short.\n---\n" + "The crew talk through the cut. " * 130


def test_given_episodes_past_the_byte_budget_then_older_ones_go_out_summary_only_with_every_podcast_tag() -> (
    None
):
    site = parse_site(SITE + b"feed_max_bytes: 40000\n" + SHOW)
    records = [
        parse_record(path, f"---\n{front}\n".encode(), site) for path, front in map(long_episode, range(1, 7))
    ]
    result = build.render_site(site, records, NOW)
    podcast = result.outputs["podcast.xml"]
    assert len(podcast) <= 40000
    assert check_rss(podcast, "https://feeds.example.org/podcast.xml") == []
    items = parsed(podcast).findall("channel/item")
    assert len(items) == 6
    with_notes = [item.find("content:encoded", {"content": CONTENT}) is not None for item in items]
    assert with_notes[0]
    assert not with_notes[-1]  # the oldest: summary-only
    for item in items:  # summary-only or not, an episode keeps its enclosure, guid and itunes tags
        assert item.find("enclosure") is not None
        assert item.findtext("guid")
        assert item.findtext("itunes:duration", namespaces=NS) == "600"
        assert item.findtext("itunes:episode", namespaces=NS)
    assert result.warnings == ()


def test_given_more_episodes_than_the_byte_budget_holds_then_podcast_xml_lists_the_newest_and_warns() -> None:
    site = parse_site(SITE + b"feed_max_bytes: 16384\n" + SHOW)
    records = [
        parse_record(path, f"---\n{front}\n".encode(), site) for path, front in map(long_episode, range(1, 9))
    ]
    result = build.render_site(site, records, NOW)
    podcast = result.outputs["podcast.xml"]
    assert len(podcast) <= 16384
    assert check_rss(podcast, "https://feeds.example.org/podcast.xml") == []
    titles = parsed(podcast).xpath("channel/item/title/text()")
    assert 1 <= len(titles) < 8
    assert titles == [f"Episode about cut {number}" for number in range(8, 8 - len(titles), -1)]
    assert result.warnings == (
        (
            "site.yaml",
            f"podcast.xml holds the newest {len(titles)} of the show's 8 episodes, as many as fit in "
            "feed_max_bytes (16,384 bytes): Apple Podcasts and Spotify list only those (raise "
            "feed_max_bytes, at most 10,000,000, to list them all)",
        ),
    )


def test_given_a_serial_show_then_its_numbered_episodes_pass_the_w3c_rules() -> None:
    built = outputs(
        SITE + SHOW + b"  type: serial\n", episode(1, 1), episode(2, 8, "episode_type: trailer\n")
    )
    assert check_rss(built["podcast.xml"], "https://feeds.example.org/podcast.xml") == []
    assert parsed(built["podcast.xml"]).xpath("channel/item/itunes:episode/text()", namespaces=NS) == [
        "2",
        "1",
    ]


def test_given_a_finished_show_then_podcast_xml_says_so_in_podcasting_2_0_and_passes_the_w3c_rules() -> None:
    built = outputs(SITE + SHOW + b"  complete: true\n", episode(1, 1))
    channel = parsed(built["podcast.xml"]).find("channel")
    assert channel is not None
    assert channel.xpath("podcast:updateFrequency[@complete='true']/text()", namespaces=NS) == ["Complete"]
    assert check_rss(built["podcast.xml"], "https://feeds.example.org/podcast.xml") == []


def test_the_w3c_rules_call_apples_itunes_complete_an_undefined_element_as_the_validator_does() -> None:
    # The validator's iTunes rules define no itunes:complete, and any itunes: element they do not
    # define is an error (UndefinedElement), whatever its value: feedpub never writes it.
    built = outputs(SITE + SHOW, episode(1, 1))["podcast.xml"]
    with_complete = built.replace(b"<itunes:type>", b"<itunes:complete>Yes</itunes:complete><itunes:type>")
    assert check_rss(with_complete, "https://feeds.example.org/podcast.xml") == [
        "UndefinedElement channel/itunes:complete"
    ]


def test_the_w3c_rules_catch_what_stock_feedgen_writes_and_what_apple_needs() -> None:
    good = outputs(SITE + SHOW, episode(1, 1))["podcast.xml"]
    stock = good.replace(
        b"<itunes:explicit>false</itunes:explicit>", b"<itunes:explicit>no</itunes:explicit>"
    )
    assert "InvalidTrueFalse channel/itunes:explicit 'no'" in check_rss(
        stock, "https://feeds.example.org/podcast.xml"
    )
    without_owner = etree.tostring(_without(good, "channel/itunes:owner"))
    assert "MissingItunesEmail channel" in check_rss(without_owner, "https://feeds.example.org/podcast.xml")


def _without(data: bytes, path: str) -> etree._Element:
    root = parsed(data)
    for element in root.xpath(path, namespaces=NS):
        element.getparent().remove(element)
    return root


def test_given_a_site_without_a_show_then_there_is_no_podcast_xml(tmp_path: Path) -> None:
    assert "podcast.xml" not in outputs(SITE, episode(1, 1))
    content = tmp_path / "content"
    shutil.copytree(SAMPLE_SITE, content)
    site = (content / "site.yaml").read_text()
    (content / "site.yaml").write_text(site[: site.index("podcast:")])
    result = build.check_directory(content, NOW)
    assert "podcast.xml" not in result.outputs
    assert result.media == ("media/episode-12.mp3",)  # the enclosure is still published with the article


@pytest.mark.parametrize(
    ("path", "public"),
    [("/media/episode-12.mp3", True), ("/media/season-2/ep_3.m4a", True), ("/media/.hidden.mp3", False),
     ("/media/../_state/root.json", False), ("/media/", False), ("/media/a%20b.mp3", False),
     ("/media//x.mp3", False), ("/_state/report.json", False)],
)  # fmt: skip
def test_only_media_files_become_public_besides_the_feeds(path: str, public: bool) -> None:
    assert catalogue.is_public(path) is public


def test_given_feedpub_check_when_an_episode_is_less_than_ideal_then_it_warns_and_still_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = content_dir(
        tmp_path / "content",
        SITE + SHOW,
        {"ogg.md": "---\ntitle: Set visit\ndate: 2024-04-02\n" + attachment("v.ogg", "audio/ogg") + "---\n"},
    )
    assert cli.main(["check", str(root), "--now", "2026-11-01T00:00:00Z"]) == 0
    err = capsys.readouterr().err
    assert "WARN articles/ogg.md: Spotify plays MP3 and AAC (.m4a) episodes, not audio/ogg" in err
    assert "WARN articles/ogg.md: has no duration" in err


def test_given_feedpub_check_when_a_record_names_a_missing_file_or_the_show_is_unacceptable_then_it_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = content_dir(
        tmp_path / "content",
        SITE + SHOW,
        {"ep.md": "---\ntitle: Episode\ndate: 2024-04-02\nenclosure: media/ep.mp3\n---\n"},
    )
    assert cli.main(["check", str(root)]) == 1
    assert f"REJECTED articles/ep.md: enclosure names media/ep.mp3, which is not in {root / 'media'}" in (
        capsys.readouterr().err
    )
    (root / "site.yaml").write_bytes(SITE + SHOW.replace(b"  explicit: false\n", b""))
    assert cli.main(["check", str(root)]) == 2
    assert "'podcast.explicit' is required" in capsys.readouterr().err
