package cdc.flink.decode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** An in-memory Confluent-compatible registry: ids, subjects, idempotent registration. */
final class MemoryRegistry implements SchemaSource, RegistryCatalog.Registry {
    private final Map<Integer, String> byId = new HashMap<>();
    private final Map<String, List<Integer>> subjects = new HashMap<>();
    private int next = 1000;

    void put(int id, String schema) {
        byId.put(id, schema);
    }

    @Override
    public String fetch(int schemaId) throws NotFound {
        String found = byId.get(schemaId);
        if (found == null) {
            throw new NotFound("no schema " + schemaId);
        }
        return found;
    }

    @Override
    public String latest(String subject) {
        List<Integer> versions = subjects.get(subject);
        return versions == null ? null : byId.get(versions.get(versions.size() - 1));
    }

    @Override
    public int register(String subject, String schema) {
        for (Map.Entry<Integer, String> e : byId.entrySet()) {
            if (e.getValue().equals(schema) && subjects.getOrDefault(subject, List.of())
                    .contains(e.getKey())) {
                return e.getKey();
            }
        }
        int id = next++;
        byId.put(id, schema);
        subjects.computeIfAbsent(subject, s -> new ArrayList<>()).add(id);
        return id;
    }

    List<String> subjects() {
        return new ArrayList<>(subjects.keySet());
    }
}
