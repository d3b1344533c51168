package cdc.flink.decode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Deterministic event ids ({@code cdc_core/event_id.py}, docs/design.md): the source's own
 * {@code event_id} header when it sends a non-blank one, else the first 32 hex digits of a
 * SHA-256 over the canonical JSON of
 * {@code ["cdc-event-id/v1", connector, db, schema, table, position, op, key]}, where
 * position is {@code ["lsn", lsn]}, {@code ["pos", [parts]]} or
 * {@code ["ts_txid", ts_ms, txid, row image]} and key the sorted {@code [name, value]} pairs.
 */
public final class EventIds {
    public static final String HEADER = "event_id";
    private static final String VERSION = "cdc-event-id/v1";
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private EventIds() {}

    /** The event's id; {@code header} is the {@code event_id} header's text, if any. */
    public static String of(Envelope event, String header) {
        return of(event, header, PyText.json(canonicalKey(event.key), false));
    }

    /** As {@link #of(Envelope, String)}, with the key's canonical JSON already made. */
    public static String of(Envelope event, String header, String keyJson) {
        if (header != null && !PyText.strip(header).isEmpty()) {
            return PyText.strip(header);
        }
        Envelope.Source s = event.source;
        List<Object> parts = List.of(VERSION, s.connector(), s.db(), s.schema(), s.table(),
                position(event), event.op);
        String head = PyText.json(parts, false); // compact JSON: the key joins as the last item
        String text = head.substring(0, head.length() - 1) + "," + keyJson + "]";
        byte[] digest = SHA256.get().digest(text.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 16);
    }

    /** The {@code event_id} header's value as text, if the source sent a non-empty one. */
    public static String header(Map<String, byte[]> headers) {
        byte[] raw = headers == null ? null : headers.get(HEADER);
        return raw == null || raw.length == 0 ? null : new String(raw, StandardCharsets.UTF_8);
    }

    /** The primary key as [name, canonical value] pairs sorted by name. */
    public static List<Object> canonicalKey(Map<String, Object> key) {
        List<String> names = new ArrayList<>(key.keySet());
        names.sort(PyText::compareCodePoints);
        List<Object> out = new ArrayList<>(names.size());
        for (String name : names) {
            out.add(java.util.Arrays.asList(name, PyText.canonical(key.get(name))));
        }
        return out;
    }

    private static Object position(Envelope event) {
        Envelope.Source s = event.source;
        if (s.lsn() != null) {
            return List.of("lsn", s.lsn());
        }
        if (s.order() != null) {
            return List.of("pos", s.order());
        }
        Map<String, Object> image = event.after != null ? event.after : event.before;
        return java.util.Arrays.asList("ts_txid", s.tsMs(), s.txid(), PyText.canonical(image));
    }
}
