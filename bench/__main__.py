"""`python -m bench [NAME ...] [OPTIONS]`: run every benchmark, or the named ones.

OPTIONS after the names go to each benchmark (e.g. `python -m bench offline-build --articles 2000`).
"""

from __future__ import annotations

import importlib
import itertools
import sys

# Benchmark name -> module exposing `main(argv: list[str]) -> int`. Add yours here.
BENCHMARKS: dict[str, str] = {
    "offline-build": "bench.offline_build",
    "scale": "bench.scale",
    "reliability": "bench.reliability",
    "local": "bench.local_pipeline",
    "rebuild": "bench.rebuild",
    "migration": "bench.migration",
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    names = list(itertools.takewhile(lambda arg: not arg.startswith("-"), args))
    options = args[len(names) :]
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    status = 0
    for name in names or list(BENCHMARKS):
        print(f"== bench {name}", flush=True)
        status |= importlib.import_module(BENCHMARKS[name]).main(options)
    return status


if __name__ == "__main__":
    sys.exit(main())
