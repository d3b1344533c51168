import copy

import pytest

from cdc_core.errors import (
    CdcError,
    ConfigError,
    ContractViolation,
    DecodeError,
    EnvelopeError,
    SchemaChangeError,
    SinkError,
)


@pytest.mark.parametrize(
    ("error", "stage", "reason"),
    [
        (DecodeError("x", reason="corrupt_avro"), "decode", "corrupt_avro"),
        (EnvelopeError("x", reason="bad_op"), "validate", "bad_op"),
        (ContractViolation("x", expectation="status_known"), "contract", "contract_status_known"),
        (
            SchemaChangeError(
                "x", table="public.orders", column="id", old_type="int", new_type="string"
            ),
            "schema-change",
            "breaking_schema_change",
        ),
        (SinkError("x", reason="write_failed"), "sink", "write_failed"),
    ],
)
def test_stage_and_reason(error: CdcError, stage: str, reason: str) -> None:
    assert isinstance(error, CdcError)
    assert (error.stage, error.reason, error.message, str(error)) == (stage, reason, "x", "x")


def test_location_and_raw_are_optional_data() -> None:
    err = DecodeError("bad", reason="corrupt_avro")
    assert (err.topic, err.partition, err.offset, err.raw) == (None, None, None, None)
    assert err.at("cdc.public.orders", 3, 17, b"\x00raw") is err
    assert (err.topic, err.partition, err.offset, err.raw) == (
        "cdc.public.orders",
        3,
        17,
        b"\x00raw",
    )


def test_keyword_data_at_construction() -> None:
    err = EnvelopeError(
        "no after", reason="missing_after", topic="t", partition=0, offset=9, raw=b"v"
    )
    assert (err.topic, err.partition, err.offset, err.raw) == ("t", 0, 9, b"v")


def test_schema_change_error_carries_columns() -> None:
    err = SchemaChangeError(
        "m",
        table="public.orders",
        column="total_amount",
        old_type="decimal(12,2)",
        new_type="string",
    )
    assert (err.table, err.column, err.old_type, err.new_type) == (
        "public.orders",
        "total_amount",
        "decimal(12,2)",
        "string",
    )


def test_unknown_stage_and_empty_reason_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown stage"):
        CdcError("m", stage="load", reason="x")
    with pytest.raises(ValueError, match="reason"):
        CdcError("m", stage="sink", reason="")


def test_errors_survive_reduce() -> None:
    """deepcopy goes through the same __reduce__ that pickling between workers uses."""
    err = ContractViolation(
        "bad", expectation="total_non_negative", column="total_amount", value=-1
    ).at("t", 1, 2, b"raw")
    clone = copy.deepcopy(err)
    assert type(clone) is ContractViolation
    assert clone is not err
    assert clone.__dict__ == err.__dict__
    assert str(clone) == "bad"


def test_config_error_is_not_a_record_error() -> None:
    assert issubclass(ConfigError, ValueError)
    assert not issubclass(ConfigError, CdcError)
