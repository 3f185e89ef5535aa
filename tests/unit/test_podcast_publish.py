"""Episode media through the incremental publisher (MemoryStore): the file is inspected by ranged GETs,
copied to the publish bucket inside the store while a published record names it, removed with the
record or the file, and the feeds equal a from-scratch build of the same content at every step."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from feedpub.build import attach_media, render_site
from feedpub.catalogue import MEDIA_CACHE
from feedpub.config import parse_site
from feedpub.errors import RecordError
from feedpub.podcast.media import MediaInfo, inspect
from feedpub.publish import MemoryStore, Publisher
from feedpub.records import parse_record
from tests.support.audio import sample_episode, tone_mp3

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SITE = (
    b"title: The Cutting Room\nbase_url: https://feeds.example.org/\nhome_page_url: https://www.example.org/\n"
    b"description: Film news.\nlanguage: en\n"
    b"podcast:\n  image: https://www.example.org/show.jpg\n  categories: [TV & Film]\n  explicit: false\n"
    b"  owner: {email: desk@example.org}\n"
)
EPISODE = (
    b"---\ntitle: How Fight Scenes Are Built\ndate: 2025-05-01\nepisode: 12\nenclosure: media/ep12.mp3\n"
    b"---\nNotes.\n"
)


class Show:
    def __init__(self, site_yaml: bytes = SITE) -> None:
        self.content, self.output = MemoryStore(), MemoryStore()
        self.now = NOW
        self.content.put("site.yaml", site_yaml)
        self.publisher = Publisher(self.content, self.output, clock=lambda: self.now, websub=False)

    def apply(self, *keys: str) -> list[dict[str, str]]:
        report = self.publisher.apply(list(keys))
        assert report.failed_keys == []
        return report.rejected

    def public(self) -> dict[str, bytes]:
        keys = self.output.keys(prefix="")
        return {key: self.output.get(key).body for key in keys if not key.startswith("_state/")}

    def expected(self) -> dict[str, bytes]:
        """A from-scratch build of the bucket, media enclosures completed from the files."""
        site = parse_site(self.content.get("site.yaml").body)
        records = []
        for key in self.content.keys("articles/"):
            try:
                records.append(parse_record(key, self.content.get(key).body, site))
            except RecordError:
                continue
        attached, _ = attach_media(records, site, self._media_info, "the content bucket")
        result = render_site(site, attached, self.now)
        return {**result.outputs, **{key: self.content.get(key).body for key in result.media}}

    def check_warnings(self) -> set[tuple[str, str]]:
        """What `feedpub check` would say of the bucket's content: (path, warning)."""
        site = parse_site(self.content.get("site.yaml").body)
        records = [
            parse_record(key, self.content.get(key).body, site) for key in self.content.keys("articles/")
        ]
        attached, _ = attach_media(records, site, self._media_info, "the content bucket")
        return set(render_site(site, attached, self.now).warnings)

    def state_warnings(self) -> set[tuple[str, str]]:
        """What _state/report.json lists as warnings: (path, warning)."""
        report = json.loads(self.output.get("_state/report.json").body)
        return {(each["path"], each["warning"]) for each in report["warnings"]}

    def _media_info(self, key: str) -> MediaInfo | None:
        if key not in self.content.keys("media/"):
            return None
        data = self.content.get(key).body
        return inspect(key, len(data), "", lambda start, end: data[start : end + 1])

    def assert_matches_build(self) -> None:
        public, expected = self.public(), self.expected()
        assert sorted(public) == sorted(expected)
        for path, body in expected.items():
            assert public[path] == body, f"{path} differs from a from-scratch build"


@pytest.fixture
def show() -> Show:
    return Show()


def test_given_an_episode_and_its_file_when_published_then_the_file_is_copied_and_described_by_itself(
    show: Show,
) -> None:
    show.content.put("media/ep12.mp3", sample_episode())
    show.content.put("articles/ep12.md", EPISODE)
    assert show.apply("site.yaml", "media/ep12.mp3", "articles/ep12.md") == []
    show.assert_matches_build()
    assert show.output.copies == 1
    assert show.output.headers("media/ep12.mp3") == ("audio/mpeg", MEDIA_CACHE)
    podcast = show.public()["podcast.xml"]
    assert f'length="{len(sample_episode())}" type="audio/mpeg"'.encode() in podcast
    assert b"<itunes:duration>5</itunes:duration>" in podcast
    # The file was read by ranges, in blocks, never whole through the publisher.
    assert show.content.ranges
    assert all(key == "media/ep12.mp3" and end - start < 64 * 1024 for key, start, end in show.content.ranges)


def test_given_a_published_episode_when_an_event_repeats_then_the_file_is_neither_read_nor_copied_again(
    show: Show,
) -> None:
    show.content.put("media/ep12.mp3", sample_episode())
    show.content.put("articles/ep12.md", EPISODE)
    show.apply("site.yaml", "media/ep12.mp3", "articles/ep12.md")
    ranges, copies = len(show.content.ranges), show.output.copies
    show.apply("articles/ep12.md", "media/ep12.mp3")
    assert (len(show.content.ranges), show.output.copies) == (ranges, copies)


def test_given_a_record_naming_a_missing_file_then_it_is_rejected_until_the_file_is_uploaded(
    show: Show,
) -> None:
    show.content.put("articles/ep12.md", EPISODE)
    rejected = show.apply("site.yaml", "articles/ep12.md")
    assert rejected == [
        {
            "path": "articles/ep12.md",
            "reason": "enclosure names media/ep12.mp3, which is not in the content bucket: upload it there",
        }
    ]
    assert "media/ep12.mp3" not in show.public()
    show.content.put("media/ep12.mp3", sample_episode())
    assert show.apply("media/ep12.mp3") == []
    show.assert_matches_build()
    assert b"ep12.mp3" in show.public()["podcast.xml"]


def test_given_a_replaced_file_when_its_event_arrives_then_length_and_duration_follow_and_it_is_copied_again(
    show: Show,
) -> None:
    show.content.put("media/ep12.mp3", sample_episode())
    show.content.put("articles/ep12.md", EPISODE)
    show.apply("site.yaml", "media/ep12.mp3", "articles/ep12.md")
    longer = tone_mp3(30.0)
    show.content.put("media/ep12.mp3", longer)
    show.apply("media/ep12.mp3")
    show.assert_matches_build()
    assert show.public()["media/ep12.mp3"] == longer
    assert f'length="{len(longer)}"'.encode() in show.public()["podcast.xml"]
    assert b"<itunes:duration>30</itunes:duration>" in show.public()["podcast.xml"]


def test_given_a_published_episode_when_its_file_is_deleted_then_the_record_is_rejected_and_the_copy_goes(
    show: Show,
) -> None:
    show.content.put("media/ep12.mp3", sample_episode())
    show.content.put("articles/ep12.md", EPISODE)
    show.apply("site.yaml", "media/ep12.mp3", "articles/ep12.md")
    show.content.delete("media/ep12.mp3")
    rejected = show.apply("media/ep12.mp3")
    assert [each["path"] for each in rejected] == ["articles/ep12.md"]
    assert "media/ep12.mp3" not in show.public()
    assert b"How Fight Scenes" not in show.public()["podcast.xml"]
    show.assert_matches_build()


def test_given_a_published_episode_when_the_record_is_deleted_then_its_file_copy_goes_too(show: Show) -> None:
    show.content.put("media/ep12.mp3", sample_episode())
    show.content.put("articles/ep12.md", EPISODE)
    show.apply("site.yaml", "media/ep12.mp3", "articles/ep12.md")
    show.content.delete("articles/ep12.md")
    report = show.publisher.apply(["articles/ep12.md"])
    assert "media/ep12.mp3" in report.deleted
    assert "/media/ep12.mp3" in report.invalidation_paths
    assert "media/ep12.mp3" not in show.public()
    assert show.content.keys("media/") == ["media/ep12.mp3"]  # the author's upload stays
    show.assert_matches_build()


def test_given_a_scheduled_episode_then_its_file_stays_private_until_the_episode_is_due(show: Show) -> None:
    show.content.put("media/ep12.mp3", sample_episode())
    show.content.put("articles/ep12.md", EPISODE.replace(b"2025-05-01", b"2025-06-02"))
    show.apply("site.yaml", "media/ep12.mp3", "articles/ep12.md")
    assert "media/ep12.mp3" not in show.public()
    show.now = NOW + timedelta(days=2)
    show.publisher.publish_due()
    assert show.public()["media/ep12.mp3"] == sample_episode()
    show.assert_matches_build()


def test_given_an_episode_when_the_site_is_rebuilt_then_the_result_is_the_same(show: Show) -> None:
    show.content.put("media/ep12.mp3", sample_episode())
    show.content.put("articles/ep12.md", EPISODE)
    show.apply("site.yaml", "media/ep12.mp3", "articles/ep12.md")
    before = show.public()
    show.publisher.rebuild()
    assert show.public() == before


def test_given_a_file_replaced_without_an_event_when_reconciled_then_the_episode_follows_it(
    show: Show,
) -> None:
    show.content.put("media/ep12.mp3", sample_episode())
    show.content.put("articles/ep12.md", EPISODE)
    show.apply("site.yaml", "media/ep12.mp3", "articles/ep12.md")
    longer = tone_mp3(20.0)
    show.content.put("media/ep12.mp3", longer)  # its notification was lost
    assert show.publisher.reconcile().failed_keys == []
    assert show.public()["media/ep12.mp3"] == longer
    show.assert_matches_build()


def test_given_an_episode_deleted_without_an_event_when_the_site_is_rebuilt_then_its_file_copy_goes(
    show: Show,
) -> None:
    show.content.put("media/ep12.mp3", sample_episode())
    show.content.put("articles/ep12.md", EPISODE)
    show.apply("site.yaml", "media/ep12.mp3", "articles/ep12.md")
    show.content.delete("articles/ep12.md")  # its notification was lost
    report = show.publisher.rebuild()
    assert "media/ep12.mp3" in report.deleted
    show.assert_matches_build()


def test_given_an_episode_the_apps_handle_less_well_when_published_then_report_json_warns_about_it(
    show: Show,
) -> None:
    show.content.put("media/ep12.ogg", b"OggS" + bytes(2000))
    show.content.put("articles/ep12.md", EPISODE.replace(b"ep12.mp3", b"ep12.ogg"))
    show.apply("site.yaml", "media/ep12.ogg", "articles/ep12.md")
    report = json.loads(show.output.get("_state/report.json").body)
    warned = [each["warning"] for each in report["warnings"] if each["path"] == "articles/ep12.md"]
    assert "Spotify plays MP3 and AAC (.m4a) episodes, not audio/ogg" in warned
    assert "has no duration: apps show one; add 'duration' (seconds or H:MM:SS)" in warned


def hosted_episode(number: int) -> bytes:
    """An episode whose file is hosted elsewhere, published `number` days into 2024."""
    day = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=number)
    return (
        f"---\ntitle: Cut number {number}\ndate: {day.date().isoformat()}\nduration: 60\n"
        f"enclosure: {{url: https://cdn.example.org/ep{number}.mp3, mime_type: audio/mpeg, length: 9}}\n"
        f"---\nNotes on cut {number}.\n"
    ).encode()


def items_of(feed: bytes) -> int:
    return feed.count(b"<item>")


def publish_back_catalogue(episodes: int, site_yaml: bytes) -> Show:
    show = Show(site_yaml)
    for number in range(1, episodes + 1):
        show.content.put(f"articles/ep{number}.md", hosted_episode(number))
    show.apply("site.yaml", *(f"articles/ep{number}.md" for number in range(1, episodes + 1)))
    return show


def test_given_a_back_catalogue_longer_than_feed_limit_then_podcast_xml_holds_every_episode_throughout() -> (
    None
):
    # Given feed_limit 3 and nine episodes
    show = publish_back_catalogue(9, SITE.replace(b"language: en\n", b"language: en\nfeed_limit: 3\n"))
    # Then the show feed holds all nine, the site's feed its newest three
    assert (items_of(show.public()["podcast.xml"]), items_of(show.public()["feed.xml"])) == (9, 3)
    show.assert_matches_build()
    # When the newest episodes are deleted one by one, and an old one added back
    for number in (9, 8, 7, 6):
        show.content.delete(f"articles/ep{number}.md")
        show.apply(f"articles/ep{number}.md")
        show.assert_matches_build()
    show.content.put("articles/ep0.md", hosted_episode(0))
    show.apply("articles/ep0.md")
    # Then the show feed still holds every remaining episode, as a from-scratch build does
    assert items_of(show.public()["podcast.xml"]) == 6
    show.assert_matches_build()


def test_given_a_long_back_catalogue_when_an_episode_goes_then_the_publisher_reads_no_more_state() -> None:
    # Given two shows with 5 and 40 episodes (feed_limit 3: the show feed holds more than the heads' reserve)
    site = SITE.replace(b"language: en\n", b"language: en\nfeed_limit: 3\n")
    reads = []
    for episodes in (5, 40):
        show = publish_back_catalogue(episodes, site)
        # When their newest episode is deleted
        show.content.delete(f"articles/ep{episodes}.md")
        show.output.reads = 0
        show.apply(f"articles/ep{episodes}.md")
        assert items_of(show.public()["podcast.xml"]) == episodes - 1
        reads.append(show.output.reads)
    # Then the publisher read as many state objects for both: it never went back to every record
    assert reads[0] == reads[1]


def test_given_an_episode_limit_then_podcast_xml_holds_that_many_of_the_newest_episodes() -> None:
    site = SITE + b"  episode_limit: 4\n"
    show = publish_back_catalogue(7, site)
    podcast = show.public()["podcast.xml"]
    assert items_of(podcast) == 4
    assert b"Cut number 7" in podcast
    assert b"Cut number 4" in podcast
    assert b"Cut number 3" not in podcast
    show.assert_matches_build()
    for number in (7, 6):
        show.content.delete(f"articles/ep{number}.md")
        show.apply(f"articles/ep{number}.md")
    assert b"Cut number 2" in show.public()["podcast.xml"]
    show.assert_matches_build()


SAME_FILE = (
    "articles/b.md",
    "its enclosure URL is also articles/a.md's: Apple Podcasts skips a file it has seen",
)
NO_EPISODE = ("site.yaml", "the show has no episode yet: Apple and Spotify accept a show with at least one")


def test_given_two_episodes_with_one_file_when_published_then_report_json_and_the_run_warn_as_check() -> None:
    # Given a show without episodes
    show = Show()
    report = show.publisher.apply(["site.yaml"])
    assert {"path": NO_EPISODE[0], "warning": NO_EPISODE[1]} in report.warnings  # a WARN line
    assert show.state_warnings() == show.check_warnings() == {NO_EPISODE}
    # When an episode, then a second one naming the first one's file, are published
    show.content.put("articles/a.md", hosted_episode(1))
    show.apply("articles/a.md")
    assert show.state_warnings() == set()
    show.content.put("articles/b.md", hosted_episode(2).replace(b"ep2.mp3", b"ep1.mp3"))
    report = show.publisher.apply(["articles/b.md"])
    # Then the run warns about the second (dev and invoke print it as a WARN line), and report.json
    # lists it, as `feedpub check` does
    assert report.warnings == [{"path": SAME_FILE[0], "warning": SAME_FILE[1]}]
    assert show.state_warnings() == show.check_warnings() == {SAME_FILE}
    # When an unrelated change follows, the warning stays listed but is not said again
    show.content.put("articles/c.md", hosted_episode(3))
    assert show.publisher.apply(["articles/c.md"]).warnings == []
    assert show.state_warnings() == {SAME_FILE}
    # When the first episode goes, the warning goes with it
    show.content.delete("articles/a.md")
    show.apply("articles/a.md")
    assert show.state_warnings() == show.check_warnings() == set()


def test_given_more_episodes_than_the_budget_holds_when_they_come_and_go_then_podcast_xml_is_as_built() -> (
    None
):
    # Given a show of 8 episodes whose podcast.xml can hold only the newest few (feed_max_bytes 16 KiB)
    site = SITE.replace(b"language: en\n", b"language: en\nfeed_max_bytes: 16384\n")
    show = publish_back_catalogue(8, site)
    held = items_of(show.public()["podcast.xml"])
    assert 1 <= held < 8
    show.assert_matches_build()
    assert show.state_warnings() == show.check_warnings() != set()
    # When the newest episodes go, older ones come back into podcast.xml; when they return, they leave
    for number in (8, 7):
        show.content.delete(f"articles/ep{number}.md")
        show.apply(f"articles/ep{number}.md")
        show.assert_matches_build()
        assert show.state_warnings() == show.check_warnings()
    for number in (7, 8):
        show.content.put(f"articles/ep{number}.md", hosted_episode(number))
        show.apply(f"articles/ep{number}.md")
        show.assert_matches_build()
    assert items_of(show.public()["podcast.xml"]) == held
    # When the budget grows, every episode is listed and the warning goes
    show.content.put("site.yaml", SITE)
    show.apply("site.yaml")
    assert items_of(show.public()["podcast.xml"]) == 8
    show.assert_matches_build()
    assert show.state_warnings() == show.check_warnings() == set()
