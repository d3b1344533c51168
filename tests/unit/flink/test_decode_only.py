"""The decode-ceiling job's per-record function: packing and the decoded value."""

from __future__ import annotations

from cdc_core.framing import frame
from flink_jobs.decode import RecordDecoder
from flink_jobs.decode_only import decode_packed, pack, unpack
from flink_jobs.records import RawRecord
from tests.integration.flink.debezium import ORDERS_COLUMNS, order
from tests.unit.flink.registry_memory import MemoryRegistry, table


def test_pack_round_trips_topic_key_and_value() -> None:
    for key in (b"\x00k\xff", b"", None):
        raw = unpack(pack("cdc.public.orders", key, b"\x00value"))
        assert raw == RawRecord(key, b"\x00value", "cdc.public.orders", 0, 0, {})


def test_packed_change_decodes_to_the_processors_value(
        decoder: RecordDecoder, registry: MemoryRegistry) -> None:
    orders = table(registry, "orders", ORDERS_COLUMNS)
    key, value = orders.change("c", order(1), lsn=5, ts_ms=1000)
    expected = decoder.decode(RawRecord(key, value, "cdc.public.orders", 0, 0, {}), 0).change
    assert expected is not None
    assert decode_packed(decoder, pack("cdc.public.orders", key, value)) == expected.value


def test_undecodable_change_yields_its_original_bytes(
        decoder: RecordDecoder, registry: MemoryRegistry) -> None:
    orders = table(registry, "orders", ORDERS_COLUMNS)
    key, _ = orders.change("c", order(1), lsn=5, ts_ms=1000)
    broken = frame(999, b"\x02")
    assert decode_packed(decoder, pack("cdc.public.orders", key, broken)) == broken

