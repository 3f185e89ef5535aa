"""`python -m bench migration`: the figures docs/benchmarks.md gives for a real blog's posts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench import migration

JEKYLL = Path(__file__).resolve().parents[1] / "fixtures" / "jekyll"


def test_the_migration_bench_counts_what_a_migrating_user_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the Jekyll fixture's _posts and site.yaml
    links = tmp_path / "links.json"
    argv = ["--posts", str(JEKYLL / "articles" / "_posts"), "--site-yaml", str(JEKYLL / "site.yaml")]
    # When the bench runs
    assert migration.main([*argv, "--links", str(links)]) == 0
    out = capsys.readouterr().out.splitlines()
    # Then it counts published and rejected records and warnings, grouped by finding
    assert out[0] == "4 published, 0 rejected, 5 warnings"
    assert "     1 x body: {% include signup.html %} is not converted and was removed" in out
    # And it writes each item's links; the {% raw %} text shown literally is reported
    written = json.loads(links.read_text(encoding="utf-8"))
    hello = "https://jekyll.example.org/blog/2024/12/01/hello-world/"
    assert written[hello] == ["https://jekyll.example.org/blog/release/2025/01/29/jekyll-4-4-1-released/"]
    assert out[-2:] == [
        "1 items show template syntax outside code",
        "  https://jekyll.example.org/blog/release/2025/01/29/jekyll-4-4-1-released/",
    ]
