"""Soak figures: the long runs record what they did, for `python -m bench reliability` to publish."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

SUMMARY_ENV = "FEEDPUB_SOAK_SUMMARY"
_lock = threading.Lock()


def summary_path() -> Path:
    return Path(os.environ.get(SUMMARY_ENV) or Path(tempfile.gettempdir()) / "feedpub-soak-summary.json")


def record_figures(name: str, figures: dict[str, Any]) -> None:
    """Merge one suite's figures into the summary file (named by $FEEDPUB_SOAK_SUMMARY)."""
    path = summary_path()
    with _lock:
        summary = json.loads(path.read_text()) if path.exists() else {}
        summary[name] = figures
        path.write_text(json.dumps(summary, indent=2, sort_keys=True))
