"""The commands the README and docs/local.md show are the commands feedpub has: every documented
`feedpub …` line parses with the real parser, and the runnable ones run as written (in a scratch
directory holding a copy of the sample site as `content`, so the editable content/ is never read)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from feedpub import cli
from tests.e2e.conftest import REPO, SAMPLE_CONTENT, start_pipeline

DOCS = [REPO / "README.md", REPO / "docs" / "local.md", REPO / "events" / "README.md"]
# Placeholders the docs use, and a value of the right kind for each.
PLACEHOLDERS = {
    "CONTENT_DIR": "content",
    "DIR": "content",
    "NAME": "feedpub-content",
    "URL": "http://127.0.0.1:4566",
    "EVENT.json": "events/schedule-due.json",
    "PORT": "4566",
}
_ANGLE = re.compile(r"<[^>]+>")
_OPTIONAL = re.compile(r"\[([^\[\]]+)\]")


def documented_commands() -> list[tuple[str, str]]:
    """(document, command line) for every `feedpub …` in a shell block or a code span."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)
        lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
        spans = [" ".join(span.split()) for span in re.findall(r"`(?:\.venv/bin/)?(feedpub [^`]+)`", text)]
        spans = [span for span in spans if len(span.split()) > 2]  # a bare `feedpub check` is prose
        for line in [*lines, *spans]:
            if line.startswith("feedpub ") and " | " not in line:
                found.append((doc.relative_to(REPO).as_posix(), line))
    return sorted(set(found))


def as_arguments(line: str) -> list[str]:
    """The documented line with optional parts included and placeholders filled in."""
    line = _OPTIONAL.sub(r"\1", line.replace("…", "")).replace(" ...", "")
    line = _ANGLE.sub("feedpub-content", line)
    words = shlex.split(line)[1:]
    return [PLACEHOLDERS.get(word, word) for word in words]


@pytest.mark.parametrize(("doc", "line"), documented_commands())
def test_every_documented_command_line_is_accepted_by_the_parser(doc: str, line: str) -> None:
    arguments = as_arguments(line)
    if arguments[0] not in ("build", "check", "publish", "dev", "invoke"):
        pytest.fail(f"{doc} documents an unknown command: {line}")
    # When parsed exactly as feedpub parses it, then argparse does not refuse it (SystemExit 2)
    args = cli.build_parser(arguments[0]).parse_args(arguments)
    assert args.command == arguments[0]


@pytest.mark.parametrize("command", ["dev", "invoke", "publish"])
def test_docs_local_names_every_option_of_the_local_commands(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the options `feedpub COMMAND --help` lists, then docs/local.md documents each of them
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    options = set(re.findall(r"(--[a-z0-9][a-z0-9-]*)", capsys.readouterr().out)) - {"--help"}
    local = (REPO / "docs" / "local.md").read_text(encoding="utf-8")
    assert options
    assert sorted(option for option in options if option not in local) == []


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A directory laid out like the repository: the sample site as content/, and events/."""
    shutil.copytree(SAMPLE_CONTENT, tmp_path / "content")
    shutil.copytree(REPO / "events", tmp_path / "events")
    return tmp_path


def run_line(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = shlex.split(line)
    return subprocess.run(
        [sys.executable, "-m", "feedpub.cli", *command[1:]],
        capture_output=True, text=True, timeout=180, check=False, cwd=cwd,
    )  # fmt: skip


def test_the_readme_build_check_and_invoke_lines_run_as_written(scratch: Path) -> None:
    runnable = [
        line
        for doc, line in documented_commands()
        if doc == "README.md" and line.split()[1] in ("build", "check", "invoke") and "[" not in line
    ]
    assert len(runnable) >= 3, runnable
    for line in runnable:
        result = run_line(line, scratch)
        assert result.returncode == 0, f"{line}: {result.stderr}"
        assert "Traceback" not in result.stderr
    assert (scratch / "public" / "feed.xml").is_file()


def test_the_invoke_pipe_in_docs_local_works(scratch: Path) -> None:
    # docs/local.md: `feedpub invoke EVENT.json | python3 -m json.tool` works (stdout is only JSON)
    local = (REPO / "docs" / "local.md").read_text(encoding="utf-8")
    assert "`feedpub invoke EVENT.json | python3 -m json.tool`" in local
    invoke = run_line("feedpub invoke events/sqs-put-article.json", scratch)
    piped = subprocess.run(
        [sys.executable, "-m", "json.tool"], input=invoke.stdout, capture_output=True, text=True, check=False
    )
    assert piped.returncode == 0, invoke.stdout


def test_make_dev_takes_the_ports_it_documents() -> None:
    result = subprocess.run(
        ["make", "-n", "dev", "PORT=9000", "S3_PORT=9001"],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "feedpub dev --content content --port 9000 --s3-port 9001" in result.stdout
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "`make dev PORT=9000 S3_PORT=9001`" in readme


def test_the_readme_upload_example_works_against_feedpub_dev(scratch: Path, tmp_path: Path) -> None:
    # Given `feedpub dev` running, and the README's credentials and `feedpub publish` example
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    credentials = dict(
        re.findall(r"\b(AWS_[A-Z_]+)=(\S+)", readme.split("aws s3 cp post.md")[0].split("```sh")[-1])
    )
    assert set(credentials) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}
    (line,) = [
        line for doc, line in documented_commands() if doc == "README.md" and "--endpoint-url http" in line
    ]
    (tmp_path / "dev").mkdir()
    for dev in start_pipeline(tmp_path / "dev"):
        # When the example runs with the endpoint this pipeline printed
        line = line.replace("http://127.0.0.1:4566", dev.pipeline.resources.endpoint)
        result = subprocess.run(
            [sys.executable, "-m", "feedpub.cli", *shlex.split(line)[1:]],
            capture_output=True, text=True, timeout=180, check=False, cwd=scratch,
            env={**os.environ, **credentials},
        )  # fmt: skip
        # Then it syncs: the sample site is already there, so nothing needs uploading
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("uploaded 0, deleted 0, unchanged ")


# -- what the docs name exists --------------------------------------------------------------------

EVERY_DOC = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "events" / "README.md"]
_LINK = re.compile(r"\[[^\]]+\]\(([^)\s]+)\)")
_REPO_PATH = re.compile(
    r"(?<![\w/.-])((?:docs|tests|src|infra|handlers|events|bench)/[\w./-]+?\.(?:md|py|json|js|yaml|toml|txt|sh))\b"
)


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a document's headings."""
    headings = re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("doc", EVERY_DOC, ids=lambda doc: doc.relative_to(REPO).as_posix())
def test_every_link_file_and_make_target_a_doc_names_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    # A link inside code (a block or a span) is an example, not a link of the doc
    prose = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.DOTALL))
    broken = []
    for target in _LINK.findall(prose):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        linked = (doc.parent / path).resolve() if path else doc
        if not linked.exists():
            broken.append(f"link {target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked.read_text(encoding="utf-8")):
            broken.append(f"link {target}: no such heading")
    for named in set(_REPO_PATH.findall(text)):
        # `feedpub/local/x.py` style names are under src/
        if not (REPO / named).exists() and not (REPO / "src" / named).exists():
            broken.append(f"{named}: no such file")
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    for target in set(re.findall(r"`make ([a-z][a-z-]*)", text)):
        if not re.search(rf"^{target}:", makefile, flags=re.MULTILINE):
            broken.append(f"make {target}: no such target")
    assert broken == []


def test_the_readme_site_yaml_table_has_every_setting_and_says_which_rebuild_nothing() -> None:
    from feedpub.catalogue import KINDS
    from feedpub.config import SITE_FIELD_CHANGES, SiteChange, SiteConfig

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("| key | | meaning |", 1)[1].split("\n\n", 1)[0]
    rows = [line.split("|")[1:4] for line in table.splitlines()[2:]]
    documented = {key for first, _, _ in rows for key in re.findall(r"`(\w+)`", first)}
    # Then every site.yaml setting has a row, and no row names a setting that does not exist
    assert documented == set(SiteConfig.model_fields)
    # And the defaults it gives are the defaults
    for first, default, _ in rows:
        keys, values = re.findall(r"`(\w+)`", first), [value.strip() for value in default.split(",")]
        if len(values) != len(keys) or not all(re.fullmatch(r"`\w+`|\d+( MiB)?", v) for v in values):
            continue  # required, optional, or words
        for key, value in zip(keys, values, strict=True):
            number = value.removesuffix(" MiB")
            expected = (
                value.strip("`") if value.startswith("`") else int(number) * (2**20 if value != number else 1)
            )
            assert str(SiteConfig.model_fields[key].default) == str(expected), key
    # And the `content` row names every kind of feed
    (content,) = [meaning for first, _, meaning in rows if first.strip() == "`content`"]
    assert set(re.findall(r"`(\w+)`", content)) >= {kind.name for kind in KINDS}
    # And the settings said to re-render feeds without reading articles are those that do
    cheap = readme.split("re-renders the feeds from what the publisher keeps", 1)[0].rsplit("\n\n", 1)[1]
    assert set(re.findall(r"`(\w+)`", cheap)) == {
        field for field, change in SITE_FIELD_CHANGES.items() if change is not SiteChange.RECORDS
    }


def test_the_readme_article_example_is_published_as_written(scratch: Path) -> None:
    # Given the README's example article, saved where it says
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    path, example = re.findall(r"An article, `(content/articles/[\w-]+\.md)`.*?```markdown\n(.*?)```", readme,
                               flags=re.DOTALL)[0]  # fmt: skip
    (scratch / path).write_text(example, encoding="utf-8")
    # When `feedpub check` reads the site, and `feedpub build` builds it
    check = run_line("feedpub check content", scratch)
    build = run_line("feedpub build content --out public", scratch)
    # Then it is published without a rejection or a warning, in its tags' and its author's feeds,
    # and its link to another article is that article's link
    key = path.removeprefix("content/")
    assert check.returncode == 0, check.stderr
    assert key not in check.stderr
    assert build.returncode == 0, build.stderr
    for feed in ("feed.xml", "tags/news/feed.xml", "tags/film/feed.xml", "authors/jane-doe/feed.xml"):
        assert "My first post" in (scratch / "public" / feed).read_text(encoding="utf-8"), feed
    assert "https://www.example.org/ballerina-john-wick-spinoff/" in (
        scratch / "public" / "authors" / "jane-doe" / "feed.xml"
    ).read_text(encoding="utf-8")


def test_every_date_form_the_docs_list_is_read_and_the_refused_one_is_refused(scratch: Path) -> None:
    # Given one article per date form the README and docs/migrating.md list ("Dates may be written …")
    forms = []
    for doc in ("README.md", "docs/migrating.md"):
        text = (REPO / doc).read_text(encoding="utf-8")
        sentence = re.split(r";|\.\s|, and what", text.split("Dates may be written", 1)[1], maxsplit=1)[0]
        forms += [form for form in re.findall(r"`([^`]+)`", sentence) if "TOML" not in form]
    assert len(forms) >= 10, forms
    articles = scratch / "content" / "articles"
    for number, form in enumerate(forms):
        (articles / f"date-{number}.md").write_text(f"---\ntitle: Form {number}\ndate: {form}\n---\nx\n")
    (articles / "refused.md").write_text("---\ntitle: Refused\ndate: 03/07/2024\n---\nx\n")
    # When feedpub check reads them
    result = run_line("feedpub check content", scratch)
    # Then only the numeric order the README says is refused is rejected
    rejected = [line for line in result.stderr.splitlines() if line.startswith("REJECTED")]
    assert [line.split(":")[0] for line in rejected] == ["REJECTED articles/refused.md"], rejected
