package cdc.flink.model;

import java.util.List;
import java.util.Objects;

/** What the windowed metrics need of an emitted change; mirrors records.py {@code Counted}. */
public class Counted {
    public String table;
    public long ts_ms;
    public String op;
    public List<Sum> sums;

    public Counted() {}

    public Counted(String table, long tsMs, String op, List<Sum> sums) {
        this.table = table;
        this.ts_ms = tsMs;
        this.op = op;
        this.sums = sums;
    }

    /** The counted part of an emitted change. */
    public static Counted of(Change change) {
        return new Counted(change.table, change.ts_ms, change.op, change.sums);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Counted c && ts_ms == c.ts_ms && Objects.equals(table, c.table)
                && Objects.equals(op, c.op) && Objects.equals(sums, c.sums);
    }

    @Override
    public int hashCode() {
        return Objects.hash(table, ts_ms, op);
    }
}
