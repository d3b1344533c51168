# The sink (`cdc sink run`) and the lag exporter (`cdc lag-exporter`): one slim, non-root image.
# Build from the repository root:  docker build -f deploy/docker/sink.Dockerfile -t cdc-sink .
# The distribution also declares apache-flink (for the job); this image installs the project
# without dependencies and then only what the sink, the exporter and the CLI import.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY cdc_core/ cdc_core/
COPY cdc_sink/ cdc_sink/
COPY cdc_ops/ cdc_ops/
COPY cdc_cli/ cdc_cli/
COPY cdc_demo/ cdc_demo/
COPY flink_jobs/ flink_jobs/
COPY deploy/local/cdc_stack/ deploy/local/cdc_stack/
RUN pip install --no-cache-dir --prefix=/install --no-deps . \
 && pip install --no-cache-dir --prefix=/install \
      "confluent-kafka[avro,schemaregistry]>=2.16,<3" "fastavro>=1.13,<2" \
      "psycopg[binary,pool]>=3.3,<4" "prometheus-client>=0.26,<1" "pydantic>=2.13,<3" \
      "pydantic-settings>=2.14,<3" "pyyaml>=6.0,<7" "httpx>=0.28,<1" \
      "openlineage-python>=1.54,<2"

FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home cdc
COPY --from=build /install /usr/local
COPY schemas/ /opt/cdc/schemas/
WORKDIR /opt/cdc
ENV CDC_LOG_FORMAT=json PYTHONUNBUFFERED=1
USER 10001
EXPOSE 9108
# /healthz: the consume loop still turns (cdc_sink/health.py); the exporter serves it too.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CDC_HEALTH_PORT', '9108'), timeout=2)"]
ENTRYPOINT ["cdc"]
CMD ["sink", "run", "--config", "/etc/cdc/sink.yaml"]
