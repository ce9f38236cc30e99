"""A half-open replication connection (issue 13): the source stops answering
without closing anything, as when its host is gone or a firewall drops the
packets. The worker must notice within retry.receive_timeout_sec, retry like
any lost connection, and stream again once the source answers.

No root networking tricks: a small TCP proxy on loopback sits between the
worker and cluster A and, on command, stops forwarding bytes in both
directions while keeping every socket open (new connections are accepted
and held)."""
import select
import socket
import threading
import time

from conftest import wait_until
from test_run_sync import run

RECEIVE_TIMEOUT = 6


class FreezableProxy:
    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.frozen = threading.Event()
        self.closing = threading.Event()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing.is_set():
            try:
                ready, _, _ = select.select([self.listener], [], [], 0.1)
                if not ready:
                    continue
                client, _ = self.listener.accept()
            except (OSError, ValueError):
                return  # closed
            self.sockets.append(client)
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client):
        while self.frozen.is_set() and not self.closing.is_set():
            time.sleep(0.05)  # held: the client's connect_timeout runs out
        server = socket.create_connection(("127.0.0.1", self.upstream_port))
        self.sockets.append(server)
        threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
        threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while not self.closing.is_set():
                if self.frozen.is_set():
                    time.sleep(0.05)  # read nothing, send nothing, close nothing
                    continue
                ready, _, _ = select.select([src], [], [], 0.1)
                if not ready or self.frozen.is_set():
                    continue
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.closing.set()
        for s in self.sockets + [self.listener]:
            try:
                s.close()
            except OSError:
                pass


def test_half_open_replication_connection_is_detected_and_retried(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE t (id int PRIMARY KEY)")
    proxy = FreezableProxy(db.a.port)
    try:
        cfg = tmp_path / "t.toml"
        cfg.write_text(
            f'name = "t"\n[a]\nconninfo = "host=127.0.0.1 port={proxy.port} dbname={db.dbname} user=postgres '
            f'connect_timeout=3"\n[b]\nconninfo = "{db.conninfo_b()}"\n'
            f'[sync]\ninitial = "none"\nheartbeat_interval_sec = 30\n[retry]\nreceive_timeout_sec = {RECEIVE_TIMEOUT}\n')
        w = run(worker_factory, cfg, "forward", db)
        db.sql_a("INSERT INTO t VALUES (1)")
        wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] == 1, timeout=30, what="first row on B")

        # A healthy but idle stream is not taken for a dead one: with no
        # heartbeat record for 30 s, only the worker's ping (a status update
        # asking for a reply after half the timeout) keeps it alive.
        time.sleep(RECEIVE_TIMEOUT * 2)
        assert "taken as lost" not in w.output(), w.output()

        proxy.frozen.set()
        frozen_at = time.monotonic()
        time.sleep(0.5)  # every pump has seen it
        db.sql_a("INSERT INTO t VALUES (2)")
        wait_until(lambda: "nothing received on the replication connection" in w.output() or not w.alive(),
                   timeout=RECEIVE_TIMEOUT + 20, what="the receive timeout")
        detected = time.monotonic() - frozen_at
        print(f"half-open connection detected after {detected:.1f}s")
        assert w.alive(), w.output()
        assert detected < RECEIVE_TIMEOUT + 10, detected
        wait_until(lambda: "retrying in" in w.output(), timeout=20, what="a retry")
        time.sleep(2)
        assert db.sql_b("SELECT count(*) FROM t")[0][0] == 1

        proxy.frozen.clear()
        wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] == 2, timeout=60,
                   what="the row written while frozen, after the reconnect")
        db.sql_a("INSERT INTO t VALUES (3)")
        wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] == 3, timeout=30, what="streaming again")
        assert w.alive()
        assert w.stop() == 0
    finally:
        proxy.close()
