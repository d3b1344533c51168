"""The job's pre-flight inputs (no Kafka): the settings librdkafka takes, what the job reads,
writes and joins, and a Flink job failure caused by a Kafka refusal said in one line."""

from __future__ import annotations

from dataclasses import dataclass

from cdc_core.kafka_problems import endpoint
from flink_jobs.config import JobConfig
from flink_jobs.preflight import job_access, job_failure, librdkafka_config

SECURED = {"bootstrap_servers": "k:9093", "topic_pattern": "^shop_\\w+\\.public\\..*",
           "group_id": "cdc-job-x", "sasl_password": "s3cret-value",
           "properties": {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
                          "sasl.username": "job", "ssl.ca.location": "/ca.crt",
                          "ssl.endpoint.identification.algorithm": ""}}


def _config(**kafka: object) -> JobConfig:
    return JobConfig.model_validate({
        "kafka": {**SECURED, **kafka}, "registry": {"url": "https://r"},
        "processing": {"dlq_topic": "cdc_x.dlq"}, "metrics": {"topic": "cdc_x.metrics"}})


def test_librdkafka_takes_the_shared_keys_and_the_password() -> None:
    conf = librdkafka_config(_config().kafka)
    assert conf == {"bootstrap.servers": "k:9093", "security.protocol": "SASL_SSL",
                    "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "job",
                    "ssl.ca.location": "/ca.crt", "sasl.password": "s3cret-value"}
    assert endpoint(conf) == "kafka k:9093 (user job)"


def test_java_only_credentials_are_not_checked() -> None:
    kafka = {"bootstrap_servers": "k:9093", "topics": ["t"],
             "properties": {"sasl.jaas.config": "x required;"}}
    config = JobConfig.model_validate({"kafka": kafka, "registry": {"url": "r"}})
    assert librdkafka_config(config.kafka) is None


def test_the_job_reads_its_pattern_writes_dlq_and_metrics_and_joins_its_group() -> None:
    access = job_access(_config())
    assert access.read == () and access.read_pattern == "^shop_\\w+\\.public\\..*"
    assert access.write == ("cdc_x.dlq", "cdc_x.metrics")
    assert access.groups == ("cdc-job-x",)


@dataclass
class _Name:
    name: str

    def getName(self) -> str:  # noqa: N802 - the Java method's name
        return self.name


@dataclass
class _JavaError:
    """A Java exception as py4j shows it: class, message, cause."""

    cls: str
    message: str
    cause: _JavaError | None = None

    def getClass(self) -> _Name:  # noqa: N802
        return _Name(self.cls)

    def getMessage(self) -> str:  # noqa: N802
        return self.message

    def getCause(self) -> _JavaError | None:  # noqa: N802
        return self.cause


class _Py4JError(Exception):
    def __init__(self, java: _JavaError) -> None:
        super().__init__("An error occurred while calling o1.execute.\n: trace ...")
        self.java_exception = java


def test_a_job_failed_by_a_kafka_refusal_is_one_line() -> None:
    root = _JavaError("org.apache.flink.kafka.shaded.org.apache.kafka.common.errors."
                      "TopicAuthorizationException", "Not authorized to access topics:\n [x]")
    failed = _Py4JError(_JavaError("org.apache.flink.runtime.client.JobExecutionException",
                                   "Job execution failed.", root))
    refused = job_failure(_config(), failed)
    assert refused is not None
    assert str(refused) == ("kafka k:9093 (user job): not authorized (missing ACL): "
                            "Not authorized to access topics: [x]")
    assert "s3cret-value" not in str(refused)


def test_other_job_failures_are_left_as_they_are() -> None:
    failed = _Py4JError(_JavaError("java.lang.IllegalStateException", "boom"))
    assert job_failure(_config(), failed) is None
    assert job_failure(_config(), ValueError("plain")) is None


def test_refused_transactional_ids_are_named_by_the_jobs_prefix() -> None:
    root = _JavaError("org.apache.kafka.common.errors.TransactionalIdAuthorizationException",
                      "Transactional Id authorization failed.")
    refused = job_failure(_config(), _Py4JError(root))
    assert str(refused) == ("kafka k:9093 (user job): not authorized to use transactional ids "
                            "cdc-processor* (missing ACL): Transactional Id authorization "
                            "failed.")
