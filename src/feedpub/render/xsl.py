"""feed.xsl: the stylesheet the XML feeds point browsers at (a static asset shipped in the package)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def render_xsl() -> bytes:
    return files("feedpub").joinpath("assets/feed.xsl").read_bytes()
