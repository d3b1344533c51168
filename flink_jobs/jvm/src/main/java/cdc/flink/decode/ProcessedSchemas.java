package cdc.flink.decode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The flat processed record schema ({@code cdc_core/processed.py processed_schema}): every
 * row column (non-key ones nullable with default null), the metadata fields, then the
 * enrichment fields (nullable strings) and {@code __enrichment_missing}; named
 * {@code <namespace>.<schema>.<table>}, renamed past any clash with a column's named type.
 */
public final class ProcessedSchemas {
    static final String[][] METADATA = {
        {"__op", "string"}, {"__deleted", "boolean"}, {"__event_id", "string"},
        {"__source_ts_ms", "long"}, {"__source_lsn", "?long"}, {"__source_txid", "?long"},
        {"__processed_ts_ms", "long"},
    };
    static final String ENRICHMENT_MISSING = "__enrichment_missing";
    static final Set<String> RESERVED = reserved();

    private ProcessedSchemas() {}

    private static Set<String> reserved() {
        Set<String> names = new HashSet<>();
        for (String[] m : METADATA) {
            names.add(m[0]);
        }
        names.add(ENRICHMENT_MISSING);
        return Set.copyOf(names);
    }

    /** The processed schema of {@code table} ({@code schema.table}) from its envelope schema. */
    public static ObjectNode derive(JsonNode valueSchema, String table, List<String> enrichment,
                                    List<String> keyFields) {
        ArrayNode fields = SchemaJson.NODES.arrayNode();
        List<JsonNode> types = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (JsonNode f : SchemaJson.rowRecord(valueSchema).path("fields")) {
            ObjectNode column = keyFields.contains(f.get("name").asText())
                    ? ((ObjectNode) f).deepCopy() : nullableField((ObjectNode) f);
            fields.add(column);
            types.add(column.get("type"));
            names.add(column.get("name").asText());
        }
        checkNames(names, enrichment);
        for (String[] m : METADATA) {
            fields.add(typed(m[0], m[1].startsWith("?")
                    ? nullable(SchemaJson.NODES.textNode(m[1].substring(1)))
                    : SchemaJson.NODES.textNode(m[1]), m[1].startsWith("?")));
        }
        for (String name : enrichment) {
            fields.add(typed(name, nullable(SchemaJson.NODES.textNode("string")), true));
        }
        if (!enrichment.isEmpty()) {
            ObjectNode missing = SchemaJson.NODES.objectNode();
            missing.put("name", ENRICHMENT_MISSING);
            missing.put("type", "boolean");
            missing.put("default", false);
            fields.add(missing);
        }
        ArrayNode typeList = SchemaJson.NODES.arrayNode();
        types.forEach(typeList::add);
        String[] name = recordName(table, "cdc.processed",
                SchemaJson.namedTypes(typeList, "").keySet());
        ObjectNode out = SchemaJson.NODES.objectNode();
        out.put("type", "record");
        out.put("name", name[0]);
        out.put("namespace", name[1]);
        out.set("fields", fields);
        out.put("doc", "Processed change records of " + table);
        return out;
    }

    private static ArrayNode nullable(JsonNode type) {
        ArrayNode out = SchemaJson.NODES.arrayNode();
        out.add("null");
        out.add(type);
        return out;
    }

    private static ObjectNode typed(String name, JsonNode type, boolean withNullDefault) {
        ObjectNode out = SchemaJson.NODES.objectNode();
        out.put("name", name);
        out.set("type", type);
        if (withNullDefault) {
            out.putNull("default");
        }
        return out;
    }

    /** A field made nullable: null first, default null (already nullable with a default: kept). */
    private static ObjectNode nullableField(ObjectNode field) {
        JsonNode type = field.get("type");
        if (SchemaJson.isNullable(type) && field.has("default")) {
            return field.deepCopy();
        }
        JsonNode union = type;
        if (!SchemaJson.isNullable(type)) {
            ArrayNode out = SchemaJson.NODES.arrayNode();
            out.add("null");
            SchemaJson.branches(type).forEach(out::add);
            union = out;
        }
        ObjectNode out = SchemaJson.NODES.objectNode();
        field.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("type") && !e.getKey().equals("default")) {
                out.set(e.getKey(), e.getValue());
            }
        });
        out.set("type", union);
        if (SchemaJson.isNull(SchemaJson.branches(union).get(0))) {
            out.putNull("default");
        }
        return out;
    }

    private static void checkNames(List<String> columns, List<String> enrichment) {
        Set<String> clashes = new java.util.TreeSet<>();
        for (String n : columns) {
            if (RESERVED.contains(n) || enrichment.contains(n)) {
                clashes.add(n);
            }
        }
        enrichment.stream().filter(RESERVED::contains).forEach(clashes::add);
        if (!clashes.isEmpty()) {
            throw new IllegalArgumentException("column name(s) " + String.join(", ", clashes)
                    + " clash with processed metadata or enrichment fields");
        }
    }

    private static String[] recordName(String table, String namespace, Set<String> taken) {
        int dot = table.lastIndexOf('.');
        String schema = dot < 0 ? "" : table.substring(0, dot);
        List<String> parts = new ArrayList<>();
        for (String p : (namespace + "." + schema).split("\\.")) {
            if (!p.isEmpty()) {
                parts.add(avroName(p));
            }
        }
        String space = String.join(".", parts);
        String name = avroName(table.substring(dot + 1));
        while (taken.contains(space + "." + name)) {
            name += "_processed";
        }
        return new String[] {name, space};
    }

    private static String avroName(String part) {
        String cleaned = part.replaceAll("[^A-Za-z0-9_]", "_");
        return cleaned.matches("^[A-Za-z_].*") ? cleaned : "_" + cleaned;
    }
}
