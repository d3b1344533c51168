package cdc.flink.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JVM decode against the golden vectors (tests/golden/decode_vectors.json), which
 * cdc_core is tested with too: the same event_id, processed record bytes, soft violations,
 * or DLQ stage, reason and headers for every vector.
 */
class GoldenVectorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    static JsonNode document() throws IOException {
        Path dir = Path.of(System.getProperty("cdc.golden.dir", "../../tests/golden"));
        return JSON.readTree(dir.resolve("decode_vectors.json").toFile());
    }

    static Stream<Arguments> vectors() throws IOException {
        JsonNode doc = document();
        List<Arguments> out = new ArrayList<>();
        doc.get("vectors").forEach(v -> out.add(Arguments.of(v.get("name").asText(), v, doc)));
        return out.stream();
    }

    @Test
    void theVectorFileIsThere() throws IOException {
        assertFalse(document().get("vectors").isEmpty());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void decodesAsCdcCoreDoes(String name, JsonNode vector, JsonNode doc) throws Exception {
        JsonNode schemas = doc.get("schemas");
        MemoryRegistry registry = new MemoryRegistry();
        vector.get("schemas").fields().forEachRemaining(e -> registry.put(
                Integer.parseInt(e.getKey()), schemas.get(e.getValue().asText()).toString()));
        JsonNode latest = vector.get("latest_processed");
        if (latest != null && !latest.isNull()) {
            registry.register("processed.public.orders-value", schemas.get(latest.asText()).toString());
        }
        RecordDecoder decoder = new RecordDecoder(settings(vector), registry,
                new RegistryCatalog(registry, "processed", Map.of()));
        long now = doc.get("now_ms").asLong();
        RecordDecoder.Decoded out = decoder.decode(raw(vector), now);
        JsonNode expect = vector.get("expect");
        if (expect.has("skipped")) {
            assertEquals(expect.get("skipped").asText(), out.reason());
            assertNull(out.change());
            assertNull(out.dlq());
        } else if (expect.has("dlq")) {
            assertDlq(expect.get("dlq"), out, vector);
        } else {
            assertChange(expect, out, schemas);
            String subject = "processed." + expect.get("table").asText() + "-value";
            assertEquals(schemas.get(expect.get("processed_schema").asText()),
                    JSON.readTree(registry.latest(subject)), "processed schema");
        }
    }

    private static void assertDlq(JsonNode expect, RecordDecoder.Decoded out, JsonNode vector) {
        assertNull(out.change());
        assertNotNull(out.dlq(), "expected a DLQ record");
        assertEquals(expect.get("reason").asText(), out.reason(), "reason");
        Map<String, String> headers = new LinkedHashMap<>();
        out.dlq().headers().forEach((k, v) -> headers.put(k, new String(v, StandardCharsets.UTF_8)));
        assertFalse(headers.get("cdc.error.message").isEmpty());
        headers.put("cdc.error.message", null);
        Map<String, String> expected = new LinkedHashMap<>();
        expect.get("headers").fields().forEachRemaining(e -> expected.put(e.getKey(),
                e.getValue().isNull() ? null : e.getValue().asText()));
        assertEquals(expected, headers);
        assertEquals(text(vector.get("key")), hex(out.dlq().key()));
        assertEquals(text(vector.get("value")), hex(out.dlq().value()));
    }

    private static void assertChange(JsonNode expect, RecordDecoder.Decoded out, JsonNode schemas) {
        assertNull(out.dlq(), () -> "unexpected DLQ " + (out.dlq() == null ? "" : new String(
                out.dlq().headers().get("cdc.error.message"), StandardCharsets.UTF_8)));
        assertEquals(expect.get("event_id").asText(), out.change().event_id, "event_id");
        assertEquals(expect.get("table").asText(), out.change().table);
        assertEquals(expect.get("op").asText(), out.change().op);
        assertEquals(expect.get("ts_ms").asLong(), out.change().ts_ms);
        List<String> soft = new ArrayList<>();
        expect.get("soft_violations").forEach(s -> soft.add(s.asText()));
        assertEquals(soft, out.softViolations());
        byte[] value = out.change().value;
        assertEquals(expect.get("processed_body").asText(),
                HEX.formatHex(value, AvroCodec.HEADER_SIZE, value.length), "processed body");
    }

    static DecodeSettings settings(JsonNode vector) {
        ObjectNode root = JSON.createObjectNode();
        root.put("dlq_topic", "cdc.dlq");
        ObjectNode contracts = root.putObject("contracts");
        JsonNode contract = vector.get("contract");
        if (contract != null && !contract.isNull()) {
            contracts.set(contract.get("table").asText(), contract);
        }
        return new DecodeSettings(root.toString());
    }

    static RecordDecoder.Raw raw(JsonNode v) {
        Map<String, byte[]> headers = new LinkedHashMap<>();
        v.get("headers").forEach(h -> headers.put(h.get(0).asText(),
                h.get(1).asText().getBytes(StandardCharsets.UTF_8)));
        return new RecordDecoder.Raw(bytes(v.get("key")), bytes(v.get("value")),
                v.get("topic").asText(), v.get("partition").asInt(), v.get("offset").asLong(),
                headers);
    }

    private static byte[] bytes(JsonNode hex) {
        return hex == null || hex.isNull() ? null : HEX.parseHex(hex.asText());
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    private static String hex(byte[] bytes) {
        return bytes == null ? null : HEX.formatHex(bytes);
    }
}
