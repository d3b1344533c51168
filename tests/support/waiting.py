"""Waiting for a condition in tests: a gate between test phases, never a timing assertion.

The bound only turns a hang into a clear failure naming what did not happen.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], timeout_s: float,
               what: str | Callable[[], str], *, interval_s: float = 0.25) -> None:
    """Poll ``condition`` until it holds; ``what`` (or what it returns) names it on timeout."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            name = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout_s}s waiting for {name}")
        time.sleep(interval_s)
