"""Headless Chromium opens feed.xml at the edge and renders the reading page from feed.xsl."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

from tests.e2e.conftest import RunningPipeline

CHROMIUM = "/usr/bin/chromium"


def rendered_dom(url: str, profile: Path) -> str:
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return result.stdout


def test_feed_xml_renders_as_a_readable_page(dev: RunningPipeline, tmp_path: Path) -> None:
    # Given the published RSS feed (which references feed.xsl)
    titles = re.findall(r"<item>.*?<title>(.*?)</title>", dev.feed("feed.xml").decode(), flags=re.S)
    assert titles
    # When a browser opens it at the edge
    dom = rendered_dom(dev.url + "feed.xml", tmp_path / "profile")
    # Then the DOM is an HTML page (the XSL ran), not the raw RSS
    assert re.search(r"<html[\s>]", dom, flags=re.I)
    assert "<rss" not in dom
    assert "<channel>" not in dom
    # And it shows the site, the subscribe hint and every article title
    assert "The Cutting Room" in dom
    assert re.search(r"subscribe", dom, flags=re.I)
    for title in titles:
        assert html.unescape(title) in html.unescape(dom), title
