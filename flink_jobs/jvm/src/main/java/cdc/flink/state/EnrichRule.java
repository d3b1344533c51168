package cdc.flink.state;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * One fact table's enrichment (contract {@code enrichment[]}): the dimension columns whose
 * values are appended, in the order of the output fields, and how long (event time) a fact
 * waits for its dimension row.
 *
 * <p>The appended bytes are the Avro encoding of the enrichment fields (each
 * {@code ["null","string"]}) and {@code __enrichment_missing} (boolean). Avro encodes a
 * record as its fields' encodings in order, so the decoder's processed value followed by
 * this suffix is the encoding of the full processed record.
 */
public final class EnrichRule implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String[] columns;
    private final long waitMs;

    /**
     * @param columns the dimension columns, in the order of their output fields
     * @param waitMs the contract's {@code wait_ms}
     */
    public EnrichRule(List<String> columns, long waitMs) {
        this.columns = columns.toArray(new String[0]);
        this.waitMs = waitMs;
    }

    public long waitMs() {
        return waitMs;
    }

    /** The encoded enrichment fields from {@code dimension}; null: not found, nulls + flag. */
    public byte[] suffix(Map<String, String> dimension) {
        AvroBinary avro = new AvroBinary();
        for (String column : columns) {
            avro.writeNullableString(dimension == null ? null : dimension.get(column));
        }
        return avro.writeBoolean(dimension == null).toBytes();
    }
}
