package cdc.flink.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import cdc.flink.model.Change;
import cdc.flink.model.DimUpdate;
import cdc.flink.model.Sum;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The job-side parts of the decode the golden vectors do not cover: routing, enrichment
 * keys and dimension updates, sums, the processed key and schemas registered, caching. */
class RecordDecoderTest {
    private static final String SETTINGS = """
            {"dlq_topic": "dlq", "processed_prefix": "processed",
             "enrichment": {"public.orders": {"from_column": "customer_id",
                 "dimension_table": "public.customers", "dimension_key": "id",
                 "fields": {"segment": "customer_segment"}, "wait_ms": 0}},
             "dimensions": {"public.customers": [{"from_column": "customer_id",
                 "dimension_table": "public.customers", "dimension_key": "id",
                 "fields": {"status": "customer_segment"}, "wait_ms": 0}]},
             "sums": {"public.orders": ["total_amount", "missing"]}}""";
    private static final HexFormat HEX = HexFormat.of();

    private JsonNode insert;
    private Schema keySchema;
    private Schema valueSchema;
    private CountingRegistry registry;
    private RecordDecoder decoder;

    /** Counts schema fetches. */
    static final class CountingRegistry extends RegistryLike {
        int fetches;

        @Override
        public String fetch(int schemaId) throws NotFound {
            fetches++;
            return super.fetch(schemaId);
        }
    }

    /** The in-memory registry, open for a subclass. */
    static class RegistryLike implements SchemaSource, RegistryCatalog.Registry {
        final MemoryRegistry inner = new MemoryRegistry();

        @Override
        public String fetch(int schemaId) throws NotFound {
            return inner.fetch(schemaId);
        }

        @Override
        public String latest(String subject) {
            return inner.latest(subject);
        }

        @Override
        public int register(String subject, String schema) {
            return inner.register(subject, schema);
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        JsonNode doc = GoldenVectorsTest.document();
        for (JsonNode v : doc.get("vectors")) {
            if (v.get("name").asText().equals("insert")) {
                insert = v;
            }
        }
        registry = new CountingRegistry();
        String keyText = doc.get("schemas").get(insert.get("schemas").get("11").asText()).toString();
        String valueText = doc.get("schemas").get(insert.get("schemas").get("12").asText()).toString();
        registry.inner.put(11, keyText);
        registry.inner.put(12, valueText);
        keySchema = new Schema.Parser().parse(keyText);
        valueSchema = new Schema.Parser().parse(valueText);
        DecodeSettings settings = new DecodeSettings(SETTINGS);
        decoder = new RecordDecoder(settings, registry, new RegistryCatalog(registry, "processed",
                Map.of("public.orders", List.of("segment"))));
    }

    private RecordDecoder.Raw raw(GenericRecord value) throws IOException {
        return new RecordDecoder.Raw(HEX.parseHex(insert.get("key").asText()),
                framed(12, valueSchema, value), "cdc.public.orders", 0, 7, Map.of());
    }

    private GenericRecord insertValue() throws IOException {
        byte[] framed = HEX.parseHex(insert.get("value").asText());
        return (GenericRecord) new GenericDatumReader<>(valueSchema, valueSchema,
                AvroCodec.DATA).read(null, DecoderFactory.get().binaryDecoder(framed, 5,
                framed.length - 5, null));
    }

    private static byte[] framed(int id, Schema schema, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {0, 0, 0, 0, (byte) id});
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema, AvroCodec.DATA).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    @Test
    void aFactBecomesAChangeWithRoutingJoinKeySumsAndRegisteredSchemas() throws IOException {
        Change change = decoder.decode(raw(insertValue()), 42).change();
        assertEquals("processed.public.orders", change.topic);
        assertEquals("public.customers|7", change.join);
        assertEquals(List.of(new Sum("total_amount", "1234.50")), change.sums);
        assertEquals(RecordDecoder.bucket("public.orders|[[\"id\",42]]"), change.pk);
        int keyId = registry.inner.register("processed.public.orders-key", keySchema.toString());
        byte[] rawKey = HEX.parseHex(insert.get("key").asText());
        assertArrayEquals(AvroCodec.frame(keyId, rawKey, 5), change.key);
        JsonNode full = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                registry.latest("processed.public.orders-value"));
        JsonNode fields = full.get("fields");
        assertEquals("segment", fields.get(fields.size() - 2).get("name").asText());
        assertEquals("__enrichment_missing", fields.get(fields.size() - 1).get("name").asText());
    }

    @Test
    void oneRegistryFetchPerSchemaId() throws IOException {
        for (int i = 0; i < 5; i++) {
            decoder.decode(raw(insertValue()), 42);
        }
        assertEquals(2, registry.fetches); // the key schema and the value schema
    }

    @Test
    void theProcessedValuePlusTheEnrichmentSuffixDecodesWithTheFullSchema() throws IOException {
        Change change = decoder.decode(raw(insertValue()), 42).change();
        assertNull(RecordDecoder.joinKey("public.customers", null));
        assertEquals("public.customers|\"\\u00fc\"", RecordDecoder.joinKey("public.customers", "ü"));
        Schema full = new Schema.Parser().parse(registry.latest("processed.public.orders-value"));
        // the enrichment stage appends the missing dimension's encoding: null, then true
        byte[] nullSuffix = java.util.Arrays.copyOf(change.value, change.value.length + 2);
        nullSuffix[nullSuffix.length - 1] = 1;
        GenericRecord decoded = (GenericRecord) new GenericDatumReader<>(full, full, AvroCodec.DATA)
                .read(null, DecoderFactory.get().binaryDecoder(nullSuffix, 5,
                        nullSuffix.length - 5, null));
        assertEquals(true, decoded.get("__enrichment_missing"));
        assertNull(decoded.get("segment"));
        assertEquals("paid", decoded.get("status").toString());
    }

    @Test
    void aDimensionChangeFeedsEnrichmentWithItsValuesAsText() throws IOException {
        GenericRecord value = insertValue();
        GenericRecord source = (GenericRecord) value.get("source");
        source.put("table", "customers");
        RecordDecoder.Decoded out = decoder.decode(raw(value), 42);
        assertEquals(List.of(new DimUpdate("public.customers|42", 1_732_440_000_000L, 24_023_128L,
                Map.of("status", "paid"))), out.dims());
        assertNull(out.change().join);
    }

    @Test
    void theBucketIsStableAndInRange() {
        String bucket = RecordDecoder.bucket("public.orders|[[\"id\",1]]");
        assertEquals(bucket, RecordDecoder.bucket("public.orders|[[\"id\",1]]"));
        int n = Integer.parseInt(bucket);
        assertTrue(n >= 0 && n < RecordDecoder.BUCKETS);
    }

    @Test
    void messagesAreCutAtAThousandCodePoints() {
        String long_ = "ü".repeat(1500);
        String cut = RecordDecoder.truncate(long_);
        assertEquals(1000, cut.codePointCount(0, cut.length()));
        assertTrue(cut.endsWith("\u2026"));
        assertEquals("short", RecordDecoder.truncate("short"));
    }
}
