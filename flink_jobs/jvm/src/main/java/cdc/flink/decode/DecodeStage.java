package cdc.flink.decode;

import cdc.flink.state.PartitionWatermarks;
import cdc.flink.state.Routed;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.types.Row;
import org.apache.flink.util.OutputTag;

/**
 * Wires the decode/validate operator for the PyFlink program: one call through the gateway,
 * so no Python function runs per record on the decode path.
 *
 * <pre>
 *   source rows ─→ decode-validate (uid cdc-decode-validate) ─→ changes + dimension updates
 *                        └─DLQ→ rows (topic, k, v, headers)        → event time (source ts_ms)
 * </pre>
 */
public final class DecodeStage {
    /** The DLQ sink table's row: topic, k, v, headers. */
    public static final TypeInformation<Row> DLQ_TYPE = Types.ROW_NAMED(
            new String[] {"topic", "k", "v", "headers"}, Types.STRING,
            Types.PRIMITIVE_ARRAY(Types.BYTE), Types.PRIMITIVE_ARRAY(Types.BYTE),
            Types.MAP(Types.STRING, Types.PRIMITIVE_ARRAY(Types.BYTE)));
    public static final OutputTag<Row> DLQ = new OutputTag<>("dlq", DLQ_TYPE);

    private final DecodeSettings settings;
    private final long maxOutOfOrdernessMs;
    private final long idlePartitionMs;
    private SingleOutputStreamOperator<Routed> decoded;

    /** {@code settingsJson}: see {@link DecodeSettings}. */
    public DecodeStage(String settingsJson, long maxOutOfOrdernessMs, long idlePartitionMs) {
        this.settings = new DecodeSettings(settingsJson);
        this.maxOutOfOrdernessMs = maxOutOfOrdernessMs;
        this.idlePartitionMs = idlePartitionMs;
    }

    /**
     * The decoded changes and dimension updates, timestamped and watermarked per source
     * partition ({@link PartitionWatermarks}, in the source's task: the decode is chained to
     * it).
     */
    public DataStream<Routed> apply(DataStream<Row> raw) {
        decoded = raw.process(new DecodeValidateFunction(settings), Types.POJO(Routed.class))
                .name("decode-validate").uid("cdc-decode-validate");
        WatermarkStrategy<Routed> strategy =
                PartitionWatermarks.strategy(maxOutOfOrdernessMs, idlePartitionMs);
        return decoded.assignTimestampsAndWatermarks(strategy).name("event-time");
    }

    /** The DLQ rows of the stream {@link #apply} built. */
    public DataStream<Row> dlq() {
        return decoded.getSideOutput(DLQ);
    }
}
