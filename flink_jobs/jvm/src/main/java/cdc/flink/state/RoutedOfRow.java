package cdc.flink.state;

import cdc.flink.model.Change;
import cdc.flink.model.DimUpdate;
import cdc.flink.model.Sum;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.types.Row;

/**
 * The Python decoder's output row ({@code ROUTED_ROW} in flink_jobs/operators.py) as a
 * {@link Routed}: a change, or a dimension update when {@code table} is null.
 *
 * <p>Fields by position: table, pk, event_id, ts_ms, op, topic, k, v, join, sums
 * (column → decimal text), lsn, fields (dimension column → text).
 */
public class RoutedOfRow implements MapFunction<Row, Routed>, ResultTypeQueryable<Routed> {
    private static final long serialVersionUID = 1L;

    @Override
    public Routed map(Row row) {
        Long tsMs = (Long) row.getField(3);
        if (row.getField(0) == null) {
            return Routed.of(new DimUpdate((String) row.getField(8), tsMs,
                    (Long) row.getField(10), textMap(row.getField(11))));
        }
        return Routed.of(new Change((String) row.getField(0), (String) row.getField(1),
                (String) row.getField(2), tsMs, (String) row.getField(4),
                (String) row.getField(5), (byte[]) row.getField(6), (byte[]) row.getField(7),
                (String) row.getField(8), sums(row.getField(9))));
    }

    private static List<Sum> sums(Object field) {
        List<Sum> sums = new ArrayList<>();
        textMap(field).forEach((column, value) -> sums.add(new Sum(column, value)));
        return sums;
    }

    private static Map<String, String> textMap(Object field) {
        Map<String, String> map = new HashMap<>();
        if (field != null) {
            ((Map<?, ?>) field).forEach((k, v) -> map.put((String) k, (String) v));
        }
        return map;
    }

    @Override
    public TypeInformation<Routed> getProducedType() {
        return Types.POJO(Routed.class);
    }
}
