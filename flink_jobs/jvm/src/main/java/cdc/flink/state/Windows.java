package cdc.flink.state;

/** Tumbling event-time windows aligned to the epoch, as flink_jobs used them in Python. */
final class Windows {
    private Windows() {}

    /** Exclusive end of the window of {@code sizeMs} holding {@code tsMs}. */
    static long end(long tsMs, long sizeMs) {
        return tsMs - Math.floorMod(tsMs, sizeMs) + sizeMs;
    }
}
