package cdc.flink.state;

import cdc.flink.model.Change;
import cdc.flink.model.DimUpdate;
import cdc.flink.model.Sum;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * {@link Routed} between tasks: its fields written in a fixed order, instead of the
 * reflective {@code PojoSerializer}, since every decoded record crosses the network to its
 * dedup subtask and every fact once more to its enrichment subtask. Only streams use it;
 * state keeps its POJO types, so checkpoints are unaffected.
 *
 * <p>Layout: a tag byte (0 change, 1 dimension update), the split, then the record's
 * fields; strings through {@link StringValue} (null-safe), byte arrays and collections as a
 * length (-1: null) and their items.
 */
public final class RoutedSerializer extends TypeSerializerSingleton<Routed> {
    private static final long serialVersionUID = 1L;
    public static final RoutedSerializer INSTANCE = new RoutedSerializer();
    private static final byte CHANGE = 0;
    private static final byte DIM = 1;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public Routed createInstance() {
        return new Routed();
    }

    @Override
    public Routed copy(Routed from) {
        Routed copy = new Routed();
        copy.split = from.split;
        if (from.change != null) {
            Change c = from.change;
            copy.change = new Change(c.table, c.pk, c.event_id, c.ts_ms, c.op, c.topic,
                    clone(c.key), clone(c.value), c.join, copySums(c.sums));
        }
        if (from.dim != null) {
            DimUpdate d = from.dim;
            copy.dim = new DimUpdate(d.join, d.ts_ms, d.lsn,
                    d.fields == null ? null : new LinkedHashMap<>(d.fields));
        }
        return copy;
    }

    @Override
    public Routed copy(Routed from, Routed reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(Routed record, DataOutputView out) throws IOException {
        out.writeByte(record.change != null ? CHANGE : DIM);
        StringValue.writeString(record.split, out);
        if (record.change != null) {
            writeChange(record.change, out);
        } else {
            writeDim(record.dim, out);
        }
    }

    @Override
    public Routed deserialize(DataInputView in) throws IOException {
        byte tag = in.readByte();
        Routed routed = new Routed();
        routed.split = StringValue.readString(in);
        if (tag == CHANGE) {
            routed.change = readChange(in);
        } else {
            routed.dim = readDim(in);
        }
        return routed;
    }

    @Override
    public Routed deserialize(Routed reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override
    public TypeSerializerSnapshot<Routed> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The serializer's snapshot: it has no configuration. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Routed> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }

    private static void writeChange(Change c, DataOutputView out) throws IOException {
        for (String text : new String[] {c.table, c.pk, c.event_id, c.op, c.topic, c.join}) {
            StringValue.writeString(text, out);
        }
        out.writeLong(c.ts_ms);
        writeBytes(c.key, out);
        writeBytes(c.value, out);
        out.writeInt(c.sums == null ? -1 : c.sums.size());
        if (c.sums != null) {
            for (Sum sum : c.sums) {
                StringValue.writeString(sum.column, out);
                StringValue.writeString(sum.value, out);
            }
        }
    }

    private static Change readChange(DataInputView in) throws IOException {
        String table = StringValue.readString(in);
        String pk = StringValue.readString(in);
        String eventId = StringValue.readString(in);
        String op = StringValue.readString(in);
        String topic = StringValue.readString(in);
        String join = StringValue.readString(in);
        long tsMs = in.readLong();
        byte[] key = readBytes(in);
        byte[] value = readBytes(in);
        int count = in.readInt();
        List<Sum> sums = count < 0 ? null : new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            sums.add(new Sum(StringValue.readString(in), StringValue.readString(in)));
        }
        return new Change(table, pk, eventId, tsMs, op, topic, key, value, join, sums);
    }

    private static void writeDim(DimUpdate d, DataOutputView out) throws IOException {
        StringValue.writeString(d.join, out);
        out.writeLong(d.ts_ms);
        out.writeBoolean(d.lsn != null);
        if (d.lsn != null) {
            out.writeLong(d.lsn);
        }
        out.writeInt(d.fields == null ? -1 : d.fields.size());
        if (d.fields != null) {
            for (Map.Entry<String, String> field : d.fields.entrySet()) {
                StringValue.writeString(field.getKey(), out);
                StringValue.writeString(field.getValue(), out);
            }
        }
    }

    private static DimUpdate readDim(DataInputView in) throws IOException {
        String join = StringValue.readString(in);
        long tsMs = in.readLong();
        Long lsn = in.readBoolean() ? in.readLong() : null;
        int count = in.readInt();
        Map<String, String> fields = count < 0 ? null : new LinkedHashMap<>(count * 2);
        for (int i = 0; i < count; i++) {
            fields.put(StringValue.readString(in), StringValue.readString(in));
        }
        return new DimUpdate(join, tsMs, lsn, fields);
    }

    private static void writeBytes(byte[] bytes, DataOutputView out) throws IOException {
        out.writeInt(bytes == null ? -1 : bytes.length);
        if (bytes != null) {
            out.write(bytes);
        }
    }

    private static byte[] readBytes(DataInputView in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }

    private static byte[] clone(byte[] bytes) {
        return bytes == null ? null : bytes.clone();
    }

    private static List<Sum> copySums(List<Sum> sums) {
        if (sums == null) {
            return null;
        }
        List<Sum> copy = new ArrayList<>(sums.size());
        sums.forEach(s -> copy.add(new Sum(s.column, s.value)));
        return copy;
    }
}
