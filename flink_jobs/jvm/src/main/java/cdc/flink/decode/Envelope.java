package cdc.flink.decode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericRecord;

/**
 * A Debezium change envelope with the rules of {@code cdc_core/envelope.py} checked once:
 * op in c/u/d/r/t [bad_op]; a source block with connector, db, schema, table and an integer
 * ts_ms [missing_source], integer lsn/txId and a well-formed position [bad_source_field];
 * after for c/r/u [missing_after], before for d (the key stands in when only it is there)
 * [missing_before]; a key without null fields [missing_key, missing_key_field].
 */
public final class Envelope {
    private static final Set<String> OPS = Set.of("c", "u", "d", "r", "t");
    private static final Set<String> ROW_OPS = Set.of("c", "u", "r");
    public static final String UNAVAILABLE_VALUE = "__debezium_unavailable_value";

    public final String op;
    public final Map<String, Object> key;
    public final Map<String, Object> before;
    public final Map<String, Object> after;
    public final Source source;

    /** Where and when the change happened. */
    public record Source(String connector, String db, String schema, String table, long tsMs,
                         Long lsn, Long txid, List<Long> order) {
        public String qualifiedTable() {
            return schema + "." + table;
        }
    }

    private Envelope(String op, Map<String, Object> key, Map<String, Object> before,
                     Map<String, Object> after, Source source) {
        this.op = op;
        this.key = key;
        this.before = before;
        this.after = after;
        this.source = source;
    }

    public boolean isDelete() {
        return op.equals("d");
    }

    public boolean isTruncate() {
        return op.equals("t");
    }

    /** The row image: after, or before for deletes; empty for truncates. */
    public Map<String, Object> row() {
        Map<String, Object> image = isDelete() ? before : after;
        return image != null ? image : Map.of();
    }

    /** Validates a decoded key (may be null) and value. */
    public static Envelope parse(GenericRecord key, GenericRecord value) throws CdcFailure {
        Object op = text(field(value, "op"));
        if (!(op instanceof String o) || !OPS.contains(o)) {
            throw CdcFailure.envelope("bad_op", "op " + PyText.str(op) + " is not one of c/u/d/r/t");
        }
        Source source = parseSource(field(value, "source"));
        Map<String, Object> keyMap = key == null ? null : asMap(key);
        Map<String, Object> before = image(value, "before");
        Map<String, Object> after = image(value, "after");
        String table = source.qualifiedTable();
        if (ROW_OPS.contains(o) && after == null) {
            throw CdcFailure.envelope("missing_after", "op " + o + " on " + table + " has no after");
        }
        if (o.equals("d") && before == null) {
            if (keyMap == null || keyMap.isEmpty()) {
                throw CdcFailure.envelope("missing_before",
                        "delete on " + table + " has no before and no key");
            }
            before = new LinkedHashMap<>(keyMap);
        }
        return new Envelope(o, checkedKey(o, keyMap, table), before, after, source);
    }

    private static Map<String, Object> checkedKey(String op, Map<String, Object> key, String table)
            throws CdcFailure {
        if (op.equals("t")) {
            return key == null ? Map.of() : key;
        }
        if (key == null || key.isEmpty()) {
            throw CdcFailure.envelope("missing_key", "change on " + table + " has no key");
        }
        Set<String> nulls = new TreeSet<>(PyText::compareCodePoints);
        key.forEach((name, v) -> {
            if (v == null) {
                nulls.add(name);
            }
        });
        if (!nulls.isEmpty()) {
            throw CdcFailure.envelope("missing_key_field", "key field(s) "
                    + String.join(", ", nulls) + " of " + table + " are null");
        }
        return key;
    }

    static Source parseSource(Object block) throws CdcFailure {
        if (!(block instanceof GenericRecord record)) {
            throw CdcFailure.envelope("missing_source", "envelope has no source block");
        }
        List<String> missing = new java.util.ArrayList<>();
        for (String name : List.of("connector", "db", "schema", "table", "ts_ms")) {
            if (field(record, name) == null) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw CdcFailure.envelope("missing_source",
                    "source block lacks " + String.join(", ", missing));
        }
        String connector = PyText.str(field(record, "connector"));
        return new Source(connector, PyText.str(field(record, "db")),
                PyText.str(field(record, "schema")), PyText.str(field(record, "table")),
                requiredInt(field(record, "ts_ms"), "source.ts_ms"),
                optionalInt(field(record, "lsn"), "source.lsn"),
                optionalInt(field(record, "txId"), "source.txId"),
                SourcePosition.order(connector, record));
    }

    private static Map<String, Object> image(GenericRecord value, String name) throws CdcFailure {
        Object image = field(value, name);
        if (image == null) {
            return null;
        }
        if (!(image instanceof GenericRecord record)) {
            throw CdcFailure.envelope(name.equals("after") ? "missing_after" : "missing_before",
                    name + " is " + image.getClass().getSimpleName() + ", not a row");
        }
        return asMap(record);
    }

    /** A record's fields by name, in schema order (values as read, not copied). */
    public static Map<String, Object> asMap(GenericRecord record) {
        List<Schema.Field> fields = record.getSchema().getFields();
        Map<String, Object> out = new LinkedHashMap<>(fields.size() * 2);
        for (Schema.Field f : fields) {
            out.put(f.name(), record.get(f.pos()));
        }
        return out;
    }

    /** A field's value; null when the record has no such field (Python's dict.get). */
    public static Object field(GenericRecord record, String name) {
        Schema.Field f = record.getSchema().getField(name);
        return f == null ? null : record.get(f.pos());
    }

    private static Object text(Object value) {
        return value instanceof CharSequence || value instanceof GenericEnumSymbol<?>
                ? value.toString() : value;
    }

    static long requiredInt(Object raw, String name) throws CdcFailure {
        if (raw instanceof Integer || raw instanceof Long) {
            return ((Number) raw).longValue();
        }
        throw CdcFailure.envelope("bad_source_field",
                name + " is " + PyText.str(raw) + ", not an integer");
    }

    static Long optionalInt(Object raw, String name) throws CdcFailure {
        return raw == null ? null : requiredInt(raw, name);
    }

    /** Debezium's stand-in for an unchanged TOASTed column (as text or bytes). */
    public static boolean isUnavailable(Object value) {
        if (value instanceof CharSequence s) {
            return UNAVAILABLE_VALUE.contentEquals(s);
        }
        if (value instanceof java.nio.ByteBuffer b) {
            return java.util.Arrays.equals(PyText.bytesOf(b),
                    UNAVAILABLE_VALUE.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return false;
    }
}
