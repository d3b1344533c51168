"""A columnar Avro reader for the sink's batches: speed and fidelity, case by case.

The Avro bodies of one writer schema, concatenated, are the data of one block of an Avro
object container, which a columnar reader decodes at once. This builds such containers from
the sink's writer schemas (``tests/support/cdcgen.py``) and from hand-made records, decodes
them with polars' ``read_avro`` (polars is not a dependency: ``pip install polars``) and
prints, per case, what it returned against what the sink must do (the compiled per-record
reader, ``cdc_core/avro_reader.py``, as the reference): read every type, and refuse a
record with trailing bytes or an index outside its union as ``corrupt_avro`` without
touching its neighbours. Then one JSON line.

    .venv/bin/python benchmarks/columnar_avro.py [--records 5000]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastavro

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdc_core.processed import processed_schema
from tests.support.cdcgen import ORDERS, Workload

SYNC = b"\x5a" * 16


def _long(n: int) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema("long"), n)
    return out.getvalue()


def container(schema: dict[str, Any], blocks: list[list[bytes]]) -> bytes:
    """An Avro object container holding ``blocks`` of bodies, uncompressed."""
    meta = {"avro.schema": json.dumps(schema).encode(), "avro.codec": b"null"}
    out = [b"Obj\x01", _long(len(meta))]
    for k, v in meta.items():
        out += [_long(len(k)), k.encode(), _long(len(v)), v]
    out += [_long(0), SYNC]
    for bodies in blocks:
        data = b"".join(bodies)
        out += [_long(len(bodies)), _long(len(data)), data, SYNC]
    return b"".join(out)


def bodies_of(schema: dict[str, Any], records: list[dict[str, Any]]) -> list[bytes]:
    parsed = fastavro.parse_schema(schema)
    out = []
    for record in records:
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, parsed, record)
        out.append(buf.getvalue())
    return out


def polars_read(data: bytes) -> Any:
    import polars as pl
    return pl.read_avro(io.BytesIO(data))


def attempt(read: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "read", read()
    except BaseException as exc:  # polars panics surface as BaseException
        if isinstance(exc, KeyboardInterrupt):
            raise
        return "refused", f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"


def speed(schema: dict[str, Any], bodies: list[bytes], per_record_blocks: bool) -> float:
    blocks = [[b] for b in bodies] if per_record_blocks else [bodies]
    data = container(schema, blocks)
    polars_read(data)  # the first read imports and sets polars up
    started = time.perf_counter()
    polars_read(data)
    return 1e6 * (time.perf_counter() - started) / len(bodies)


def per_record(schema: dict[str, Any], bodies: list[bytes]) -> float:
    """µs per record of the sink's own reader: each body read on its own, exactly."""
    from cdc_core.avro import read_record
    from cdc_core.avro_reader import compile_reader
    parsed = fastavro.parse_schema(schema)
    read = compile_reader(parsed)
    started = time.perf_counter()
    for body in bodies:
        read_record(parsed, body, read)
    return 1e6 * (time.perf_counter() - started) / len(bodies)


FLAT = {"type": "record", "name": "R", "fields": [
    {"name": "a", "type": "long"}, {"name": "s", "type": ["null", "string"]}]}


def fidelity_cases() -> dict[str, tuple[dict[str, Any], list[bytes], str]]:
    """name -> (schema, bodies, what the sink must do with the middle record)."""
    good = bodies_of(FLAT, [{"a": i, "s": f"name {i}"} for i in range(3)])
    ref = {"type": "record", "name": "E", "fields": [
        {"name": "before", "type": ["null", {"type": "record", "name": "V", "fields": [
            {"name": "b", "type": "long"}]}]}, {"name": "after", "type": ["null", "V"]}]}
    hstore = {"type": "record", "name": "M", "fields": [
        {"name": "m", "type": {"type": "map", "values": "string"}}]}
    return {
        "named type referenced again": (ref, bodies_of(ref, [{"before": None,
                                                               "after": {"b": 1}}]), "read"),
        "map": (hstore, bodies_of(hstore, [{"m": {"k": "v"}}]), "read"),
        "trailing bytes": (FLAT, [good[0], good[1] + b"\x02", good[2]], "refuse"),
        "union index outside the union": (FLAT, [good[0], good[1][:1] + b"\x08" + good[1][2:],
                                                 good[2]], "refuse"),
        "truncated body": (FLAT, [good[0], good[1][:-2], good[2]], "refuse"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    args = parser.parse_args()
    workload = Workload(seed=1)
    events = [e for e in workload.events(args.records * 4) if e.spec is ORDERS][:args.records]
    envelope = ORDERS.envelope_schema("bench.public.orders")
    flat = processed_schema(envelope, "public.orders", key_fields=ORDERS.key_fields)
    from cdc_core.envelope import parse_envelope
    from cdc_core.event_id import event_id
    from cdc_core.processed import to_processed
    records = []
    for ev in events:
        change = parse_envelope(ev.key, ev.envelope())
        records.append(to_processed(change, event_id(change), ev.ts_ms))
    bodies = bodies_of(flat, records)
    figures: dict[str, Any] = {
        "processed_orders_us_per_record_compiled_reader": round(per_record(flat, bodies), 2),
        "processed_orders_us_per_record_one_block": round(speed(flat, bodies, False), 2),
        "processed_orders_us_per_record_block_per_record": round(speed(flat, bodies, True), 2)}
    for name, (schema, case, wanted) in fidelity_cases().items():
        outcome, got = attempt(lambda s=schema, c=case: polars_read(container(s, [c])))
        shown = got.rows() if outcome == "read" else got
        ok = (outcome == "read") == (wanted == "read")
        print(f"{name:<32} must {wanted:<6} polars {outcome:<7} {'ok ' if ok else 'NOT'} {shown}")
        figures[f"faithful_{name.replace(' ', '_')}"] = ok
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
