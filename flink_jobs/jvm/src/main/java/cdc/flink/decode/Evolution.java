package cdc.flink.decode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether a new processed schema breaks the last applied one ({@code cdc_core/evolution.py}):
 * breaking are a removed column without a default, a new non-null column without a default
 * and any type change that is not a widening (int8→int16→int→long, float→double, decimal
 * precision up at the same scale). Only the verdict and its message are needed here: an
 * additive or unchanged schema is registered and used, a breaking one never registered.
 */
public final class Evolution {
    private static final Map<String, Integer> INT_RANKS = Map.of("int8", 1, "int16", 2, "", 3);
    private static final Map<String, Integer> LONG_RANKS = Map.of("", 4, "int64", 4);
    private static final Map<String, Integer> FLOAT_RANKS = Map.of("float", 1, "double", 2);

    private Evolution() {}

    record Column(String name, JsonNode type, boolean nullable, boolean hasDefault) {
        boolean optional() {
            return nullable || hasDefault;
        }
    }

    /** The failure for records of the new schema, or null when it may be applied. */
    public static CdcFailure breaking(String table, JsonNode oldSchema, JsonNode newSchema) {
        List<Column> old = tableColumns(oldSchema);
        if (old.isEmpty()) {
            return null;
        }
        List<Column> now = tableColumns(newSchema);
        Map<String, Column> oldBy = new LinkedHashMap<>();
        old.forEach(c -> oldBy.put(c.name(), c));
        List<String> names = now.stream().map(Column::name).toList();
        List<String> breaking = new ArrayList<>();
        for (Column c : now) {
            if (!oldBy.containsKey(c.name()) && !c.optional()) {
                breaking.add(entry(c.name(), null, c, "new non-null column without default"));
            }
        }
        for (Column c : old) {
            if (!names.contains(c.name()) && !c.hasDefault()) {
                breaking.add(entry(c.name(), c, null, "column removed without default"));
            }
        }
        for (Column c : now) {
            Column before = oldBy.get(c.name());
            if (before != null) {
                List<Object> a = signature(before.type());
                List<Object> b = signature(c.type());
                if (!a.equals(b) && !widens(a, b)) {
                    breaking.add(entry(c.name(), before, c,
                            widens(b, a) ? "type narrowed" : "type changed"));
                }
            }
        }
        if (breaking.isEmpty()) {
            return null;
        }
        return new CdcFailure("schema-change", "breaking_schema_change",
                "breaking schema change on " + table + ": " + String.join("; ", breaking));
    }

    private static String entry(String name, Column old, Column now, String why) {
        return name + ": " + label(old) + " -> " + label(now) + " (" + why + ")";
    }

    private static String label(Column c) {
        return c == null ? "absent" : typeLabel(c.type());
    }

    /** Table columns of a processed schema: metadata and enrichment fields left out. */
    static List<Column> tableColumns(JsonNode schema) {
        ObjectNode row = SchemaJson.rowRecord(schema);
        Map<String, ObjectNode> names = SchemaJson.namedTypes(row, "");
        List<String> all = new ArrayList<>();
        row.path("fields").forEach(f -> all.add(f.get("name").asText()));
        int cut = all.indexOf("__processed_ts_ms");
        List<Column> out = new ArrayList<>();
        for (JsonNode f : row.path("fields")) {
            String name = f.get("name").asText();
            boolean enrichment = cut >= 0 && all.indexOf(name) > cut;
            if (!ProcessedSchemas.RESERVED.contains(name) && !enrichment) {
                out.add(new Column(name, SchemaJson.expand(f.get("type"), names),
                        SchemaJson.isNullable(f.get("type")), f.has("default")));
            }
        }
        return out;
    }

    /** (base, logical, connect.name, connect.type, details): what matters for storage. */
    static List<Object> signature(JsonNode avroType) {
        JsonNode t = SchemaJson.nonNull(avroType);
        if (t.isArray()) {
            List<Object> inner = new ArrayList<>();
            t.forEach(b -> inner.add(signature(b)));
            return Arrays.asList("union", null, null, null, inner);
        }
        if (t.isTextual()) {
            return Arrays.asList(t.asText(), null, null, null, null);
        }
        JsonNode base = t.get("type");
        if (base != null && (base.isObject() || base.isArray())) {
            return signature(base);
        }
        return Arrays.asList(text(base), text(t.get("logicalType")), text(t.get("connect.name")),
                text(t.get("connect.type")), details(t));
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    private static Object details(JsonNode t) {
        if ("decimal".equals(text(t.get("logicalType")))) {
            return Arrays.asList(t.get("precision") == null ? null : t.get("precision").asLong(),
                    t.has("scale") ? t.get("scale").asLong() : 0L);
        }
        String kind = SchemaJson.kindOf(t);
        if (kind == null) {
            return null;
        }
        switch (kind) {
            case "record", "error" -> {
                List<Object> fields = new ArrayList<>();
                t.path("fields").forEach(f -> fields.add(Arrays.asList(f.get("name").asText(),
                        signature(f.get("type")), SchemaJson.isNullable(f.get("type")))));
                return fields;
            }
            case "array" -> {
                return signature(t.get("items"));
            }
            case "map" -> {
                return signature(t.get("values"));
            }
            case "enum" -> {
                List<String> symbols = new ArrayList<>();
                t.path("symbols").forEach(s -> symbols.add(s.asText()));
                return symbols;
            }
            case "fixed" -> {
                return t.get("size") == null ? null : t.get("size").asLong();
            }
            default -> {
                return null;
            }
        }
    }

    private static Integer intRank(List<Object> s) {
        Object base = s.get(0);
        Object connectType = s.get(3);
        Map<String, Integer> ranks = "int".equals(base) ? INT_RANKS
                : "long".equals(base) ? LONG_RANKS : Map.of();
        return ranks.get(connectType == null ? "" : connectType);
    }

    private static Integer floatRank(List<Object> s) {
        return FLOAT_RANKS.get(String.valueOf(s.get(0)));
    }

    static boolean widens(List<Object> old, List<Object> now) {
        if (old.get(1) != null || old.get(2) != null || now.get(1) != null || now.get(2) != null) {
            return decimalWidens(old, now);
        }
        Integer oldInt = intRank(old);
        Integer newInt = intRank(now);
        if (oldInt != null && newInt != null) {
            return newInt > oldInt;
        }
        Integer oldFloat = floatRank(old);
        Integer newFloat = floatRank(now);
        return oldFloat != null && newFloat != null && newFloat > oldFloat;
    }

    private static boolean decimalWidens(List<Object> old, List<Object> now) {
        if (!old.subList(0, 4).equals(now.subList(0, 4)) || !"decimal".equals(old.get(1))) {
            return false;
        }
        List<?> a = (List<?>) old.get(4);
        List<?> b = (List<?>) now.get(4);
        return a.get(1).equals(b.get(1)) && a.get(0) != null && b.get(0) != null
                && (Long) b.get(0) > (Long) a.get(0);
    }

    /** Short human form of a type, e.g. {@code nullable decimal(12,2)}. */
    static String typeLabel(JsonNode t) {
        if (t.isArray()) {
            List<JsonNode> rest = SchemaJson.branches(t).stream().filter(b -> !SchemaJson.isNull(b))
                    .toList();
            String inner = rest.isEmpty() ? "null"
                    : String.join(" | ", rest.stream().map(Evolution::typeLabel).toList());
            return rest.size() < t.size() ? "nullable " + inner : inner;
        }
        if (t.isTextual()) {
            return t.asText();
        }
        JsonNode base = t.get("type");
        if (base != null && (base.isObject() || base.isArray())) {
            return typeLabel(base);
        }
        String b = text(base);
        if ("decimal".equals(text(t.get("logicalType")))) {
            return "decimal(" + text(t.get("precision")) + "," + t.path("scale").asText("0") + ")";
        }
        if ("array".equals(b)) {
            return "array<" + typeLabel(t.get("items")) + ">";
        }
        if ("map".equals(b)) {
            return "map<" + typeLabel(t.get("values")) + ">";
        }
        if (b != null && SchemaJson.NAMED.contains(b)) {
            return b + " " + text(t.get("name"));
        }
        String note = text(t.get("connect.name")) != null ? text(t.get("connect.name"))
                : text(t.get("logicalType")) != null ? text(t.get("logicalType"))
                : text(t.get("connect.type"));
        return note != null ? b + " (" + note + ")" : String.valueOf(b);
    }
}
