"""Config and metrics hardening (issue 8, item 8): bad config fails at once
with exit 2, the metrics endpoint takes [IPV6]:PORT, `up` never derives a
port beyond 65535, and idle connections cannot keep /metrics unavailable."""
import os
import signal
import socket
import subprocess
import time
import urllib.request

from conftest import PGDUPLEX, free_port, wait_until


def run(*args, timeout=20):
    """Runs pgduplex in its own process group; on timeout the whole group
    (`up` and its children) is killed and the test fails."""
    proc = subprocess.Popen([PGDUPLEX, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise AssertionError(f"pgduplex {' '.join(args)} still running after {timeout} s:\n{out}") from None
    return proc.returncode, out


def test_invalid_conninfo_option_is_a_config_error_not_a_retried_connection(dbpair, tmp_path):
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"initial": "none"})
    with open(cfg) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write(text.replace("user=postgres", "user=postgres foo=bar", 1))
    started = time.monotonic()
    code, out = run("run", "--config", str(cfg), "--direction", "forward")
    assert code == 2, out
    assert time.monotonic() - started < 10
    assert "a.conninfo" in out and "foo" in out, out


def test_config_that_is_not_a_regular_file_fails_at_once():
    code, out = run("status", "--config", "/dev/zero", timeout=10)
    assert code == 2 and "not a regular file" in out, out


def test_up_refuses_a_reverse_metrics_port_beyond_65535(dbpair, tmp_path):
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"initial": "none"})
    code, out = run("up", "--config", str(cfg), "--metrics-listen", "127.0.0.1:65535")
    assert code == 2, out
    assert "65536" not in out and "below 65535" in out, out


def scrape(url, timeout):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def test_metrics_listen_accepts_bracketed_ipv6(dbpair, worker_factory, tmp_path):
    dbpair.both("CREATE TABLE items (id int PRIMARY KEY)")
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"initial": "none"})
    port = free_port()
    w = worker_factory("run", "--config", str(cfg), "--direction", "forward", "--metrics-listen", f"[::1]:{port}")
    text = wait_until(lambda: scrape(f"http://[::1]:{port}/metrics", 5), 30, what="metrics on [::1]")
    assert "pgduplex_state" in text
    assert w.stop() == 0


def test_idle_connections_do_not_keep_metrics_unavailable(dbpair, worker_factory, tmp_path):
    dbpair.both("CREATE TABLE items (id int PRIMARY KEY)")
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"initial": "none"})
    port = free_port()
    w = worker_factory("run", "--config", str(cfg), "--direction", "forward",
                       "--metrics-listen", f"127.0.0.1:{port}")
    url = f"http://127.0.0.1:{port}/metrics"
    wait_until(lambda: scrape(url, 5), 30, what="metrics endpoint")
    idle = []
    try:
        for _ in range(60):  # connect, send nothing, keep the socket open
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        started = time.monotonic()
        text = scrape(url, 15)
        elapsed = time.monotonic() - started
        assert "pgduplex_state" in text
        assert elapsed < 5, f"/metrics took {elapsed:.1f} s behind 60 idle connections"
    finally:
        for s in idle:
            s.close()
    assert w.stop() == 0
