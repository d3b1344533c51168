"""Pure domain code shared by the Flink job and the sink: no I/O here."""
