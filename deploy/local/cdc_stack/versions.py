"""Engine versions, recorded once.

PyFlink and the Flink Kafka connector must be a matching pair: the connector's version
suffix names the Flink minor it is built for. PyFlink 2.3 has no released connector yet,
so the newest usable pair is 2.2.1 / 5.0.0-2.2. The Maven poms in deploy/local/maven pin the
same versions; tests/unit/test_versions.py keeps the two in step.
"""

from __future__ import annotations

PYFLINK = "2.2.1"
FLINK_KAFKA_CONNECTOR = "5.0.0-2.2"
KAFKA = "4.3.1"
APICURIO_REGISTRY = "3.3.3"
DEBEZIUM = "3.6.1.Final"
# The JDBC sink connector, for benchmarks/sink_vs_jdbc.py: it trails the PostgreSQL connector
# on Maven Central.
DEBEZIUM_JDBC = "3.6.0.Final"
# Flink's debezium-avro-confluent / avro-confluent formats, for the benchmark's Flink SQL
# reference: Maven Central has no 2.2.1 of it, and 2.2.0 (same Flink minor) runs on PyFlink 2.2.1.
FLINK_AVRO_CONFLUENT_REGISTRY = "2.2.0"
# The job's own JVM operators (flink_jobs/jvm/pom.xml), built by ``make deps``.
CDC_FLINK_JVM = "0.1.0"

FLINK_KAFKA_CONNECTOR_JAR = f"flink-sql-connector-kafka-{FLINK_KAFKA_CONNECTOR}.jar"
FLINK_AVRO_CONFLUENT_REGISTRY_JAR = (
    f"flink-sql-avro-confluent-registry-{FLINK_AVRO_CONFLUENT_REGISTRY}.jar")
CDC_FLINK_JVM_JAR = f"cdc-flink-jvm-{CDC_FLINK_JVM}.jar"
