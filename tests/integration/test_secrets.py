"""Secrets (issue 8): a password in a config file that other users can read
draws a warning (precheck and at worker start); the pg_dump service file
holding the password is never left on disk, even after kill -9 of the
worker in the middle of the initial copy."""
import os
import secrets
import signal
import subprocess

from conftest import wait_until
from opshelp import pgduplex, results


def write_config_with_password(db, path, password, sync=None, mode=0o644):
    """A config whose conninfo strings carry a password (the test clusters
    trust every local connection, so any password works)."""
    db.write_config(path, sync=sync)
    text = open(path).read().replace("user=postgres", f"user=postgres password={password}")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return str(path)


def descendants(pid):
    """Process ids under pid (children of every thread, recursively)."""
    out = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                children = [int(c) for c in f.read().split()]
        except OSError:
            continue
        for child in children:
            out.append(child)
            out.extend(descendants(child))
    return out


def process_name(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def files_holding(directory, needle):
    found = []
    for root, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    if needle.encode() in f.read():
                        found.append(path)
            except OSError:
                pass
    return found


def test_readable_config_with_password_warns_in_precheck_and_at_start(dbpair, worker_factory, tmp_path):
    dbpair.both("CREATE TABLE items (id int PRIMARY KEY)")
    password = "pw" + secrets.token_hex(8)
    cfg = write_config_with_password(dbpair, tmp_path / "t.toml", password, sync={"initial": "none"})
    code, out = pgduplex("precheck", "--config", cfg)
    row = results(out, "config file", "a+b")
    assert row and row[0][2] == "WARN" and "readable by group and others" in row[0][3], out
    assert f"chmod 600 '{cfg}'" in out, out
    assert password not in out

    w = worker_factory("run", "--config", cfg, "--direction", "forward")
    wait_until(lambda: "readable by group and others" in w.output(), 30, what="the warning at start")
    assert w.output().count("holds a password") == 1
    assert password not in w.output()
    assert w.stop() == 0

    os.chmod(cfg, 0o600)
    code, out = pgduplex("precheck", "--config", cfg)
    assert results(out, "config file", "a+b")[0][2] == "PASS", out


def test_pg_dump_service_file_is_not_left_on_disk_after_kill_9(dbpair, worker_factory, tmp_path):
    """The worker is killed while pg_dump (schema copy) runs: a stand-in
    pg_dump that is slow to start (a big schema, say) and then runs the real
    one."""
    db = dbpair
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO t SELECT g, 'v' FROM generate_series(1, 1000) g")
    password = "pw" + secrets.token_hex(8)
    cfg = write_config_with_password(db, tmp_path / "t.toml", password, mode=0o600,
                                     sync={"copy_max_rows_per_sec": 100})
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    real = subprocess.check_output(["pg_config", "--bindir"], text=True).strip()
    (bindir / "pg_dump").write_text(f'#!/bin/sh\nsleep 120\nexec {real}/pg_dump "$@"\n')
    (bindir / "pg_dump").chmod(0o755)
    os.symlink(f"{real}/pg_restore", bindir / "pg_restore")
    w = worker_factory("run", "--config", cfg, "--direction", "forward",
                       env={"TMPDIR": str(tmpdir), "PGDUPLEX_PG_BINDIR": str(bindir)})
    children = []
    try:
        def pg_dump_running():
            assert w.alive(), w.output()
            found = descendants(w.proc.pid)
            return found if "pg_dump" in [process_name(p) for p in found] else None

        children = wait_until(pg_dump_running, 60, what="pg_dump to run")
        os.kill(w.proc.pid, signal.SIGKILL)
        w.proc.wait()
        left = files_holding(str(tmpdir), password)
        assert not left, f"files holding the password after kill -9: {left}"
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
