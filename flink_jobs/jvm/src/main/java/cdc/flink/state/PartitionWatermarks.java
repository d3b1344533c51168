package cdc.flink.state;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Watermarks per source partition in the task that reads them: the watermark is the
 * slowest active partition's latest event time minus the out-of-orderness, so one topic's
 * progress never makes another topic's records late (what Flink's per-split watermarks do
 * inside a {@code KafkaSource}, for records whose event time is only known once decoded).
 *
 * <p>A partition is told by {@link Routed#split} (topic/partition of the raw record; null
 * counts as one partition). A partition without records for {@code idleMs} of processing
 * time stops holding the watermark back until its next record, and when every partition is
 * idle the output is marked idle, so a topic without changes (a dimension table nobody
 * updates) does not stall enrichment deadlines and metrics windows. The watermark never
 * goes back: a record of a partition that was idle may be late, which dedup's retention
 * absorbs.
 */
public final class PartitionWatermarks implements WatermarkGenerator<Routed> {
    private final long outOfOrdernessMs;
    private final long idleMs;
    private final LongSupplier clock;
    private final Map<String, long[]> splits = new HashMap<>();  // {max event time, last seen}
    private long emitted = Long.MIN_VALUE;

    PartitionWatermarks(long outOfOrdernessMs, long idleMs, LongSupplier clock) {
        this.outOfOrdernessMs = outOfOrdernessMs;
        this.idleMs = idleMs;
        this.clock = clock;
    }

    /** Event time from {@link Routed#eventTime}, watermarks per partition. */
    public static WatermarkStrategy<Routed> strategy(long outOfOrdernessMs, long idleMs) {
        return WatermarkStrategy.<Routed>forGenerator(context -> new PartitionWatermarks(
                        outOfOrdernessMs, idleMs, System::currentTimeMillis))
                .withTimestampAssigner((routed, previous) -> routed.eventTime());
    }

    @Override
    public void onEvent(Routed event, long eventTimestamp, WatermarkOutput output) {
        long[] split = splits.computeIfAbsent(event.split == null ? "" : event.split,
                key -> new long[] {Long.MIN_VALUE, 0});
        split[0] = Math.max(split[0], eventTimestamp);
        split[1] = clock.getAsLong();
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        long now = clock.getAsLong();
        long slowest = Long.MAX_VALUE;
        for (long[] split : splits.values()) {
            if (now - split[1] < idleMs) {
                slowest = Math.min(slowest, split[0]);
            }
        }
        if (slowest == Long.MAX_VALUE) {
            output.markIdle();
            return;
        }
        long watermark = slowest - outOfOrdernessMs - 1;  // as forBoundedOutOfOrderness
        if (watermark > emitted) {
            emitted = watermark;
            output.emitWatermark(new Watermark(watermark));
        }
    }
}
