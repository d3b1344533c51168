package cdc.flink.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import cdc.flink.model.Change;
import cdc.flink.model.DimUpdate;
import cdc.flink.model.Sum;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every field of a change or dimension update, nulls included, survives the network. */
class RoutedSerializerTest {
    private final TypeSerializer<Routed> serializer = RoutedType.INSTANCE.createSerializer(null);

    static Stream<Routed> records() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("name", "Zoë");
        fields.put("tier", null);
        return Stream.of(
                Routed.of(new Change("public.orders", "17", "e1", 5L, "c", "processed.public.orders",
                        new byte[] {0, 1, 2}, new byte[] {}, "public.customers|7",
                        List.of(new Sum("total", "1.50"), new Sum("tax", null)))).from("t/1"),
                Routed.of(new Change("public.orders", "18", "e2", -1L, "d", "processed.public.orders",
                        null, null, null, null)),
                Routed.of(new DimUpdate("public.customers|7", 9L, 42L, fields)).from("t/0"),
                Routed.of(new DimUpdate("public.customers|8", 9L, null, null)),
                Routed.of(new DimUpdate("public.customers|9", 9L, null, Map.of())));
    }

    @ParameterizedTest
    @MethodSource("records")
    void roundTripsEveryField(Routed record) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(record, out);
        Routed back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertEquals(record, back);
        if (record.change != null) {
            assertArrayEquals(record.change.key, back.change.key);
            assertEquals(record.change.sums, back.change.sums);
            assertEquals(record.change.join, back.change.join);
        } else {
            assertEquals(record.dim.fields, back.dim.fields);
        }
    }

    @ParameterizedTest
    @MethodSource("records")
    void copiesAreEqualAndIndependent(Routed record) {
        Routed copy = serializer.copy(record);
        assertEquals(record, copy);
        assertNotSame(record.change != null ? record.change : record.dim,
                copy.change != null ? copy.change : copy.dim);
    }

    @Test
    void snapshotRestoresACompatibleSerializer() throws IOException {
        TypeSerializerSnapshot<Routed> snapshot = serializer.snapshotConfiguration();
        DataOutputSerializer out = new DataOutputSerializer(16);
        snapshot.writeSnapshot(out);
        TypeSerializerSnapshot<Routed> read = new RoutedSerializer.Snapshot();
        read.readSnapshot(snapshot.getCurrentVersion(), new DataInputDeserializer(
                out.getCopyOfBuffer()), getClass().getClassLoader());
        TypeSerializerSchemaCompatibility<Routed> compatibility =
                serializer.snapshotConfiguration().resolveSchemaCompatibility(read);
        assertEquals(true, compatibility.isCompatibleAsIs());
    }
}
