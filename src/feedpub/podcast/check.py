"""What Apple Podcasts and Spotify ask of a show and its episodes, beyond what makes them unacceptable.

What makes a show or an episode unacceptable is refused where it is read: site.yaml (no artwork,
an unknown category, no explicit flag, no owner e-mail, no language, an over-long description) and
the record (a serial show's episode without a number, a media file that is not there). What is
left are warnings: the apps take the feed but show less, ignore something, or may refuse a later
submission. Each names the record (or site.yaml) and says what to change.

Sources: Apple's "A Podcaster's Guide to RSS" (tags, 4000-byte descriptions, .jpg/.png artwork,
supported formats, titles without episode numbers, unique enclosure URLs), Spotify's podcast
delivery specification (MP3 or AAC audio, the owner e-mail) and the Podcasting 2.0 namespace
(https URLs, 128-character person names and funding texts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from feedpub.config import LARGEST_FEED, SITE_FILE, SiteConfig
from feedpub.model import FeedItem, Record
from feedpub.podcast.episode import EpisodePerson, Transcript
from feedpub.podcast.media import APPLE_EXTENSIONS, extension, is_episode_type
from feedpub.podcast.show import MAX_DESCRIPTION_BYTES, apple_artwork_url

SPOTIFY_AUDIO = ("audio/mpeg", "audio/mp3", "audio/x-m4a", "audio/mp4", "audio/aac")
PODCAST_TEXT_LIMIT = 128  # Podcasting 2.0: longer names and funding texts may be cut by apps
_NUMBER_IN_TITLE = re.compile(r"\b(?:episode|ep\.?|season|s\d+e)\s*#?\d+|#\d+\b", re.IGNORECASE)


def is_episode(record: Record) -> bool:
    """Whether the record belongs in the show feed: it carries audio or video."""
    return record.enclosure is not None and is_episode_type(record.enclosure.mime_type)


def episode_warnings(record: Record, site: SiteConfig) -> list[str]:
    """What Apple, Spotify or Podcasting 2.0 apps would make of this episode, as warnings."""
    show = site.podcast
    if show is None or record.enclosure is None or not is_episode(record):
        return []
    warnings = []
    enclosure, episode = record.enclosure, record.episode
    if extension(enclosure.url) not in APPLE_EXTENSIONS:
        warnings.append(
            f"Apple Podcasts lists only {', '.join(APPLE_EXTENSIONS)} files: this episode's "
            f"'{enclosure.url.rsplit('/', 1)[-1]}' will not appear there"
        )
    if enclosure.mime_type.startswith("audio/") and enclosure.mime_type not in SPOTIFY_AUDIO:
        warnings.append(f"Spotify plays MP3 and AAC (.m4a) episodes, not {enclosure.mime_type}")
    if episode is None or episode.duration is None:
        warnings.append("has no duration: apps show one; add 'duration' (seconds or H:MM:SS)")
    if record.image and not apple_artwork_url(record.image):
        warnings.append(
            "its image is not a .jpg or .png URL: Apple Podcasts shows the show's artwork instead"
        )
    if record.summary and len(record.summary.encode()) > MAX_DESCRIPTION_BYTES:
        warnings.append(
            f"its summary is {len(record.summary.encode())} bytes: Apple Podcasts shows at most "
            f"{MAX_DESCRIPTION_BYTES}"
        )
    title = show.title_for(site)
    if title.casefold() in record.title.casefold():
        warnings.append(f"its title repeats the show's ('{title}'): Apple asks for the episode's own title")
    if _NUMBER_IN_TITLE.search(record.title):
        warnings.append(
            "its title holds an episode or season number: Apple asks for it in 'episode' and 'season' instead"
        )
    if episode is not None:
        warnings += _podcasting_2_warnings(episode.transcripts, episode.chapters, episode.persons)
    return warnings


def _podcasting_2_warnings(
    transcripts: Iterable[Transcript], chapters: str | None, persons: Iterable[EpisodePerson]
) -> list[str]:
    warnings = []
    urls = [("transcript", t.url) for t in transcripts] + ([("chapters", chapters)] if chapters else [])
    for person in persons:
        if len(person.name) > PODCAST_TEXT_LIMIT:
            warnings.append(
                f"person '{person.name[:40]}…' is over {PODCAST_TEXT_LIMIT} characters: apps may cut it"
            )
        urls += [
            (f"person {field}", url) for field, url in (("img", person.img), ("href", person.href)) if url
        ]
    for field, url in urls:
        if url.startswith("http:"):
            warnings.append(f"{field} '{url}' is http: Podcasting 2.0 asks for https URLs")
    return warnings


def show_warnings(
    site: SiteConfig, episodes: Iterable[tuple[str, FeedItem]], left_out: int = 0
) -> list[tuple[str, str]]:
    """(path, warning) about the show as a whole: site.yaml's, and the episodes podcast.xml holds
    ((record path, item) pairs, in any order) compared with each other; `left_out` episodes did not
    fit in its byte budget. The offline build and the publisher (from podcast.xml's head) both ask
    here."""
    show = site.podcast
    if show is None:
        return []
    warnings: list[tuple[str, str]] = []
    published = sorted(episodes, key=lambda episode: episode[1].sort_key)
    if not published:
        warnings.append(
            (SITE_FILE, "the show has no episode yet: Apple and Spotify accept a show with at least one")
        )
    if left_out:
        warnings.append(
            (
                SITE_FILE,
                f"podcast.xml holds the newest {len(published)} of the show's {len(published) + left_out} "
                f"episodes, as many as fit in feed_max_bytes ({site.feed_max_bytes:,} bytes): Apple "
                f"Podcasts and Spotify list only those (raise feed_max_bytes, at most {LARGEST_FEED:,}, "
                "to list them all)",
            )
        )
    for funding in show.funding:
        if len(funding.text) > PODCAST_TEXT_LIMIT:
            warnings.append(
                (SITE_FILE, f"podcast.funding text is over {PODCAST_TEXT_LIMIT} characters: apps may cut it")
            )
        if funding.url.startswith("http:"):
            warnings.append(
                (SITE_FILE, f"podcast.funding url '{funding.url}' is http: Podcasting 2.0 asks for https")
            )
    first_with_url: dict[str, str] = {}
    numbered: dict[tuple[int | None, int], str] = {}
    for path, item in published:
        if item.enclosure is not None:
            earlier = first_with_url.setdefault(item.enclosure.url, path)
            if earlier != path:
                warnings.append(
                    (path, f"its enclosure URL is also {earlier}'s: Apple Podcasts skips a file it has seen")
                )
        episode = item.episode
        if episode is not None and episode.number is not None and episode.episode_type in (None, "full"):
            key = (episode.season, episode.number)
            other = numbered.setdefault(key, path)
            if other != path:
                season = f"season {episode.season}, " if episode.season is not None else ""
                warnings.append((path, f"{season}episode {episode.number} is also {other}'s number"))
    return warnings
