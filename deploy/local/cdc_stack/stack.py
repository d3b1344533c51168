"""The local stack: start, probe, describe and stop the engines as one unit.

``up`` resolves the JARs, picks free loopback ports, starts every service at once, and waits
for each one's real readiness probe in parallel; if any fails, everything it started is
stopped and the error names the service with the tail of its log. The state (pids, ports,
endpoints) is written to ``stack.json`` in the run directory, so ``status`` and ``down`` work
from another process and stop exactly the processes this stack started.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from cdc_stack import (
    connect,
    flink,
    kafka,
    kafka_secure,
    postgres,
    postgres_secure,
    prometheus,
    readiness,
    registry,
    resolve,
    security,
)
from cdc_stack.errors import ServiceStartError, StackError
from cdc_stack.jdk import find_java
from cdc_stack.ports import free_port
from cdc_stack.processes import ProcessRecord, is_running, log_tail, stop

ServiceName = Literal["kafka", "registry", "postgres", "connect", "flink"]
# Services that can only start once others answer (Connect keeps its state in Kafka).
DEPENDS_ON: dict[str, tuple[str, ...]] = {"connect": ("kafka",)}
STATE_FILE = "stack.json"


class StackSettings(BaseSettings):
    """Settings of the local stack; every key can be set as ``CDC_STACK_<KEY>``."""

    model_config = SettingsConfigDict(env_prefix="CDC_STACK_", frozen=True, extra="forbid")

    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "cdc-pipeline")
    java: str | None = None  # default: the first Java >= 17 (JAVA_HOME, PATH, /usr/lib/jvm)
    registry_java: str | None = None  # Apicurio 3.3 needs Java >= 21
    services: tuple[ServiceName, ...] = ("kafka", "registry", "postgres")
    kafka_heap: str = "512m"
    connect_heap: str = "768m"
    registry_heap: str = "512m"
    # C1-only JIT starts the JVMs markedly faster on 2 cores; turn off for benchmarks.
    quick_jit: bool = True
    ready_timeout_s: float = 120.0
    # The Flink session cluster (service "flink"): one JobManager, this many TaskManagers.
    flink_taskmanagers: int = Field(default=2, ge=1)
    flink_slots: int = Field(default=1, ge=1)  # per TaskManager (thread mode: one GIL each)
    kafka_brokers: Literal[1, 3] = 1  # three: replication factor 3, min.insync.replicas 2
    # TLS and passwords everywhere: Kafka SASL_SSL (SCRAM, ACLs), PostgreSQL TLS + SCRAM,
    # the registry over HTTPS; certificates and passwords in <run dir>/secrets (security.py).
    secure: bool = False


@dataclass
class Endpoints:
    """Where the running services answer."""

    kafka_bootstrap: str = ""
    registry_url: str = ""  # Confluent-compatible API, for confluent-kafka's client
    registry_v2_url: str = ""  # Apicurio v2 API, for the Kafka Connect Avro converter
    postgres_dsn: str = ""
    connect_url: str = ""  # Kafka Connect REST API
    prometheus_url: str = ""  # set while a pipeline's Prometheus runs (start_prometheus)
    flink_rest_url: str = ""  # the Flink session cluster's REST API and web UI
    secrets_dir: str = ""  # a secured stack's CA, certificates and password files


@dataclass
class StackState:
    """Everything ``status`` and ``down`` need, persisted as JSON."""

    run_dir: str
    endpoints: Endpoints
    processes: dict[str, ProcessRecord] = field(default_factory=dict)
    startup_s: dict[str, float] = field(default_factory=dict)
    total_startup_s: float = 0.0
    extra_dirs: list[str] = field(default_factory=list)  # data kept outside run_dir
    # TaskManager index -> [rpc, data, metrics] ports, to restart one where it was.
    flink_taskmanager_ports: dict[str, list[int]] = field(default_factory=dict)
    # Kafka node id -> [port, controller port], to restart a node where it was.
    kafka_nodes: dict[str, list[int]] = field(default_factory=dict)


def _endpoints(raw: dict[str, str]) -> Endpoints:
    """Endpoints from a state file, ignoring keys an older version wrote."""
    known = {f.name for f in fields(Endpoints)}
    return Endpoints(**{k: v for k, v in raw.items() if k in known})


def _jvm_opts(heap: str, quick_jit: bool) -> list[str]:
    opts = [f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseSerialGC", "-Djava.awt.headless=true"]
    return [*opts, "-XX:TieredStopAtLevel=1"] if quick_jit else opts


class LocalStack:
    """One stack instance bound to one private run directory."""

    def __init__(self, settings: StackSettings, run_dir: Path | None = None) -> None:
        self.settings = settings
        self.run_dir = run_dir or Path(tempfile.mkdtemp(prefix="cdc-stack-"))
        self.state = StackState(str(self.run_dir), Endpoints())

    # -- lifecycle ---------------------------------------------------------------------------
    def up(self) -> StackState:
        """Start every configured service and return once all are ready (or raise)."""
        began = time.monotonic()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        resolve.resolve(self.settings.cache_dir, self._components())
        if self.settings.secure:
            self.state.endpoints.secrets_dir = str(security.generate(self.run_dir).directory)
        first: list[str] = [s for s in self.settings.services if s not in DEPENDS_ON]
        then: list[str] = [s for s in self.settings.services if s in DEPENDS_ON]
        try:
            for wave in (first, then):
                self._start_and_await(wave, began)
        except BaseException:
            # Whatever stopped the start (a service, a missing JDK, Ctrl-C): stop what
            # did start, so a failed `up` leaves no orphans behind.
            self.down(keep_files=True)
            raise
        self.state.total_startup_s = round(time.monotonic() - began, 1)
        self._save()
        return self.state

    def _start_and_await(self, names: list[str], began: float) -> None:
        """Start ``names`` at once, then wait for all their probes in parallel."""
        if not names:
            return
        probes = {name: self._start(name) for name in names}
        self._save()
        with ThreadPoolExecutor(max_workers=len(probes)) as pool:
            futures = {n: pool.submit(self._await, n, p, began) for n, p in probes.items()}
            for name, fut in futures.items():
                self.state.startup_s[name] = fut.result()

    def down(self, keep_files: bool = False) -> None:
        """Stop exactly the processes this stack started; remove its files unless kept."""
        for name, rec in reversed(list(self.state.processes.items())):
            stop(rec, sig=_STOP_SIGNAL.get(name, 15))
        if not keep_files:
            for path in [*self.state.extra_dirs, str(self.run_dir)]:
                shutil.rmtree(path, ignore_errors=True)
        else:
            self.state.processes = {}
            self._save()

    def restart_postgres(self, down_s: float = 0.0) -> None:
        """Stop PostgreSQL (fast shutdown), stay down ``down_s``, start it on the same port
        with the same data: for tests of clients that must ride out a database restart."""
        rec = self.state.processes["postgres"]
        stop(rec, sig=_STOP_SIGNAL["postgres"])
        time.sleep(down_s)
        port = int(self.state.endpoints.postgres_dsn.rsplit(":", 1)[1].split("/")[0])
        home = Path(self.state.extra_dirs[0]) if self.state.extra_dirs else (
            self.run_dir / "postgres")
        self._record(postgres.start(self.run_dir, home, port, secured=self._secured()))
        self._await("postgres", lambda: readiness.postgres(self.state.endpoints.postgres_dsn),
                    time.monotonic())
        self._save()

    def kill_and_restart_connect(self) -> None:
        """SIGKILL the Connect worker and start a new one on the same port and group (its
        connectors and source offsets live in Kafka, so it resumes them by itself); returns
        once the new worker lists its plugins. For fault-injection tests."""
        stop(self.state.processes["connect"], sig=9)
        s, ep = self.settings, self.state.endpoints
        port = int(ep.connect_url.rsplit(":", 1)[1])
        self._record(connect.start(find_java(17, s.java), s.cache_dir, self.run_dir, port=port,
                                   bootstrap=ep.kafka_bootstrap,
                                   jvm_opts=_jvm_opts(s.connect_heap, s.quick_jit),
                                   replicas=s.kafka_brokers, secured=self._secured()))
        self._save()  # `cdc stack down` must find the new pid
        self._await("connect", lambda: readiness.connect(ep.connect_url), time.monotonic())

    def start_prometheus(self, targets: dict[str, list[str]]) -> str:
        """Start Prometheus scraping ``targets`` ({job: [host:port]}) with the project's alert
        rules; it is recorded like the engines, so ``down`` (and ``cdc stack down``) stops
        it. Returns its URL once it is ready."""
        port = free_port()
        self._reload_processes()  # another process may have recorded its own since load
        self._record(prometheus.start(self.run_dir, port, targets))
        self.state.endpoints.prometheus_url = f"http://127.0.0.1:{port}"
        self._save()
        url = self.state.endpoints.prometheus_url
        self._await("prometheus", lambda: readiness.http_ok(url + "/-/ready"), time.monotonic())
        return url

    def stop_prometheus(self) -> None:
        """Stop the Prometheus of ``start_prometheus`` and forget it; the engines stay."""
        rec = self.state.processes.pop("prometheus", None)
        if rec is not None:
            stop(rec)
        self._reload_processes()
        self.state.processes.pop("prometheus", None)
        self.state.endpoints.prometheus_url = ""
        self._save()

    def _reload_processes(self) -> None:
        """Merge in the process records of the state file, which is shared with other
        processes attached to this run directory."""
        path = self.run_dir / STATE_FILE
        if path.exists():
            raw = json.loads(path.read_text())["processes"]
            self.state.processes = {**{k: ProcessRecord(**v) for k, v in raw.items()},
                                    **self.state.processes}

    def status(self) -> dict[str, bool]:
        """Per service: is its process alive (the same process, not a pid reuser)?"""
        return {name: is_running(rec) for name, rec in self.state.processes.items()}

    @classmethod
    def load(cls, run_dir: Path, settings: StackSettings | None = None) -> LocalStack:
        """Re-attach to a stack started by another process.

        A state file that is not one this tool wrote is a ``StackError`` naming it."""
        path = run_dir / STATE_FILE
        stack = cls(settings or StackSettings(), run_dir)
        try:
            raw = json.loads(path.read_text())
            stack.state = StackState(
                run_dir=raw["run_dir"], endpoints=_endpoints(raw["endpoints"]),
                processes={k: ProcessRecord(**v) for k, v in raw["processes"].items()},
                startup_s=raw["startup_s"], total_startup_s=raw["total_startup_s"],
                extra_dirs=raw.get("extra_dirs", []),
                flink_taskmanager_ports=raw.get("flink_taskmanager_ports", {}),
                kafka_nodes=raw.get("kafka_nodes", {}))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StackError(f"{path}: not a stack state file ({type(exc).__name__}: "
                             f"{exc})") from exc
        return stack

    # -- services ----------------------------------------------------------------------------
    def _components(self) -> list[str]:
        wanted = {"kafka": ["kafka"], "registry": ["registry"], "postgres": [],
                  "connect": ["connect", "connect-plugins", "converter"], "flink": []}
        return ["flink"] + [c for s in self.settings.services for c in wanted[s]]

    def _start(self, name: str) -> Callable[[], bool]:
        """Start one service; return its readiness probe."""
        starters = {"kafka": self._start_kafka, "registry": self._start_registry,
                    "postgres": self._start_postgres, "connect": self._start_connect,
                    "flink": self._start_flink}
        return starters[name]()

    def _start_kafka(self) -> Callable[[], bool]:
        """Every node at once, formatted with one cluster id; ready when all are brokers."""
        nodes = [kafka.Node(i, free_port(), free_port())
                 for i in range(1, self.settings.kafka_brokers + 1)]
        self.state.kafka_nodes = {str(n.node_id): [n.port, n.controller_port] for n in nodes}
        uuid = kafka.cluster_id()
        for node in nodes:
            self._record(self._kafka_node(node, uuid))
        bootstrap = self.state.endpoints.kafka_bootstrap = ",".join(
            f"127.0.0.1:{n.port}" for n in nodes)
        secured = self._secured()
        if secured is not None:
            return lambda: kafka_secure.ready(bootstrap, len(nodes), secured)
        return lambda: readiness.kafka(bootstrap, len(nodes))

    def _secured(self) -> security.Material | None:
        """The secrets of a secured stack (generated by ``up``), None for a plain one."""
        found = self.state.endpoints.secrets_dir
        return security.Material(Path(found)) if found else None

    def _kafka_nodes(self) -> list[kafka.Node]:
        return [kafka.Node(int(i), port, cport)
                for i, (port, cport) in self.state.kafka_nodes.items()]

    def _kafka_node(self, node: kafka.Node, uuid: str | None = None) -> ProcessRecord:
        s = self.settings
        return kafka.start(find_java(17, s.java), s.cache_dir, self.run_dir, port=node.port,
                           controller_port=node.controller_port, node_id=node.node_id,
                           cluster=self._kafka_nodes(), cluster_uuid=uuid,
                           jvm_opts=_jvm_opts(s.kafka_heap, s.quick_jit),
                           secured=self._secured())

    def kill_broker(self, node_id: int) -> None:
        """SIGKILL Kafka node ``node_id``: the crash clients must ride out."""
        stop(self.state.processes[kafka.process_name(node_id)], sig=9)

    def start_broker(self, node_id: int) -> None:
        """Restart node ``node_id`` with its data, on its ports; returns once every node is
        a broker again (its partitions may still be catching up)."""
        node = next(n for n in self._kafka_nodes() if n.node_id == node_id)
        self._record(self._kafka_node(node))
        self._save()  # `cdc stack down` must find the new pid
        bootstrap, count = self.state.endpoints.kafka_bootstrap, len(self.state.kafka_nodes)
        client = None if self._secured() is None else security.librdkafka_config(
            security.material(self.run_dir), "admin")
        self._await(kafka.process_name(node_id),
                    lambda: readiness.kafka(bootstrap, count, client), time.monotonic())

    def _start_registry(self) -> Callable[[], bool]:
        port, mport = free_port(), free_port()
        s = self.settings
        self._record(registry.start(find_java(21, s.registry_java), s.cache_dir, self.run_dir,
                                    port=port, management_port=mport,
                                    jvm_opts=_jvm_opts(s.registry_heap, s.quick_jit),
                                    secured=self._secured()))
        secured = self._secured()
        base = f"{'https' if secured else 'http'}://127.0.0.1:{port}"
        self.state.endpoints.registry_url = base + registry.CCOMPAT_PATH
        self.state.endpoints.registry_v2_url = base + registry.V2_PATH
        ca = str(secured.ca) if secured else None
        return lambda: readiness.http_ok(self.state.endpoints.registry_url + "/subjects", ca)

    def _start_postgres(self) -> Callable[[], bool]:
        port = free_port()
        home = postgres.data_home(self.run_dir)
        if not home.is_relative_to(self.run_dir):
            self.state.extra_dirs.append(str(home))
        secured = self._secured()
        self._record(postgres.start(self.run_dir, home, port, secured=secured))
        dsn = self.state.endpoints.postgres_dsn = postgres.dsn(port, secured=secured)
        if secured is not None:
            return lambda: postgres_secure.ready(home / "sockets", port, secured, dsn)
        return lambda: readiness.postgres(dsn)

    def _start_connect(self) -> Callable[[], bool]:
        port = free_port()
        s = self.settings
        self._record(connect.start(find_java(17, s.java), s.cache_dir, self.run_dir, port=port,
                                   bootstrap=self.state.endpoints.kafka_bootstrap,
                                   jvm_opts=_jvm_opts(s.connect_heap, s.quick_jit),
                                   replicas=s.kafka_brokers, secured=self._secured()))
        self.state.endpoints.connect_url = f"http://127.0.0.1:{port}"
        return lambda: readiness.connect(self.state.endpoints.connect_url)

    def _start_flink(self) -> Callable[[], bool]:
        """The JobManager and every TaskManager at once; ready when all have registered."""
        s = self.settings
        java = find_java(17, s.java)
        jm = flink.JobManagerPorts(free_port(), free_port(), free_port(), free_port())
        self._record(flink.start_jobmanager(java, self.run_dir, jm, slots=s.flink_slots))
        for index in range(1, s.flink_taskmanagers + 1):
            ports = flink.TaskManagerPorts(free_port(), free_port(), free_port())
            self._record(flink.start_taskmanager(java, self.run_dir, index, ports))
            self.state.flink_taskmanager_ports[str(index)] = [ports.rpc, ports.data,
                                                              ports.metrics]
        self.state.endpoints.flink_rest_url = f"http://127.0.0.1:{jm.rest}"
        return lambda: readiness.flink(self.state.endpoints.flink_rest_url,
                                       s.flink_taskmanagers)

    def kill_taskmanager(self, index: int) -> None:
        """SIGKILL TaskManager ``index``: the loss a job's restart strategy must ride out."""
        stop(self.state.processes[flink.taskmanager_name(index)], sig=9)

    def start_taskmanager(self, index: int) -> None:
        """(Re)start TaskManager ``index`` on its recorded ports; returns once it runs."""
        rpc, data, metrics = self.state.flink_taskmanager_ports[str(index)]
        java, since_ms = find_java(17, self.settings.java), int(time.time() * 1000)
        rec = flink.start_taskmanager(java, self.run_dir, index,
                                      flink.TaskManagerPorts(rpc, data, metrics))
        self._record(rec)
        self._save()  # `cdc stack down` must find the new pid
        url = self.state.endpoints.flink_rest_url
        self._await(rec.name, lambda: readiness.flink_taskmanager(url, rec.name, since_ms),
                    time.monotonic())

    def _record(self, rec: ProcessRecord) -> None:
        self.state.processes[rec.name] = rec

    def _await(self, name: str, probe: Callable[[], bool], began: float) -> float:
        """Poll ``probe`` until it passes; fail fast if the process dies."""
        rec = self.state.processes[_LEAD_PROCESS.get(name, name)]
        deadline = began + self.settings.ready_timeout_s
        while time.monotonic() < deadline:
            if probe():
                return round(time.monotonic() - began, 1)
            if not is_running(rec):
                raise ServiceStartError(name, "process exited", log_tail(rec.log_file))
            time.sleep(0.25)
        raise ServiceStartError(name, f"not ready after {self.settings.ready_timeout_s:.0f}s",
                                log_tail(rec.log_file))

    def _save(self) -> None:
        (self.run_dir / STATE_FILE).write_text(json.dumps(asdict(self.state), indent=2))


# PostgreSQL's "fast" shutdown is SIGINT; the JVMs stop cleanly on SIGTERM.
_STOP_SIGNAL = {"postgres": 2}
# The process whose exit fails a multi-process service's start at once.
_LEAD_PROCESS = {"flink": flink.JOBMANAGER}

__all__ = ["Endpoints", "LocalStack", "StackSettings", "StackState"]
