package cdc.flink.state;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The few Avro binary encodings the stateful stages write: longs, strings, booleans,
 * {@code ["null","string"]} unions, string maps and the Confluent frame.
 *
 * <p>Written by hand rather than with Avro's {@code DatumWriter}: the appended enrichment
 * fields and the metrics records are fixed, tiny shapes, and Avro's encoding of them is
 * defined byte for byte by the specification (zig-zag varints, length-prefixed UTF-8,
 * blocked maps).
 */
final class AvroBinary {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

    /** The Confluent wire-format header: magic byte 0 and the schema id, big-endian. */
    AvroBinary frame(int schemaId) {
        out.write(0);
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.write((schemaId >>> shift) & 0xff);
        }
        return this;
    }

    AvroBinary writeLong(long value) {
        long zigzag = (value << 1) ^ (value >> 63);
        while ((zigzag & ~0x7FL) != 0) {
            out.write((int) ((zigzag & 0x7F) | 0x80));
            zigzag >>>= 7;
        }
        out.write((int) zigzag);
        return this;
    }

    AvroBinary writeString(String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        writeLong(utf8.length);
        out.write(utf8, 0, utf8.length);
        return this;
    }

    AvroBinary writeBoolean(boolean value) {
        out.write(value ? 1 : 0);
        return this;
    }

    /** A {@code ["null","string"]} union: branch index, then the string if not null. */
    AvroBinary writeNullableString(String value) {
        if (value == null) {
            return writeLong(0);
        }
        return writeLong(1).writeString(value);
    }

    /** A {@code {"type":"map","values":"string"}}: one block of entries, then the end. */
    AvroBinary writeStringMap(Map<String, String> map) {
        if (!map.isEmpty()) {
            writeLong(map.size());
            for (Map.Entry<String, String> entry : map.entrySet()) {
                writeString(entry.getKey()).writeString(entry.getValue());
            }
        }
        return writeLong(0);
    }

    byte[] toBytes() {
        return out.toByteArray();
    }
}
