"""Cold start: the cyclic garbage collector paused while the function initialises.

Start-up builds only long-lived objects (modules, pydantic models, botocore service models and
clients): about a hundred collections during it trace them again and again and find nothing to
free. Pausing collection for those steps, then freezing what they built, so that later
collections skip it too, is measured by bench/cold_start.py.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """No collections inside; on the way out, everything alive moves to the permanent generation."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
