package cdc.flink.model;

import java.util.Objects;

/** One configured metric column of a change and its value as exact decimal text. */
public class Sum {
    public String column;
    /** Decimal text ("12.50"); null when the column is null in the record. */
    public String value;

    public Sum() {}

    public Sum(String column, String value) {
        this.column = column;
        this.value = value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sum s && Objects.equals(column, s.column)
                && Objects.equals(value, s.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(column, value);
    }

    @Override
    public String toString() {
        return column + "=" + value;
    }
}
