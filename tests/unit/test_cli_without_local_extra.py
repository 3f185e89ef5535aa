"""A plain `pip install feedpub` (without the [local] extra: no moto, flask or watchdog): help, build
and check work, and the local pipeline's commands say which extra to install.

The extra's packages are made unimportable in a child interpreter, as they would be in such an install.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.sample_site import SAMPLE_SITE

REPO = Path(__file__).resolve().parents[2]
# A child interpreter where the [local] extra's packages cannot be imported, then the CLI.
WITHOUT_EXTRA = """
import importlib.abc, sys

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("moto", "flask", "watchdog"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
from feedpub.cli import main
sys.exit(main(sys.argv[1:]))
"""


def feedpub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_help_lists_every_command() -> None:
    result = feedpub("--help")
    assert result.returncode == 0, result.stderr
    for command in ("build", "check", "publish", "dev", "invoke"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["dev", "invoke", "publish", "build", "check"])
def test_each_commands_help_works(command: str) -> None:
    result = feedpub(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: feedpub {command}" in result.stdout


def test_no_command_is_a_one_line_usage_error() -> None:
    result = feedpub()
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "feedpub: the following arguments are required: COMMAND (see feedpub --help)"
    ]


def test_build_and_check_work(tmp_path: Path) -> None:
    assert feedpub("check", str(SAMPLE_SITE)).returncode == 0
    built = feedpub("build", str(SAMPLE_SITE), "--out", str(tmp_path / "public"))
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "public" / "feed.xml").is_file()


@pytest.mark.parametrize(
    "args", [["dev", "--content", str(SAMPLE_SITE)], ["invoke", str(REPO / "events" / "schedule-due.json")]]
)
def test_the_local_pipeline_says_which_extra_to_install(args: list[str]) -> None:
    result = feedpub(*args)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert f"feedpub {args[0]} needs the 'local' extra (moto, flask, watchdog not installed)" in line
    assert "pip install 'feedpub[local]'" in line
