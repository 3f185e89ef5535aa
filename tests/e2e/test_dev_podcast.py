"""`feedpub dev` on the sample show: podcast.xml names the episode file it serves, by byte range as a
podcast app asks for it, and the file follows the content directory (replaced, then removed)."""

from __future__ import annotations

import feedparser

from tests.e2e.conftest import RunningPipeline, eventually, fetch
from tests.support.audio import tone_mp3


def test_the_sample_show_serves_a_playable_episode_by_byte_range(dev: RunningPipeline) -> None:
    # Given the sample site in the watched directory, when a podcast app reads the show feed
    feed = feedparser.parse(eventually(lambda: fetch(dev.url + "podcast.xml")[2], "podcast.xml"))
    (episode,) = feed.entries
    (enclosure,) = episode.enclosures
    assert enclosure.href == dev.url + "media/episode-12.mp3"
    assert episode.itunes_duration == "5"
    # Then the file it names is served whole, with the type and length the feed declares
    status, headers, body = fetch(enclosure.href)
    local = (dev.content_dir / "media" / "episode-12.mp3").read_bytes()
    assert (status, body) == (200, local)
    assert headers["Content-Type"] == enclosure.type == "audio/mpeg"
    assert int(headers["Content-Length"]) == int(enclosure.length) == len(local)
    assert headers["Accept-Ranges"] == "bytes"
    assert "max-age=604800" in headers["Cache-Control"]
    # And by range, as players seek and resume
    status, headers, part = fetch(enclosure.href, {"Range": "bytes=100-1099"})
    assert (status, part) == (206, local[100:1100])
    assert headers["Content-Range"] == f"bytes 100-1099/{len(local)}"
    status, headers, tail = fetch(enclosure.href, {"Range": "bytes=-200"})
    assert (status, tail) == (206, local[-200:])
    status, headers, _ = fetch(enclosure.href, {"Range": f"bytes={len(local) + 10}-"})
    assert status == 416
    assert headers["Content-Range"] == f"bytes */{len(local)}"


def test_a_replaced_then_removed_episode_file_follows_the_content_directory(dev: RunningPipeline) -> None:
    media = dev.content_dir / "media" / "episode-12.mp3"
    longer = tone_mp3(12.0)
    # When the author replaces the file, then the feed and the served file follow it
    media.write_bytes(longer)
    dev.wait_for_text(f'length="{len(longer)}"', path="podcast.xml")
    assert fetch(dev.url + "media/episode-12.mp3")[2] == longer
    assert b"<itunes:duration>12</itunes:duration>" in dev.feed("podcast.xml")
    # When the file is removed, then the episode leaves the show and its copy is no longer served
    media.unlink()
    dev.wait_for_text("How Fight Scenes Are Built", path="podcast.xml", present=False)
    eventually(lambda: fetch(dev.url + "media/episode-12.mp3")[0] == 404, "the episode file to go")
