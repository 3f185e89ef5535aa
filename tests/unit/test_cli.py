"""`feedpub build` and `feedpub check` as an author runs them: messages and exit statuses."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from feedpub import cli
from tests.support.builders import content_dir

NOW = ["--now", "2026-01-01T00:00:00Z"]
SITE = "title: Film Notes\nbase_url: https://feeds.example.org/\n"
GOOD = '---\ntitle: "Good"\ndate: 2024-01-01\ntags: [Drama]\n---\nHello.\n'
BAD_DATE = '---\ntitle: "Bad"\ndate: 2025-13-45\n---\nHello.\n'
SCHEDULED = '---\ntitle: "Later"\ndate: 2031-06-06 09:00\n---\nSoon.\n'


def make_site(root: Path, articles: dict[str, str], site: str = SITE) -> Path:
    return content_dir(root, site, articles)


def test_given_one_bad_record_when_built_then_it_is_rejected_by_name_and_the_rest_is_published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = make_site(tmp_path / "c", {"good.md": GOOD, "x.md": BAD_DATE})
    status = cli.main(["build", str(content), "--out", str(tmp_path / "out"), *NOW])
    out, err = capsys.readouterr()
    assert status == 0
    assert err.splitlines() == [
        line for line in err.splitlines() if line.startswith("REJECTED articles/x.md: ")
    ]
    assert len(err.splitlines()) == 1
    assert "2025-13-45" in err
    assert "1 published, 1 rejected" in out
    assert b"Good" in (tmp_path / "out" / "feed.xml").read_bytes()


def test_given_a_scheduled_record_when_built_then_the_summary_says_when_it_is_due(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = make_site(tmp_path / "c", {"good.md": GOOD, "later.md": SCHEDULED})
    assert cli.main(["build", str(content), "--out", str(tmp_path / "out"), *NOW]) == 0
    out = capsys.readouterr().out
    assert "1 scheduled, next due at 2031-06-06T09:00:00" in out
    assert "2 feeds written" in out
    assert b"Later" not in (tmp_path / "out" / "feed.xml").read_bytes()


@pytest.mark.parametrize(
    ("site", "reason"),
    [
        ("base_url: https://feeds.example.org/\n", "'title' is required"),
        ("title: T\nbase_url: https://feeds.example.org/\ntitel: typo\n", "unknown key 'titel'"),
        ("title: [unclosed\n", "is not valid YAML"),
    ],
)
def test_given_an_invalid_site_yaml_when_built_then_exit_2_names_the_problem_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], site: str, reason: str
) -> None:
    content = make_site(tmp_path / "c", {"good.md": GOOD}, site=site)
    status = cli.main(["build", str(content), "--out", str(tmp_path / "out"), *NOW])
    err = capsys.readouterr().err
    assert status == 2
    assert "site.yaml" in err
    assert reason in err
    assert not (tmp_path / "out").exists()


def test_given_no_site_yaml_when_built_or_checked_then_exit_2_says_it_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "c" / "articles").mkdir(parents=True)
    assert cli.main(["build", str(tmp_path / "c"), "--out", str(tmp_path / "out")]) == 2
    assert cli.main(["check", str(tmp_path / "c")]) == 2
    assert capsys.readouterr().err.count("site.yaml: is missing") == 2
    assert not (tmp_path / "out").exists()


def test_given_a_rejected_record_when_checked_then_exit_1_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = make_site(tmp_path / "c", {"good.md": GOOD, "x.md": BAD_DATE})
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert cli.main(["check", str(content), *NOW]) == 1
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert capsys.readouterr().err.startswith("REJECTED articles/x.md: ")


def test_given_clean_content_when_checked_then_exit_0_and_summary_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = make_site(tmp_path / "c", {"good.md": GOOD})
    assert cli.main(["check", str(content), *NOW]) == 0
    out, err = capsys.readouterr()
    assert "1 published, 0 rejected" in out
    assert err == ""


def test_given_a_bad_now_when_built_then_usage_error_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["build", str(tmp_path), "--out", str(tmp_path / "out"), "--now", "yesterday"])
    assert exit_info.value.code == 2
    assert "'yesterday' is not an ISO 8601 date-time" in capsys.readouterr().err


def test_given_a_plugin_command_when_run_then_only_its_module_is_imported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    loaded: list[str] = []

    def plugin(name: str) -> types.ModuleType:
        module = types.ModuleType(name)

        def add_parser(subparsers: cli.Subparsers) -> None:
            loaded.append(name)
            parser = subparsers.add_parser(name.rsplit("_", 1)[1], help=f"{name} help")
            parser.set_defaults(run=lambda _args: 7)

        module.add_parser = add_parser  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, name, module)
        return module

    plugin("fake_publish")
    plugin("fake_dev")
    monkeypatch.setattr(cli, "PLUGINS", {"publish": "fake_publish", "dev": "fake_dev"})

    assert cli.main(["publish"]) == 7
    assert loaded == ["fake_publish"]

    loaded.clear()
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert sorted(loaded) == ["fake_dev", "fake_publish"]
    assert "publish" in capsys.readouterr().out


def test_given_the_content_dir_is_the_current_dir_when_checked_then_record_paths_are_named_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    content = make_site(tmp_path / "c", {"good.md": GOOD, "x.md": BAD_DATE})
    monkeypatch.chdir(content)
    assert cli.main(["check", ".", *NOW]) == 1
    assert capsys.readouterr().err.startswith("REJECTED articles/x.md: ")


def test_given_out_dir_is_an_existing_file_when_built_then_exit_1_names_it_and_the_file_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = make_site(tmp_path / "c", {"good.md": GOOD})
    (tmp_path / "public").write_text("not a directory")
    assert cli.main(["build", str(content), "--out", str(tmp_path / "public"), *NOW]) == 1
    err = capsys.readouterr().err
    assert err.startswith("feedpub: build failed: ")
    assert str(tmp_path / "public") in err
    assert (tmp_path / "public").read_text() == "not a directory"


def test_given_an_unexpected_error_then_one_line_asks_for_a_report_and_feedpub_traceback_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a bug deep inside `feedpub check` (the README: "never with a traceback")
    from feedpub import build

    def broken(*_: object) -> None:
        raise KeyError("a bug\nwith a second line")

    monkeypatch.setattr(build, "check_directory", broken)
    content = make_site(tmp_path, {"a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nx\n"})
    monkeypatch.delenv("FEEDPUB_TRACEBACK", raising=False)
    # When it runs, then one line says what happened and how to see where; exit 1
    assert cli.main(["check", str(content)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("feedpub: unexpected error (KeyError: 'a bug")
    assert line.endswith("(FEEDPUB_TRACEBACK=1 shows where it happened)")
    # And with FEEDPUB_TRACEBACK=1 the exception itself comes out, traceback and all
    monkeypatch.setenv("FEEDPUB_TRACEBACK", "1")
    with pytest.raises(KeyError, match="a bug"):
        cli.main(["check", str(content)])


def test_given_50_migrated_posts_with_one_warning_when_checked_then_three_lines_and_a_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a Hugo blog exported from WordPress: every post carries its post number as `id`, one a typo
    posts = {f"p{n:02}.md": f"---\ntitle: P{n}\ndate: 2024-01-01\nid: {n}\n---\nHi.\n" for n in range(50)}
    posts["typo.md"] = "---\ntitle: T\ndate: 2024-01-01\ndarft: true\n---\nHi.\n"
    content = make_site(tmp_path / "c", posts, SITE + "generator: hugo\n")
    # When checked, Then the first three posts, the other warning in full, and one count of the rest
    assert cli.main(["check", str(content), *NOW]) == 0
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == [f"WARN articles/p{n:02}.md" for n in range(3)]
    assert lines[3].startswith("WARN articles/typo.md: 'darft' is not a field feedpub reads")
    assert lines[4].startswith("WARN … and 47 more files with the same warning: id '…' is not a URI")
    assert lines[4].endswith("every one is in the output of --verbose")
    assert len(lines) == 5
    assert "51 warnings" in out
    # When checked with --verbose, Then every post has its line
    assert cli.main(["check", str(content), "--verbose", *NOW]) == 0
    verbose = capsys.readouterr().err.splitlines()
    assert len(verbose) == 51
    assert sorted(line.split(":")[0] for line in verbose if "is not a URI" in line) == [
        f"WARN articles/p{n:02}.md" for n in range(50)
    ]
