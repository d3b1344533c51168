"""The demo's progress while it works: one updating line on a terminal, plain lines elsewhere.

A tick carries what a user waits on: changes sent per second, the sink's consumer lag in
seconds, and how many source rows the warehouse already holds equal (from the last
comparison). On a terminal the line is rewritten in place; in a log (not a TTY) a plain line
is written at most every ``plain_every_s`` so that logs stay readable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from cdc_demo.verify import VerifyReport


@dataclass(frozen=True)
class Tick:
    """One progress reading; ``None`` = not measured (yet)."""

    phase: str
    sent_per_s: float | None = None
    lag_s: float | None = None
    converged: tuple[int, int] | None = None  # (rows equal, source rows)


def render(tick: Tick) -> str:
    parts = [f"{tick.phase:<11}"]
    if tick.sent_per_s is not None:
        parts.append(f"sent {tick.sent_per_s:7.1f} changes/s")
    parts.append("lag -" if tick.lag_s is None else f"lag {tick.lag_s:5.1f} s")
    if tick.converged is not None:
        parts.append(f"rows converged {tick.converged[0]}/{tick.converged[1]}")
    return "  ".join(parts)


def converged_rows(report: VerifyReport) -> tuple[int, int]:
    """Source rows the warehouse holds equal: each mismatch accounts for at most one row."""
    total = sum(t.source_rows for t in report.tables)
    return max(total - report.mismatches, 0), total


class ProgressLine:
    """Writes ticks to ``out``: in place on a TTY, throttled plain lines otherwise."""

    def __init__(self, out: TextIO, *, tty: bool | None = None, plain_every_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.out, self.clock, self.plain_every_s = out, clock, plain_every_s
        self.tty = out.isatty() if tty is None else tty
        self._last_plain: tuple[float, str] | None = None  # (when, phase)
        self._open = False

    def show(self, tick: Tick) -> None:
        line = render(tick)
        if self.tty:
            self.out.write(f"\r\x1b[K{line}")
            self._open = True
        elif self._plain_due(tick.phase):
            self.out.write(line + "\n")
            self._last_plain = (self.clock(), tick.phase)
        self.out.flush()

    def end(self) -> None:
        """Finish the updating line, so the next output starts on a line of its own."""
        if self._open:
            self.out.write("\n")
            self.out.flush()
            self._open = False

    def _plain_due(self, phase: str) -> bool:
        if self._last_plain is None:
            return True
        when, last_phase = self._last_plain
        return phase != last_phase or self.clock() - when >= self.plain_every_s


@dataclass
class RateMeter:
    """Changes per second between two readings of a running count."""

    clock: Callable[[], float] = time.monotonic
    _last: tuple[float, int] | None = None

    def rate(self, count: int) -> float | None:
        now, last = self.clock(), self._last
        self._last = (now, count)
        if last is None or now <= last[0]:
            return None
        return (count - last[1]) / (now - last[0])
