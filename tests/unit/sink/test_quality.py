"""cdc_sink.quality: hard violations quarantine, soft ones count, a bad rate halts."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from cdc_core import evolution
from cdc_core.contracts import TableContract
from cdc_core.errors import CdcError, ContractViolation, SinkError
from cdc_sink import quality as quality_module
from cdc_sink import typemap
from cdc_sink.batch import Batch
from cdc_sink.decode import Decoded, RowSchema
from cdc_sink.metrics import SinkMetrics
from cdc_sink.model import KafkaCoordinates, Position, RawMessage, SinkChange
from cdc_sink.quality import QualityGate
from cdc_sink.service import SinkService
from cdc_sink.sqlbuild import MetaNames
from cdc_sink.tables import Tables

TABLE = "public.orders"
_offsets = itertools.count()


def contract(**overrides: Any) -> TableContract:
    doc: dict[str, Any] = {
        "table": TABLE, "primary_key": ["id"], "halt_min_records": 10,
        "hard_violation_halt_rate": 0.2, "halt_window_s": 300,
        "expectations": [
            {"name": "total_non_negative", "column": "total", "kind": "range", "min": 0},
            {"name": "status_known", "column": "status", "kind": "in_set",
             "values": ["new", "paid"]},
            {"name": "customer_present", "column": "customer_id", "kind": "not_null",
             "severity": "soft"}]}
    doc.update(overrides)
    return TableContract.model_validate(doc)


def change(*, deleted: bool = False, **columns: Any) -> SinkChange:
    row = {"id": 1, "total": 5, "status": "new", "customer_id": 3, **columns}
    offset = next(_offsets)
    return SinkChange("orders", (row["id"],), row, deleted, "u", f"e{offset}",
                      Position(offset, offset), KafkaCoordinates("p.public.orders", 0, offset))


def good() -> SinkChange:
    return change()


def bad() -> SinkChange:
    return change(total=-1)


def gate(**overrides: Any) -> QualityGate:
    return QualityGate({TABLE: contract(**overrides)}, SinkMetrics())


def count(g: QualityGate, expectation: str, severity: str) -> float:
    value = g.metrics.registry.get_sample_value(
        "cdc_quality_violations_total",
        {"table": "orders", "expectation": expectation, "severity": severity})
    return value or 0.0


def test_passing_record_returns_nothing_and_counts_nothing() -> None:
    g = gate()
    assert g.check(TABLE, good()) is None
    assert count(g, "total_non_negative", "hard") == 0


def test_table_without_contract_is_not_checked() -> None:
    g = gate()
    assert g.check("public.other", change(total=-5, status="weird")) is None


def test_hard_violation_raises_contract_violation_and_is_counted() -> None:
    g = gate()
    with pytest.raises(ContractViolation) as caught:
        g.check(TABLE, change(total=-1))
    error = caught.value
    assert error.stage == "contract"
    assert error.reason == "contract_total_non_negative"
    assert error.column == "total"
    assert count(g, "total_non_negative", "hard") == 1
    with pytest.raises(ContractViolation, match="status_known"):
        g.check(TABLE, change(status="lost"))
    assert count(g, "status_known", "hard") == 1


def test_null_primary_key_is_a_hard_violation() -> None:
    g = gate()
    with pytest.raises(ContractViolation) as caught:
        g.check(TABLE, change(id=None))
    assert caught.value.reason == "contract_primary_key_not_null"
    assert count(g, "primary_key_not_null", "hard") == 1


def test_soft_violation_is_counted_only(caplog: pytest.LogCaptureFixture) -> None:
    g = gate()
    assert g.check(TABLE, change(customer_id=None)) is None
    assert count(g, "customer_present", "soft") == 1
    assert "customer_present" in caplog.text


def test_deletes_only_check_the_key() -> None:
    g = gate()
    assert g.check(TABLE, change(deleted=True, total=-1, status=None)) is None
    assert count(g, "total_non_negative", "hard") == 0


def test_no_halt_before_min_records_even_at_a_high_rate() -> None:
    g = gate()
    outcomes = []
    for i in range(9):
        try:
            outcomes.append(g.check(TABLE, bad() if i % 2 else good()))
        except ContractViolation:
            outcomes.append("violation")
    assert None in outcomes and "violation" in outcomes
    assert all(o in (None, "violation") for o in outcomes)
    assert g.halt_due(TABLE) is None


def test_halt_reason_returned_once_rate_exceeds_threshold_with_min_records() -> None:
    g = gate()  # min 10 records, rate above 20%
    for _ in range(2):
        with pytest.raises(ContractViolation):
            g.check(TABLE, bad())
    for _ in range(7):
        assert g.check(TABLE, good()) is None  # 2 of 9: too few records
    assert g.check(TABLE, good()) is None  # 2 of 10 = 20%: not above the limit
    with pytest.raises(ContractViolation):
        g.check(TABLE, bad())  # 3 of 11
    reason = g.check(TABLE, good())  # 3 of 12 = 25%
    assert reason is not None
    assert "3 of 12 records broke hard expectations" in reason
    assert "20.0%" in reason


def test_halt_is_due_when_the_crossing_record_is_itself_a_violation() -> None:
    """A source sending only garbage must halt too, although every check raises."""
    g = gate(halt_min_records=5, hard_violation_halt_rate=0.5)
    for _ in range(4):
        with pytest.raises(ContractViolation):
            g.check(TABLE, bad())
        assert g.halt_due(TABLE) is None
    with pytest.raises(ContractViolation):
        g.check(TABLE, bad())
    reason = g.halt_due(TABLE)
    assert reason is not None and "5 of 5 records" in reason


def test_the_window_restarts_after_halt_window_s(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(quality_module.time, "monotonic", lambda: now[0])
    g = gate(halt_min_records=2, hard_violation_halt_rate=0.4, halt_window_s=10)
    with pytest.raises(ContractViolation):
        g.check(TABLE, bad())
    now[0] += 11  # the violation falls out of the window
    assert g.check(TABLE, good()) is None
    assert g.check(TABLE, good()) is None
    assert g.halt_due(TABLE) is None


# -- the service applies the halt, whichever record crosses the limit ---------------------

class FakeDecoder:
    def __init__(self, row: RowSchema) -> None:
        self.row = row

    def decode(self, raw: RawMessage) -> Decoded:
        values = {"id": raw.offset, "total": -1 if raw.value == b"bad" else 1,
                  "status": "new", "customer_id": 1}
        c = SinkChange("orders", (raw.offset,), values, False, "c", f"e{raw.offset}",
                       Position(raw.offset, raw.offset),
                       KafkaCoordinates(raw.topic, raw.partition, raw.offset))
        return Decoded(c, self.row, 0)


class Parts:
    """Just what ``SinkService._apply`` reads."""

    def __init__(self, quality: QualityGate) -> None:
        columns = (evolution.Column("id", "long", False, False),
                   evolution.Column("total", ["null", "long"], True, True))
        self.row = RowSchema("orders", TABLE, "processed", ("id",), columns,
                             {c.name: typemap.pg_type(c.avro_type) for c in columns})
        self.decoder = FakeDecoder(self.row)
        self.metrics = quality.metrics
        self.tables = Tables("dw", MetaNames(), self.metrics)
        self.quality = quality
        self.history = None


def service(quality: QualityGate) -> SinkService:
    svc = SinkService.__new__(SinkService)  # no Kafka: only the per-record path is used
    svc.p = Parts(quality)  # type: ignore[assignment]
    svc._batch = Batch(1000, 60.0)
    return svc


def apply(svc: SinkService, offset: int, value: bytes) -> CdcError | None:
    try:
        svc._apply(RawMessage("p.public.orders", 0, offset, b"k", value))
    except CdcError as error:
        return error
    return None


def test_service_halts_a_table_whose_every_record_is_a_violation() -> None:
    svc = service(gate(halt_min_records=5, hard_violation_halt_rate=0.5))
    errors = [apply(svc, i, b"bad") for i in range(5)]
    assert all(isinstance(e, ContractViolation) for e in errors)
    assert svc.p.tables.is_halted("orders")
    after = apply(svc, 5, b"good")
    assert isinstance(after, SinkError) and after.reason == "quality_gate_halted"


def test_service_halts_when_a_passing_record_crosses_the_limit() -> None:
    svc = service(gate(halt_min_records=4, hard_violation_halt_rate=0.3))
    assert isinstance(apply(svc, 0, b"bad"), ContractViolation)
    assert isinstance(apply(svc, 1, b"bad"), ContractViolation)
    assert apply(svc, 2, b"good") is None
    assert not svc.p.tables.is_halted("orders")
    assert apply(svc, 3, b"good") is None  # 2 of 4 = 50%: halts
    assert svc.p.tables.is_halted("orders")
    assert isinstance(apply(svc, 4, b"good"), SinkError)
