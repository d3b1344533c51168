"""Data-quality gate per table: contracts checked on every change, halting on a bad rate.

Hard violations quarantine the record (DLQ + counter), soft ones only log and count. When
hard violations exceed the contract's rate over its window (once the window holds enough
records) the table halts: a source emitting garbage is stopped loudly instead of leaving a
warehouse table quietly full of holes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from cdc_core.contracts import TableContract, check, hard_error, should_halt
from cdc_sink.metrics import SinkMetrics
from cdc_sink.model import SinkChange

log = logging.getLogger(__name__)


@dataclass
class _Window:
    started: float
    records: int = 0
    hard: int = 0


@dataclass
class QualityGate:
    contracts: dict[str, TableContract]
    metrics: SinkMetrics
    _windows: dict[str, _Window] = field(default_factory=dict)

    def check(self, source_table: str, change: SinkChange) -> str | None:
        """Raise ContractViolation for a hard violation; return a halt reason when due."""
        contract = self.contracts.get(source_table)
        if contract is None:
            return None
        violations = check(change.columns, contract, deleted=change.deleted)
        for v in violations:
            self.metrics.quality_violations.labels(change.table, v.expectation, v.severity).inc()
            if v.severity == "soft":
                log.warning("soft expectation %s failed on %s: %s", v.expectation,
                            change.table, v.message)
        error = hard_error(violations, change.table)
        halt = self._count(source_table, contract, error is not None)
        if error is not None:
            raise error
        return halt

    def _count(self, table: str, contract: TableContract, hard: bool) -> str | None:
        now = time.monotonic()
        window = self._windows.get(table)
        if window is None or now - window.started > contract.halt_window_s:
            window = self._windows[table] = _Window(now)
        window.records += 1
        window.hard += int(hard)
        return self.halt_due(table)

    def halt_due(self, source_table: str) -> str | None:
        """The halt reason while the table's current window breaks its contract's rate.

        ``check`` returns it for a passing record; when the record that crosses the limit
        is itself a hard violation, ``check`` raises and the caller asks here.
        """
        contract, window = self.contracts.get(source_table), self._windows.get(source_table)
        if contract is None or window is None:
            return None
        if not should_halt(window.hard, window.records, contract):
            return None
        return (f"{window.hard} of {window.records} records broke hard expectations "
                f"(limit {contract.hard_violation_halt_rate:.1%})")

