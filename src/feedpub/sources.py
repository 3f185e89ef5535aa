"""What a file under `articles/` is, from its path alone, as Jekyll and Hugo read the same layout.

- Records: Markdown (`.md`, `.markdown`, `.mdown`, `.mkd`, `.mkdn`) or `.json` (in any case), in
  any subfolder.
- Jekyll: `YYYY-MM-DD-slug.ext` gives the date and the slug; a `_drafts` folder holds drafts;
  folders above a `_posts` folder are categories (`news/_posts/x.md` is in `news`); a post in
  `_posts` or `_drafts` may be HTML (`.html`, `.htm`) with front matter, as Jekyll allows.
- Hugo: a page bundle `<name>/index.md` is named after its folder; the folders between
  `articles/` and the page are its sections; `_index.md` is a section's list page, not a post.
- Anything else under `articles/` is not a record, and `skip_reason` says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

ARTICLES_PREFIX = "articles/"
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")
RECORD_SUFFIXES = (*MARKDOWN_SUFFIXES, ".json")
HTML_SUFFIXES = (".html", ".htm")  # Jekyll posts only: elsewhere an HTML file is a page, not a record
_JEKYLL_FOLDERS = ("_posts", "_drafts")
# Jekyll's own rule: a date, a hyphen, then the slug (the date's parts may be short).
_JEKYLL_NAME = re.compile(r"(\d{2,4})-(\d{1,2})-(\d{1,2})-(.+)")
# A bundle's page in one language of a multilingual Hugo site: index.en.md, index.pt-br.md.
_BUNDLE_PAGE = re.compile(r"index(?:\.[a-z]{2,3}(?:-[a-z0-9]{2,8})?)?", re.IGNORECASE)
_SECTION_PAGE = re.compile(r"_index(?:\.[a-z]{2,3}(?:-[a-z0-9]{2,8})?)?", re.IGNORECASE)
_SUFFIX_LIST = ", ".join(RECORD_SUFFIXES[:-1]) + " or " + RECORD_SUFFIXES[-1]


@dataclass(frozen=True)
class SourcePath:
    """The facts a record's path gives, before its front matter is read."""

    path: str  # "articles/2024/x.md"
    name: str  # the name the record goes by: the file's stem, or a bundle's folder
    slug: str  # `name` without a Jekyll date
    filename_date: str | None  # "2024-03-07" from a Jekyll name
    sections: tuple[str, ...]  # folders between articles/ and the page (a bundle's own folder excluded)
    bundle: bool  # a Hugo page bundle's index page
    html: bool  # a Jekyll post written in HTML
    jekyll: bool  # a Jekyll post: dated file name, or under _posts/_drafts
    jekyll_folder: bool  # under _posts/_drafts: only Jekyll reads those
    in_drafts: bool  # under a Jekyll _drafts folder
    path_categories: tuple[str, ...]  # folders above a Jekyll _posts/_drafts folder

    @property
    def directory(self) -> str:
        """The folder the record's source sits in, relative to the content root ("articles/x")."""
        return str(PurePosixPath(self.path).parent)


def _split(path: str) -> tuple[list[str], str, str] | None:
    """(folders under articles/, stem, suffix) of a key under articles/, or None if it is not one."""
    if not path.startswith(ARTICLES_PREFIX):
        return None
    parts = path[len(ARTICLES_PREFIX) :].split("/")
    stem, dot, suffix = parts[-1].rpartition(".")
    return (parts[:-1], stem, dot + suffix) if dot else (parts[:-1], parts[-1], "")


def skip_reason(path: str) -> str | None:
    """Why a content key under articles/ is not a record, or None when it is one."""
    split = _split(path)
    if split is None:
        return "is not under articles/"
    folders, stem, suffix = split
    name = path.rsplit("/", 1)[-1]
    # An empty, "." or ".." segment (articles//x.md) still makes a record, one that
    # records.key_problem rejects: S3 keeps such keys as written, and the author must hear of it.
    hidden = next((p for p in (*folders, name) if p.startswith(".") and p not in (".", "..")), None)
    if hidden is not None:
        return f"is hidden ('{hidden}' starts with a dot)"
    if name.startswith(("#", "~")) or name.endswith("~"):
        return "is an editor's temporary file"
    html_post = suffix.lower() in HTML_SUFFIXES and any(folder in _JEKYLL_FOLDERS for folder in folders)
    if suffix.lower() not in RECORD_SUFFIXES and not html_post:
        return f"is not a record (records are {_SUFFIX_LIST} files, and .html posts in _posts)"
    if not stem:
        return "has no name before its extension"
    if suffix.lower() in MARKDOWN_SUFFIXES and _SECTION_PAGE.fullmatch(stem):
        return "is a Hugo section's list page (_index), not a post"
    return None


def is_record_path(path: str) -> bool:
    """Whether a content key is an article record (editor temp and hidden files are not)."""
    return skip_reason(path) is None


def source_path(path: str) -> SourcePath:
    """What the path of a record (see is_record_path) says about it."""
    split = _split(path)
    assert split is not None, f"{path} is not under {ARTICLES_PREFIX}"
    folders, stem, suffix = split
    folders = [part for part in folders if part not in ("", ".", "..")]
    markdown = suffix.lower() in MARKDOWN_SUFFIXES
    bundle = markdown and bool(folders) and _BUNDLE_PAGE.fullmatch(stem) is not None
    name = folders[-1] if bundle else stem
    sections = tuple(folders[:-1] if bundle else folders)
    special = next((n for n, part in enumerate(folders) if part in ("_posts", "_drafts")), None)
    match = _JEKYLL_NAME.fullmatch(name)
    filename_date = None
    slug = name
    if match is not None:
        year, month, day, rest = match.groups()
        if len(year) == 4:
            filename_date = f"{year}-{int(month):02d}-{int(day):02d}"
            slug = rest
    return SourcePath(
        path=path,
        name=name,
        slug=slug.rstrip(".") or name,
        filename_date=filename_date,
        sections=sections,
        bundle=bundle,
        html=suffix.lower() in HTML_SUFFIXES,
        jekyll=filename_date is not None or special is not None,
        jekyll_folder=special is not None,
        in_drafts=special is not None and folders[special] == "_drafts",
        path_categories=tuple(folders[:special]) if special else (),
    )
