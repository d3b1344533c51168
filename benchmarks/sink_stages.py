"""Where the sink's time goes per change, stage by stage, for raw and for processed input.

Offline apart from PostgreSQL: the workload of ``sink_vs_jdbc.py`` (30% creates, 60%
updates, 10% deletes, 5% duplicates) is encoded in memory as raw Debezium envelopes and as
processed records, then each stage runs over all of it on its own and is timed:

- ``avro``: key and value bodies read (framing, the compiled readers);
- ``envelope`` (raw) / ``meta`` (processed): the envelope rules or the metadata fields;
- ``event_id`` (raw): the id hashed from the change;
- ``decode``: the sink's whole ``Decoder.decode`` (the stages above, source position,
  column conversion and checks, the ``SinkChange``);
- ``collapse``: one change per key, per batch;
- ``write``: each batch's COPY into staging and the two upsert statements, in PostgreSQL
  (``--dsn``; the time includes waiting for the server).

Prints µs per change per stage, then one JSON line.

    .venv/bin/python benchmarks/sink_stages.py --dsn postgresql://... [--changes 60000]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdc_core.avro import AvroDecoder, AvroEncoder
from cdc_core.envelope import parse_envelope
from cdc_core.event_id import event_id
from cdc_core.processed import processed_meta, processed_schema, to_processed
from cdc_sink.collapse import collapse
from cdc_sink.decode import Decoded, Decoder
from cdc_sink.metrics import SinkMetrics
from cdc_sink.model import RawMessage, SinkChange
from cdc_sink.sqlbuild import MetaNames
from cdc_sink.tables import Tables
from cdc_sink.writer import write_table
from tests.support.cdcgen import TABLES, Event, Workload, perturb

BATCH = 5000


def messages(kind: str, events: list[Event]) -> tuple[list[RawMessage], dict[int, str]]:
    """The events as Kafka messages of ``kind`` input, and the writer schemas by id."""
    schemas: dict[int, str] = {}
    encoders: dict[str, tuple[AvroEncoder, AvroEncoder]] = {}
    for n, spec in enumerate(TABLES):
        ns = f"stages.public.{spec.table}"
        key, value = spec.key_schema(ns), spec.envelope_schema(ns)
        if kind == "processed":
            value = processed_schema(value, f"public.{spec.table}", key_fields=spec.key_fields)
        schemas[2 * n + 1], schemas[2 * n + 2] = json.dumps(key), json.dumps(value)
        encoders[spec.table] = (AvroEncoder(2 * n + 1, key), AvroEncoder(2 * n + 2, value))
    out = []
    for offset, ev in enumerate(events):
        key_enc, value_enc = encoders[ev.spec.table]
        record = ev.envelope()
        if kind == "processed":
            change = parse_envelope(ev.key, record)
            record = to_processed(change, event_id(change), ev.ts_ms + 10)
        out.append(RawMessage(f"stages.public.{ev.spec.table}", 0, offset,
                              key_enc.encode(ev.key), value_enc.encode(record)))
    return out, schemas


def timed(work: Callable[[], Any], changes: int) -> float:
    gc.collect()  # no stage pays for the garbage of the one before
    started = time.perf_counter()
    work()
    return 1e6 * (time.perf_counter() - started) / changes


def stages(kind: str, msgs: list[RawMessage], schemas: dict[int, str],
           dsn: str) -> dict[str, float]:
    avro = AvroDecoder(schemas.__getitem__)
    bodies = [(avro.decode(m.key)[1], avro.decode(m.value)[1]) for m in msgs]
    decoder = Decoder(schemas.__getitem__, lambda _topic: "auto")
    decoded: list[Decoded] = [d for m in msgs if (d := decoder.decode(m)) is not None]
    batches = [decoded[i:i + BATCH] for i in range(0, len(decoded), BATCH)]
    n = len(msgs)
    out = {"avro": timed(lambda: [(avro.decode(m.key), avro.decode(m.value)) for m in msgs], n)}
    if kind == "raw":
        events = [parse_envelope(k, v) for k, v in bodies]
        out["envelope"] = timed(lambda: [parse_envelope(k, v) for k, v in bodies], n)
        out["event_id"] = timed(lambda: [event_id(e) for e in events], n)
    else:
        out["meta"] = timed(lambda: [processed_meta(v, typed=True) for _, v in bodies], n)
    out["decode"] = timed(lambda: [decoder.decode(m) for m in msgs], n)
    out["collapse"] = timed(lambda: [collapse(d.change for d in b) for b in batches], n)
    out["write"] = timed(lambda: write_batches(dsn, batches), n)
    return {k: round(v, 2) for k, v in out.items()}


def write_batches(dsn: str, batches: list[list[Decoded]]) -> None:
    schema = f"stages_{uuid.uuid4().hex[:8]}"
    tables = Tables(schema, MetaNames(), SinkMetrics(CollectorRegistry()))
    with psycopg.connect(dsn, autocommit=True) as conn:
        with conn.transaction():
            tables.bootstrap(conn)
        try:
            for batch in batches:
                by_table: dict[str, list[SinkChange]] = {}
                layouts = {}
                for d in batch:
                    layouts[d.change.table] = tables.layout_for(d.schema)
                    by_table.setdefault(d.change.table, []).append(d.change)
                with conn.transaction():
                    tables.write_pending(conn)
                    for table, changes in by_table.items():
                        write_table(conn, layouts[table], collapse(changes).changes)
                tables.committed()
        finally:
            conn.execute(psycopg.sql.SQL("drop schema {} cascade").format(
                psycopg.sql.Identifier(schema)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True, help="a PostgreSQL to write the batches into")
    parser.add_argument("--changes", type=int, default=60_000)
    args = parser.parse_args()
    events = perturb(Workload(seed=1).events(round(args.changes / 1.05),
                                             mix=(0.30, 0.60, 0.10)),
                     random.Random(1), dup_rate=0.05, window=1)
    figures: dict[str, Any] = {"changes": len(events)}
    for kind in ("raw", "processed"):
        msgs, schemas = messages(kind, events)
        result = stages(kind, msgs, schemas, args.dsn)
        print(f"{kind:<10} " + "  ".join(f"{k} {v} µs" for k, v in result.items()), flush=True)
        figures[kind] = result
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
