"""The outputs a run has rendered and not written yet, held compressed.

A run renders every output it changes before its commit (the state records their digests) and
writes them only after it (publish/writer.py), and a run that writes what a failed render step
left pending renders those after it: up to every archive document of the site, about 12 MiB of
XML and JSON per 1,000 articles on the benchmark's site (held as they were, they took a merge of
20,000 articles, when merges still rendered them, more than 400 MiB). Feed documents are
repetitive text: zlib at its fastest level keeps them at about a sixth of their size, for a small
share of the run's CPU (docs/benchmarks.md, "Choosing memory").

Kept in memory rather than spilled to a file under /tmp: nothing to size (Lambda's ephemeral
storage) or to clean up after a crash; rendering at write time instead would render every
document twice.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, MutableMapping

LEVEL = 1  # zlib's fastest: most of the ratio (about 6:1 on archive documents) at a third of level 6's CPU


class Bodies(MutableMapping[str, bytes]):
    """Path -> output bytes, stored compressed; each body is decompressed when it is read."""

    def __init__(self) -> None:
        self._held: dict[str, bytes] = {}

    def __getitem__(self, path: str) -> bytes:
        return zlib.decompress(self._held[path])

    def __setitem__(self, path: str, body: bytes) -> None:
        self._held[path] = zlib.compress(body, LEVEL)

    def __delitem__(self, path: str) -> None:
        del self._held[path]

    def __contains__(self, path: object) -> bool:
        return path in self._held

    def __iter__(self) -> Iterator[str]:
        return iter(self._held)

    def __len__(self) -> int:
        return len(self._held)
