"""The decode ceiling: raw changes in, the processor's full decode in one Python map, out.

No Table bridge, no Row conversions, no state, timers or side outputs: the cheapest way
PyFlink can run the processor's per-record decode (``flink_jobs.decode``: framing, registry
schemas, envelope and contract checks, event_id, the processed record's Avro encoding).
The benchmark runs it beside the processor and the pass-through job, so its figure bounds
what any job that decodes every record in Python can reach on the machine
(flink_jobs/README.md "Performance").

PyFlink's ``KafkaSource`` deserializes values only, so the benchmark writes each raw change
once more as one packed value (:func:`pack`: raw topic, key and value bytes).
"""

from __future__ import annotations

import argparse
import struct
from collections.abc import Sequence
from pathlib import Path

from pyflink.datastream import MapFunction, RuntimeContext

from cdc_core.connections import RegistryConnection
from flink_jobs import passthrough
from flink_jobs.config import JobConfig, load
from flink_jobs.decode import DecodeSettings, RecordDecoder
from flink_jobs.operators import open_decoder
from flink_jobs.processor import decode_settings, runtime_options
from flink_jobs.records import RawRecord
from flink_jobs.runtime import environment

# Topic length, key length (0xFFFFFFFF: no key).  A format string, not a ``struct.Struct``:
# run as ``python -m`` this module is ``__main__`` and is pickled by value, which a Struct
# object is not.
_LENGTHS, _HEAD = ">HI", 6
_NO_KEY = 0xFFFFFFFF


def pack(topic: str, key: bytes | None, value: bytes) -> bytes:
    """One raw change as a single value: topic, key and value bytes."""
    name = topic.encode()
    head = struct.pack(_LENGTHS, len(name), _NO_KEY if key is None else len(key))
    return b"".join((head, name, key or b"", value))


def unpack(packed: bytes) -> RawRecord:
    """The raw record :func:`pack` wrote (partition and offset are not kept: 0)."""
    topic_len, key_len = struct.unpack_from(_LENGTHS, packed)
    start = _HEAD + topic_len
    topic = packed[_HEAD:start].decode()
    if key_len == _NO_KEY:
        return RawRecord(None, packed[start:], topic, 0, 0, {})
    end = start + key_len
    return RawRecord(packed[start:end], packed[end:], topic, 0, 0, {})


def decode_packed(decoder: RecordDecoder, packed: bytes) -> bytes:
    """The processed value of a packed change, its DLQ value, or b"" when it is skipped."""
    decoded = decoder.decode(unpack(packed), 0)
    out = decoded.change or decoded.dlq
    return out.value if out is not None and out.value is not None else b""


class DecodeOnly(MapFunction):  # type: ignore[misc]
    """Packed raw change → the processed value, or the DLQ value, or b"" when skipped."""

    def __init__(self, settings: DecodeSettings, registry: RegistryConnection, prefix: str) -> None:
        self._settings, self._registry, self._prefix = settings, registry, prefix

    def open(self, ctx: RuntimeContext) -> None:
        self._decoder = open_decoder(self._settings, self._registry, self._prefix)

    def map(self, value: bytes) -> bytes:
        return decode_packed(self._decoder, value)


def run(config: JobConfig, sink_topic: str) -> None:
    """Source ``kafka.topics`` (packed) → :class:`DecodeOnly` → ``sink_topic``, exactly once."""
    env = environment(runtime_options(config))
    passthrough.build(env, config.kafka.bootstrap_servers, source_topic=config.kafka.topics,
                      sink_topic=sink_topic, group_id=config.kafka.group_id,
                      bounded=config.kafka.bounded,
                      transactional_id_prefix=config.job.transactional_id_prefix,
                      fn=DecodeOnly(decode_settings(config), config.registry,
                                    config.processing.processed_prefix))
    env.execute(config.job.name)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True,
                        help="a processor config whose kafka.topics hold packed changes")
    parser.add_argument("--sink-topic", required=True)
    args = parser.parse_args(argv)
    run(load(args.config), args.sink_topic)


if __name__ == "__main__":
    main()
