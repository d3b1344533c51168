package cdc.flink.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import cdc.flink.model.Change;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.junit.jupiter.api.Test;

/** Per-partition watermarks: the slowest active partition decides; idle ones do not. */
class PartitionWatermarksTest {
    static final long OOO = 1_000;
    static final long IDLE = 10_000;

    private long now = 0;
    private final PartitionWatermarks generator = new PartitionWatermarks(OOO, IDLE, () -> now);
    private final List<Long> emitted = new ArrayList<>();
    private boolean idle;
    private final WatermarkOutput output = new WatermarkOutput() {
        @Override
        public void emitWatermark(Watermark watermark) {
            emitted.add(watermark.getTimestamp());
            idle = false;
        }

        @Override
        public void markIdle() {
            idle = true;
        }

        @Override
        public void markActive() {
            idle = false;
        }
    };

    private void event(String split, long ts) {
        Change change = new Change("t", "b", "e", ts, "c", "out", new byte[0], new byte[0],
                null, List.of());
        generator.onEvent(Routed.of(change).from(split), ts, output);
    }

    private long watermark() {
        generator.onPeriodicEmit(output);
        return emitted.isEmpty() ? Long.MIN_VALUE : emitted.get(emitted.size() - 1);
    }

    @Test
    void oneTopicsProgressNeverMakesAnothersRecordsLate() {
        event("customers/0", 100_000);
        event("orders/0", 1_500);
        assertEquals(1_500 - OOO - 1, watermark());
        event("orders/0", 2_000);  // still in order for its own partition
        assertEquals(2_000 - OOO - 1, watermark());
    }

    @Test
    void anIdlePartitionStopsHoldingTheWatermarkBackAndNeverMovesItBack() {
        event("customers/0", 1_000);
        event("orders/0", 50_000);
        assertEquals(1_000 - OOO - 1, watermark());
        now += IDLE;
        event("orders/0", 60_000);
        assertEquals(60_000 - OOO - 1, watermark());
        event("customers/0", 2_000);  // back: behind the watermark, which stays
        assertEquals(60_000 - OOO - 1, watermark());
    }

    @Test
    void everyPartitionIdleMarksTheOutputIdle() {
        event("orders/0", 5_000);
        watermark();
        now += IDLE;
        watermark();
        assertEquals(true, idle);
    }
}
