package cdc.flink.model;

import java.util.List;
import java.util.Objects;

/**
 * A validated change on its way to {@code processed.<schema>.<table>}; mirrors
 * {@code flink_jobs/records.py} {@code Change} field for field.
 *
 * <p>A Flink POJO (public no-argument constructor, public fields), so Flink's
 * {@code PojoSerializer} moves it between tasks without Kryo.
 */
public class Change {
    /** schema.table */
    public String table;
    /** Routing key: the dedup bucket of table + canonical primary key (per-row order). */
    public String pk;
    public String event_id;
    /** Source commit time: the event time. */
    public long ts_ms;
    public String op;
    /** The processed topic. */
    public String topic;
    /** Framed processed key. */
    public byte[] key;
    /** Framed processed value; without the enrichment suffix when {@link #join} is set. */
    public byte[] value;
    /** Enrichment lookup key; null: nothing to look up. */
    public String join;
    /** Configured metric columns with their decimal text, in configuration order. */
    public List<Sum> sums;

    public Change() {}

    public Change(String table, String pk, String eventId, long tsMs, String op, String topic,
                  byte[] key, byte[] value, String join, List<Sum> sums) {
        this.table = table;
        this.pk = pk;
        this.event_id = eventId;
        this.ts_ms = tsMs;
        this.op = op;
        this.topic = topic;
        this.key = key;
        this.value = value;
        this.join = join;
        this.sums = sums;
    }

    @Override
    public String toString() {
        return "Change{" + table + " " + op + " " + event_id + " @" + ts_ms + "}";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Change c && ts_ms == c.ts_ms && Objects.equals(table, c.table)
                && Objects.equals(pk, c.pk) && Objects.equals(event_id, c.event_id)
                && Objects.equals(op, c.op) && Objects.equals(topic, c.topic)
                && java.util.Arrays.equals(key, c.key) && java.util.Arrays.equals(value, c.value)
                && Objects.equals(join, c.join) && Objects.equals(sums, c.sums);
    }

    @Override
    public int hashCode() {
        return Objects.hash(table, pk, event_id, ts_ms);
    }
}
