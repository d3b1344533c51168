package cdc.flink.decode;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericRecord;

/**
 * The text forms {@code cdc_core} gives decoded values, reproduced exactly: the canonical
 * value of {@code cdc_core.event_id.canonical} and its JSON as Python's {@code json} writes
 * it, Python's {@code repr} of a float and {@code str} of a Decimal.
 *
 * <p>Decoded values are what {@link AvroCodec} reads: Integer/Long, Float/Double,
 * CharSequence, ByteBuffer, BigDecimal (decimal), LocalDate, LocalTime, Instant
 * (timestamp: an aware UTC datetime in Python), LocalDateTime (local-timestamp: naive),
 * UUID, enum symbols, fixed, lists, maps and records.
 */
public final class PyText {
    private static final HexFormat HEX = HexFormat.of();

    private PyText() {}

    /** The canonical value: null, Boolean, Long, String, List or a sorted-key Map. */
    public static Object canonical(Object value) {
        if (value == null || value instanceof Boolean || value instanceof String) {
            return value;
        }
        if (value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        if (value instanceof Float || value instanceof Double) {
            return floatRepr(((Number) value).doubleValue());
        }
        if (value instanceof CharSequence || value instanceof GenericEnumSymbol<?>) {
            return value.toString();
        }
        if (value instanceof GenericRecord record) {
            Map<String, Object> out = new LinkedHashMap<>();
            record.getSchema().getFields().forEach(f -> out.put(f.name(), record.get(f.pos())));
            return canonical(out);
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> sorted = new java.util.TreeMap<>(PyText::compareCodePoints);
            map.forEach((k, v) -> sorted.put(String.valueOf(k), canonical(v)));
            return sorted;
        }
        if (value instanceof Collection<?> items) {
            List<Object> out = new ArrayList<>(items.size());
            items.forEach(v -> out.add(canonical(v)));
            return out;
        }
        return scalar(value);
    }

    private static String scalar(Object value) {
        if (value instanceof ByteBuffer buffer) {
            return HEX.formatHex(bytesOf(buffer));
        }
        if (value instanceof GenericData.Fixed fixed) {
            return HEX.formatHex(fixed.bytes());
        }
        if (value instanceof byte[] bytes) {
            return HEX.formatHex(bytes);
        }
        if (value instanceof BigDecimal decimal) {
            return decimalStr(decimal);
        }
        if (value instanceof UUID || value instanceof LocalDate) {
            return value.toString();
        }
        if (value instanceof LocalTime time) {
            return isoTime(time);
        }
        if (value instanceof Instant instant) {
            return isoDateTime(LocalDateTime.ofInstant(instant, ZoneOffset.UTC), 'T') + "+00:00";
        }
        if (value instanceof LocalDateTime local) {
            return isoDateTime(local, 'T');
        }
        throw new IllegalArgumentException(
                "cannot canonicalise " + value.getClass().getSimpleName() + " for an event id");
    }

    /** Python's {@code str(value)} for the values a contract compares as text. */
    public static String str(Object value) {
        if (value instanceof Boolean b) {
            return b ? "true" : "false"; // cdc_core.values.as_text: as YAML/JSON spell them
        }
        if (value instanceof Instant instant) {
            return isoDateTime(LocalDateTime.ofInstant(instant, ZoneOffset.UTC), ' ') + "+00:00";
        }
        if (value instanceof LocalDateTime local) {
            return isoDateTime(local, ' ');
        }
        if (value == null) {
            return "None";
        }
        Object found = canonical(value);
        return found instanceof String s ? s : json(found, false);
    }

    /** {@code str(Decimal)}: plain unless the exponent is positive or the value is tiny. */
    public static String decimalStr(BigDecimal decimal) {
        // Java's BigDecimal.toString follows the same rule as Python's Decimal.__str__:
        // scientific notation exactly when scale < 0 or the adjusted exponent is below -6.
        return decimal.toString();
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, 'e' outside [1e-4, 1e16). */
    public static String floatRepr(double value) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        boolean negative = (Double.doubleToRawLongBits(value) < 0);
        String sign = negative ? "-" : "";
        if (Double.isInfinite(value)) {
            return sign + "inf";
        }
        if (value == 0.0) {
            return sign + "0.0";
        }
        BigDecimal exact = new BigDecimal(Double.toString(Math.abs(value))).stripTrailingZeros();
        String digits = exact.unscaledValue().toString();
        int exponent = digits.length() - 1 - exact.scale(); // of the first digit
        if (exponent >= -4 && exponent < 16) {
            return sign + fixed(digits, exponent);
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String exp = String.format("%02d", Math.abs(exponent));
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exp;
    }

    private static String fixed(String digits, int exponent) {
        if (exponent < 0) {
            return "0." + "0".repeat(-exponent - 1) + digits;
        }
        if (digits.length() <= exponent + 1) {
            return digits + "0".repeat(exponent + 1 - digits.length()) + ".0";
        }
        return digits.substring(0, exponent + 1) + "." + digits.substring(exponent + 1);
    }

    private static String isoTime(LocalTime time) {
        String base = String.format("%02d:%02d:%02d", time.getHour(), time.getMinute(),
                time.getSecond());
        int micros = time.getNano() / 1000;
        return micros == 0 ? base : base + String.format(".%06d", micros);
    }

    private static String isoDateTime(LocalDateTime at, char separator) {
        return String.format("%04d-%02d-%02d", at.getYear(), at.getMonthValue(),
                at.getDayOfMonth()) + separator + isoTime(at.toLocalTime());
    }

    /** Python's JSON of a canonical value: compact separators; {@code ascii} escapes
     * non-ASCII as {@code ensure_ascii=True} does. */
    public static String json(Object canonical, boolean ascii) {
        StringBuilder out = new StringBuilder(64);
        writeJson(out, canonical, ascii, ",", ":");
        return out.toString();
    }

    /** {@code json.dumps(value)} with its default separators {@code ", "} and {@code ": "}. */
    public static String jsonDefault(Object canonical) {
        StringBuilder out = new StringBuilder(64);
        writeJson(out, canonical, true, ", ", ": ");
        return out.toString();
    }

    private static void writeJson(StringBuilder out, Object value, boolean ascii, String comma,
                                  String colon) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean || value instanceof Long) {
            out.append(value);
        } else if (value instanceof String s) {
            writeString(out, s, ascii);
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            String sep = "";
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.append(sep);
                writeString(out, (String) e.getKey(), ascii);
                out.append(colon);
                writeJson(out, e.getValue(), ascii, comma, colon);
                sep = comma;
            }
            out.append('}');
        } else {
            out.append('[');
            String sep = "";
            for (Object item : (List<?>) value) {
                out.append(sep);
                writeJson(out, item, ascii, comma, colon);
                sep = comma;
            }
            out.append(']');
        }
    }

    private static void writeString(StringBuilder out, String s, boolean ascii) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || (ascii && c > 0x7e)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Python's string order (by code point), not Java's (by UTF-16 unit). */
    public static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /** Python's {@code str.strip()} (Unicode whitespace). */
    public static String strip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isPySpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isPySpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean isPySpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    public static byte[] bytesOf(ByteBuffer buffer) {
        ByteBuffer view = buffer.duplicate();
        byte[] out = new byte[view.remaining()];
        view.get(out);
        return out;
    }
}
