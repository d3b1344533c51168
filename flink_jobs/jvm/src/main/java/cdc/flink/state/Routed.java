package cdc.flink.state;

import cdc.flink.model.Change;
import cdc.flink.model.DimUpdate;
import java.util.Objects;

/**
 * A decoded record on its way through dedup to enrichment: exactly one of a change or a
 * dimension update. Both travel on one stream, so they carry one watermark and the
 * enrichment stage is a one-input operator (a second input without data would hold the
 * stage's watermark, and so its deadlines, back for good). A Flink POJO.
 */
public class Routed {
    public Change change;
    public DimUpdate dim;
    /** The raw record's source partition ("topic/partition"), for {@link PartitionWatermarks}. */
    public String split;

    public Routed() {}

    public static Routed of(Change change) {
        Routed routed = new Routed();
        routed.change = change;
        return routed;
    }

    public static Routed of(DimUpdate dim) {
        Routed routed = new Routed();
        routed.dim = dim;
        return routed;
    }

    /** The dedup stage's key: a change's row bucket, a dimension update's join key. */
    public String routingKey() {
        return change != null ? change.pk : dim.join;
    }

    /** The enrichment stage's key. */
    public String joinKey() {
        return change != null ? change.join : dim.join;
    }

    /** Event time: the source commit time. */
    public long eventTime() {
        return change != null ? change.ts_ms : dim.ts_ms;
    }

    /** This record, read from source partition {@code split}. */
    public Routed from(String split) {
        this.split = split;
        return this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Routed r && Objects.equals(change, r.change)
                && Objects.equals(dim, r.dim) && Objects.equals(split, r.split);
    }

    @Override
    public int hashCode() {
        return Objects.hash(change, dim);
    }
}
