package cdc.flink.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import cdc.flink.model.Counted;
import cdc.flink.model.Sum;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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

/** Windowed metrics: counts, exact sums, late increments, the metrics topic's encoding. */
class MetricsFunctionTest {
    /** The schemas flink_jobs/stateful.py registers for the metrics topic. */
    static final Schema KEY = metricsSchema("key");
    static final Schema VALUE = metricsSchema("value");

    private KeyedOneInputStreamOperatorTestHarness<String, Counted, Row> harness;

    @BeforeEach
    void open() throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new MetricsFunction(60, "metrics", 1, 2)),
                c -> c.table, Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static Schema metricsSchema(String part) {
        Path file = Path.of(System.getProperty("cdc.metrics.schemas", "../metrics_schemas.json"));
        try {
            return new Schema.Parser().parse(new ObjectMapper().readTree(file.toFile())
                    .get(part).toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void feed(long ts, String op, String amount) throws Exception {
        List<Sum> sums = amount == null ? List.of() : List.of(new Sum("amount", amount));
        harness.processElement(new Counted("t", ts, op, sums), ts);
    }

    private static GenericRecord read(Schema schema, byte[] framed) throws IOException {
        byte[] body = Arrays.copyOfRange(framed, 5, framed.length);
        return new GenericDatumReader<GenericRecord>(schema).read(null,
                DecoderFactory.get().binaryDecoder(body, null));
    }

    private List<GenericRecord> values() throws IOException {
        List<GenericRecord> out = new ArrayList<>();
        for (Row row : harness.extractOutputValues()) {
            out.add(read(VALUE, (byte[]) row.getField(2)));
        }
        return out;
    }

    @Test
    void countsPerOpAndExactSumsPerWindowEmittedWhenTheWatermarkPassesItsEnd() throws Exception {
        feed(10, "c", "1.10");
        feed(20, "u", "2.20");
        feed(30, "c", null);
        feed(70, "d", "0.005");
        harness.processWatermark(58);
        assertEquals(List.of(), values());
        harness.processWatermark(59);
        GenericRecord window = values().get(0);
        assertEquals(0L, window.get("window_start_ms"));
        assertEquals(60L, window.get("window_end_ms"));
        assertEquals(List.of(2L, 1L, 0L, 0L), List.of(window.get("count_c"),
                window.get("count_u"), window.get("count_d"), window.get("count_r")));
        assertEquals("3.30", ((Map<?, ?>) window.get("sums")).entrySet().iterator().next()
                .getValue().toString());
        assertEquals(false, window.get("late"));
        Row row = harness.extractOutputValues().get(0);
        assertEquals("metrics", row.getField(0));
        GenericRecord key = read(KEY, (byte[]) row.getField(1));
        assertEquals("t", key.get("table").toString());
        assertEquals(0L, key.get("window_start_ms"));
        byte[] framed = (byte[]) row.getField(2);
        assertEquals("[0, 0, 0, 0, 2]", Arrays.toString(Arrays.copyOf(framed, 5)));
    }

    @Test
    void aChangeAfterItsWindowWasEmittedIsALateIncrement() throws Exception {
        feed(10, "c", null);
        harness.processWatermark(500);
        feed(20, "u", null);
        harness.processWatermark(501);
        List<GenericRecord> windows = values();
        assertEquals(2, windows.size());
        assertEquals(List.of(false, true), List.of(windows.get(0).get("late"),
                windows.get(1).get("late")));
        assertEquals(1L, windows.get(1).get("count_u"));
        assertEquals(0L, windows.get(1).get("count_c"));
        assertEquals(0, harness.numKeyedStateEntries());
    }
}
