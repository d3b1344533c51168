package cdc.flink.decode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decode stage's static inputs, handed over by the PyFlink program as one JSON document
 * (flink_jobs/jvm_decode.py writes it): DLQ topic, processed topic prefix, the table
 * contracts, enrichment rules per fact table and per dimension table, metric sum columns and
 * the registry connection. Kept as text so the operator serialises as a plain string.
 */
public final class DecodeSettings implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    public final String json;
    public transient String dlqTopic;
    public transient String processedPrefix;
    public transient Map<String, Contracts.Contract> contracts;
    public transient Map<String, Rule> enrichment;
    public transient Map<String, List<Rule>> dimensions;
    public transient Map<String, List<String>> sums;
    public transient RegistrySettings registry;

    /** A lookup-join rule: {@code fields} maps dimension column to output field, in order. */
    public record Rule(String fromColumn, String dimensionTable, String dimensionKey,
                       LinkedHashMap<String, String> fields, long waitMs) implements Serializable {
        static Rule of(JsonNode r) {
            LinkedHashMap<String, String> fields = new LinkedHashMap<>();
            r.get("fields").fields().forEachRemaining(e -> fields.put(e.getKey(),
                    e.getValue().asText()));
            return new Rule(r.get("from_column").asText(), r.get("dimension_table").asText(),
                    r.get("dimension_key").asText(), fields, r.path("wait_ms").asLong(0));
        }
    }

    /** Where the registry is and how to reach it. */
    public record RegistrySettings(String url, double timeoutS, String userInfo,
                                   String userInfoFile, String sslCaLocation)
            implements Serializable {
        static RegistrySettings of(JsonNode r) {
            return new RegistrySettings(r.get("url").asText(), r.path("timeout_s").asDouble(10),
                    text(r, "user_info"), text(r, "user_info_file"), text(r, "ssl_ca_location"));
        }

        private static String text(JsonNode r, String name) {
            return r.hasNonNull(name) ? r.get(name).asText() : null;
        }
    }

    public DecodeSettings(String json) {
        this.json = json;
        load();
    }

    private Object readResolve() {
        load();
        return this;
    }

    private void load() {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("decode settings are not JSON", e);
        }
        dlqTopic = root.path("dlq_topic").asText("cdc.dlq");
        processedPrefix = root.path("processed_prefix").asText("processed");
        contracts = new HashMap<>();
        root.path("contracts").fields().forEachRemaining(
                e -> contracts.put(e.getKey(), Contracts.Contract.of(e.getValue())));
        enrichment = new HashMap<>();
        root.path("enrichment").fields().forEachRemaining(
                e -> enrichment.put(e.getKey(), Rule.of(e.getValue())));
        dimensions = new HashMap<>();
        root.path("dimensions").fields().forEachRemaining(e -> {
            List<Rule> rules = new ArrayList<>();
            e.getValue().forEach(r -> rules.add(Rule.of(r)));
            dimensions.put(e.getKey(), rules);
        });
        sums = new HashMap<>();
        root.path("sums").fields().forEachRemaining(e -> {
            List<String> columns = new ArrayList<>();
            e.getValue().forEach(c -> columns.add(c.asText()));
            sums.put(e.getKey(), columns);
        });
        registry = root.hasNonNull("registry") ? RegistrySettings.of(root.get("registry")) : null;
    }

    /** {@code <prefix>.<schema>.<table>} of a {@code schema.table}. */
    public String topic(String table) {
        return processedPrefix + "." + table;
    }
}
