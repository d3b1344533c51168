package cdc.flink.model;

import java.util.Map;
import java.util.Objects;

/** A dimension row's latest values for the enrichment state of its key; mirrors
 * {@code flink_jobs/records.py} {@code DimUpdate}. */
public class DimUpdate {
    public String join;
    public long ts_ms;
    /** The source LSN; null when the connector gives none. */
    public Long lsn;
    /** Dimension column to value as text (null values kept). */
    public Map<String, String> fields;

    public DimUpdate() {}

    public DimUpdate(String join, long tsMs, Long lsn, Map<String, String> fields) {
        this.join = join;
        this.ts_ms = tsMs;
        this.lsn = lsn;
        this.fields = fields;
    }

    /** Unbucketed routing key through the dedup stage, as in records.py. */
    public String pk() {
        return join;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DimUpdate d && ts_ms == d.ts_ms && Objects.equals(join, d.join)
                && Objects.equals(lsn, d.lsn) && Objects.equals(fields, d.fields);
    }

    @Override
    public int hashCode() {
        return Objects.hash(join, ts_ms, lsn);
    }

    @Override
    public String toString() {
        return "DimUpdate{" + join + " @" + ts_ms + " " + fields + "}";
    }
}
