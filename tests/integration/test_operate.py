"""Operating a pair: up, status and lag, metrics, TLS, demo (issue 5)."""
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import PGDUPLEX, free_port, wait_until


def make_table(db):
    db.both("CREATE TABLE items (id bigint PRIMARY KEY, v text)")


def wait_for_active_slot(cluster, dbname, slot):
    """Rows written before the slot exists are not in its stream."""
    wait_until(lambda: cluster.sql("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s AND active",
                                   (slot,), dbname), 60, what=f"slot {slot} to stream")


def status_json(config):
    out = subprocess.run([PGDUPLEX, "status", "--config", config, "--json"], check=True,
                         capture_output=True, text=True, timeout=60).stdout
    return {d["direction"]: d for d in json.loads(out)["directions"]}


def test_metrics_endpoint_serves_prometheus_text(dbpair, worker_factory, tmp_path):
    make_table(dbpair)
    config = dbpair.write_config(str(tmp_path / "t.toml"), name="metrics", sync={"initial": "none"})
    port = free_port()
    w = worker_factory("run", "--config", config, "--direction", "forward",
                       "--metrics-listen", f"127.0.0.1:{port}")
    wait_for_active_slot(dbpair.a, dbpair.dbname, "pgduplex_metrics_forward")
    dbpair.sql_a("INSERT INTO items SELECT g, 'x' FROM generate_series(1, 50) g")
    wait_until(lambda: dbpair.sql_b("SELECT count(*) FROM items")[0][0] == 50, 60, what="rows on B")

    def scrape():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            return r.read().decode()

    text = wait_until(lambda: (t := scrape()) and
                      'pgduplex_applied_changes_total{task="metrics",direction="forward"} 50' in t and t,
                      30, what="metrics to show 50 applied changes")
    assert "# TYPE pgduplex_applied_transactions_total counter" in text
    assert 'pgduplex_state{task="metrics",direction="forward",state="streaming"} 1' in text
    assert "pgduplex_apply_lag_seconds" in text and "pgduplex_slot_lag_bytes" in text
    assert w.alive()


def test_status_shows_lag_rising_while_paused_and_falling_after(dbpair, worker_factory, tmp_path):
    make_table(dbpair)
    config = dbpair.write_config(str(tmp_path / "t.toml"), name="lag",
                                 sync={"initial": "none", "heartbeat_interval_sec": 1})
    w = worker_factory("run", "--config", config, "--direction", "forward")
    wait_until(lambda: status_json(config)["forward"]["apply_lag_seconds"] is not None, 60,
               what="a first heartbeat")
    running = status_json(config)["forward"]
    assert running["state"] == "streaming"
    assert running["apply_lag_seconds"] < 5

    assert w.stop() == 0
    dbpair.sql_a("INSERT INTO items SELECT g, 'x' FROM generate_series(1, 100) g")
    paused = wait_until(lambda: (s := status_json(config)["forward"])["apply_lag_seconds"] > 5 and s, 30,
                        what="the lag to pass 5 s while stopped")
    assert paused["state"] == "stopped"
    assert paused["slot_lag_bytes"] > 0
    wait_until(lambda: status_json(config)["forward"]["apply_lag_seconds"] > paused["apply_lag_seconds"], 30,
               what="the lag to keep rising while stopped")

    worker_factory("run", "--config", config, "--direction", "forward")
    wait_until(lambda: (s := status_json(config)["forward"])["apply_lag_seconds"] is not None
               and s["apply_lag_seconds"] < 5, 60, what="lag to fall after restart")
    assert dbpair.sql_b("SELECT count(*) FROM items")[0][0] == 100


def test_up_restarts_a_killed_direction(dbpair, worker_factory, tmp_path):
    make_table(dbpair)
    config = dbpair.write_config(str(tmp_path / "t.toml"), name="up", sync={"initial": "none"})
    up = worker_factory("up", "--config", config, name="up")
    slot_pid = ("SELECT active_pid FROM pg_replication_slots WHERE slot_name = %s AND active")
    wait_until(lambda: dbpair.sql_a(slot_pid, ("pgduplex_up_forward",)), 60, what="forward slot active")
    wait_until(lambda: dbpair.sql_b(slot_pid, ("pgduplex_up_reverse",)), 60, what="reverse slot active")

    def worker_pids():
        out = subprocess.run(["pgrep", "-P", str(up.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    pids = wait_until(lambda: len(worker_pids()) == 2 and worker_pids(), 30, what="two children")
    forward = [p for p in pids if "forward" in open(f"/proc/{p}/cmdline").read()][0]
    os.kill(forward, signal.SIGKILL)
    wait_until(lambda: len(worker_pids()) == 2 and forward not in worker_pids(), 60,
               what="a new forward child")
    dbpair.sql_a("INSERT INTO items VALUES (1, 'from a')")
    dbpair.sql_b("INSERT INTO items VALUES (2, 'from b')")
    wait_until(lambda: dbpair.sql_b("SELECT count(*) FROM items")[0][0] == 2
               and dbpair.sql_a("SELECT count(*) FROM items")[0][0] == 2, 60, what="both rows on both sides")
    assert "restarting" in up.output()
    assert up.stop() == 0
    assert not worker_pids()


def make_tls_files(directory):
    """A self-signed CA and a server certificate for localhost, made here."""
    def run(*args):
        subprocess.run(args, check=True, cwd=directory, capture_output=True)
    run("openssl", "req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=pgduplex test CA",
        "-keyout", "ca.key", "-out", "ca.crt")
    run("openssl", "req", "-new", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(directory, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "san.ext", "-out", "server.crt")


def test_sync_over_tls_with_verify_full(make_cluster, worker_factory, tmp_path, workdir):
    # The server reads its key and certificate as the postgres user, so they
    # live under the clusters' work directory (pytest's tmp_path is 0700).
    import pathlib
    tls = pathlib.Path(workdir) / "tls"
    tls.mkdir()
    make_tls_files(str(tls))
    import pwd
    pw = pwd.getpwnam("postgres")
    for name in ("server.key", "server.crt", "ca.crt"):
        os.chown(tls / name, pw.pw_uid, pw.pw_gid)
    os.chmod(tls / "server.key", 0o600)
    os.chmod(tls, 0o755)
    ssl_conf = (f"ssl = on\nssl_cert_file = '{tls}/server.crt'\nssl_key_file = '{tls}/server.key'\n")
    a = make_cluster("tls-a", ssl_conf)
    b = make_cluster("tls-b", ssl_conf)
    for c in (a, b):
        c.sql("CREATE EXTENSION pgduplex")
        c.sql("CREATE TABLE items (id bigint PRIMARY KEY, v text)")

    def tls_conninfo(c):
        return (f"host=localhost port={c.port} dbname=postgres user=postgres "
                f"sslmode=verify-full sslrootcert={tls}/ca.crt")

    config = tmp_path / "tls.toml"
    config.write_text(f'name = "tls"\n[a]\nconninfo = "{tls_conninfo(a)}"\n[b]\nconninfo = "{tls_conninfo(b)}"\n'
                      '[sync]\ninitial = "none"\n')
    worker_factory("run", "--config", str(config), "--direction", "forward")
    wait_for_active_slot(a, "postgres", "pgduplex_tls_forward")
    a.sql("INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 100) g")
    wait_until(lambda: b.scalar("SELECT count(*) FROM items") == 100, 60, what="rows over TLS")
    # Both of the worker's connections to B and its stream from A use TLS.
    assert a.scalar("SELECT bool_and(s.ssl) FROM pg_stat_replication r JOIN pg_stat_ssl s ON s.pid = r.pid") is True
    assert b.scalar("SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid "
                    "WHERE a.application_name LIKE 'pgduplex%' AND s.ssl") >= 1


def test_demo_runs_to_completion(tmp_path):
    result = subprocess.run([PGDUPLEX, "demo", "--duration", "8", "--workdir", str(tmp_path / "demo")],
                            capture_output=True, text=True, timeout=420)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert "converged: A and B hold the same rows" in out
    assert "deliberate conflict" in out
    assert not os.path.exists(tmp_path / "demo" / "a")


def test_apply_throttle_limits_rows_per_second(dbpair, worker_factory, tmp_path):
    make_table(dbpair)
    config = dbpair.write_config(str(tmp_path / "t.toml"), name="throttle",
                                 sync={"initial": "none", "apply_max_rows_per_sec": 50})
    worker_factory("run", "--config", config, "--direction", "forward")
    wait_for_active_slot(dbpair.a, dbpair.dbname, "pgduplex_throttle_forward")
    conn = dbpair.a.connect(dbpair.dbname)
    with conn.cursor() as cur:
        for i in range(250):  # 250 source transactions of one row each
            cur.execute("INSERT INTO items VALUES (%s, 'x')", (i,))
    conn.close()
    started = time.monotonic()
    wait_until(lambda: dbpair.sql_b("SELECT count(*) FROM items")[0][0] == 250, 60, what="throttled rows on B")
    # 50 rows/s with at most one second of burst: 250 rows need >= 4 s.
    assert time.monotonic() - started >= 3.5


def status_text(config):
    return subprocess.run([PGDUPLEX, "status", "--config", config], check=True,
                          capture_output=True, text=True, timeout=60).stdout


def assert_one_line_per_field(text):
    """Every line of `status` is a header or an indented `label  value`."""
    for line in text.splitlines():
        assert line.startswith(("task ", "forward (", "reverse (")) or \
            (line.startswith("  ") and line[2] != " "), f"continuation line {line!r} in:\n{text}"


def test_status_last_error_has_its_time_one_line_and_clears_after_recovery(dbpair, worker_factory, tmp_path):
    """Issue 9: `last error` says when it happened, fits one line, and goes
    away once the direction carried something again: changes (after an apply
    error), or only a heartbeat (after the source refused connections)."""
    db = dbpair
    db.both("CREATE TABLE items (id bigint PRIMARY KEY, v text)")
    db.sql_b("ALTER TABLE items ADD CONSTRAINT no_bad CHECK (v <> 'bad')")
    config = db.write_config(str(tmp_path / "t.toml"), name="lasterr",
                             sync={"initial": "none", "heartbeat_interval_sec": 1})
    w = worker_factory("run", "--config", config, "--direction", "forward")
    wait_for_active_slot(db.a, db.dbname, "pgduplex_lasterr_forward")

    # 1. An apply error (a CHECK on B only), retried with backoff.
    db.sql_a("INSERT INTO items VALUES (1, 'bad')")
    failing = wait_until(lambda: (s := status_json(config)["forward"])["last_error"] and s, 60,
                         what="the error in status")
    assert "no_bad" in failing["last_error"], failing
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00", failing["last_error_at"]), failing
    text = status_text(config)
    lines = [line for line in text.splitlines() if line.startswith("  last error")]
    assert len(lines) == 1 and failing["last_error_at"] in lines[0] and "no_bad" in lines[0], text
    assert_one_line_per_field(text)
    db.sql_b("ALTER TABLE items DROP CONSTRAINT no_bad")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM items")[0][0] == 1, 60, what="the row after recovery")
    wait_until(lambda: status_json(config)["forward"]["last_error"] is None, 30, what="the error to clear")
    assert "last error" not in status_text(config)

    # 2. The source refuses connections: nothing to apply after it, only heartbeats.
    db.sql_a("INSERT INTO items VALUES (2, 'ok')")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM items")[0][0] == 2, 60, what="second row")
    db.a.sql(f"ALTER DATABASE {db.dbname} ALLOW_CONNECTIONS false")
    try:
        db.a.sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                 "WHERE slot_name = 'pgduplex_lasterr_forward' AND active")
        failing = wait_until(lambda: (s := status_json(config)["forward"])["last_error"] and s, 60,
                             what="the connection error in status")
        assert "cluster a" in failing["last_error"], failing
        assert_one_line_per_field(status_text(config))
    finally:
        db.a.sql(f"ALTER DATABASE {db.dbname} ALLOW_CONNECTIONS true")
    wait_until(lambda: status_json(config)["forward"]["last_error"] is None, 60, what="the error to clear")
    assert db.sql_b("SELECT count(*) FROM items")[0][0] == 2
    assert w.alive()
    assert w.stop() == 0


def test_retry_delay_starts_over_after_the_initial_copy(dbpair, worker_factory, tmp_path):
    """Issue 9: the copy failed a few times (a function its default needs is
    missing on B), then succeeded; the first error while streaming waits 1 s,
    not the copy's next delay."""
    db = dbpair
    db.sql_a("CREATE FUNCTION pick() RETURNS text LANGUAGE sql AS $$SELECT 'p'$$")
    db.sql_a("CREATE TABLE items (id bigint PRIMARY KEY, v text DEFAULT public.pick())")
    db.sql_a("INSERT INTO items (id) VALUES (1)")
    config = db.write_config(str(tmp_path / "t.toml"), name="copyretry")
    w = worker_factory("run", "--config", config, "--direction", "forward")
    wait_until(lambda: w.alive() and "retrying in 4s" in w.output(), 60, what="three failed copy attempts")
    db.sql_b("CREATE FUNCTION pick() RETURNS text LANGUAGE sql AS $$SELECT 'p'$$")
    wait_until(lambda: w.alive() and "streaming forward from cluster" in w.output(), 60, what="the copy")
    db.sql_b("ALTER TABLE items ADD CONSTRAINT no_bad CHECK (v <> 'bad')")
    db.sql_a("INSERT INTO items VALUES (2, 'bad')")
    after = lambda: w.output().split("streaming forward from cluster", 1)[1]
    wait_until(lambda: "retrying in" in after(), 60, what="an error while streaming")
    assert re.search(r"retrying in 1s", after()), after()
    db.sql_b("ALTER TABLE items DROP CONSTRAINT no_bad")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM items")[0][0] == 2, 60, what="the row after recovery")
    assert w.stop() == 0
