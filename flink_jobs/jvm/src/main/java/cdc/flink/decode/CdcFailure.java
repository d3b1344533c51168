package cdc.flink.decode;

import java.util.Set;

/**
 * A record the pipeline cannot take: its DLQ stage and reason, as {@code cdc_core.errors}
 * names them (the {@code cdc.error.stage} / {@code cdc.error.reason} headers, also a metric
 * label). Thrown while one record is decoded and caught once, where it becomes a DLQ record.
 */
public final class CdcFailure extends Exception {
    public static final Set<String> STAGES =
            Set.of("decode", "validate", "contract", "schema-change", "sink");

    public final String stage;
    public final String reason;

    public CdcFailure(String stage, String reason, String message) {
        super(message, null, false, false); // no stack trace: a bad record is data, not a bug
        if (!STAGES.contains(stage)) {
            throw new IllegalArgumentException("unknown stage " + stage);
        }
        this.stage = stage;
        this.reason = reason;
    }

    public static CdcFailure decode(String reason, String message) {
        return new CdcFailure("decode", reason, message);
    }

    public static CdcFailure envelope(String reason, String message) {
        return new CdcFailure("validate", reason, message);
    }
}
