package cdc.flink.decode;

import cdc.flink.model.Change;
import cdc.flink.model.DimUpdate;
import cdc.flink.model.Sum;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * Raw Debezium record → validated {@link Change} (or a DLQ record): the job's decode stage.
 *
 * <p>Steps, each failure a {@link CdcFailure} that becomes a DLQ record with the original
 * bytes and the headers of docs/design.md: Confluent framing and writer schema by id (one
 * registry fetch per id per task) → envelope rules → the processed schema of the writer
 * schema, breaking ones refused ({@link Catalog}) → the table's hard contract expectations →
 * event_id and the processed record, encoded once here. Tombstones are skipped and counted.
 * Registry outages are IOExceptions and propagate, so Flink restarts from its checkpoint
 * instead of dead-lettering good records. Holds per-task caches: one instance per subtask.
 */
public final class RecordDecoder {
    public static final int BUCKETS = 4096;
    private static final List<String> DLQ_HEADERS = List.of("cdc.error.stage",
            "cdc.error.reason", "cdc.error.message", "cdc.source.topic", "cdc.source.partition",
            "cdc.source.offset", "cdc.error.ts_ms");
    private static final int MAX_MESSAGE_CHARS = 1000;

    private final DecodeSettings settings;
    private final SchemaSource schemas;
    private final Catalog catalog;
    private final Map<Integer, Writer> writers = new HashMap<>();

    /** A raw Kafka record of a Debezium topic. */
    public record Raw(byte[] key, byte[] value, String topic, int partition, long offset,
                      Map<String, byte[]> headers) {}

    /** A DLQ record: the original bytes and the DLQ headers. */
    public record Dlq(String topic, byte[] key, byte[] value, Map<String, byte[]> headers) {}

    /** What one raw record yields: a change (with dimension updates), a DLQ record, or a skip. */
    public record Decoded(Change change, List<DimUpdate> dims, Dlq dlq, String reason,
                          List<String> softViolations) {
        static Decoded skipped(String reason) {
            return new Decoded(null, List.of(), null, reason, List.of());
        }
    }

    private record Writer(Schema schema, String json, AvroCodec.Reader reader) {}

    public RecordDecoder(DecodeSettings settings, SchemaSource schemas, Catalog catalog) {
        this.settings = settings;
        this.schemas = schemas;
        this.catalog = catalog;
    }

    /** The outcome for one raw record; a registry outage propagates as IOException. */
    public Decoded decode(Raw raw, long nowMs) throws IOException {
        if (raw.value() == null) {
            return Decoded.skipped("tombstone");
        }
        try {
            return decodeChecked(raw, nowMs);
        } catch (CdcFailure failure) {
            return new Decoded(null, List.of(), dlq(failure, raw, nowMs), failure.reason,
                    List.of());
        }
    }

    private Decoded decodeChecked(Raw raw, long nowMs) throws CdcFailure, IOException {
        int keyId = -1;
        GenericRecord key = null;
        if (raw.key() != null) {
            keyId = AvroCodec.schemaId(raw.key());
            key = writer(keyId).reader().read(raw.key());
        }
        int valueId = AvroCodec.schemaId(raw.value());
        Writer writer = writer(valueId);
        Envelope event = Envelope.parse(key, writer.reader().read(raw.value()));
        String table = event.source.qualifiedTable();
        List<String> keyFields = new ArrayList<>(event.key.keySet());
        keyFields.sort(PyText::compareCodePoints);
        Catalog.TableSchemas processed = catalog.value(valueId, table, writer::json, keyFields);
        if (processed.breaking() != null) {
            throw processed.breaking();
        }
        List<String> soft = checkContract(event, table);
        String keyJson = PyText.json(EventIds.canonicalKey(event.key), false);
        String eventId = EventIds.of(event, EventIds.header(raw.headers()), keyJson);
        Change change = change(raw, event, eventId, processed, keyId, keyJson, nowMs);
        return new Decoded(change, dims(event, table), null, null, soft);
    }

    private Writer writer(int schemaId) throws CdcFailure, IOException {
        Writer found = writers.get(schemaId);
        if (found == null) {
            String text;
            try {
                text = schemas.fetch(schemaId);
            } catch (SchemaSource.NotFound e) {
                throw CdcFailure.decode("unknown_schema_id",
                        "schema id " + schemaId + " is not registered: " + e.getMessage());
            }
            Schema schema = AvroCodec.parse(schemaId, text);
            found = new Writer(schema, text, new AvroCodec.Reader(schema));
            writers.put(schemaId, found);
        }
        return found;
    }

    private List<String> checkContract(Envelope event, String table) throws CdcFailure {
        Contracts.Contract contract = settings.contracts.get(table);
        if (contract == null) {
            return List.of();
        }
        List<Contracts.Violation> violations = Contracts.check(event, contract);
        CdcFailure hard = Contracts.hardFailure(violations, table);
        if (hard != null) {
            throw hard;
        }
        return violations.stream().map(Contracts.Violation::expectation).toList();
    }

    private Change change(Raw raw, Envelope event, String eventId, Catalog.TableSchemas schemas,
                          int keyId, String keyJson, long nowMs) throws CdcFailure, IOException {
        GenericRecord record = processed(event, eventId, nowMs, schemas.base());
        byte[] value = schemas.writer().framed(schemas.valueId(), record);
        DecodeSettings.Rule rule = settings.enrichment.get(schemas.table());
        String join = null;
        if (rule != null) {
            join = joinKey(rule.dimensionTable(), valueOf(record, rule.fromColumn()));
            if (join == null) {
                value = withNullEnrichment(value, rule);
            }
        }
        String routing = schemas.table() + "|" + keyJson;
        int processedKeyId = catalog.keyId(keyId, schemas.table(), () -> writerJson(keyId));
        return new Change(schemas.table(), bucket(routing), eventId, event.source.tsMs(), event.op,
                schemas.topic(), AvroCodec.frame(processedKeyId, raw.key(), AvroCodec.HEADER_SIZE),
                value, join, sums(record, settings.sums.get(schemas.table())));
    }

    private String writerJson(int schemaId) {
        return writers.get(schemaId).json();
    }

    /** The flat processed record: row columns, then the metadata of docs/design.md. */
    static GenericRecord processed(Envelope event, String eventId, long nowMs, Schema base)
            throws CdcFailure {
        if (event.isTruncate()) {
            throw CdcFailure.envelope("truncate_not_supported",
                    "truncate of " + event.source.qualifiedTable() + " has no row");
        }
        GenericData.Record record = new GenericData.Record(base);
        for (Map.Entry<String, Object> column : event.row().entrySet()) {
            Schema.Field field = base.getField(column.getKey());
            if (field != null) {
                record.put(field.pos(), column.getValue());
            }
        }
        record.put("__op", event.op);
        record.put("__deleted", event.isDelete());
        record.put("__event_id", eventId);
        record.put("__source_ts_ms", event.source.tsMs());
        record.put("__source_lsn", event.source.lsn());
        record.put("__source_txid", event.source.txid());
        record.put("__processed_ts_ms", nowMs);
        return record;
    }

    private static Object valueOf(GenericRecord record, String name) {
        return Envelope.field(record, name);
    }

    /** The key both sides of a lookup join are partitioned by; null for a null value. */
    public static String joinKey(String dimensionTable, Object value) {
        if (value == null) {
            return null;
        }
        return dimensionTable + "|" + PyText.json(PyText.canonical(value), true);
    }

    /** Avro appends a record's fields in order: nulls (union branch 0), then flag true. */
    private static byte[] withNullEnrichment(byte[] value, DecodeSettings.Rule rule) {
        int n = rule.fields().size();
        byte[] out = java.util.Arrays.copyOf(value, value.length + n + 1);
        out[out.length - 1] = 1;
        return out;
    }

    private List<DimUpdate> dims(Envelope event, String table) {
        List<DecodeSettings.Rule> rules = settings.dimensions.get(table);
        if (rules == null) {
            return List.of();
        }
        List<DimUpdate> out = new ArrayList<>(rules.size());
        Map<String, Object> row = event.row();
        for (DecodeSettings.Rule rule : rules) {
            String column = rule.dimensionKey();
            Object key = row.containsKey(column) ? row.get(column) : event.key.get(column);
            String join = joinKey(rule.dimensionTable(), key);
            if (join == null) {
                continue;
            }
            Map<String, String> values = new LinkedHashMap<>();
            if (!event.isDelete()) {
                rule.fields().keySet().forEach(c -> values.put(c, dimensionText(row.get(c))));
            }
            out.add(new DimUpdate(join, event.source.tsMs(), event.source.lsn(), values));
        }
        return out;
    }

    /** A dimension value as the text an enrichment field carries ({@code enrich.as_text}). */
    static String dimensionText(Object value) {
        if (value == null || value instanceof CharSequence) {
            return value == null ? null : value.toString();
        }
        Object found = PyText.canonical(value);
        return found instanceof String s ? s : PyText.jsonDefault(found);
    }

    /** The configured sum columns as exact decimal text (nulls and non-finite left out). */
    private static List<Sum> sums(GenericRecord record, List<String> columns) {
        if (columns == null || columns.isEmpty()) {
            return List.of();
        }
        List<Sum> out = new ArrayList<>(columns.size());
        for (String column : columns) {
            Number number = Contracts.asDecimal(valueOf(record, column));
            if (number instanceof BigDecimal d) {
                out.add(new Sum(column, PyText.decimalStr(d)));
            }
        }
        return out;
    }

    /** The dedup key of a row: a stable bucket of its routing key (crc32, not hashCode). */
    public static String bucket(String routing) {
        CRC32 crc = new CRC32();
        crc.update(routing.getBytes(StandardCharsets.UTF_8));
        return Long.toString(crc.getValue() % BUCKETS);
    }

    private Dlq dlq(CdcFailure failure, Raw raw, long nowMs) {
        List<String> values = List.of(failure.stage, failure.reason, truncate(failure.getMessage()),
                raw.topic(), Integer.toString(raw.partition()), Long.toString(raw.offset()),
                Long.toString(nowMs));
        Map<String, byte[]> headers = new LinkedHashMap<>();
        for (int i = 0; i < DLQ_HEADERS.size(); i++) {
            headers.put(DLQ_HEADERS.get(i), values.get(i).getBytes(StandardCharsets.UTF_8));
        }
        return new Dlq(settings.dlqTopic, raw.key(), raw.value(), headers);
    }

    /** At most 1000 characters (code points, as Python counts), the cut marked by an ellipsis. */
    static String truncate(String message) {
        if (message.codePointCount(0, message.length()) <= MAX_MESSAGE_CHARS) {
            return message;
        }
        int end = message.offsetByCodePoints(0, MAX_MESSAGE_CHARS - 1);
        return message.substring(0, end) + "\u2026";
    }
}
