"""`python -m bench migration --posts DIR`: a real blog's posts as feedpub publishes them.

Copies DIR (a Jekyll `_posts` folder, by default jekyllrb.com's own: the jekyll/jekyll
repository's docs/_posts) under articles/_posts of a fresh content directory with a site.yaml
(by default jekyllrb.com's _config.yml settings), checks it as `feedpub check` does and prints
what a migrating user reads: published and rejected records, warnings by finding, the links the
bodies hold, and the items whose HTML still shows template syntax. `--links FILE` writes every
item's links (URL -> sorted hrefs, JSON) to compare two commits.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedpub import build
from feedpub.findings import finding_key

# jekyllrb.com's _config.yml, in site.yaml's words (url, timezone, the posts' permalink, the one
# variable its posts read: site.repository).
JEKYLLRB_SITE_YAML = """title: Jekyll • Simple, blog-aware, static sites
base_url: https://feeds.example.org/
home_page_url: https://jekyllrb.com/
timezone: America/Los_Angeles
permalink: /news/:year/:month/:day/:title/
generator: jekyll
variables:
  repository: https://github.com/jekyll/jekyll
  title: Jekyll • Simple, blog-aware, static sites
"""
NOW = datetime(2026, 12, 2, tzinfo=UTC)  # every post is in the past: none is scheduled
_TEMPLATE_SYNTAX = re.compile(r"\{%|\{\{|\{:")
_HREF = re.compile(r'href="([^"]*)"')


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench migration")
    parser.add_argument("--posts", type=Path, required=True, help="a Jekyll _posts folder")
    parser.add_argument("--site-yaml", type=Path, help="site.yaml to use (default: jekyllrb.com's)")
    parser.add_argument("--links", type=Path, help="write each item's links here (JSON)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="feedpub-migration-") as scratch:
        content = Path(scratch)
        shutil.copytree(args.posts, content / "articles" / "_posts")
        site_yaml = args.site_yaml.read_text(encoding="utf-8") if args.site_yaml else JEKYLLRB_SITE_YAML
        (content / "site.yaml").write_text(site_yaml, encoding="utf-8")
        result = build.check_directory(content, NOW)
    items = _items(result)
    links = {item["url"]: sorted(set(_HREF.findall(_html(item)))) for item in items}
    findings = Counter(finding_key(message) for _, message in result.warnings)
    print(f"{len(items)} published, {len(result.rejected)} rejected, {len(result.warnings)} warnings")
    for finding, count in findings.most_common():
        print(f"  {count:4d} x {finding}")
    print(f"{sum(map(len, links.values()))} distinct links in {len(links)} items")
    shown = [item["url"] for item in items if _TEMPLATE_SYNTAX.search(_outside_code(_html(item)))]
    print(f"{len(shown)} items show template syntax outside code" + "".join(f"\n  {url}" for url in shown))
    if args.links:
        args.links.write_text(json.dumps(links, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


def _items(result: build.BuildResult) -> list[dict[str, object]]:
    """Every item of the site's own feed: its JSON Feed and the archive pages it links to."""
    pages = [
        path
        for path in result.outputs
        if path == "feed.json" or re.fullmatch(r"archive/\w+/feed\.json", path)
    ]
    return [item for path in pages for item in json.loads(result.outputs[path])["items"]]


def _html(item: dict[str, Any]) -> str:
    return str(item.get("content_html", ""))


def _outside_code(html: str) -> str:
    """The HTML without its <code> and <pre> elements (template syntax there is a code sample)."""
    return re.sub(r"<(pre|code)\b.*?</\1>", "", html, flags=re.DOTALL)
