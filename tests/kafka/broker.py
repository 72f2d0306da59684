"""Apache Kafka (KRaft) brokers for the tests, run from jars fetched by Maven.

``tests/kafka/pom.xml`` names ``org.apache.kafka:kafka_2.13``; the first use
runs ``mvn dependency:copy-dependencies`` into a cache folder (by default
``~/.cache/newsflow/kafka-jars/<hash of the pom>``, or ``$NEWSFLOW_KAFKA_JARS``),
later runs reuse it. A cluster of one or more combined broker+controller nodes
is formatted with a fresh cluster id and started on free loopback ports.

Broker settings that users deploy too come from ``broker.properties`` (the same
values are in docker-compose.yml); the rest is what a node on loopback needs.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from devstack.embedded import free_port, wait_for_port

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
SHARED_PROPERTIES = HERE / "broker.properties"
# Small heaps and the client compiler only: the CI machine has 2 cores shared by
# the whole suite, and a test broker never runs long enough to repay C2.
JVM_OPTS = ["-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"]
START_TIMEOUT_S = 90.0
LOG4J2 = """\
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.state.name = state.change.logger
logger.state.level = WARN
"""


def read_properties(path: Path) -> dict[str, str]:
    """A Java .properties file as a dict (only the ``key=value`` form is used here)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def shared_properties() -> dict[str, str]:
    return read_properties(SHARED_PROPERTIES)


# --- the jars -------------------------------------------------------------------


def jars_dir() -> Path:
    """The folder of Kafka's jars, resolving them with Maven on first use."""
    configured = os.environ.get("NEWSFLOW_KAFKA_JARS")
    if configured:
        target = Path(configured)
    else:
        digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
        target = Path.home() / ".cache" / "newsflow" / "kafka-jars" / digest
    done = target / ".complete"
    if done.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Several pytest sessions may start at once: one resolves, the others wait.
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            _resolve_jars(target)
    return target


def _resolve_jars(target: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (mvn) is needed to fetch Apache Kafka's jars for the tests; see README")
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    cmd = [
        mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
        "-DincludeScope=runtime", f"-DoutputDirectory={staging}",
    ]
    log.info("fetching Apache Kafka jars: %s", " ".join(cmd))
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"mvn failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    (target / ".complete").write_text(json.dumps({"pom_sha256": hashlib.sha256(POM.read_bytes()).hexdigest()}))


def java_command(main: str, *args: str, jars: Path, log4j: Path | None = None) -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("Java 17+ (java) is needed to run Apache Kafka for the tests; see README")
    opts = list(JVM_OPTS)
    if log4j is not None:
        opts.append(f"-Dlog4j2.configurationFile={log4j}")
    return [java, *opts, "-cp", str(jars / "*"), main, *args]


def new_cluster_id() -> str:
    """A Kafka Uuid in its text form (22 characters of URL-safe base64)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):  # would read as an option on the command line
            return text


# --- nodes and clusters -----------------------------------------------------------


@dataclass
class Node:
    """One combined broker+controller process and its data on disk."""

    node_id: int
    broker_port: int
    controller_port: int
    home: Path
    proc: subprocess.Popen | None = None

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def config(self) -> Path:
        return self.home / "server.properties"

    @property
    def log_path(self) -> Path:
        return self.home / "broker.log"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.broker_port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class KafkaCluster:
    """``size`` Apache Kafka nodes on loopback; each is broker and controller."""

    root: Path
    size: int = 1
    cluster_id: str = field(default_factory=new_cluster_id)
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.jars = jars_dir()
        for node_id in range(1, self.size + 1):
            home = self.root / f"node{node_id}"
            home.mkdir(parents=True, exist_ok=True)
            self.nodes.append(Node(node_id, free_port(), free_port(), home))
        (self.root / "log4j2.properties").write_text(LOG4J2)

    @property
    def bootstrap(self) -> str:
        return ",".join(node.address for node in self.nodes)

    def node(self, node_id: int) -> Node:
        return next(n for n in self.nodes if n.node_id == node_id)

    def properties(self, node: Node) -> dict[str, str]:
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        replicas = str(min(3, self.size))
        min_isr = str(min(2, self.size))
        return {
            **shared_properties(),
            "process.roles": "broker,controller",
            "node.id": str(node.node_id),
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{node.broker_port},CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.broker_port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(node.data_dir),
            "default.replication.factor": replicas,
            "min.insync.replicas": min_isr,
            "offsets.topic.replication.factor": replicas,
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": min_isr,
            "share.coordinator.state.topic.replication.factor": replicas,
            "share.coordinator.state.topic.min.isr": min_isr,
            # Test-only economies: fewer internal partitions and threads on 2 cores.
            "offsets.topic.num.partitions": "6",
            # Kill tests use short consumer sessions so a dead member is noticed fast.
            "group.min.session.timeout.ms": "1000",
            "num.network.threads": "2",
            "num.io.threads": "2",
            "background.threads": "2",
        }

    # --- lifecycle ---

    def format(self) -> None:
        """Write each node's properties and format its storage with the cluster id."""
        for node in self.nodes:
            node.config.write_text("".join(f"{k}={v}\n" for k, v in self.properties(node).items()))
            cmd = java_command(
                "kafka.tools.StorageTool", "format", "-t", self.cluster_id, "-c", str(node.config),
                jars=self.jars, log4j=self.root / "log4j2.properties",
            )
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            if result.returncode != 0:
                raise RuntimeError(f"formatting node {node.node_id} failed:\n{result.stdout}\n{result.stderr}")

    def start(self, node_ids: list[int] | None = None, wait: bool = True) -> None:
        """Start the given nodes (default: all) with the data they have on disk."""
        for node in self._select(node_ids):
            if node.running:
                continue
            cmd = java_command(
                "kafka.Kafka", str(node.config), jars=self.jars, log4j=self.root / "log4j2.properties"
            )
            out = open(node.log_path, "ab")  # noqa: SIM115 - the child keeps it
            try:
                node.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            finally:
                out.close()
        if wait:
            self.wait_ready()

    def kill(self, node_ids: list[int] | None = None) -> None:
        """SIGKILL the given nodes (default: all): no shutdown, no flush."""
        for node in self._select(node_ids):
            if node.proc is not None and node.proc.poll() is None:
                os.kill(node.proc.pid, signal.SIGKILL)
                node.proc.wait()

    def stop(self) -> None:
        for node in self.nodes:
            if node.proc is None or node.proc.poll() is not None:
                continue
            node.proc.terminate()
        for node in self.nodes:
            if node.proc is None:
                continue
            try:
                node.proc.wait(20)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait()

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Until every running node is a registered, unfenced broker of the cluster."""
        deadline = time.monotonic() + timeout_s
        running = [n for n in self.nodes if n.running]
        for node in running:
            wait_for_port(node.broker_port, timeout_s=max(1.0, deadline - time.monotonic()), proc=node.proc)
        want = {n.node_id for n in running}
        seen: set[int] = set()
        lagging = ["?"]
        while time.monotonic() < deadline:
            self._check_alive(running)
            seen = self._registered_brokers(running)
            if want <= seen:
                lagging = self._out_of_sync(running)
                if not lagging:
                    return
            time.sleep(0.3)
        raise TimeoutError(
            f"brokers {sorted(want - seen)} not registered, partitions {lagging[:5]} not in sync after {timeout_s}s; "
            f"logs in {self.root}"
        )

    def _out_of_sync(self, running: list[Node]) -> list[str]:
        """Partitions with a replica on a running node that is not in sync yet.

        A node just restarted is registered before it has caught up; clients
        that start then were seen to wait a long time for their first records.
        """
        up = {n.node_id for n in running}
        try:
            admin = KafkaAdminClient(bootstrap_servers=",".join(n.address for n in running), request_timeout_ms=5000)
        except KafkaError:
            return ["(no broker answers)"]
        try:
            topics = admin.describe_topics()
        except KafkaError:
            return ["(topics not described)"]
        finally:
            admin.close()
        lagging = []
        for topic in topics:
            for part in topic["partitions"]:
                if part["leader_id"] < 0 or not (set(part["replica_nodes"]) & up) <= set(part["isr_nodes"]):
                    lagging.append(f"{topic.get('topic', topic.get('name'))}[{part['partition_index']}]")
        return lagging

    def _registered_brokers(self, running: list[Node]) -> set[int]:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=",".join(n.address for n in running), request_timeout_ms=5000
            )
        except KafkaError:
            return set()
        try:
            brokers = admin.describe_cluster()["brokers"]
            return {b["broker_id"] for b in brokers if not b.get("is_fenced", False)}
        except KafkaError:
            return set()
        finally:
            admin.close()

    def _check_alive(self, nodes: list[Node]) -> None:
        for node in nodes:
            if not node.running:
                tail = node.log_path.read_text(errors="replace")[-3000:] if node.log_path.exists() else ""
                raise RuntimeError(f"kafka node {node.node_id} exited ({node.proc.returncode}):\n{tail}")

    def _select(self, node_ids: list[int] | None) -> list[Node]:
        return [n for n in self.nodes if node_ids is None or n.node_id in node_ids]

    # --- who leads ---

    def active_controller(self) -> int:
        """The node id of the active KRaft controller, from a running node's quorum state."""
        for node in self.nodes:
            if not node.running:
                continue
            state = node.data_dir / "__cluster_metadata-0" / "quorum-state"
            with contextlib.suppress(OSError, ValueError):
                leader = json.loads(state.read_text()).get("leaderId", -1)
                if leader and leader > 0:
                    return int(leader)
        raise RuntimeError("no running node knows the active controller")

    def partition_leader(self, topic: str, partition: int = 0) -> int:
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10000)
        try:
            (described,) = admin.describe_topics([topic])
        finally:
            admin.close()
        for described_partition in described["partitions"]:
            index = described_partition.get("partition_index", described_partition.get("partition"))
            if index == partition:
                return int(described_partition.get("leader_id", described_partition.get("leader")))
        raise RuntimeError(f"{topic}[{partition}] not described: {described}")


@contextlib.contextmanager
def kafka_cluster(root: Path, size: int = 1) -> Iterator[KafkaCluster]:
    """A formatted, started, ready cluster; stopped on exit."""
    cluster = KafkaCluster(root, size)
    try:
        cluster.format()
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


if __name__ == "__main__":  # `python -m tests.kafka.broker`: fetch the jars ahead of the tests
    print(jars_dir())
