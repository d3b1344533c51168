package cdc.flink.model;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The shared record types travel as Flink POJOs (PojoSerializer), never through Kryo. */
class RecordTypesTest {
    @ParameterizedTest
    @ValueSource(classes = {Change.class, DimUpdate.class, Counted.class, Sum.class})
    void isAFlinkPojo(Class<?> type) {
        assertInstanceOf(PojoTypeInfo.class, TypeInformation.of(type));
    }

    @Test
    void countedCarriesTheChangesCountedFields() {
        Change change = new Change("public.orders", "17", "e1", 5L, "c", "processed.public.orders",
                new byte[0], new byte[0], null, java.util.List.of(new Sum("total", "1.50")));
        Counted counted = Counted.of(change);
        org.junit.jupiter.api.Assertions.assertEquals(
                new Counted("public.orders", 5L, "c", change.sums), counted);
    }
}
