package cdc.flink.decode;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A table's contract ({@code cdc_core/contracts.py}): the primary key not null (hard) and
 * each expectation on the row image; deletes check the key only. Kinds: not_null, range
 * (inclusive, exact decimals), in_set (as text). Null only breaks not_null; Debezium's
 * unchanged-TOAST placeholder is an unknown value, never a violation.
 */
public final class Contracts {
    public static final String PK_EXPECTATION = "primary_key_not_null";

    /** One broken expectation. */
    public record Violation(String expectation, String column, boolean hard, String message) {}

    /** One expectation, from the contract's JSON form. */
    public record Expectation(String name, String column, String kind, Double min, Double max,
                              List<String> values, boolean hard) {
        static Expectation of(JsonNode e) {
            List<String> values = null;
            if (e.hasNonNull("values")) {
                values = new ArrayList<>();
                for (JsonNode v : e.get("values")) {
                    values.add(v.asText());
                }
            }
            return new Expectation(e.get("name").asText(), e.get("column").asText(),
                    e.get("kind").asText(), number(e, "min"), number(e, "max"), values,
                    !"soft".equals(e.path("severity").asText("hard")));
        }

        private static Double number(JsonNode e, String name) {
            return e.hasNonNull(name) ? e.get(name).asDouble() : null;
        }
    }

    /** A table's primary key and expectations. */
    public record Contract(String table, List<String> primaryKey, List<Expectation> expectations) {
        public static Contract of(JsonNode c) {
            List<String> pk = new ArrayList<>();
            c.get("primary_key").forEach(n -> pk.add(n.asText()));
            List<Expectation> expectations = new ArrayList<>();
            c.path("expectations").forEach(e -> expectations.add(Expectation.of(e)));
            return new Contract(c.get("table").asText(), pk, expectations);
        }
    }

    private Contracts() {}

    /** The expectations a change's row image breaks. */
    public static List<Violation> check(Envelope event, Contract contract) {
        Map<String, Object> row = event.row();
        List<Violation> found = new ArrayList<>(0);
        for (String column : contract.primaryKey()) {
            if (row.get(column) == null) {
                found.add(new Violation(PK_EXPECTATION, column, true,
                        PK_EXPECTATION + ": primary key column " + column + " is null"));
            }
        }
        if (event.isDelete()) {
            return found;
        }
        for (Expectation e : contract.expectations()) {
            Violation v = checkValue(e, row.get(e.column()));
            if (v != null) {
                found.add(v);
            }
        }
        return found;
    }

    /** The quarantine failure of the first hard violation (message lists all hard ones). */
    public static CdcFailure hardFailure(List<Violation> violations, String table) {
        List<Violation> hard = violations.stream().filter(Violation::hard).toList();
        if (hard.isEmpty()) {
            return null;
        }
        StringBuilder message = new StringBuilder(table).append(": ");
        for (int i = 0; i < hard.size(); i++) {
            message.append(i == 0 ? "" : "; ").append(hard.get(i).message());
        }
        return new CdcFailure("contract", "contract_" + hard.get(0).expectation(),
                message.toString());
    }

    static Violation checkValue(Expectation e, Object value) {
        if (Envelope.isUnavailable(value)) {
            return null;
        }
        if (value == null) {
            return e.kind().equals("not_null") ? violation(e, value, "is null") : null;
        }
        if (e.kind().equals("range")) {
            return rangeViolation(e, value);
        }
        if (e.kind().equals("in_set") && !e.values().contains(PyText.str(value))) {
            return violation(e, value, "is not one of " + e.values());
        }
        return null;
    }

    private static Violation rangeViolation(Expectation e, Object value) {
        Number number = asDecimal(value);
        if (number == null || (number instanceof Double d && d.isNaN())) {
            return violation(e, value, "is not a number");
        }
        if (e.min() != null && compare(number, e.min()) < 0) {
            return violation(e, value, "is below " + PyText.floatRepr(e.min()));
        }
        if (e.max() != null && compare(number, e.max()) > 0) {
            return violation(e, value, "is above " + PyText.floatRepr(e.max()));
        }
        return null;
    }

    /** {@code as_decimal} vs {@code Decimal(repr(bound))}; infinities and NaN as Double. */
    private static int compare(Number number, double bound) {
        BigDecimal limit = new BigDecimal(PyText.floatRepr(bound));
        if (number instanceof Double d) {
            return d > 0 ? 1 : -1; // only infinities stay Double here
        }
        return ((BigDecimal) number).compareTo(limit);
    }

    /**
     * Exact numeric form of a column value ({@code cdc_core.values.as_decimal}): BigDecimal,
     * or a Double for NaN and the infinities; null when it is not a number.
     */
    public static Number asDecimal(Object value) {
        if (value instanceof Boolean || value == null) {
            return null;
        }
        if (value instanceof BigDecimal d) {
            return d;
        }
        if (value instanceof Integer || value instanceof Long) {
            return BigDecimal.valueOf(((Number) value).longValue());
        }
        if (value instanceof Float || value instanceof Double) {
            double d = ((Number) value).doubleValue();
            return Double.isFinite(d) ? new BigDecimal(PyText.floatRepr(d)) : (Double) d;
        }
        if (value instanceof CharSequence text) {
            return parseDecimal(PyText.strip(text.toString()));
        }
        if (value instanceof org.apache.avro.generic.GenericRecord record
                && Envelope.field(record, "value") instanceof ByteBuffer bytes) {
            Object scale = Envelope.field(record, "scale");
            int s = scale instanceof Number n ? n.intValue() : 0;
            return new BigDecimal(new BigInteger(PyText.bytesOf(bytes)), s);
        }
        return null;
    }

    private static Number parseDecimal(String text) {
        String lower = text.toLowerCase(java.util.Locale.ROOT);
        String unsigned = lower.startsWith("-") || lower.startsWith("+") ? lower.substring(1) : lower;
        if (unsigned.equals("inf") || unsigned.equals("infinity")) {
            return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (unsigned.equals("nan") || unsigned.equals("snan")) {
            return Double.NaN;
        }
        try {
            return new BigDecimal(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Violation violation(Expectation e, Object value, String what) {
        return new Violation(e.name(), e.column(), e.hard(),
                e.name() + ": " + e.column() + " = " + PyText.str(value) + " " + what);
    }
}
