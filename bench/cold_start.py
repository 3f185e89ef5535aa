"""Lambda cold start: a fresh interpreter importing the publish handler and creating its clients,
as a ratio to a fresh interpreter running `import boto3`, measured alternately in the same run.

Whole-process wall time (start to exit) is what a cold start costs, so that is what is timed;
medians over repeated runs smooth out the noise of a shared machine.

`measure_artifact` times the same start from the function's layout instead: the runtime
dependencies pip-installed into one directory with feedpub and the handlers, and no bytecode
written while running (Lambda's /var/task is read-only), with and without the bytecode the build
ships. It needs pip to reach the package index.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "import boto3"
# What a cold Lambda does before its first batch: import the handler and build its publisher
# (an S3 and a CloudFront client).
HANDLER = "import handlers.publish as h; h.current_publisher()"
TARGET_RATIO = 2.5
# What Lambda and the template give the function; the values only need to parse. Lambda always
# sets LAMBDA_TASK_ROOT: without it the X-Ray SDK behind Tracer builds botocore clients of its
# own at import, which a real cold start never pays for.
LAMBDA_ENV = {
    "LAMBDA_TASK_ROOT": str(Path(__file__).resolve().parents[1]),
    "AWS_LAMBDA_FUNCTION_NAME": "feedpub-publish",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "CONTENT_BUCKET": "bench-content",
    "PUBLISH_BUCKET": "bench-publish",
    "DISTRIBUTION_ID": "EBENCH",
    "POWERTOOLS_SERVICE_NAME": "feedpub",
    "POWERTOOLS_METRICS_NAMESPACE": "feedpub",
}


@dataclass(frozen=True)
class ColdStart:
    runs: int
    baseline_s: float
    handler_s: float

    @property
    def ratio(self) -> float:
        return self.handler_s / self.baseline_s

    @property
    def met(self) -> bool:
        return self.ratio <= TARGET_RATIO


def _time_process(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - started


def measure(runs: int = 15) -> ColdStart:
    env = {**os.environ, **LAMBDA_ENV}
    _time_process(BASELINE, env)  # warm the OS page cache for both, so neither pays for it alone
    _time_process(HANDLER, env)
    baseline, handler = [], []
    for _ in range(runs):
        baseline.append(_time_process(BASELINE, env))
        handler.append(_time_process(HANDLER, env))
    return ColdStart(runs, statistics.median(baseline), statistics.median(handler))


@dataclass(frozen=True)
class ArtifactStart:
    runs: int
    without_bytecode_s: float
    with_bytecode_s: float


def measure_artifact(runs: int = 5) -> ArtifactStart:
    """The handler's cold start from a function-shaped directory, before and after compiling it."""
    with tempfile.TemporaryDirectory() as scratch:
        artifact = Path(scratch, "artifact")
        requirements = ROOT / "handlers" / "requirements.txt"
        pip = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
        ]
        subprocess.run([*pip, "--target", str(artifact), "-r", str(requirements)], check=True)
        skipped = shutil.ignore_patterns("__pycache__", "local", "requirements.txt")
        shutil.copytree(ROOT / "src" / "feedpub", artifact / "feedpub", ignore=skipped)
        shutil.copytree(ROOT / "handlers", artifact / "handlers", ignore=skipped)
        env = {
            **os.environ,
            **LAMBDA_ENV,
            "LAMBDA_TASK_ROOT": str(artifact),
            "PYTHONPATH": str(artifact),  # ahead of this interpreter's own site-packages
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        without = statistics.median(_time_process(HANDLER, env) for _ in range(runs))
        compile_all = [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
        ]
        subprocess.run([*compile_all, str(artifact)], check=True, stdout=subprocess.DEVNULL)
        with_ = statistics.median(_time_process(HANDLER, env) for _ in range(runs))
    return ArtifactStart(runs, without, with_)
