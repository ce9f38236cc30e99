"""pgduplex run: crash safety (kill -9 at any moment) and cluster restarts."""
import random
import signal
import threading
import time

from conftest import assert_converges, create_db_pair, drop_db_pair_slots, wait_until
from test_run_sync import run

CHECK = "SELECT count(*), coalesce(sum(n), 0) FROM {}"


def writer(db, stop_at, stats):
    """Source transactions of 1 to 5 rows into k (id PK) and nokey (no key
    at all: an insert applied twice would show as an extra row)."""
    conn = db.a.connect(db.dbname, autocommit=False)
    rnd = random.Random(7)
    try:
        with conn.cursor() as cur:
            while time.monotonic() < stop_at:
                rows = rnd.randint(1, 5)
                for _ in range(rows):
                    n = rnd.randint(1, 1000)
                    cur.execute("INSERT INTO k (n) VALUES (%s)", (n,))
                    cur.execute("INSERT INTO nokey (n) VALUES (%s)", (n,))
                if rnd.random() < 0.3:
                    cur.execute("UPDATE k SET n = n + 1 WHERE id = (SELECT max(id) FROM k)")
                conn.commit()
                stats["txns"] += 1
    finally:
        conn.close()


def test_run_kill_9_mid_stream_then_restart_loses_nothing_and_applies_nothing_twice(dbpair, worker_factory,
                                                                                      tmp_path):
    db = dbpair
    db.both("CREATE TABLE k (id bigserial PRIMARY KEY, n int)")
    db.both("CREATE TABLE nokey (n int)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"batch_max_transactions": 20, "conflict_policy": "overwrite"})
    w = run(worker_factory, cfg, "forward", db)
    stats = {"txns": 0}
    t = threading.Thread(target=writer, args=(db, time.monotonic() + 12, stats))
    t.start()
    rnd = random.Random(3)
    for _ in range(4):
        time.sleep(rnd.uniform(1.0, 2.5))  # when to kill, not a wait for a condition
        w.proc.send_signal(signal.SIGKILL)
        w.proc.wait()
        w = run(worker_factory, cfg, "forward")
    t.join()
    assert stats["txns"] > 100
    for table in ("k", "nokey"):
        assert_converges(db, CHECK.format(table), timeout=60, workers=[w])
    assert_converges(db, "SELECT id, n FROM k ORDER BY id", workers=[w])
    # A duplicate insert into k would have been an insert_exists conflict.
    assert db.sql_b("SELECT count(*) FROM pgduplex.conflicts")[0][0] == 0
    assert w.stop() == 0


def test_run_survives_restart_of_source_and_target_clusters(make_cluster, worker_factory, tmp_path):
    a, b = make_cluster("ra"), make_cluster("rb")
    db = create_db_pair(a, b)
    try:
        db.both("CREATE TABLE t (id int PRIMARY KEY, v text)")
        cfg = db.write_config(tmp_path / "t.toml")
        w = run(worker_factory, cfg, "forward", db)
        db.sql_a("INSERT INTO t SELECT g, 'first' FROM generate_series(1, 100) g")
        assert_converges(db, "SELECT * FROM t ORDER BY id", workers=[w])
        a.restart()
        db.sql_a("INSERT INTO t SELECT g, 'after source restart' FROM generate_series(101, 200) g")
        assert_converges(db, "SELECT * FROM t ORDER BY id", timeout=60, workers=[w])
        b.restart()
        db.sql_a("INSERT INTO t SELECT g, 'after target restart' FROM generate_series(201, 300) g")
        assert_converges(db, "SELECT * FROM t ORDER BY id", timeout=60, workers=[w])
        assert "retrying" in w.output()
        assert w.stop() == 0
    finally:
        drop_db_pair_slots(db)
