"""Front matter → a mapping: YAML (`---`), TOML (`+++`) or JSON (`{ … }`), as Jekyll and Hugo read it.

`split(text)` separates the front matter from the body; `load(source)` reads YAML exactly as
safe YAML reads it, but dates left as text.

Most front matter is a few `key: value` lines. Reading those with PyYAML costs more than
everything else in a build of 10,000 records, so lines of the plain shapes below are read
directly (checked against PyYAML's own implicit-type rules), and anything else (nesting,
escapes, multi-line values, anchors, tags, numbers) goes to the YAML loader.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import yaml

from feedpub.errors import describe_failure

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_YamlBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# libyaml's composer recurses in C once per nesting level: tens of thousands of levels overflow
# the C stack and kill the process outright (no RecursionError), so deeper front matter is refused.
MAX_DEPTH = 200
_NESTING_MARKS = "[{-:?"  # every nesting level needs at least one of these characters


class FrontMatterLoader(_YamlBase):
    """Safe YAML that leaves dates as text, so `2025-13-45` reaches parse_when and its message."""


FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in _YamlBase.yaml_implicit_resolvers.items()
}
FrontMatterLoader.add_constructor(_TIMESTAMP_TAG, _YamlBase.construct_yaml_str)


class FrontMatterError(ValueError):
    """The front matter is not YAML we accept; the message says where or why."""


_YAML_FENCE = "---"
_YAML_CLOSING = ("---", "...")
_TOML_FENCE = "+++"
YAML, TOML, JSON = "yaml", "toml", "json"


def split(text: str) -> tuple[object, str, str]:
    """(front matter, body, its format) of a Markdown record; FrontMatterError if there is none.

    The front matter is None when it is empty; its type is otherwise whatever the format gave.
    """
    first, _, rest = text.partition("\n")
    fence = first.rstrip()
    if fence == _YAML_FENCE:
        source, body = _fenced(rest, _YAML_CLOSING, "---")
        return load(source), body, YAML
    if fence == _TOML_FENCE:
        source, body = _fenced(rest, (_TOML_FENCE,), "+++")
        return _load_toml(source), body, TOML
    if text.startswith("{"):
        return _load_json(text)
    raise FrontMatterError(
        "has no front matter: it must start with a '---' line (YAML), a '+++' line (TOML) "
        "or a '{' (JSON), then title and date"
    )


def _fenced(rest: str, closing: tuple[str, ...], fence: str) -> tuple[str, str]:
    lines = rest.split("\n")
    end = next((n for n, line in enumerate(lines) if line.rstrip() in closing), None)
    if end is None:
        raise FrontMatterError(f"front matter has no closing '{fence}' line")
    return "\n".join(lines[:end]), "\n".join(lines[end + 1 :])


def _load_toml(source: str) -> object:
    if not source.strip():
        return None
    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        # +1: line 1 of the file is the opening "+++".
        message = re.sub(r"\(at line (\d+)", lambda m: f"(at line {int(m.group(1)) + 1}", str(exc))
        raise FrontMatterError(f"front matter is not valid TOML: {message}") from None
    except RecursionError:
        raise FrontMatterError("front matter is not valid TOML: nested too deeply") from None


def _load_json(text: str) -> tuple[object, str, str]:
    try:
        fields, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        raise FrontMatterError(
            f"front matter is not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise FrontMatterError("front matter is not valid JSON: nested too deeply") from None
    return fields, text[end:].removeprefix("\n"), JSON


def load(source: str) -> object:
    """The YAML document in `source` (None if empty); raise FrontMatterError if it is invalid."""
    fields = _read_plain(source)
    if fields is not None:
        return fields
    try:
        _check_depth(source)
        return yaml.load(source, Loader=FrontMatterLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        # +2: line 1 of the file is the opening "---".
        where = f" at line {mark.line + 2}, column {mark.column + 1}" if mark else ""
        raise FrontMatterError(f"front matter is not valid YAML{where}: {exc.problem or exc}") from None
    except FrontMatterError:
        raise
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        # ValueError: a decimal number of more than 4,300 digits (Python's int conversion limit).
        raise FrontMatterError(f"front matter is not valid YAML: {describe_failure(exc)}") from None


def _check_depth(source: str) -> None:
    if sum(source.count(mark) for mark in _NESTING_MARKS) <= MAX_DEPTH:
        return  # too few marks to nest that deep: skip the event scan
    too_deep = FrontMatterError(f"front matter is not valid YAML: nested more than {MAX_DEPTH} levels deep")
    depth = 0
    try:
        for event in yaml.parse(source, Loader=FrontMatterLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise too_deep
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # Newer libyaml scans a flow collection ahead and stops at its own, higher limit before
        # emitting the events counted above: the same refusal, so the same message.
        if "nesting depth" in str(exc.problem):
            raise too_deep from None
        raise


# -- the fast path ------------------------------------------------------------------------------

_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?:[ ]+(.*?))?[ ]*")
# A plain scalar that YAML reads as the same text: a harmless first character, no comment
# (" #"), no mapping indicator (": " or a trailing ":"), no tab.
_PLAIN = re.compile(r"[A-Za-z0-9_(./$][^\t]*")
_PLAIN_TRAPS = re.compile(r": | #|:$")
_FLOW_ITEM = re.compile(r"[A-Za-z0-9_(./$][^,\[\]{}:#'\"\t]*")
_DOUBLE_QUOTED = re.compile(r'"([^"\\]*)"')
_SINGLE_QUOTED = re.compile(r"'([^']*)'")
# Characters YAML refuses or treats as line breaks (NEL, LS, PS) or byte-order marks: leave
# those to YAML and its error message.
_NOT_PLAIN_YAML = re.compile(
    "[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_FALLBACK = object()  # this value is not one the fast path reads exactly like YAML


def _read_plain(source: str) -> dict[str, Any] | None:
    """The mapping if every line is a simple `key: value`, else None (let YAML decide)."""
    if _NOT_PLAIN_YAML.search(source):
        return None
    fields: dict[str, Any] = {}
    for line in source.split("\n"):
        if not line.strip() or line.startswith("#"):
            continue
        match = _KEY_LINE.fullmatch(line)
        if match is None or _implicit(match.group(1)) is not str:
            return None
        value = _value(match.group(2) or "")
        if value is _FALLBACK:
            return None
        fields[match.group(1)] = value
    return fields or None


def _value(text: str) -> object:
    if not text:
        return None
    if text[0] == "[" and text[-1] == "]":
        inner = text[1:-1].strip()
        items = [_flow_item(item.strip()) for item in inner.split(",")] if inner else []
        return _FALLBACK if _FALLBACK in items else items
    quoted = _quoted(text)
    if quoted is not None:
        return quoted
    if not _PLAIN.fullmatch(text) or _PLAIN_TRAPS.search(text):
        return _FALLBACK
    return _plain(text)


def _flow_item(text: str) -> object:
    quoted = _quoted(text)
    if quoted is not None:
        return quoted
    return _plain(text) if _FLOW_ITEM.fullmatch(text) else _FALLBACK


def _quoted(text: str) -> str | None:
    pattern = {'"': _DOUBLE_QUOTED, "'": _SINGLE_QUOTED}.get(text[:1])
    match = pattern.fullmatch(text) if pattern else None
    return match.group(1) if match else None


def _plain(text: str) -> object:
    kind = _implicit(text)
    if kind is str:
        return text
    if kind is bool:
        return _YamlBase.bool_values[text.lower()]
    return None if kind is None else _FALLBACK


def _implicit(text: str) -> object:
    """What YAML's implicit resolvers make of a plain scalar: str, bool, None, or _FALLBACK."""
    resolvers = FrontMatterLoader.yaml_implicit_resolvers
    for tag, regexp in resolvers.get(text[:1], []) + resolvers.get(None, []):
        if regexp.match(text):
            return {_BOOL_TAG: bool, _NULL_TAG: None}.get(tag, _FALLBACK)
    return str
