package cdc.flink.decode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Conversions;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.util.Utf8;

/**
 * Avro bodies in Confluent framing (magic byte 0, 4-byte big-endian schema id, body), read
 * and written with the logical-type values fastavro gives {@code cdc_core}: decimals as
 * BigDecimal, dates, times, timestamps and UUIDs as java.time / UUID values. Strings are
 * decoded strictly, as fastavro does: invalid UTF-8 is a corrupt record, not a replaced
 * character.
 */
public final class AvroCodec {
    public static final int HEADER_SIZE = 5;
    /** Logical-type conversions matching fastavro's LOGICAL_READERS. */
    public static final GenericData DATA = withConversions();

    private AvroCodec() {}

    private static GenericData withConversions() {
        GenericData data = new GenericData();
        // The generic path reads strings and maps through the overrides below (strict UTF-8,
        // map order kept); Avro's fast reader would bypass them.
        data.setFastReaderEnabled(false);
        data.addLogicalTypeConversion(new Conversions.DecimalConversion());
        data.addLogicalTypeConversion(new Conversions.UUIDConversion());
        data.addLogicalTypeConversion(new TimeConversions.DateConversion());
        data.addLogicalTypeConversion(new TimeConversions.TimeMillisConversion());
        data.addLogicalTypeConversion(new TimeConversions.TimeMicrosConversion());
        data.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        data.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
        data.addLogicalTypeConversion(new TimeConversions.LocalTimestampMillisConversion());
        data.addLogicalTypeConversion(new TimeConversions.LocalTimestampMicrosConversion());
        return data;
    }

    /** The schema id of framed bytes; {@code not_confluent_framing} when they are not. */
    public static int schemaId(byte[] data) throws CdcFailure {
        if (data.length < HEADER_SIZE) {
            throw CdcFailure.decode("not_confluent_framing", data.length
                    + " bytes is shorter than the " + HEADER_SIZE + "-byte header");
        }
        if (data[0] != 0) {
            throw CdcFailure.decode("not_confluent_framing",
                    "magic byte " + (data[0] & 0xff) + " is not 0");
        }
        return ByteBuffer.wrap(data, 1, 4).getInt();
    }

    /** {@code body} framed with {@code schemaId}. */
    public static byte[] frame(int schemaId, byte[] body, int from) {
        byte[] out = new byte[HEADER_SIZE + body.length - from];
        ByteBuffer.wrap(out).put((byte) 0).putInt(schemaId);
        System.arraycopy(body, from, out, HEADER_SIZE, body.length - from);
        return out;
    }

    /** Parses registry text; a schema Avro cannot parse is as good as unknown. */
    public static Schema parse(int schemaId, String text) throws CdcFailure {
        try {
            return new Schema.Parser().setValidateDefaults(false).parse(text);
        } catch (RuntimeException e) {
            throw CdcFailure.decode("unknown_schema_id",
                    "schema id " + schemaId + " is not valid Avro: " + e);
        }
    }

    /** Reads records of one writer schema; one instance per schema, reused per record. */
    public static final class Reader {
        private final StrictReader reader;
        private BinaryDecoder decoder;

        public Reader(Schema writer) {
            this.reader = new StrictReader(writer);
        }

        /** Exactly one record from the body of framed {@code data}; corrupt otherwise. */
        public GenericRecord read(byte[] data) throws CdcFailure {
            Object datum;
            try {
                decoder = DecoderFactory.get().binaryDecoder(data, HEADER_SIZE,
                        data.length - HEADER_SIZE, decoder);
                datum = reader.read(null, decoder);
                if (!decoder.isEnd()) {
                    throw CdcFailure.decode("corrupt_avro", "trailing bytes after the record");
                }
            } catch (CdcFailure e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw CdcFailure.decode("corrupt_avro", "cannot read Avro body: " + e);
            }
            if (!(datum instanceof GenericRecord record)) {
                throw CdcFailure.decode("corrupt_avro", "writer schema yields "
                        + (datum == null ? "None" : datum.getClass().getSimpleName())
                        + ", not a record");
            }
            return record;
        }
    }

    /** Strings as java.lang.String, decoded strictly. */
    private static final class StrictReader extends GenericDatumReader<Object> {
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);

        StrictReader(Schema schema) {
            super(schema, schema, DATA);
        }

        @Override
        protected Object newMap(Object old, int size) {
            return new java.util.LinkedHashMap<>(Math.max(16, size * 2)); // fastavro keeps order
        }

        @Override
        protected Object readString(Object old, Schema expected, Decoder in) throws IOException {
            return readString(old, in);
        }

        @Override
        protected Object readString(Object old, Decoder in) throws IOException {
            Utf8 raw = in.readString(null);
            byte[] bytes = raw.getBytes();
            int length = raw.getByteLength();
            if (isAscii(bytes, length)) { // the common case: no decoder, one copy
                return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
            }
            try {
                return utf8.decode(ByteBuffer.wrap(bytes, 0, length)).toString();
            } catch (CharacterCodingException e) {
                throw new IOException("invalid UTF-8 in a string", e);
            }
        }
    }

    private static boolean isAscii(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] < 0) {
                return false;
            }
        }
        return true;
    }

    /** Writes records of one schema as Avro bodies; one instance per schema and thread. */
    public static final class Writer {
        private final GenericDatumWriter<GenericRecord> writer;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
        private BinaryEncoder encoder;

        public Writer(Schema schema) {
            this.writer = new GenericDatumWriter<>(schema, DATA);
        }

        /** The record framed with {@code schemaId}. */
        public byte[] framed(int schemaId, GenericRecord record) {
            buffer.reset();
            buffer.write(0);
            buffer.write(schemaId >>> 24);
            buffer.write(schemaId >>> 16);
            buffer.write(schemaId >>> 8);
            buffer.write(schemaId);
            encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
            try {
                writer.write(record, encoder);
                encoder.flush();
            } catch (IOException e) {
                throw new IllegalStateException("writing to memory failed", e);
            }
            return buffer.toByteArray();
        }
    }
}
