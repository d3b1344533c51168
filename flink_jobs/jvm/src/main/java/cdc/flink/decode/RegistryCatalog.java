package cdc.flink.decode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.avro.Schema;

/**
 * Processed schemas per writer schema over the registry ({@code flink_jobs/catalog.py}'s
 * rules). "Last applied" is the latest version under {@code processed.<schema>.<table>-value}:
 * it survives restarts and is shared by every parallel task. A new writer schema's processed
 * schema is classified against it ({@link Evolution}); additive or unchanged ones are
 * registered (idempotent: the same schema gets the same id) and used, a breaking one is never
 * registered and every record written with it goes to the DLQ. Each writer schema id is
 * resolved once per task.
 */
public final class RegistryCatalog implements Catalog {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The registry calls the catalog makes (Confluent-compatible API). */
    public interface Registry {
        /** Latest schema text under {@code subject}, or null when the subject does not exist. */
        String latest(String subject) throws IOException;

        /** Registers (or finds) {@code schema} under {@code subject}; its id. */
        int register(String subject, String schema) throws IOException;
    }

    private final Registry registry;
    private final String prefix;
    private final Map<String, List<String>> enrichment;
    // By writer schema id, then table: one id serves one table in practice, so the inner
    // map has one entry and the lookup hashes an int and a string the record already has.
    private final Map<Integer, Map<String, TableSchemas>> values = new HashMap<>();
    private final Map<Integer, Map<String, Integer>> keys = new HashMap<>();

    /** {@code enrichment}: the enrichment output fields per fact table, in order. */
    public RegistryCatalog(Registry registry, String prefix, Map<String, List<String>> enrichment) {
        this.registry = registry;
        this.prefix = prefix;
        this.enrichment = enrichment;
    }

    @Override
    public TableSchemas value(int writerId, String table, Supplier<String> writerJson,
                              List<String> keyFields) throws IOException {
        Map<String, TableSchemas> byTable = values.computeIfAbsent(writerId, id -> new HashMap<>(2));
        TableSchemas found = byTable.get(table);
        if (found == null) {
            found = resolve(table, JSON.readTree(writerJson.get()), keyFields);
            byTable.put(table, found);
        }
        return found;
    }

    @Override
    public int keyId(int writerKeyId, String table, Supplier<String> keyJson) throws IOException {
        Map<String, Integer> byTable = keys.computeIfAbsent(writerKeyId, id -> new HashMap<>(2));
        Integer found = byTable.get(table);
        if (found == null) {
            found = registry.register(topic(table) + "-key", compact(keyJson.get()));
            byTable.put(table, found);
        }
        return found;
    }

    private String topic(String table) {
        return prefix + "." + table;
    }

    private TableSchemas resolve(String table, JsonNode writer, List<String> keyFields)
            throws IOException {
        List<String> extra = enrichment.getOrDefault(table, List.of());
        ObjectNode full = ProcessedSchemas.derive(writer, table, extra, keyFields);
        String subject = topic(table) + "-value";
        String latest = registry.latest(subject);
        if (latest != null) {
            CdcFailure breaking = Evolution.breaking(table, JSON.readTree(latest), full);
            if (breaking != null) {
                return new TableSchemas(table, topic(table), 0, null, null, breaking);
            }
        }
        int valueId = registry.register(subject, full.toString());
        Schema base = new Schema.Parser().setValidateDefaults(false)
                .parse(baseSchema(full, extra.size()).toString());
        return new TableSchemas(table, topic(table), valueId, base, new AvroCodec.Writer(base),
                null);
    }

    /** {@code full} without its enrichment fields and {@code __enrichment_missing}. */
    static ObjectNode baseSchema(ObjectNode full, int enrichmentFields) {
        if (enrichmentFields == 0) {
            return full;
        }
        ObjectNode out = full.deepCopy();
        ArrayNode fields = (ArrayNode) out.get("fields");
        List<JsonNode> kept = new ArrayList<>();
        for (int i = 0; i < fields.size() - enrichmentFields - 1; i++) {
            kept.add(fields.get(i));
        }
        fields.removeAll();
        fields.addAll(kept);
        return out;
    }

    private static String compact(String json) throws IOException {
        return JSON.readTree(json).toString();
    }
}
