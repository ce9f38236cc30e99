"""pgduplex run: errors an operator must be able to read (and never a password)."""
import os
import subprocess

from conftest import free_port, wait_until
from test_run_sync import run

SECRET = "s3cret-Pw-4711"
WRONG = "wr0ng-Pw-0815"


def add_password_role(cluster, role):
    cluster.sql(f"CREATE ROLE {role} LOGIN SUPERUSER REPLICATION PASSWORD '{SECRET}'")
    hba = os.path.join(cluster.datadir, "pg_hba.conf")
    with open(hba) as f:
        rules = f.read()
    if role not in rules:
        line = (f"local all {role} scram-sha-256\nlocal replication {role} scram-sha-256\n"
                f"host all {role} 127.0.0.1/32 scram-sha-256\nhost replication {role} 127.0.0.1/32 scram-sha-256\n")
        with open(hba, "w") as f:
            f.write(line + rules)
    cluster.pg_ctl("reload")


def config_with(db, path, a_conninfo, retry="connection_retry_minutes = 0\nerror_retry_minutes = 0\n"):
    with open(path, "w") as f:
        f.write(f'name = "t"\n[a]\nconninfo = "{a_conninfo}"\n[b]\nconninfo = "{db.conninfo_b()}"\n'
                f"[retry]\n{retry}")
    return path


def test_run_wrong_password_names_the_cluster_and_never_prints_a_password(dbpair, worker_factory, tmp_path):
    db = dbpair
    role = f"pw_{db.dbname}"
    add_password_role(db.a, role)
    db.both("CREATE TABLE t (id int PRIMARY KEY)")
    good = config_with(db, tmp_path / "good.toml",
                       f"host=127.0.0.1 port={db.a.port} dbname={db.dbname} user={role} password={SECRET}")
    w = run(worker_factory, good, "forward", db)
    db.sql_a("INSERT INTO t VALUES (1)")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] == 1, timeout=30, what="row on B")
    with open(f"/proc/{w.proc.pid}/cmdline", "rb") as f:
        assert SECRET.encode() not in f.read()
    ps = subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True).stdout
    assert SECRET not in ps
    assert w.stop() == 0
    assert SECRET not in w.output()

    bad = config_with(db, tmp_path / "bad.toml",
                      f"host=127.0.0.1 port={db.a.port} dbname={db.dbname} user={role} password={WRONG}")
    w = run(worker_factory, bad, "forward")
    assert w.wait(60) != 0
    out = w.output()
    assert "cluster a" in out and "password authentication failed" in out, out
    assert WRONG not in out and SECRET not in out, out
    assert "password=********" in out or "password" not in out.replace("password authentication", "")


def test_run_unreachable_host_gives_up_within_retry_window(dbpair, worker_factory, tmp_path):
    db = dbpair
    cfg = config_with(db, tmp_path / "t.toml",
                      f"host=127.0.0.1 port={free_port()} dbname={db.dbname} user=postgres connect_timeout=3")
    w = run(worker_factory, cfg, "forward")
    assert w.wait(60) == 4
    out = w.output()
    assert "cluster a" in out and "cannot connect" in out, out
    assert "gave up" in out, out
    assert len([line for line in out.splitlines() if "error" in line]) == 1, out


def test_run_missing_table_on_target_is_a_clear_error_and_nothing_is_skipped(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE present (id int PRIMARY KEY)")
    db.sql_a("CREATE TABLE missing (id int PRIMARY KEY, v text)")
    # initial = "none": the initial copy would create the table on B.
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": "none"},
                          extra="[retry]\nerror_retry_minutes = 0\n")
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO present VALUES (1)")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM present")[0][0] == 1, timeout=30, what="first row")
    db.sql_a("INSERT INTO missing VALUES (1, 'x')")
    db.sql_a("INSERT INTO present VALUES (2)")
    assert w.wait(60) == 4
    out = w.output()
    assert "public.missing" in out and "cluster b" in out and "does not exist" in out, out
    assert db.sql_b("SELECT id FROM present ORDER BY id") == [(1,)]  # nothing after it applied
    # Once the table exists, the same transactions apply, in order.
    db.sql_b("CREATE TABLE missing (id int PRIMARY KEY, v text)")
    w = run(worker_factory, cfg, "forward", db)
    wait_until(lambda: db.sql_b("SELECT count(*) FROM present")[0][0] == 2, timeout=30, what="second row")
    assert db.sql_b("SELECT * FROM missing") == [(1, "x")]
    assert w.stop() == 0


def test_run_sigterm_while_target_is_blocked_stops_promptly(dbpair, worker_factory, tmp_path):
    import time
    db = dbpair
    db.both("CREATE TABLE t (id int PRIMARY KEY)")
    cfg = db.write_config(tmp_path / "t.toml")
    w = run(worker_factory, cfg, "forward", db)
    blocker = db.b.connect(db.dbname, autocommit=False)
    with blocker.cursor() as cur:
        cur.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
    db.sql_a("INSERT INTO t VALUES (1)")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM pg_locks WHERE NOT granted")[0][0] > 0, timeout=30,
               what="the worker to wait for the lock")
    started = time.monotonic()
    assert w.stop(timeout=15) == 0
    assert time.monotonic() - started < 10
    blocker.rollback()
    blocker.close()
    w = run(worker_factory, cfg, "forward", db)
    wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] == 1, timeout=30, what="the row after restart")
    assert w.stop() == 0


def test_run_last_write_wins_without_commit_timestamps_is_a_clear_error(pair, make_cluster, worker_factory,
                                                                        tmp_path):
    from conftest import create_db_pair, drop_db_pair_slots
    b = make_cluster("nots", extra_conf="track_commit_timestamp = off")
    db = create_db_pair(pair[0], b)
    try:
        # The default retry window: a setting that needs a restart of the
        # cluster is refused at once (exit 2, bad config), not retried.
        cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins"})
        w = run(worker_factory, cfg, "forward")
        assert w.wait(30) == 2
        out = w.output()
        assert "track_commit_timestamp" in out and "cluster b" in out, out
        assert "retry" not in out.lower(), out
    finally:
        drop_db_pair_slots(db)


def test_run_refuses_a_new_slot_when_the_origin_has_progress(dbpair, worker_factory, tmp_path):
    """A slot dropped behind the worker's back: what the source wrote since
    the origin's progress is in no slot, so a silent new slot would lose it."""
    db = dbpair
    db.both("CREATE TABLE t (id int PRIMARY KEY)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": "none"})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO t VALUES (1)")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] == 1, timeout=30, what="first row")
    assert w.stop() == 0
    db.sql_a("SELECT pg_drop_replication_slot('pgduplex_t_forward')")
    db.sql_a("INSERT INTO t VALUES (2)")  # in no slot any more
    w = worker_factory("run", "--config", str(cfg), "--direction", "forward")
    assert w.wait(60) == 4
    out = w.output()
    assert "replication slot pgduplex_t_forward is missing on cluster a" in out, out
    assert "pg_replication_origin_drop('pgduplex_t_forward')" in out, out
    assert db.sql_a("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pgduplex_t_forward'") == [(0,)]


def test_forward_refuses_a_new_copy_when_its_slot_was_dropped_after_one(dbpair, worker_factory, tmp_path):
    """The forward direction with an initial copy (issue 12): once a copy
    finished, a missing slot is one dropped behind the worker's back; it
    refuses (as without a copy) instead of silently copying again over B."""
    db = dbpair
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO t VALUES (1, 'a')")
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflicting_tables": "ignore"})
    w = worker_factory("run", "--config", str(cfg), "--direction", "forward")
    wait_until(lambda: "streaming forward" in w.output() or not w.alive(), timeout=90, what="the copy to finish")
    assert w.alive(), w.output()
    assert w.stop() == 0
    db.sql_b("UPDATE t SET v = 'b changed'")
    db.sql_a("SELECT pg_drop_replication_slot('pgduplex_t_forward')")
    db.sql_a("INSERT INTO t VALUES (2, 'a')")  # in no slot any more
    w = worker_factory("run", "--config", str(cfg), "--direction", "forward")
    assert w.wait(60) == 4
    out = w.output()
    assert "replication slot pgduplex_t_forward is missing on cluster a" in out, out
    assert "initial copy" not in out.split("is missing")[0].splitlines()[-1], out
    assert db.sql_b("SELECT id, v FROM t ORDER BY id") == [(1, "b changed")]
    assert db.sql_a("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pgduplex_t_forward'") == [(0,)]
