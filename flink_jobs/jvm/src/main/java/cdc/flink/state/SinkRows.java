package cdc.flink.state;

import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.types.Row;

/**
 * The rows the processed/metrics sink table takes: {@code (topic, k, v)}, the Java side of
 * {@code SINK_ROW} in flink_jobs/operators.py and of the {@code cdc_out} table's columns.
 */
public final class SinkRows {
    /** {@code ROW<topic STRING, k BYTES, v BYTES>}. */
    public static final TypeInformation<Row> TYPE = Types.ROW_NAMED(
            new String[] {"topic", "k", "v"}, Types.STRING,
            PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO,
            PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);

    private SinkRows() {}

    /** A row for the sink, by position as {@link #TYPE} names them. */
    public static Row of(String topic, byte[] key, byte[] value) {
        return Row.of(topic, key, value);
    }
}
