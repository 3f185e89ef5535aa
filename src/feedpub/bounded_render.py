"""Large Markdown bodies render in a child process with a CPU-time and a memory limit.

markdown-it-py is pure Python: a hostile 1 MiB body (a run of "*a" or "[") takes 20-40 s of CPU
and half a GiB of memory, enough to stall or kill the whole batch it arrived in. A child process
is the one place such work can be stopped: RLIMIT_CPU ends it, RLIMIT_AS turns runaway allocation
into MemoryError, and the record is rejected naming the limit. parse_record sends only bodies
over INLINE_LIMIT here: up to that size even the worst shapes take about a second and a few
tens of MiB in process, less than a child costs to start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from feedpub.markup import render_body

INLINE_LIMIT = 32 * 1024  # characters of Markdown that parse_record leaves to render in process
_MiB = 1024 * 1024
_OUT_OF_MEMORY = 3  # the child's exit status when the memory limit stopped it
_BODY_FAILED = 4  # the child's exit status when rendering this body raised (the record's fault)
_CPU_SIGNALS = (-signal.SIGXCPU, -signal.SIGKILL)  # the soft and the hard RLIMIT_CPU
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class RenderLimitError(Exception):
    """The body cannot be rendered: it needed more CPU time or memory than the site allows, or
    rendering it failed; `reason` says which. The record is rejected."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RendererFailedError(RuntimeError):
    """The child process failed for a reason other than its limits (a fault, not the record's)."""


def render_bounded(markdown: str, base: str, cpu_seconds: int, memory_mib: int) -> str:
    """render_body(markdown, base) in a child process, stopped with RenderLimitError past either limit."""
    # Wall time is only a backstop for a child starved of CPU: the CPU limit is the budget.
    wall_seconds = 4 * cpu_seconds + 10
    try:
        child = subprocess.run(
            [sys.executable, "-m", __name__, base, str(cpu_seconds), str(memory_mib)],
            input=markdown.encode(),  # XML-safe already: no lone surrogates
            capture_output=True,
            timeout=wall_seconds,
            env=_child_environment(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderLimitError(
            f"body did not finish rendering within {wall_seconds} s (render_cpu_seconds is {cpu_seconds})"
        ) from None
    except OSError as exc:
        raise RendererFailedError(f"cannot start the renderer process: {exc}") from exc
    if child.returncode == 0:
        return child.stdout.decode()
    if child.returncode in _CPU_SIGNALS:
        raise RenderLimitError(
            f"body needs more than {cpu_seconds} s of CPU to render (render_cpu_seconds); "
            "simplify its Markdown or raise the limit in site.yaml"
        )
    if child.returncode == _OUT_OF_MEMORY:
        raise RenderLimitError(
            f"body needs more than {memory_mib} MiB of memory to render (render_memory_mib); "
            "simplify its Markdown or raise the limit in site.yaml"
        )
    detail = child.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
    if child.returncode == _BODY_FAILED:
        raise RenderLimitError(f"body cannot be rendered: {detail[0]}")
    raise RendererFailedError(f"renderer process exited with status {child.returncode}: {detail[0]}")


def _child_environment() -> dict[str, str]:
    # The child must import this very feedpub (an unpacked Lambda bundle is not an installed package).
    paths = [_PACKAGE_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _limit_child(cpu_seconds: int, memory_mib: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(used.ru_utime + used.ru_stime) + cpu_seconds  # start-up is not the body's fault
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
    mapped = _mapped_bytes()
    if mapped is not None:  # Linux: the limit is on top of what the interpreter has mapped already
        limit = mapped + memory_mib * _MiB
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _mapped_bytes() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _main(argv: list[str]) -> None:
    base, cpu_seconds, memory_mib = argv[0], int(argv[1]), int(argv[2])
    markdown = sys.stdin.buffer.read().decode()
    _limit_child(cpu_seconds, memory_mib)
    try:
        html = render_body(markdown, base)
    except MemoryError:
        os._exit(_OUT_OF_MEMORY)  # no clean-up: it could need memory too
    except Exception as exc:
        sys.stderr.write(f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}\n")
        sys.stderr.flush()
        os._exit(_BODY_FAILED)
    sys.stdout.buffer.write(html.encode())


if __name__ == "__main__":
    _main(sys.argv[1:])
