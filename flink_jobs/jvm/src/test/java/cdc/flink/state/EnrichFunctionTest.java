package cdc.flink.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import cdc.flink.model.Change;
import cdc.flink.model.DimUpdate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Enrichment: wait, release, deadline; and the appended Avro encoding. */
class EnrichFunctionTest {
    static final String JOIN = "public.customers|1";
    /** The processed record of the tests: {@code id} (int), then what enrichment appends. */
    static final Schema FULL = new Schema.Parser().parse("""
            {"type": "record", "name": "R", "fields": [
              {"name": "id", "type": "int"},
              {"name": "customer_segment", "type": ["null", "string"], "default": null},
              {"name": "customer_country", "type": ["null", "string"], "default": null},
              {"name": "__enrichment_missing", "type": "boolean", "default": false}]}""");

    private EnrichFunction function;
    private KeyedOneInputStreamOperatorTestHarness<String, Routed, Row> harness;

    @BeforeEach
    void open() throws Exception {
        function = new EnrichFunction(Map.of("public.orders",
                new EnrichRule(List.of("segment", "country"), 100)));
        harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(function), Routed::joinKey, Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    /** A fact whose processed value encodes {@code id = n} (Avro int: zig-zag varint). */
    static Change fact(int n, long ts) {
        return new Change("public.orders", "b", "e" + n, ts, "c", "processed.public.orders",
                new byte[] {1}, new byte[] {(byte) (n << 1)}, JOIN, List.of());
    }

    static DimUpdate dim(String segment, long lsn) {
        Map<String, String> fields = new HashMap<>();
        fields.put("segment", segment);
        fields.put("country", null);
        return new DimUpdate(JOIN, lsn, lsn, fields);
    }

    private void fact(Change change) throws Exception {
        harness.processElement(Routed.of(change), change.ts_ms);
    }

    private void dimension(DimUpdate update) throws Exception {
        harness.processElement(Routed.of(update), update.ts_ms);
    }

    private void watermark(long at) throws Exception {
        harness.processWatermark(at);
    }

    /** Output values decoded with the full processed schema. */
    private List<GenericRecord> out() throws IOException {
        List<GenericRecord> records = new ArrayList<>();
        for (Row row : harness.extractOutputValues()) {
            byte[] value = (byte[]) row.getField(2);
            records.add(new GenericDatumReader<GenericRecord>(FULL).read(null,
                    DecoderFactory.get().binaryDecoder(value, null)));
        }
        return records;
    }

    private static List<Object> ids(List<GenericRecord> records) {
        return records.stream().map(r -> r.get("id")).toList();
    }

    @Test
    void factWithKnownDimensionIsEmittedAtOnceWithItsValues() throws Exception {
        dimension(dim("gold", 1));
        fact(fact(7, 1_000));
        GenericRecord record = out().get(0);
        assertEquals(7, record.get("id"));
        assertEquals("gold", record.get("customer_segment").toString());
        assertNull(record.get("customer_country"));
        assertEquals(false, record.get("__enrichment_missing"));
    }

    @Test
    void factBeforeDimensionWaitsThenIsReleasedInOrder() throws Exception {
        fact(fact(1, 1_000));
        fact(fact(2, 1_010));
        assertEquals(List.of(), out());
        dimension(dim("gold", 1));
        assertEquals(List.of(1, 2), ids(out()));
        watermark(10_000);  // their deadlines pass: nothing more comes out
        assertEquals(2, out().size());
        assertEquals(0, function.enrichmentMissing());
    }

    @Test
    void deadlineReleasesDueFactsWithNullsAndTheFlag() throws Exception {
        fact(fact(1, 1_000));
        fact(fact(2, 2_000));
        watermark(1_100);
        List<GenericRecord> records = out();
        assertEquals(List.of(1), ids(records));
        assertNull(records.get(0).get("customer_segment"));
        assertEquals(true, records.get(0).get("__enrichment_missing"));
        assertEquals(1, function.enrichmentMissing());
        dimension(dim("gold", 1));
        assertEquals(List.of(1, 2), ids(out()));
        assertEquals("gold", out().get(1).get("customer_segment").toString());
    }

    @Test
    void deadlineNeverLetsAFactOvertakeAnEarlierOne() throws Exception {
        fact(fact(1, 5_000));
        fact(fact(2, 1_000));
        watermark(1_100);
        assertEquals(List.of(1, 2), ids(out()));
        assertEquals(2, function.enrichmentMissing());
    }

    @Test
    void olderDimensionUpdateNeverOverwritesNewerAndDeleteKeepsValues() throws Exception {
        dimension(dim("platinum", 5));
        dimension(dim("gold", 3));
        fact(fact(1, 1_000));
        dimension(new DimUpdate(JOIN, 6, 6L, Map.of()));
        fact(fact(2, 1_000));
        assertEquals(Arrays.asList("platinum", "platinum"),
                out().stream().map(r -> r.get("customer_segment").toString()).toList());
    }

    @Test
    void withoutPositionsTheLaterCommitTimeWins() {
        DimUpdate old = new DimUpdate(JOIN, 10, null, Map.of("segment", "a"));
        DimUpdate same = new DimUpdate(JOIN, 10, null, Map.of("segment", "b"));
        assertEquals(true, EnrichFunction.newer(same, old));
        assertEquals(false, EnrichFunction.newer(new DimUpdate(JOIN, 9, null, Map.of()), old));
    }

    @Test
    void suffixIsTheAvroEncodingOfTheEnrichmentFields() {
        EnrichRule rule = new EnrichRule(List.of("segment"), 0);
        Map<String, String> row = new HashMap<>();
        row.put("segment", "gold");
        // ["null","string"] branch 1, length 4, "gold"; then false.
        byte[] expected = {2, 8, 'g', 'o', 'l', 'd', 0};
        assertEquals(Arrays.toString(expected), Arrays.toString(rule.suffix(row)));
        assertEquals(Arrays.toString(new byte[] {0, 1}), Arrays.toString(rule.suffix(null)));
        String unicode = "Zürich";
        byte[] text = unicode.getBytes(StandardCharsets.UTF_8);
        assertEquals(text.length * 2, new EnrichRule(List.of("c"), 0)
                .suffix(Map.of("c", unicode))[1]);
    }
}
