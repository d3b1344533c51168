package cdc.flink.state;

import cdc.flink.model.Counted;
import cdc.flink.model.Sum;
import java.math.BigDecimal;
import java.util.LinkedHashMap;

/**
 * What one window of one table has seen so far: counts per op and exact sums (as decimal
 * text, so state never holds a rounded value). A Flink POJO kept in keyed state.
 */
public class WindowCounts {
    public long c;
    public long u;
    public long d;
    public long r;
    /** column → exact sum as decimal text, in the order the columns first appeared. */
    public LinkedHashMap<String, String> sums = new LinkedHashMap<>();
    /** Opened after the window had already been emitted: a late increment. */
    public boolean late;

    public WindowCounts() {}

    WindowCounts(boolean late) {
        this.late = late;
    }

    /** Count {@code change} (ops other than c/u/d/r are not counted; sums still are). */
    void add(Counted change) {
        switch (change.op) {
            case "c" -> c++;
            case "u" -> u++;
            case "d" -> d++;
            case "r" -> r++;
            default -> { }
        }
        if (change.sums == null) {
            return;
        }
        for (Sum sum : change.sums) {
            if (sum.value != null) {
                sums.merge(sum.column, sum.value,
                        (a, b) -> new BigDecimal(a).add(new BigDecimal(b)).toString());
            }
        }
    }

    /** The metrics topic's value record (schema {@code cdc.metrics.TableWindow}). */
    byte[] encodeValue(int schemaId, String table, long end, long sizeMs, long emittedMs) {
        AvroBinary avro = new AvroBinary().frame(schemaId).writeString(table)
                .writeLong(end - sizeMs).writeLong(end)
                .writeLong(c).writeLong(u).writeLong(d).writeLong(r);
        return avro.writeStringMap(sums).writeBoolean(late).writeLong(emittedMs).toBytes();
    }

    /** The metrics topic's key record (schema {@code cdc.metrics.WindowKey}). */
    static byte[] encodeKey(int schemaId, String table, long end, long sizeMs) {
        return new AvroBinary().frame(schemaId).writeString(table).writeLong(end - sizeMs)
                .toBytes();
    }
}
