"""A pass-through job: Kafka bytes in, the same bytes out, through one Python map.

It proves the wiring (connector JAR, Python workers, exactly-once Kafka sink) with the least
logic, and it is the baseline the processor's benchmark is compared with.  ``build`` also
carries the decode-ceiling job (``flink_jobs.decode_only``): same wiring, another map.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from pyflink.common import Types, WatermarkStrategy
from pyflink.common.serialization import ByteArraySchema
from pyflink.datastream import MapFunction, StreamExecutionEnvironment
from pyflink.datastream.connectors.base import DeliveryGuarantee
from pyflink.datastream.connectors.kafka import (
    KafkaOffsetsInitializer,
    KafkaRecordSerializationSchema,
    KafkaSink,
    KafkaSource,
)

from flink_jobs.runtime import RuntimeOptions, environment


def build(env: StreamExecutionEnvironment, bootstrap: str, *, source_topic: str | Sequence[str],
          sink_topic: str, group_id: str, bounded: bool, transactional_id_prefix: str,
          fn: MapFunction | Callable[[bytes], bytes] = bytes) -> None:
    """Wire source → ``fn`` (identity by default) → exactly-once sink onto ``env``."""
    builder = (KafkaSource.builder()
               .set_bootstrap_servers(bootstrap)
               .set_topics(*([source_topic] if isinstance(source_topic, str) else source_topic))
               .set_group_id(group_id)
               .set_starting_offsets(KafkaOffsetsInitializer.earliest())
               .set_value_only_deserializer(ByteArraySchema()))
    if bounded:
        builder = builder.set_bounded(KafkaOffsetsInitializer.latest())
    sink = (KafkaSink.builder()
            .set_bootstrap_servers(bootstrap)
            .set_record_serializer(KafkaRecordSerializationSchema.builder()
                                   .set_topic(sink_topic)
                                   .set_value_serialization_schema(ByteArraySchema())
                                   .build())
            .set_delivery_guarantee(DeliveryGuarantee.EXACTLY_ONCE)
            .set_transactional_id_prefix(transactional_id_prefix)
            .set_property("transaction.timeout.ms", "600000")
            .build())
    stream = env.from_source(builder.build(), WatermarkStrategy.no_watermarks(), "raw")
    stream.map(fn, output_type=Types.PRIMITIVE_ARRAY(Types.BYTE())).sink_to(sink)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--source-topic", required=True, nargs="+")
    parser.add_argument("--sink-topic", required=True)
    parser.add_argument("--group-id", required=True)
    parser.add_argument("--connector-jar", type=Path, required=True)
    parser.add_argument("--transactional-id-prefix", default="cdc-passthrough")
    parser.add_argument("--parallelism", type=int, default=1)
    parser.add_argument("--execution-mode", choices=["thread", "process"], default="thread")
    parser.add_argument("--bounded", action="store_true", help="stop at the current end")
    parser.add_argument("--checkpoint-interval-ms", type=int, default=1000)
    args = parser.parse_args(argv)
    env = environment(RuntimeOptions(jars=(args.connector_jar,), parallelism=args.parallelism,
                                     execution_mode=args.execution_mode,
                                     checkpoint_interval_ms=args.checkpoint_interval_ms))
    build(env, args.bootstrap, source_topic=args.source_topic, sink_topic=args.sink_topic,
          group_id=args.group_id, bounded=args.bounded,
          transactional_id_prefix=args.transactional_id_prefix)
    env.execute("cdc-passthrough")


if __name__ == "__main__":
    main()
