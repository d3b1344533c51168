package cdc.flink.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import cdc.flink.model.Change;
import cdc.flink.model.Counted;
import cdc.flink.model.DimUpdate;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Dedup: copies dropped within the retention whatever their arrival order or lateness. */
class DedupFunctionTest {
    static final long WINDOW = 10_000;
    static final long RETENTION = 60_000;

    private DedupFunction function;
    private KeyedOneInputStreamOperatorTestHarness<String, Routed, Row> harness;

    @BeforeEach
    void open() throws Exception {
        function = new DedupFunction(WINDOW, RETENTION);
        harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(function), Routed::routingKey, Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    static Change change(String pk, String id, long ts, String join) {
        return new Change("public.orders", pk, id, ts, "c", "processed.public.orders",
                pk.getBytes(StandardCharsets.UTF_8), id.getBytes(StandardCharsets.UTF_8), join,
                List.of());
    }

    private void feed(Change change) throws Exception {
        harness.processElement(Routed.of(change), change.ts_ms);
    }

    private List<String> emittedIds() {
        List<String> ids = new ArrayList<>();
        for (Row row : harness.extractOutputValues()) {
            ids.add(new String((byte[]) row.getField(2), StandardCharsets.UTF_8));
        }
        return ids;
    }

    @Test
    void firstCopyOutAtOnceLaterCopiesInTheWindowDropped() throws Exception {
        feed(change("b1", "a", 1_000, null));
        feed(change("b1", "a", 1_000, null));
        feed(change("b1", "b", 1_500, null));
        feed(change("b1", "a", 9_999, null));  // same id, same window (a header-given id)
        assertEquals(List.of("a", "b"), emittedIds());
        assertEquals(2, function.duplicatesDropped());
    }

    @Test
    void sameIdInALaterWindowPasses() throws Exception {
        feed(change("b1", "a", 1_000, null));
        feed(change("b1", "a", 12_000, null));
        assertEquals(List.of("a", "a"), emittedIds());
        assertEquals(0, function.duplicatesDropped());
    }

    @Test
    void copyBehindTheWatermarkWithinRetentionIsDropped() throws Exception {
        feed(change("b1", "a", 1_000, null));
        harness.processWatermark(50_000);  // far past the window's end, within the retention
        feed(change("b1", "a", 1_000, null));
        assertEquals(List.of("a"), emittedIds());
        assertEquals(1, function.duplicatesDropped());
        assertEquals(0, function.lateEvents());
    }

    @Test
    void lateFirstOccurrencePassesCountedAndItsCopiesAreDropped() throws Exception {
        harness.processWatermark(30_000);
        feed(change("b1", "x", 5_000, null));
        feed(change("b1", "x", 5_000, null));
        assertEquals(List.of("x"), emittedIds());
        assertEquals(1, function.lateEvents());
        assertEquals(1, function.duplicatesDropped());
    }

    @Test
    void beyondTheRetentionAChangePassesAsLateAndIsNotRemembered() throws Exception {
        harness.processWatermark(WINDOW + RETENTION);
        feed(change("b1", "x", 5_000, null));
        feed(change("b1", "x", 5_000, null));
        assertEquals(List.of("x", "x"), emittedIds());
        assertEquals(2, function.lateEvents());
        assertEquals(0, harness.numKeyedStateEntries());
    }

    @Test
    void stateIsSweptOnceTheWatermarkPassesTheRetention() throws Exception {
        for (int i = 0; i < 50; i++) {
            feed(change("b" + (i % 5), "id" + i, 1_000 + i, null));
        }
        assertEquals(5, harness.numKeyedStateEntries());
        assertEquals(5, harness.numEventTimeTimers());
        long cleanup = WINDOW - 1 + RETENTION;
        harness.processWatermark(cleanup - 1);
        feed(change("b0", "id0", 1_000, null));  // still remembered: dropped
        assertEquals(1, function.duplicatesDropped());
        harness.processWatermark(function.sweepAt(cleanup));
        assertEquals(0, harness.numKeyedStateEntries());
        assertEquals(0, harness.numEventTimeTimers());
    }

    @Test
    void enrichedChangesAndCountsGoToSideOutputsDroppedCopiesToNeither() throws Exception {
        feed(change("b1", "a", 1_000, "public.customers|1"));
        feed(change("b1", "a", 1_000, "public.customers|1"));
        feed(change("b1", "b", 1_000, null));
        assertEquals(List.of("b"), emittedIds());
        assertEquals(1, harness.getSideOutput(DedupFunction.ENRICH).size());
        DimUpdate dim = new DimUpdate("public.customers|1", 1_000, 1L, Map.of());
        harness.processElement(Routed.of(dim), 1_000);
        harness.processElement(Routed.of(dim), 1_000);  // forwarded as is, never deduplicated
        assertEquals(3, harness.getSideOutput(DedupFunction.ENRICH).size());
        List<Counted> counted = new ArrayList<>();
        harness.getSideOutput(DedupFunction.METRICS).forEach(r -> counted.add(r.getValue()));
        assertEquals(2, counted.size());
    }

    /**
     * The same input fed twice, three copies of each change in one window and changes of two
     * topics interleaved in different fetch orders, gives the same output and counts every
     * time. The watermark is what per-partition generation gives: the slowest topic's
     * progress minus the out-of-orderness, so one topic's progress never makes another's
     * changes late; and even under the watermark of merged topics (the fastest topic's
     * progress), the retention still catches every copy.
     */
    @Test
    void outputDoesNotDependOnFetchOrderAcrossTopics() throws Exception {
        List<Change> orders = new ArrayList<>();
        List<Change> customers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            for (int copy = 0; copy < 3; copy++) {
                orders.add(change("o" + (i % 4), "order-" + i, 2_000 + i * 100, null));
                customers.add(change("c" + (i % 3), "customer-" + i, 30_000 + i * 100, null));
            }
        }
        List<String> first = null;
        for (long seed = 0; seed < 12; seed++) {
            boolean merged = seed % 2 == 1;  // also the watermark of merged topics (max seen)
            close();
            open();
            long[] progress = {Long.MIN_VALUE, Long.MIN_VALUE};
            for (Change change : interleave(orders, customers, new Random(seed))) {
                int topic = change.pk.startsWith("o") ? 0 : 1;
                progress[topic] = Math.max(progress[topic], change.ts_ms);
                feed(change);
                long slowest = Math.min(progress[0], progress[1]);
                long mark = merged ? Math.max(progress[0], progress[1]) : slowest;
                if (mark > Long.MIN_VALUE) {
                    harness.processWatermark(mark - 1_000);
                }
            }
            List<String> ids = emittedIds();
            Collections.sort(ids);
            if (first == null) {
                first = ids;
            }
            assertEquals(first, ids, "seed " + seed);
            assertEquals(40, ids.size());
            assertEquals(80, function.duplicatesDropped());
        }
    }

    private static List<Change> interleave(List<Change> a, List<Change> b, Random random) {
        List<Change> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size()) {
            boolean takeA = j >= b.size() || (i < a.size() && random.nextBoolean());
            out.add(takeA ? a.get(i++) : b.get(j++));
        }
        return out;
    }
}
