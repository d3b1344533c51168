package cdc.flink.decode;

import cdc.flink.model.DimUpdate;
import cdc.flink.state.Routed;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

/**
 * Raw source rows (k, v, topic, partition, offset, event_id header) → changes and dimension
 * updates (main output, as {@link Routed}) and DLQ rows (side output {@link DecodeStage#DLQ}).
 * Of a record's headers only {@code event_id} is read, so the source hands over that one
 * header's bytes (or null) rather than a map of all of them.
 *
 * <p>Metrics under the {@code cdc} group, as the Python stage had them (and the alerts and
 * docs name them): {@code records_in}, and per {@code reason} label {@code dlq_records},
 * {@code skipped} (e.g. tombstone) and {@code soft_violations} (the expectation).
 */
public class DecodeValidateFunction extends ProcessFunction<Row, Routed> {
    private static final long serialVersionUID = 1L;

    private final DecodeSettings settings;
    private transient RecordDecoder decoder;
    private transient MetricGroup group;
    private transient Counter recordsIn;
    private transient Map<String, Counter> byReason;

    public DecodeValidateFunction(DecodeSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext context) throws Exception {
        RegistryClient registry = new RegistryClient(settings.registry);
        Map<String, List<String>> enrichment = new HashMap<>();
        settings.enrichment.forEach((table, rule) ->
                enrichment.put(table, List.copyOf(rule.fields().values())));
        decoder = new RecordDecoder(settings, registry,
                new RegistryCatalog(registry, settings.processedPrefix, enrichment));
        group = getRuntimeContext().getMetricGroup().addGroup("cdc");
        recordsIn = group.counter("records_in");
        byReason = new HashMap<>();
    }

    @Override
    public void processElement(Row row, Context ctx, Collector<Routed> out) throws Exception {
        byte[] eventId = (byte[]) row.getField(5);
        RecordDecoder.Raw raw = new RecordDecoder.Raw((byte[]) row.getField(0),
                (byte[]) row.getField(1), (String) row.getField(2), (Integer) row.getField(3),
                (Long) row.getField(4),
                eventId == null ? Map.of() : Map.of(EventIds.HEADER, eventId));
        RecordDecoder.Decoded decoded = decoder.decode(raw, System.currentTimeMillis());
        recordsIn.inc();
        for (String expectation : decoded.softViolations()) {
            counter("soft_violations", expectation).inc();
        }
        String split = raw.topic() + "/" + raw.partition();  // for per-partition watermarks
        if (decoded.change() != null) {
            out.collect(Routed.of(decoded.change()).from(split));
        }
        for (DimUpdate dim : decoded.dims()) { // same stream as changes: one watermark for both
            out.collect(Routed.of(dim).from(split));
        }
        if (decoded.dlq() != null) {
            counter("dlq_records", decoded.reason()).inc();
            RecordDecoder.Dlq dlq = decoded.dlq();
            ctx.output(DecodeStage.DLQ, Row.of(dlq.topic(), dlq.key(), dlq.value(), dlq.headers()));
        } else if (decoded.change() == null) {
            counter("skipped", decoded.reason()).inc();
        }
    }

    private Counter counter(String name, String reason) {
        return byReason.computeIfAbsent(name + "|" + reason,
                k -> group.addGroup("reason", reason).counter(name));
    }
}
