"""Stream plumbing that keeps PyFlink's per-record Python helpers off the hot path.

PyFlink's ``key_by``, ``get_side_output`` and ``assign_timestamps_and_watermarks`` (with a
Python timestamp assigner) each add a Python operator that touches every record: ``AddKey``
wraps it as ``Row(key, value)``, side outputs pass through an identity ``map``, and
``Extract-Timestamp`` returns ``(value, timestamp)``.  In thread mode every such operator
is one more call from Java into the TaskManager's single interpreter per record, which
was most of the job's cost (flink_jobs/README.md "Performance").

Here our own functions emit those shapes directly, so only the Java halves remain: the
side output as Java gives it, and Flink's ``CustomTimestampAssigner`` /
``RemoveTimestampMapFunction`` pair.  These are the classes PyFlink's own methods use
(checked against apache-flink 2.2), so the operators downstream see exactly what they
would have seen.  Keying happens in the JVM stages (``flink_jobs.stateful``).
"""

from __future__ import annotations

from pyflink.common import WatermarkStrategy
from pyflink.common.typeinfo import TypeInformation
from pyflink.datastream import DataStream, OutputTag
from pyflink.java_gateway import get_gateway


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
