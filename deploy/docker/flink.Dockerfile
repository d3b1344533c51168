# The Flink job image: the official Flink image + Python + PyFlink + the Kafka connector JAR,
# the job's JVM operators (flink_jobs/jvm, built here by Maven) and the project's job code. JobManager, TaskManager and the Flink Kubernetes Operator's
# FlinkDeployment all run this image. Build from the repository root:
#   docker build -f deploy/docker/flink.Dockerfile -t cdc-flink-job .
# Versions: deploy/local/cdc_stack/versions.py (a unit test keeps these ARGs equal to it).
ARG FLINK_IMAGE=flink:2.2.1-scala_2.12-java17

FROM maven:3.9-eclipse-temurin-17 AS jars
ARG FLINK_KAFKA_CONNECTOR=5.0.0-2.2
RUN mvn -q dependency:copy \
      -Dartifact=org.apache.flink:flink-sql-connector-kafka:${FLINK_KAFKA_CONNECTOR} \
      -DoutputDirectory=/jars

# The job's JVM operators: decode/validate, dedup, enrichment, windowed metrics. Its JUnit
# tests (golden vectors included) run in CI (make test); the image only builds the JAR.
FROM maven:3.9-eclipse-temurin-17 AS jvm
ARG CDC_FLINK_JVM=0.1.0
COPY flink_jobs/jvm/pom.xml /src/pom.xml
COPY flink_jobs/jvm/src/ /src/src/
RUN mvn -q -f /src/pom.xml package -DskipTests \
 && mkdir /jvm && cp /src/target/cdc-flink-jvm-${CDC_FLINK_JVM}.jar /jvm/

FROM ${FLINK_IMAGE}
ARG PYFLINK=2.2.1
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir "apache-flink==${PYFLINK}"
COPY --from=jars /jars/ /opt/flink/lib/
# Not in lib/: the job ships it as a user JAR (job.jvm_jar), loaded by the job's class loader.
COPY --from=jvm /jvm/ /opt/cdc/jars/
COPY pyproject.toml README.md /opt/cdc/
COPY cdc_core/ /opt/cdc/cdc_core/
COPY flink_jobs/ /opt/cdc/flink_jobs/
COPY schemas/ /opt/cdc/schemas/
RUN /opt/venv/bin/pip install --no-cache-dir \
      "confluent-kafka[avro,schemaregistry]>=2.16,<3" "fastavro>=1.13,<2" \
      "pydantic>=2.13,<3" "pydantic-settings>=2.14,<3" "pyyaml>=6.0,<7" \
 && mkdir -p /opt/flink/plugins/metrics-prometheus \
 && cp /opt/flink/opt/flink-metrics-prometheus-*.jar /opt/flink/plugins/metrics-prometheus/ \
 && chown -R flink:flink /opt/cdc
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/opt/cdc
# Flink options (python.executable, the Prometheus reporter on 9249 that the flink_* alert
# rules read, checkpoint dirs) come from FLINK_PROPERTIES (compose) or flinkConfiguration (k8s).
USER flink
