"""newsboat (a real terminal feed reader, run headless) reloads RSS and Atom from the edge."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from tests.e2e.conftest import RunningPipeline, eventually
from tests.support.builders import article


def reload(home: Path, urls: list[str]) -> dict[str, set[str]]:
    """Each feed's item titles after `newsboat -x reload`.

    One newsboat home per feed: newsboat keys its cache by item GUID, and the RSS and Atom feeds
    rightly carry the same ids, so in one cache the second feed's items would replace the first's."""
    return {url: _reload_one(home / str(index), url) for index, url in enumerate(urls)}


def _reload_one(home: Path, url: str) -> set[str]:
    home.mkdir(exist_ok=True)
    (home / "urls").write_text(url + "\n")
    (home / "config").write_text("")
    cache = home / "cache.db"
    subprocess.run(
        ["newsboat", "-u", str(home / "urls"), "-c", str(cache), "-C", str(home / "config"), "-x", "reload"],
        env={**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home), "XDG_DATA_HOME": str(home)},
        capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    with sqlite3.connect(cache) as db:
        rows = db.execute("SELECT title FROM rss_item WHERE feedurl = ?", (url,)).fetchall()
    return {title for (title,) in rows}


def test_newsboat_lists_the_items_of_rss_and_atom(dev: RunningPipeline, tmp_path: Path) -> None:
    urls = [dev.url + "feed.xml", dev.url + "atom.xml"]
    # Given newsboat subscribed to the edge's RSS and Atom feeds
    first = reload(tmp_path, urls)
    # Then both list the sample site's articles
    for url in urls:
        assert len(first[url]) >= 5, f"{url}: {first[url]}"
    assert first[urls[0]] == first[urls[1]]
    # When an author uploads a new article, then the next reload lists it in both
    dev.upload("articles/newsboat-arrival.md", article("Newsboat sees this arrival", tags=["e2e"]))
    eventually(
        lambda: all("Newsboat sees this arrival" in titles for titles in reload(tmp_path, urls).values()),
        "newsboat to list the new article",
    )
