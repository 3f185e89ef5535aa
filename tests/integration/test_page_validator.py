"""The W3C Nu Html Checker (vnu.jar, installed by `make test` from package-lock.json and run by java)
finds no error and no warning in the pages feedpub publishes: the sample site's, and one of hostile
text and URLs. One java process checks them all."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from feedpub.catalogue import PAGE, TAGS
from feedpub.config import parse_site
from feedpub.model import Enclosure, FeedItem, Person
from feedpub.podcast.episode import Episode
from feedpub.render import render_feed
from tests.integration.template_helpers import PROJECT_ROOT

VNU = PROJECT_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
GOLDEN = PROJECT_ROOT / "tests" / "golden"
HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)> &amp; </title> ]]> \u202e'


def check(pages: list[Path]) -> list[dict[str, object]]:
    java = shutil.which("java")
    assert java, "java runs the Nu Html Checker (infra/install-system-packages.sh installs it)"
    assert VNU.is_file(), "the Nu Html Checker comes from npm: `make node-tools`"
    done = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", *map(str, pages)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages: list[dict[str, object]] = json.loads(done.stderr)["messages"]
    return messages


def hostile_page(directory: Path) -> Path:
    site = parse_site(
        b"title: '" + HOSTILE.replace("'", "''").encode() + b"'\n"
        b"base_url: https://feeds.example.org/\ndescription: '<b>bold</b> & \"quoted\"'\n"
    )
    item = FeedItem(
        id="urn:x:1",
        url='https://www.example.org/a?q="x"&y=<z>',
        title=HOSTILE,
        date=datetime(2024, 1, 2, tzinfo=UTC),
        authors=(Person(name=HOSTILE),),
        tags=(HOSTILE, "plain"),
        summary=HOSTILE,
        content_html="<p>Sanitised <em>content</em></p>",
        image="javascript:alert(1)",
        enclosure=Enclosure(url="https://cdn.example.org/a b.mp3", mime_type="audio/mpeg", length=1234),
        episode=Episode(number=3, duration=61),
    )
    feed = TAGS.feed("x", HOSTILE)
    path = directory / "hostile.html"
    path.write_bytes(render_feed(site, feed, [item])[feed.path(PAGE)])
    return path


def test_the_published_pages_have_no_html_errors(tmp_path: Path) -> None:
    # Given every page of the sample site and a page made of hostile text
    pages = sorted(GOLDEN.rglob("*.html"))
    assert pages
    pages.append(hostile_page(tmp_path))
    # When the W3C checker reads them
    messages = check(pages)
    # Then it reports no error and no warning (the sample site's tables align their columns)
    assert [m for m in messages if m["type"] != "info"] == []
    assert [m for m in messages if m.get("subType") == "warning"] == []
