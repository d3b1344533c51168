package cdc.flink.decode;

import java.util.List;
import java.util.function.Supplier;
import org.apache.avro.Schema;

/**
 * The processed schemas per writer schema (per-schema work: never per record). The
 * implementation over the registry derives, classifies and registers them
 * ({@link RegistryCatalog}); tests give fixed ones.
 */
public interface Catalog {
    /** How records of {@code table} written with {@code writerId} are encoded. */
    record TableSchemas(String table, String topic, int valueId, Schema base,
                        AvroCodec.Writer writer, CdcFailure breaking) {}

    /** The processed value schemas; {@code breaking} set when the writer schema may not apply. */
    TableSchemas value(int writerId, String table, Supplier<String> writerJson,
                       List<String> keyFields) throws java.io.IOException;

    /** Id of the key schema under {@code processed.<schema>.<table>-key}. */
    int keyId(int writerKeyId, String table, Supplier<String> keyJson) throws java.io.IOException;
}
