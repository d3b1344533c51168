package cdc.flink.state;

import cdc.flink.model.Counted;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.types.Row;

/**
 * Wires dedup, enrichment and windowed metrics behind the decoder, for the PyFlink program
 * (one call through the gateway, so no Python function runs per record in these stages).
 *
 * <pre>
 *   changes + dimension updates
 *     ─key(row bucket / join)→ dedup ───────────────────────→ sink rows (processed)
 *              ├─ENRICH (facts + dimension updates)→ key(join) enrich → sink rows (enriched)
 *              └─METRICS→ key(table) windowed metrics → metrics rows (metrics)
 * </pre>
 * Each of the three outputs goes to its own sink, so each sink chains into the operator
 * that feeds it (a sink behind a union of three inputs is a task of its own, and every
 * record would cross the network once more to reach it).
 *
 * <p>The stateful operators keep the uids the Python stages had ({@code cdc-dedup},
 * {@code cdc-enrich}, {@code cdc-windowed-metrics}), so a checkpoint of this job restores at
 * another parallelism. At parallelism 1 ({@code local}) every key group is in the one
 * subtask, so streams are keyed in place (no shuffle) and dedup chains into the decoder's
 * task; with more subtasks each record travels to the subtask of its key.
 */
public final class StatefulStages {
    private final boolean local;
    private final long dedupWindowMs;
    private final long dedupRetentionMs;
    private final long metricsWindowMs;
    private final String metricsTopic;
    private final int metricsKeyId;
    private final int metricsValueId;
    private final Map<String, EnrichRule> rules = new HashMap<>();
    private DataStream<Row> enriched;
    private DataStream<Row> metrics;

    /**
     * @param local the job runs at parallelism 1 (key in place)
     * @param metricsKeyId registered schema id of the metrics topic's key
     * @param metricsValueId registered schema id of the metrics topic's value
     */
    public StatefulStages(boolean local, long dedupWindowMs, long dedupRetentionMs,
                          long metricsWindowMs, String metricsTopic, int metricsKeyId,
                          int metricsValueId) {
        this.local = local;
        this.dedupWindowMs = dedupWindowMs;
        this.dedupRetentionMs = dedupRetentionMs;
        this.metricsWindowMs = metricsWindowMs;
        this.metricsTopic = metricsTopic;
        this.metricsKeyId = metricsKeyId;
        this.metricsValueId = metricsValueId;
    }

    /** Enrich {@code factTable}'s changes with {@code columns} (output order) of its dimension. */
    public StatefulStages enrich(String factTable, List<String> columns, long waitMs) {
        rules.put(factTable, new EnrichRule(columns, waitMs));
        return this;
    }

    /**
     * The processed sink rows of dedup (changes without an enrichment lookup), from the
     * decoded changes and dimension updates (timestamped and watermarked); the other two
     * outputs are then {@link #enriched} and {@link #metrics}.
     */
    public DataStream<Row> apply(DataStream<Routed> decoded) {
        SingleOutputStreamOperator<Row> deduped = keyed(decoded, Routed::routingKey)
                .process(new DedupFunction(dedupWindowMs, dedupRetentionMs), SinkRows.TYPE)
                .name("dedup").uid("cdc-dedup");
        enriched = keyed(deduped.getSideOutput(DedupFunction.ENRICH), Routed::joinKey)
                .process(new EnrichFunction(rules), SinkRows.TYPE)
                .name("enrich").uid("cdc-enrich");
        metrics = keyed(deduped.getSideOutput(DedupFunction.METRICS), (Counted c) -> c.table)
                .process(new MetricsFunction(metricsWindowMs, metricsTopic, metricsKeyId,
                                             metricsValueId), SinkRows.TYPE)
                .name("windowed-metrics").uid("cdc-windowed-metrics");
        return deduped;
    }

    /** The enriched changes' sink rows of the stream {@link #apply} built. */
    public DataStream<Row> enriched() {
        return enriched;
    }

    /** The metrics records' sink rows of the stream {@link #apply} built. */
    public DataStream<Row> metrics() {
        return metrics;
    }

    private <T> KeyedStream<T, String> keyed(DataStream<T> stream, KeySelector<T, String> key) {
        if (local) {
            return DataStreamUtils.reinterpretAsKeyedStream(stream, key, Types.STRING);
        }
        return stream.keyBy(key, Types.STRING);
    }
}
