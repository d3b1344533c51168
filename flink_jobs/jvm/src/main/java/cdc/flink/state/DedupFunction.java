package cdc.flink.state;

import cdc.flink.model.Change;
import cdc.flink.model.Counted;
import java.util.Iterator;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * event_id deduplication in tumbling event-time windows with an allowed lateness (the
 * retention), keyed by the row bucket of each change ({@code Routed.routingKey}), so every copy of
 * a change meets its earlier copies and each row's changes stay in order.
 *
 * <p>For each change, with {@code end} its window's end and {@code cleanup = end - 1 +
 * retention} (the window's state lives until the watermark reaches {@code cleanup}):
 * <ul>
 *   <li>an event_id already remembered for that window is a copy: dropped and counted
 *       ({@code duplicates_dropped}), whatever its arrival order or lateness;</li>
 *   <li>otherwise it is emitted at once and remembered; behind the watermark it is also
 *       counted as late ({@code late_events});</li>
 *   <li>a change whose window's state has already been cleaned up ({@code cleanup <=
 *       watermark}) is emitted and counted as late but not remembered.</li>
 * </ul>
 * A Debezium replay re-sends changes with their original commit time, so a copy falls
 * into its original's window and is caught as long as the watermark has not passed that
 * window's end by the retention. Everything is in event time, so the outcome depends on the
 * input, not on processing speed.
 *
 * <p>State per bucket: event_id → end of the window it was seen in. An event-time timer per
 * bucket and sweep period removes the entries whose cleanup time has passed, so state holds
 * at most {@code retention + window + sweep period} of ids.
 *
 * <p>Outputs: changes without an enrichment lookup as sink rows (main output); changes to
 * enrich and dimension updates (forwarded untouched) on {@link #ENRICH}; every emitted
 * change's {@link Counted} on {@link #METRICS}, so a dropped copy is never counted.
 */
public class DedupFunction extends KeyedProcessFunction<String, Routed, Row> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<Routed> ENRICH = new OutputTag<>("enrich", Types.POJO(Routed.class));
    public static final OutputTag<Counted> METRICS =
            new OutputTag<>("metrics", Types.POJO(Counted.class));

    private final long windowMs;
    private final long retentionMs;
    private final long sweepMs;
    private transient MapState<String, Long> seen;
    private transient Counter duplicates;
    private transient Counter late;
    private transient Counter out;

    /**
     * @param windowMs the dedup window ({@code processing.dedup_window_ms})
     * @param retentionMs how long past its end a window's ids are kept, in event time
     *     ({@code processing.dedup_retention_ms})
     */
    public DedupFunction(long windowMs, long retentionMs) {
        if (windowMs < 1 || retentionMs < 0) {
            throw new IllegalArgumentException("dedup window must be >= 1 ms, retention >= 0");
        }
        this.windowMs = windowMs;
        this.retentionMs = retentionMs;
        // Sweeps at least every window; with a long retention a quarter of it, so each id is
        // visited a few times by sweeps rather than once per window it outlives.
        this.sweepMs = Math.max(windowMs, retentionMs / 4);
    }

    @Override
    public void open(OpenContext context) {
        seen = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("seen", Types.STRING, Types.LONG));
        MetricGroup group = getRuntimeContext().getMetricGroup().addGroup("cdc");
        duplicates = group.counter("duplicates_dropped");
        late = group.counter("late_events");
        out = group.counter("records_out");
    }

    @Override
    public void processElement(Routed routed, Context ctx, Collector<Row> collector)
            throws Exception {
        Change change = routed.change;
        if (change == null) {  // a dimension update: on to enrichment, in its stream's order
            ctx.output(ENRICH, routed);
            return;
        }
        long watermark = ctx.timerService().currentWatermark();
        long end = Windows.end(change.ts_ms, windowMs);
        long cleanup = end - 1 + retentionMs;
        if (cleanup > watermark) {
            Long window = seen.get(change.event_id);
            if (window != null && window == end) {
                duplicates.inc();
                return;
            }
            seen.put(change.event_id, end);
            ctx.timerService().registerEventTimeTimer(sweepAt(cleanup));
        }
        if (change.ts_ms < watermark) {
            late.inc();
        }
        emit(routed, ctx, collector);
    }

    private void emit(Routed routed, Context ctx, Collector<Row> collector) {
        Change change = routed.change;
        ctx.output(METRICS, Counted.of(change));
        if (change.join != null) {
            ctx.output(ENRICH, routed);
        } else {
            out.inc();
            collector.collect(SinkRows.of(change.topic, change.key, change.value));
        }
    }

    long duplicatesDropped() {
        return duplicates.getCount();
    }

    long lateEvents() {
        return late.getCount();
    }

    /** The first sweep at or after {@code cleanup}: sweeps are aligned to {@code sweepMs}. */
    long sweepAt(long cleanup) {
        return cleanup + (sweepMs - 1 - Math.floorMod(cleanup, sweepMs));
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Row> collector)
            throws Exception {
        Iterator<Map.Entry<String, Long>> entries = seen.iterator();
        while (entries.hasNext()) {
            if (entries.next().getValue() - 1 + retentionMs <= timestamp) {
                entries.remove();
            }
        }
        if (seen.isEmpty()) {
            seen.clear();  // drops the bucket's (empty) map from the backend too
        }
    }
}
