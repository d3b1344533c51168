package cdc.flink.state;

import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** The type of the decoded stream and the enrichment side output: {@link RoutedSerializer}. */
public final class RoutedType extends TypeInformation<Routed> {
    private static final long serialVersionUID = 1L;
    public static final RoutedType INSTANCE = new RoutedType();

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<Routed> getTypeClass() {
        return Routed.class;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<Routed> createSerializer(SerializerConfig config) {
        return RoutedSerializer.INSTANCE;
    }

    @Override
    public String toString() {
        return "Routed";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RoutedType;
    }

    @Override
    public int hashCode() {
        return RoutedType.class.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof RoutedType;
    }
}
