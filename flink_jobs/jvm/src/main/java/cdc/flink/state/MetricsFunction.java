package cdc.flink.state;

import cdc.flink.model.Counted;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

/**
 * Per-table metrics in tumbling event-time windows, keyed by table: counts per op and sums
 * of the configured columns, one record per (table, window) when the watermark passes the
 * window's end.
 *
 * <p>A change arriving after its window was emitted opens a new accumulator for that window,
 * emitted at the next watermark as another record with {@code late = true}: records are
 * increments, loaded by adding per {@code (table, window_start_ms)}, and late data is never
 * lost. The input is what dedup emitted, so a dropped copy is never counted.
 */
public class MetricsFunction extends KeyedProcessFunction<String, Counted, Row> {
    private static final long serialVersionUID = 1L;

    private final long windowMs;
    private final String topic;
    private final int keySchemaId;
    private final int valueSchemaId;
    private transient MapState<Long, WindowCounts> windows;

    /**
     * @param keySchemaId registered id of {@code <topic>-key} (cdc.metrics.WindowKey)
     * @param valueSchemaId registered id of {@code <topic>-value} (cdc.metrics.TableWindow)
     */
    public MetricsFunction(long windowMs, String topic, int keySchemaId, int valueSchemaId) {
        this.windowMs = windowMs;
        this.topic = topic;
        this.keySchemaId = keySchemaId;
        this.valueSchemaId = valueSchemaId;
    }

    @Override
    public void open(OpenContext context) {
        windows = getRuntimeContext().getMapState(new MapStateDescriptor<>(
                "windows", Types.LONG, Types.POJO(WindowCounts.class)));
    }

    @Override
    public void processElement(Counted change, Context ctx, Collector<Row> collector)
            throws Exception {
        long end = Windows.end(change.ts_ms, windowMs);
        WindowCounts counts = windows.get(end);
        if (counts == null) {
            counts = new WindowCounts(end - 1 <= ctx.timerService().currentWatermark());
            ctx.timerService().registerEventTimeTimer(end - 1);
        }
        counts.add(change);
        windows.put(end, counts);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Row> collector)
            throws Exception {
        List<Long> due = new ArrayList<>();
        for (Iterator<Map.Entry<Long, WindowCounts>> it = windows.iterator(); it.hasNext(); ) {
            long end = it.next().getKey();
            if (end - 1 <= timestamp) {
                due.add(end);
            }
        }
        due.sort(null);
        String table = ctx.getCurrentKey();
        long now = System.currentTimeMillis();
        for (long end : due) {
            byte[] value = windows.get(end).encodeValue(valueSchemaId, table, end, windowMs, now);
            byte[] key = WindowCounts.encodeKey(keySchemaId, table, end, windowMs);
            windows.remove(end);
            collector.collect(SinkRows.of(topic, key, value));
        }
    }
}
