package cdc.flink.decode;

import java.math.BigInteger;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.generic.GenericRecord;

/**
 * A change's ordered position in its source's history ({@code cdc_core/source_position.py}):
 * PostgreSQL (lsn), MySQL/MariaDB (binlog file number, pos, row), SQL Server (commit LSN and
 * change LSN as their hex parts, event serial no), Oracle (commit scn or scn, scn, ssn),
 * MongoDB (ts_ms, ord); null for any other connector. A malformed field is
 * {@code bad_source_field}: guessing an order would risk applying a stale change.
 */
public final class SourcePosition {
    private static final Pattern FILE_NUMBER = Pattern.compile("\\.(\\d+)$");
    private static final Pattern SQLSERVER_LSN =
            Pattern.compile("^([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{4})$");
    private static final BigInteger MAX_PART = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private SourcePosition() {}

    public static List<Long> order(String connector, GenericRecord block) throws CdcFailure {
        List<Long> order = switch (connector.toLowerCase(java.util.Locale.ROOT)) {
            case "postgresql" -> postgresql(block);
            case "mysql", "mariadb" -> mysql(block);
            case "sqlserver" -> sqlserver(block);
            case "oracle" -> oracle(block);
            case "mongodb" -> mongodb(block);
            default -> null;
        };
        if (order != null && order.stream().anyMatch(p -> p < 0)) {
            throw CdcFailure.envelope("bad_source_field",
                    connector + " source position " + order + " is out of range");
        }
        return order;
    }

    private static List<Long> postgresql(GenericRecord block) throws CdcFailure {
        Long lsn = integer(block, "lsn");
        return lsn == null ? null : List.of(lsn);
    }

    private static List<Long> mysql(GenericRecord block) throws CdcFailure {
        Object name = Envelope.field(block, "file");
        Long pos = integer(block, "pos");
        if (name == null || name.toString().isEmpty() || pos == null) {
            return null;
        }
        Matcher found = FILE_NUMBER.matcher(name.toString());
        if (!found.find()) {
            throw CdcFailure.envelope("bad_source_field",
                    "binlog file '" + name + "' has no numeric suffix");
        }
        Long row = integer(block, "row");
        return List.of(part(found.group(1), 10), pos, row == null ? 0L : row);
    }

    private static List<Long> sqlserver(GenericRecord block) throws CdcFailure {
        List<Long> commit = lsnParts(block, "commit_lsn");
        if (commit == null) {
            return null;
        }
        List<Long> change = lsnParts(block, "change_lsn");
        Long serial = integer(block, "event_serial_no");
        List<Long> out = new java.util.ArrayList<>(commit);
        out.addAll(change == null ? List.of(0L, 0L, 0L) : change);
        out.add(serial == null ? 0L : serial);
        return out;
    }

    private static List<Long> oracle(GenericRecord block) throws CdcFailure {
        Long scn = integer(block, "scn");
        if (scn == null) {
            return null;
        }
        Long commit = integer(block, "commit_scn");
        Long ssn = integer(block, "ssn");
        return List.of(commit == null ? scn : commit, scn, ssn == null ? 0L : ssn);
    }

    private static List<Long> mongodb(GenericRecord block) throws CdcFailure {
        Long ts = integer(block, "ts_ms");
        Long ord = integer(block, "ord");
        return ts == null || ord == null ? null : List.of(ts, ord);
    }

    /** An integer field, also when sent as a decimal string (Oracle's SCNs are strings). */
    private static Long integer(GenericRecord block, String name) throws CdcFailure {
        Object raw = Envelope.field(block, name);
        if (raw == null) {
            return null;
        }
        if (raw instanceof Integer || raw instanceof Long) {
            return ((Number) raw).longValue();
        }
        String text = raw instanceof CharSequence ? PyText.strip(raw.toString()) : null;
        if (text != null && !text.isEmpty() && text.chars().allMatch(Character::isDigit)) {
            return part(text, 10);
        }
        throw CdcFailure.envelope("bad_source_field",
                "source." + name + " is " + PyText.str(raw) + ", not an integer");
    }

    private static long part(String digits, int radix) throws CdcFailure {
        BigInteger value = new BigInteger(digits, radix);
        if (value.compareTo(MAX_PART) > 0) {
            throw CdcFailure.envelope("bad_source_field", "source position part " + digits
                    + " is out of range");
        }
        return value.longValue(); // unsigned 64-bit parts above Long.MAX_VALUE wrap
    }

    private static List<Long> lsnParts(GenericRecord block, String name) throws CdcFailure {
        Object raw = Envelope.field(block, name);
        if (raw == null) {
            return null;
        }
        Matcher found = SQLSERVER_LSN.matcher(raw.toString());
        if (!found.matches()) {
            throw CdcFailure.envelope("bad_source_field", "source." + name + " '" + raw
                    + "' is not an LSN (xxxxxxxx:xxxxxxxx:xxxx)");
        }
        return List.of(part(found.group(1), 16), part(found.group(2), 16),
                part(found.group(3), 16));
    }
}
