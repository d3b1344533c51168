package cdc.flink.decode;

import java.io.IOException;

/** Writer schemas by id (the registry); an outage is an IOException, never a record error. */
public interface SchemaSource {
    /** The registry has no schema of that id: the record is at fault. */
    final class NotFound extends Exception {
        public NotFound(String message) {
            super(message, null, false, false);
        }
    }

    String fetch(int schemaId) throws NotFound, IOException;
}
