"""A three-node MariaDB Galera cluster of the test's own, from the installed
packages (mariadb-server, galera-4, rsync).

The machine's MariaDB on 3306 is left alone. Each node runs
``/usr/sbin/mariadbd`` with a defaults file of its own (nothing from
/etc/mysql), its own datadir, socket and ports (client, group
communication, IST, SST), as the ``mysql`` user: the rsync SST refuses to
run as root. Joiners get their data from a donor by rsync SST; a node that
was killed recovers its position with ``--wsrep-recover`` and rejoins by
IST, as a restarted node of a real cluster does.
"""

from __future__ import annotations

import dataclasses
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pymysql

from tests import services

MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "/usr/bin/mariadb-install-db"
PROVIDER = "/usr/lib/galera/libgalera_smm.so"
RECOVERED = re.compile(r"WSREP: Recovered position:\s*(\S+:-?\d+)")
SYNCED = "4"  # wsrep_local_state: Synced


@dataclasses.dataclass
class Node:
    name: str
    port: int
    gcomm_port: int
    ist_port: int
    sst_port: int
    base: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    @property
    def cnf(self) -> Path:
        return self.base / "my.cnf"

    @property
    def error_log(self) -> Path:
        return self.base / "error.log"

    def connect(self, timeout: float = 2) -> pymysql.Connection:
        return pymysql.connect(host="127.0.0.1", port=self.port, user="root",
                               connect_timeout=timeout, read_timeout=timeout,
                               write_timeout=timeout, autocommit=True)

    def query(self, sql: str, timeout: float = 2) -> list[tuple[object, ...]]:
        conn = self.connect(timeout)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return list(cur.fetchall())
        finally:
            conn.close()

    def status(self, name: str) -> str | None:
        """A wsrep status variable; None when the node does not answer."""
        try:
            rows = self.query(f"SHOW GLOBAL STATUS LIKE '{name}'")
        except pymysql.MySQLError:
            return None
        return str(rows[0][1]) if rows else None

    def synced(self) -> bool:
        """What a clustercheck reports: the node is Synced with its cluster
        (one connection, one query: it runs every check interval)."""
        try:
            rows = dict(self.query("SHOW GLOBAL STATUS WHERE Variable_name IN "
                                   "('wsrep_local_state', 'wsrep_ready')"))
        except pymysql.MySQLError:
            return False
        return rows.get("wsrep_local_state") == SYNCED and rows.get("wsrep_ready") == "ON"


class Cluster:
    def __init__(self, size: int = 3) -> None:
        for path in (MARIADBD, INSTALL_DB, PROVIDER, "/usr/bin/rsync", "/usr/bin/wsrep_sst_rsync"):
            if not os.path.exists(path):
                services.unavailable(f"{path} (Debian packages mariadb-server, galera-4, rsync)")
        # not under pytest's tmp_path: its parents are mode 700, and the
        # nodes run as the mysql user
        self.root = Path(tempfile.mkdtemp(prefix="herald-galera-"))
        self.root.chmod(0o755)
        self.user = "mysql" if os.geteuid() == 0 else None
        self.name = f"herald_{secrets.token_hex(3)}"
        self.nodes = [Node(f"n{i}", services.free_port(), services.free_port(),
                           services.free_port(), services.free_port(), self.root / f"n{i}")
                      for i in range(1, size + 1)]

    # -- set-up ---------------------------------------------------------------
    def _own(self, path: Path) -> None:
        if self.user:
            entry = pwd.getpwnam(self.user)
            for p in [path, *path.rglob("*")]:
                os.chown(p, entry.pw_uid, entry.pw_gid)

    def _write_cnf(self, node: Node) -> None:
        gcomm = ",".join(f"127.0.0.1:{n.gcomm_port}" for n in self.nodes)
        node.cnf.write_text(f"""\
[mariadbd]
{"user = " + self.user if self.user else ""}
datadir = {node.datadir}
socket = {node.base}/mysqld.sock
pid-file = {node.base}/mysqld.pid
log-error = {node.error_log}
tmpdir = {node.base}/tmp
port = {node.port}
bind-address = 127.0.0.1
skip-name-resolve
innodb_buffer_pool_size = 64M
innodb_log_file_size = 32M
innodb_flush_log_at_trx_commit = 2
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
max_connections = 200
wsrep_on = ON
wsrep_provider = {PROVIDER}
wsrep_cluster_name = {self.name}
wsrep_cluster_address = gcomm://{gcomm}
wsrep_node_name = {node.name}
wsrep_node_address = 127.0.0.1:{node.gcomm_port}
wsrep_sst_method = rsync
wsrep_sst_receive_address = 127.0.0.1:{node.sst_port}
wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:{node.gcomm_port};\
ist.recv_addr=127.0.0.1:{node.ist_port};gcache.size=128M"
""")

    def _install(self, node: Node) -> None:
        (node.base / "tmp").mkdir(parents=True)
        self._write_cnf(node)
        self._own(node.base)
        result = subprocess.run(
            [INSTALL_DB, f"--defaults-file={node.cnf}", "--auth-root-authentication-method=normal",
             "--skip-test-db", "--wsrep_on=OFF"] + ([f"--user={self.user}"] if self.user else []),
            capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr

    def start(self, node: Node, *args: str) -> None:
        out = open(node.base / "mariadbd.out", "ab")
        node.proc = subprocess.Popen([MARIADBD, f"--defaults-file={node.cnf}", *args],
                                     stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        out.close()

    def wait_synced(self, node: Node, timeout: float = 180) -> None:
        def synced() -> bool:
            if node.proc is not None and node.proc.poll() is not None:
                raise AssertionError(f"{node.name} exited:\n{self.tail(node)}")
            return node.synced()
        services.wait_until(synced, timeout, f"Galera node {node.name} to be Synced",
                            interval=0.5)

    def up(self) -> Cluster:
        """The first node bootstraps the cluster; the others join it by SST."""
        for node in self.nodes:
            self._install(node)
        first = self.nodes[0]
        self.start(first, "--wsrep-new-cluster")
        self.wait_synced(first)
        for node in self.nodes[1:]:  # one at a time: each SST takes a donor
            self.start(node)
            self.wait_synced(node)
        assert self.size(first) == len(self.nodes)
        return self

    def size(self, node: Node) -> int:
        return int(node.status("wsrep_cluster_size") or 0)

    # -- faults -----------------------------------------------------------------
    def kill(self, node: Node) -> None:
        """SIGKILL: a crash, not a shutdown (no clean state saved)."""
        assert node.proc is not None
        os.killpg(node.proc.pid, signal.SIGKILL)
        node.proc.wait(30)

    def restart(self, node: Node) -> str:
        """Start a killed node again, at the position ``--wsrep-recover``
        finds in its InnoDB logs, so that it rejoins by IST; its state
        transfer as the joiner logged it."""
        log_size = node.error_log.stat().st_size
        result = subprocess.run([MARIADBD, f"--defaults-file={node.cnf}", "--wsrep-recover"],
                                capture_output=True, text=True, timeout=120)
        with open(node.error_log, errors="replace") as f:
            f.seek(log_size)
            found = RECOVERED.findall(f.read() + result.stdout + result.stderr)
        assert found, f"--wsrep-recover found no position:\n{self.tail(node)}"
        self.start(node, f"--wsrep-start-position={found[-1]}")
        self.wait_synced(node)
        return found[-1]

    def isolate(self, node: Node, on: bool = True) -> None:
        """Cut the node from the group (``gmcast.isolate``): it leaves the
        quorum but keeps serving connections, answering 1047."""
        conn = node.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SET GLOBAL wsrep_provider_options = %s",
                            (f"gmcast.isolate={1 if on else 0}",))
        finally:
            conn.close()

    def heal(self) -> None:
        """Every node up and Synced again (between tests)."""
        for node in self.nodes:
            if node.proc is None or node.proc.poll() is not None:
                self.restart(node)
            elif not node.synced():
                self.isolate(node, on=False)
                self.wait_synced(node)

    def ist_received(self, node: Node) -> bool:
        """The node's last state transfer was incremental (IST), not SST."""
        log = node.error_log.read_text(errors="replace")
        return "IST received" in log.rsplit("Recovered position", 1)[-1]

    def tail(self, node: Node, chars: int = 3000) -> str:
        return node.error_log.read_text(errors="replace")[-chars:] \
            if node.error_log.exists() else ""

    def stop(self) -> None:
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None:
                os.killpg(node.proc.pid, signal.SIGKILL)
                node.proc.wait(30)
        shutil.rmtree(self.root, ignore_errors=True)
