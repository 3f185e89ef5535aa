"""The podcast check: what Apple Podcasts, Spotify and Podcasting 2.0 apps would make of a show's
episodes, as warnings naming the record (what they refuse is refused where it is read)."""

from __future__ import annotations

from datetime import UTC, datetime

from feedpub.config import SiteConfig, parse_site
from feedpub.items import to_feed_item
from feedpub.model import Enclosure, FeedItem, Record
from feedpub.podcast.check import episode_warnings, is_episode, show_warnings
from feedpub.records import parse_record

SITE_YAML = (
    b"title: The Cutting Room\nbase_url: https://feeds.example.org/\nhome_page_url: https://www.example.org/\n"
    b"description: Film news.\nlanguage: en\n"
    b"podcast:\n  title: Cutting Room Sessions\n  image: https://www.example.org/show.jpg\n"
    b"  categories: [TV & Film]\n  explicit: false\n  owner: {email: desk@example.org}\n"
)
SITE = parse_site(SITE_YAML)
MP3 = "enclosure: {url: https://cdn.example.org/ep.mp3, mime_type: audio/mpeg, length: 1000}\n"


def record(front: str, path: str = "articles/ep.md", title: str = "How Fight Scenes Are Built") -> Record:
    data = f"---\ntitle: {title}\ndate: 2024-04-05\n{front}---\nNotes.\n".encode()
    return parse_record(path, data, SITE)


def held(site: SiteConfig, *records: Record) -> list[tuple[str, FeedItem]]:
    """The episodes as podcast.xml holds them: (record path, item)."""
    return [(each.path, to_feed_item(each, site)) for each in records]


def test_given_a_complete_episode_when_checked_then_there_is_nothing_to_say() -> None:
    episode = record(MP3 + "duration: 3000\nimage: /ep.png\ntranscript: https://www.example.org/t.vtt\n")
    assert is_episode(episode)
    assert episode_warnings(episode, SITE) == []


def test_given_an_article_without_audio_or_video_when_checked_then_it_is_not_an_episode() -> None:
    pdf = record("enclosure: {url: /notes.pdf, mime_type: application/pdf, length: 10}\n")
    assert not is_episode(pdf)
    assert episode_warnings(pdf, SITE) == []
    assert episode_warnings(record(""), SITE) == []


def test_given_what_apple_and_spotify_handle_less_well_when_checked_then_each_is_a_warning_naming_it() -> (
    None
):
    ogg = record(
        "enclosure: {url: https://cdn.example.org/ep.ogg, mime_type: audio/ogg, length: 1000}\n"
        "image: /ep.webp\n"
        f"summary: {'x' * 4001}\n"
        "chapters: http://www.example.org/chapters.json\n"
        f"persons: [{{name: {'N' * 129}}}]\n",
        title="'Cutting Room Sessions, Episode 12 - Fights'",
    )
    warnings = episode_warnings(ogg, SITE)
    assert warnings == [
        "Apple Podcasts lists only m4a, mp3, mov, mp4, m4v, pdf, epub files: this episode's 'ep.ogg' will "
        "not appear there",
        "Spotify plays MP3 and AAC (.m4a) episodes, not audio/ogg",
        "has no duration: apps show one; add 'duration' (seconds or H:MM:SS)",
        "its image is not a .jpg or .png URL: Apple Podcasts shows the show's artwork instead",
        "its summary is 4001 bytes: Apple Podcasts shows at most 4000",
        "its title repeats the show's ('Cutting Room Sessions'): Apple asks for the episode's own title",
        "its title holds an episode or season number: Apple asks for it in 'episode' and 'season' instead",
        f"person '{'N' * 40}…' is over 128 characters: apps may cut it",
        "chapters 'http://www.example.org/chapters.json' is http: Podcasting 2.0 asks for https URLs",
    ]


def test_given_two_episodes_with_one_file_or_one_number_when_checked_then_the_later_is_named() -> None:
    first = record(MP3 + "episode: 1\nseason: 2\n", path="articles/a.md")
    second = record(MP3 + "episode: 1\nseason: 2\n", path="articles/b.md")
    second = second.model_copy(update={"date": second.date.replace(day=6)})
    trailer = record(MP3.replace("ep.mp3", "trailer.mp3") + "episode: 1\nseason: 2\nepisode_type: trailer\n")
    assert show_warnings(SITE, held(SITE, second, trailer, first)) == [
        (
            "articles/b.md",
            "its enclosure URL is also articles/a.md's: Apple Podcasts skips a file it has seen",
        ),
        ("articles/b.md", "season 2, episode 1 is also articles/a.md's number"),
    ]


def test_given_a_show_without_episodes_or_with_http_funding_when_checked_then_site_yaml_is_named() -> None:
    site = parse_site(
        SITE_YAML + b"  funding: [{url: http://www.example.org/give, text: " + b"G" * 130 + b"}]\n"
    )
    assert show_warnings(site, []) == [
        ("site.yaml", "the show has no episode yet: Apple and Spotify accept a show with at least one"),
        ("site.yaml", "podcast.funding text is over 128 characters: apps may cut it"),
        (
            "site.yaml",
            "podcast.funding url 'http://www.example.org/give' is http: Podcasting 2.0 asks for https",
        ),
    ]


def test_given_a_site_without_a_show_when_checked_then_nothing_is_said() -> None:
    blog = parse_site(b"title: Blog\nbase_url: https://feeds.example.org/\n")
    episode = Record(
        path="articles/x.md",
        id="x",
        slug="x",
        title="x",
        date=datetime(2024, 1, 1, tzinfo=UTC),
        url="https://x.org/",
        enclosure=Enclosure(url="https://x.org/a.ogg", mime_type="audio/ogg", length=1),
    )
    assert episode_warnings(episode, blog) == []
    assert show_warnings(blog, held(blog, episode)) == []
