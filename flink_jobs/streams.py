"""Stream plumbing that keeps PyFlink's per-record Python helpers off the hot path.

PyFlink's ``key_by``, ``get_side_output`` and ``assign_timestamps_and_watermarks`` (with a
Python timestamp assigner) each add a Python operator that touches every record: ``AddKey``
wraps it as ``Row(key, value)``, side outputs pass through an identity ``map``, and
``Extract-Timestamp`` returns ``(value, timestamp)``.  In thread mode every such operator
is one more call from Java into the TaskManager's single interpreter per record, which
was most of the job's cost (flink_jobs/README.md "Performance").

Here our own functions emit those shapes directly, so only the Java halves remain: the
``KeyByKeySelector`` on field 0, the side output as Java gives it, and Flink's
``CustomTimestampAssigner`` / ``RemoveTimestampMapFunction`` pair.  These are the classes
PyFlink's own methods use (checked against apache-flink 2.2), so the operators downstream
see exactly what they would have seen.
"""

from __future__ import annotations

from pyflink.common import Types, WatermarkStrategy
from pyflink.common.typeinfo import TypeInformation
from pyflink.datastream import DataStream, KeyedStream, OutputTag
from pyflink.java_gateway import get_gateway

# What a keyed stage takes: Row(routing key, pickled value), as PyFlink's AddKey emits it.
KEYED = Types.ROW([Types.STRING(), Types.PICKLED_BYTE_ARRAY()])
# What the decoder emits: (Row(routing key, value), event time in ms).
STAMPED = Types.TUPLE([KEYED, Types.LONG()])


def keyed(stream: DataStream, *, local: bool = False) -> KeyedStream:
    """Key a stream of ``KEYED`` rows by their first field, without a Python key selector.

    ``local``: the job runs at parallelism 1, so the one subtask owns every key group and
    the stream is keyed where it is (``DataStreamUtils.reinterpretAsKeyedStream``): no
    shuffle, and the keyed stage is chained into its upstream task, which saves a GIL
    hand-over between task threads per record.  Only correct at parallelism 1: with more
    subtasks a record must travel to the subtask that owns its key group.
    """
    jvm = get_gateway().jvm
    selector, key_type = jvm.KeyByKeySelector(), Types.ROW([Types.STRING()]).get_java_type_info()
    if local:
        j_keyed = jvm.org.apache.flink.streaming.api.datastream.DataStreamUtils \
            .reinterpretAsKeyedStream(stream._j_data_stream, selector, key_type)
    else:
        j_keyed = stream._j_data_stream.keyBy(selector, key_type)
    return KeyedStream(j_keyed, Types.PICKLED_BYTE_ARRAY(), stream)


def side_output(stream: DataStream, tag: OutputTag) -> DataStream:
    """The side output of ``tag`` as Java emits it (its type is the tag's)."""
    return DataStream(stream._j_data_stream.getSideOutput(tag.get_java_output_tag()))


def with_event_time(stream: DataStream, strategy: WatermarkStrategy,
                    value_type: TypeInformation) -> DataStream:
    """A stream of ``(value, timestamp_ms)`` → the values, timestamped and watermarked.

    ``strategy`` must have no timestamp assigner: the timestamp is the tuple's second field.
    """
    functions = get_gateway().jvm.org.apache.flink.streaming.api.functions.python.eventtime
    j_strategy = strategy._j_watermark_strategy.withTimestampAssigner(
        functions.CustomTimestampAssigner())
    j_stamped = stream._j_data_stream.assignTimestampsAndWatermarks(j_strategy)
    return DataStream(j_stamped.map(functions.RemoveTimestampMapFunction(),
                                    value_type.get_java_type_info())).name("event-time")
