package cdc.flink.decode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Walking Avro schema JSON ({@code cdc_core/avro_schema.py}): full names, references,
 * nullability and the envelope's row record, on Jackson trees (key order kept).
 */
public final class SchemaJson {
    static final Set<String> PRIMITIVES =
            Set.of("null", "boolean", "int", "long", "float", "double", "bytes", "string");
    static final Set<String> NAMED = Set.of("record", "error", "enum", "fixed");
    static final Set<String> RECORDS = Set.of("record", "error");
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private SchemaJson() {}

    static String fullname(String name, String namespace) {
        return name.contains(".") || namespace == null || namespace.isEmpty()
                ? name : namespace + "." + name;
    }

    static String namespaceOf(String full) {
        int dot = full.lastIndexOf('.');
        return dot < 0 ? "" : full.substring(0, dot);
    }

    static List<JsonNode> branches(JsonNode type) {
        List<JsonNode> out = new ArrayList<>();
        if (type.isArray()) {
            type.forEach(out::add);
        } else {
            out.add(type);
        }
        return out;
    }

    static boolean isNull(JsonNode type) {
        return (type.isTextual() && type.asText().equals("null"))
                || (type.isObject() && "null".equals(type.path("type").asText(null)));
    }

    static boolean isNullable(JsonNode type) {
        return branches(type).stream().anyMatch(SchemaJson::isNull);
    }

    /** The type without its null branch: one type, or an array if several remain. */
    static JsonNode nonNull(JsonNode type) {
        List<JsonNode> rest = branches(type).stream().filter(b -> !isNull(b)).toList();
        if (rest.size() == 1) {
            return rest.get(0);
        }
        ArrayNode out = NODES.arrayNode();
        rest.forEach(out::add);
        return out;
    }

    /** A union with {@code fn} applied to each branch, in order. */
    static ArrayNode mapBranches(JsonNode union, UnaryOperator<JsonNode> fn) {
        ArrayNode out = NODES.arrayNode();
        union.forEach(b -> out.add(fn.apply(b)));
        return out;
    }

    /** The {@code type} of a schema object when it is a name (not a nested type). */
    static String kindOf(JsonNode schema) {
        JsonNode kind = schema.get("type");
        return kind != null && kind.isTextual() ? kind.asText() : null;
    }

    /** A copy of {@code schema} with {@code fn} applied to each directly nested type. */
    static ObjectNode mapChildren(ObjectNode schema, UnaryOperator<JsonNode> fn) {
        ObjectNode out = schema.deepCopy();
        String kind = kindOf(schema);
        if (kind != null && RECORDS.contains(kind)) {
            ArrayNode fields = NODES.arrayNode();
            for (JsonNode f : schema.path("fields")) {
                ObjectNode field = ((ObjectNode) f).deepCopy();
                field.set("type", fn.apply(f.get("type")));
                fields.add(field);
            }
            out.set("fields", fields);
        } else if ("array".equals(kind)) {
            out.set("items", fn.apply(schema.get("items")));
        } else if ("map".equals(kind)) {
            out.set("values", fn.apply(schema.get("values")));
        } else if (schema.get("type") != null
                && (kind == null || !(PRIMITIVES.contains(kind) || NAMED.contains(kind)))) {
            out.set("type", fn.apply(schema.get("type")));
        }
        return out;
    }

    static List<JsonNode> children(ObjectNode schema) {
        List<JsonNode> found = new ArrayList<>();
        mapChildren(schema, t -> {
            found.add(t);
            return t;
        });
        return found;
    }

    /** Every named type defined in {@code schema}, by full name. */
    static Map<String, ObjectNode> namedTypes(JsonNode schema, String namespace) {
        Map<String, ObjectNode> found = new LinkedHashMap<>();
        collect(schema, namespace, found);
        return found;
    }

    private static void collect(JsonNode schema, String namespace, Map<String, ObjectNode> found) {
        if (schema.isArray()) {
            schema.forEach(b -> collect(b, namespace, found));
            return;
        }
        if (!schema.isObject()) {
            return;
        }
        String space = namespace;
        String kind = kindOf(schema);
        if (kind != null && NAMED.contains(kind)) {
            String full = fullname(schema.get("name").asText(),
                    schema.has("namespace") ? schema.get("namespace").asText() : namespace);
            found.put(full, (ObjectNode) schema);
            space = namespaceOf(full);
        }
        for (JsonNode child : children((ObjectNode) schema)) {
            collect(child, space, found);
        }
    }

    /** A copy with every named type's name and every reference fully qualified. */
    static JsonNode qualify(JsonNode schema) {
        return qualify(schema, "", namedTypes(schema, "").keySet());
    }

    private static JsonNode qualify(JsonNode schema, String namespace, Set<String> defined) {
        if (schema.isTextual()) {
            return TextNode.valueOf(resolve(schema.asText(), namespace, defined));
        }
        if (schema.isArray()) {
            return mapBranches(schema, b -> qualify(b, namespace, defined));
        }
        if (!schema.isObject()) {
            return schema;
        }
        ObjectNode out = ((ObjectNode) schema).deepCopy();
        String space = namespace;
        String kind = kindOf(schema);
        if (kind != null && NAMED.contains(kind)) {
            String full = fullname(schema.get("name").asText(),
                    schema.has("namespace") ? schema.get("namespace").asText() : namespace);
            out = renamed(out, full);
            space = namespaceOf(full);
            if (space.isEmpty()) {
                out.put("namespace", ""); // stays in the null namespace wherever it is moved
            }
        }
        String inner = space;
        return mapChildren(out, t -> qualify(t, inner, defined));
    }

    /** {@code out} with its name set to {@code full} in place and its namespace removed. */
    private static ObjectNode renamed(ObjectNode schema, String full) {
        ObjectNode out = NODES.objectNode();
        schema.fields().forEachRemaining(e -> {
            if (e.getKey().equals("name")) {
                out.put("name", full);
            } else if (!e.getKey().equals("namespace")) {
                out.set(e.getKey(), e.getValue());
            }
        });
        return out;
    }

    private static String resolve(String ref, String namespace, Set<String> defined) {
        if (PRIMITIVES.contains(ref) || ref.equals("array") || ref.equals("map")
                || ref.contains(".") || namespace.isEmpty()) {
            return ref;
        }
        String candidate = namespace + "." + ref;
        return defined.contains(candidate) ? candidate : ref;
    }

    /** Replaces references by their definitions (recursive types stay references). */
    static JsonNode expand(JsonNode type, Map<String, ObjectNode> names) {
        return expand(type, names, Set.of());
    }

    private static JsonNode expand(JsonNode type, Map<String, ObjectNode> names, Set<String> stack) {
        if (type.isTextual()) {
            String ref = type.asText();
            return names.containsKey(ref) && !stack.contains(ref)
                    ? expand(names.get(ref), names, stack) : type;
        }
        if (type.isArray()) {
            return mapBranches(type, b -> expand(b, names, stack));
        }
        if (!type.isObject()) {
            return type;
        }
        Set<String> inner = stack;
        String kind = kindOf(type);
        if (kind != null && NAMED.contains(kind)) {
            inner = new HashSet<>(stack);
            inner.add(type.get("name").asText());
        }
        Set<String> frozen = inner;
        return mapChildren((ObjectNode) type, t -> expand(t, names, frozen));
    }

    /** The table's row record, fully qualified and self-contained, from an envelope schema. */
    static ObjectNode rowRecord(JsonNode valueSchema) {
        ObjectNode envelope = (ObjectNode) qualify(valueSchema);
        Map<String, ObjectNode> names = namedTypes(envelope, "");
        Map<String, JsonNode> fields = new LinkedHashMap<>();
        envelope.path("fields").forEach(f -> fields.put(f.get("name").asText(), f));
        if (!fields.containsKey("before") && !fields.containsKey("after")) {
            return selfContained(envelope, names);
        }
        for (String name : List.of("before", "after")) {
            if (!fields.containsKey(name)) {
                continue;
            }
            for (JsonNode branch : branches(fields.get(name).get("type"))) {
                JsonNode record = branch.isTextual() ? names.get(branch.asText()) : branch;
                if (record != null && record.isObject() && kindOf(record) != null
                        && RECORDS.contains(kindOf(record))) {
                    return selfContained((ObjectNode) record, names);
                }
            }
        }
        throw new IllegalArgumentException("envelope schema has no row record in before/after");
    }

    private static ObjectNode selfContained(ObjectNode record, Map<String, ObjectNode> names) {
        Set<String> defined = new HashSet<>(namedTypes(record, "").keySet());
        return (ObjectNode) inline(record.deepCopy(), names, defined);
    }

    private static JsonNode inline(JsonNode schema, Map<String, ObjectNode> names,
                                   Set<String> defined) {
        if (schema.isTextual()) {
            String ref = schema.asText();
            if (names.containsKey(ref) && !defined.contains(ref)) {
                defined.addAll(namedTypes(names.get(ref), "").keySet());
                return inline(names.get(ref).deepCopy(), names, defined);
            }
            return schema;
        }
        if (schema.isArray()) {
            return mapBranches(schema, b -> inline(b, names, defined));
        }
        if (!schema.isObject()) {
            return schema;
        }
        return mapChildren((ObjectNode) schema, t -> inline(t, names, defined));
    }
}
