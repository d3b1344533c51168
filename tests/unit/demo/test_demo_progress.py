"""The demo's progress line: rewritten in place on a TTY, throttled plain lines otherwise."""

from __future__ import annotations

import io

from cdc_demo.compare import TableResult
from cdc_demo.progress import ProgressLine, RateMeter, Tick, converged_rows, render
from cdc_demo.verify import VerifyReport


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_tty_rewrites_one_line_and_ends_it() -> None:
    out = io.StringIO()
    line = ProgressLine(out, tty=True)
    line.show(Tick("workload", 200.0, 1.5, (10, 20)))
    line.show(Tick("workload", 199.0, 0.5, (20, 20)))
    line.end()
    text = out.getvalue()
    assert text.count("\r\x1b[K") == 2 and text.endswith("rows converged 20/20\n")
    assert "\n" not in text[:-1]


def test_plain_lines_are_throttled_but_a_new_phase_always_shows() -> None:
    out, clock = io.StringIO(), Clock()
    line = ProgressLine(out, tty=False, plain_every_s=10, clock=clock)
    for second in range(0, 25, 2):
        clock.now = second
        line.show(Tick("workload", 200.0, 1.0))
    line.show(Tick("converging", None, 0.2, (5, 9)))
    line.end()
    lines = out.getvalue().splitlines()
    assert len(lines) == 4 and "\r" not in out.getvalue()
    assert lines[-1].startswith("converging") and "rows converged 5/9" in lines[-1]


def test_render_marks_what_is_not_measured() -> None:
    assert render(Tick("workload")) == "workload     lag -"


def test_converged_rows_counts_source_rows_less_mismatches() -> None:
    report = VerifyReport((TableResult("a", 10, 8, 0, 2), TableResult("b", 5, 5, 1, 0)))
    assert converged_rows(report) == (13, 15)
    assert converged_rows(VerifyReport((TableResult("a", 1, 0, 3, 4),))) == (0, 1)


def test_rate_between_readings() -> None:
    clock = Clock()
    meter = RateMeter(clock)
    assert meter.rate(0) is None
    clock.now = 2.0
    assert meter.rate(400) == 200.0
