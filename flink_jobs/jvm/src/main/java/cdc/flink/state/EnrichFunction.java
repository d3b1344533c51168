package cdc.flink.state;

import cdc.flink.model.Change;
import cdc.flink.model.DimUpdate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

/**
 * Lookup-join enrichment: facts get columns of the dimension row kept in keyed state. Facts
 * and dimension updates share one stream keyed by join key ({@link Routed#joinKey}), so
 * they carry one watermark and a dimension update and a later fact of the same upstream
 * task keep their order.
 *
 * <ul>
 *   <li>the dimension row kept is the newest by source position (LSN, else commit time), so a
 *       replayed or reordered old update never overwrites a newer one; a delete (no values)
 *       keeps the last known values;</li>
 *   <li>a fact whose dimension row is known is emitted at once with its values;</li>
 *   <li>otherwise it waits, in arrival order, until the row arrives (emitted with it) or
 *       until the watermark reaches {@code ts_ms + wait_ms}; then it is emitted with nulls and
 *       {@code __enrichment_missing = true} and counted ({@code enrichment_missing}). A fact
 *       is never overtaken by a later one, and never dropped.</li>
 * </ul>
 * Event-time timers, because a bounded job fires all of them at the end of input but
 * discards pending processing-time timers.
 */
public class EnrichFunction extends KeyedProcessFunction<String, Routed, Row> {
    private static final long serialVersionUID = 1L;

    private final HashMap<String, EnrichRule> rules;
    private transient ValueState<DimUpdate> dimension;
    private transient ListState<Change> waiting;
    private transient Counter missing;
    private transient Counter out;

    /** @param rules fact table (schema.table) → its enrichment rule */
    public EnrichFunction(Map<String, EnrichRule> rules) {
        this.rules = new HashMap<>(rules);
    }

    @Override
    public void open(OpenContext context) {
        dimension = getRuntimeContext().getState(
                new ValueStateDescriptor<>("dimension", Types.POJO(DimUpdate.class)));
        waiting = getRuntimeContext().getListState(
                new ListStateDescriptor<>("waiting", Types.POJO(Change.class)));
        MetricGroup group = getRuntimeContext().getMetricGroup().addGroup("cdc");
        missing = group.counter("enrichment_missing");
        out = group.counter("records_out");
    }

    @Override
    public void processElement(Routed routed, Context ctx, Collector<Row> collector)
            throws Exception {
        if (routed.change != null) {
            onFact(routed.change, ctx, collector);
        } else {
            onDimension(routed.dim, collector);
        }
    }

    private void onFact(Change fact, Context ctx, Collector<Row> collector) throws Exception {
        DimUpdate known = dimension.value();
        if (known != null) {
            emit(fact, known.fields, collector);
            return;
        }
        waiting.add(fact);
        ctx.timerService().registerEventTimeTimer(deadline(fact));
    }

    private void onDimension(DimUpdate update, Collector<Row> collector) throws Exception {
        DimUpdate known = dimension.value();
        if (known != null && !newer(update, known)) {
            return;
        }
        DimUpdate kept = merged(known, update);
        dimension.update(kept);
        Iterable<Change> released = waiting.get();
        if (released != null) {
            for (Change fact : released) {
                emit(fact, kept.fields, collector);
            }
        }
        waiting.clear();
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Row> collector)
            throws Exception {
        List<Change> facts = new ArrayList<>();
        Iterable<Change> stored = waiting.get();
        if (stored != null) {
            stored.forEach(facts::add);
        }
        int cut = 0;
        for (int i = 0; i < facts.size(); i++) {
            if (deadline(facts.get(i)) <= timestamp) {
                cut = i + 1;  // everything before the last due fact goes too: arrival order
            }
        }
        for (Change fact : facts.subList(0, cut)) {
            missing.inc();
            emit(fact, null, collector);
        }
        waiting.update(new ArrayList<>(facts.subList(cut, facts.size())));
    }

    long enrichmentMissing() {
        return missing.getCount();
    }

    private long deadline(Change fact) {
        return fact.ts_ms + rules.get(fact.table).waitMs();
    }

    private void emit(Change fact, Map<String, String> fields, Collector<Row> collector) {
        byte[] tail = rules.get(fact.table).suffix(fields);
        byte[] value = new byte[fact.value.length + tail.length];
        System.arraycopy(fact.value, 0, value, 0, fact.value.length);
        System.arraycopy(tail, 0, value, fact.value.length, tail.length);
        out.inc();
        collector.collect(SinkRows.of(fact.topic, fact.key, value));
    }

    /** Whether {@code update} is newer than {@code known}: by LSN when both have one. */
    static boolean newer(DimUpdate update, DimUpdate known) {
        if (update.lsn != null && known.lsn != null) {
            return update.lsn > known.lsn;
        }
        return update.ts_ms >= known.ts_ms;
    }

    /** A delete (no values) keeps the last known values. */
    static DimUpdate merged(DimUpdate known, DimUpdate update) {
        if (known == null || (update.fields != null && !update.fields.isEmpty())) {
            return update;
        }
        return new DimUpdate(update.join, update.ts_ms, update.lsn, known.fields);
    }
}
