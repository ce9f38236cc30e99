"""pgduplex run: one-way and two-way streaming end to end on real clusters."""
import signal
import threading
import time

import psycopg2

from conftest import assert_converges, wait_until


def run(worker_factory, config, direction, db=None, task="t"):
    """Starts `pgduplex run`; with db, waits until its slot streams (changes
    made before the slot exists are the initial sync's business)."""
    w = worker_factory("run", "--config", str(config), "--direction", direction, name=direction)
    if db is not None:
        source = db.a if direction == "forward" else db.b
        slot = f"pgduplex_{task}_{direction}"

        deadline = time.monotonic() + 30
        while not source.scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s AND active",
                                (slot,), dbname=db.dbname):
            if not w.alive():
                raise AssertionError("worker exited:\n" + w.output())
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for slot {slot} to stream:\n" + w.output())
            time.sleep(0.1)
    return w


def rows(db, side, query):
    return (db.sql_a if side == "a" else db.sql_b)(query)


def same(db, query):
    a, b = db.sql_a(query), db.sql_b(query)
    return a == b and a


def test_run_one_way_sync_applies_insert_update_delete_truncate(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE items (id int PRIMARY KEY, name text, qty numeric(10,2), tags text[], at timestamptz)")
    db.both("CREATE TABLE other (k text PRIMARY KEY, v int)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"tables": ["public.*"]})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO items SELECT g, 'n' || g, g * 1.5, ARRAY['x', 'y''z'], '2024-01-01 00:00:00+00' "
             "FROM generate_series(1, 200) g")
    db.sql_a("INSERT INTO other VALUES ('a', 1), ('b', 2)")
    db.sql_a("UPDATE items SET name = 'changed', qty = 'NaN' WHERE id % 10 = 0")
    db.sql_a("UPDATE items SET id = id + 1000 WHERE id = 5")
    db.sql_a("DELETE FROM items WHERE id BETWEEN 100 AND 120")
    db.sql_a("INSERT INTO items VALUES (999, NULL, NULL, NULL, 'infinity')")
    assert_converges(db, "SELECT i::text FROM items i ORDER BY id", workers=[w])
    db.sql_a("TRUNCATE other")
    assert_converges(db, "SELECT * FROM other ORDER BY k", workers=[w])
    assert db.sql_b("SELECT count(*) FROM items")[0][0] == 180
    assert w.stop() == 0


def test_run_sigterm_stops_cleanly_and_restart_resumes(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE t (id int PRIMARY KEY, v int)")
    cfg = db.write_config(tmp_path / "t.toml")
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO t SELECT g, g FROM generate_series(1, 50) g")
    assert_converges(db, "SELECT * FROM t ORDER BY id", workers=[w])
    assert w.stop() == 0
    assert "stopped" in w.output()
    status = db.sql_b("SELECT state, last_source_lsn IS NOT NULL FROM pgduplex.worker_status "
                      "WHERE task = 't' AND direction = 'forward'")
    assert status == [("stopped", True)]
    db.sql_a("INSERT INTO t SELECT g, g FROM generate_series(51, 80) g")
    w2 = run(worker_factory, cfg, "forward")
    assert_converges(db, "SELECT * FROM t ORDER BY id", workers=[w2])
    assert w2.stop() == 0


def write_load(db, side, table, start, stop, step, stop_event=None):
    """Inserts, updates and deletes rows whose ids are start, start+step, ..."""
    conn = (db.a if side == "a" else db.b).connect(db.dbname)
    try:
        with conn.cursor() as cur:
            for i in range(start, stop, step):
                cur.execute(f"INSERT INTO {table} (id, v, who) VALUES (%s, %s, %s)", (i, i, side))
                if i % (3 * step) == start % (3 * step):
                    cur.execute(f"UPDATE {table} SET v = v + 1 WHERE id = %s", (i,))
                if i % (7 * step) == start % (7 * step):
                    cur.execute(f"DELETE FROM {table} WHERE id = %s", (i,))
    finally:
        conn.close()


def test_run_two_way_sync_under_concurrent_writes_ends_identical(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE t (id int PRIMARY KEY, v int, who text, pad text DEFAULT repeat('x', 100))")
    cfg = db.write_config(tmp_path / "t.toml", sync={"batch_max_transactions": 50})
    fwd = run(worker_factory, cfg, "forward", db)
    rev = run(worker_factory, cfg, "reverse", db)
    # Non-overlapping keys: A writes odd ids, B even ids, concurrently.
    threads = [threading.Thread(target=write_load, args=(db, "a", "t", 1, 1200, 2)),
               threading.Thread(target=write_load, args=(db, "b", "t", 2, 1200, 2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    query = "SELECT id, v, who FROM t ORDER BY id"
    assert_converges(db, query, timeout=60, workers=[fwd, rev])
    assert db.sql_a("SELECT count(*), count(*) FILTER (WHERE who = 'b') FROM t")[0][1] > 0
    # No ping-pong: once converged, no side applies anything more (every
    # applied transaction moves its origin's progress).
    def progress():
        return db.sql_a("SELECT external_id, remote_lsn FROM pg_replication_origin_status ORDER BY 1") + \
            db.sql_b("SELECT external_id, remote_lsn FROM pg_replication_origin_status ORDER BY 1")
    # Fixed on purpose: not a wait for something to happen but a window in
    # which nothing may (after a second for the last commits to settle).
    time.sleep(1)
    before = progress()
    time.sleep(3)
    assert progress() == before
    # worker_status counts what each direction applied.
    wait_until(lambda: db.sql_b("SELECT applied_transactions FROM pgduplex.worker_status "
                                "WHERE direction = 'forward'")[0][0] >= 600, timeout=10, what="forward status")
    wait_until(lambda: db.sql_a("SELECT applied_transactions FROM pgduplex.worker_status "
                                "WHERE direction = 'reverse'")[0][0] >= 600, timeout=10, what="reverse status")
    assert db.sql_a("SELECT count(*) FROM pgduplex.conflicts")[0][0] == 0
    assert db.sql_b("SELECT count(*) FROM pgduplex.conflicts")[0][0] == 0
    assert fwd.stop() == 0 and rev.stop() == 0


def test_run_unchanged_toast_column_is_left_alone(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE docs (id int PRIMARY KEY, body text, n int)")
    db.both("ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL")
    cfg = db.write_config(tmp_path / "t.toml")
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO docs SELECT g, repeat(md5(g::text), 1000), 0 FROM generate_series(1, 5) g")
    assert_converges(db, "SELECT id, md5(body), n FROM docs ORDER BY id", workers=[w])
    db.sql_a("UPDATE docs SET n = n + 1")  # body unchanged: sent as unchanged TOAST
    assert_converges(db, "SELECT id, md5(body), n FROM docs ORDER BY id", workers=[w])
    assert db.sql_b("SELECT count(*) FROM docs WHERE n = 1 AND length(body) = 32000")[0][0] == 5
    assert w.stop() == 0


def test_run_forward_applies_ddl_and_reverse_does_not_carry_it(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE t (id int PRIMARY KEY)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"ddl": True})
    fwd = run(worker_factory, cfg, "forward", db)
    rev = run(worker_factory, cfg, "reverse", db)
    db.sql_a("ALTER TABLE t ADD COLUMN note text")
    db.sql_a("INSERT INTO t VALUES (1, 'with note')")
    assert_converges(db, "SELECT * FROM t ORDER BY id", workers=[fwd, rev])
    db.sql_a("CREATE TABLE created_on_a (id int PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO created_on_a VALUES (1, 'x')")
    wait_until(lambda: db.sql_b("SELECT to_regclass('public.created_on_a') IS NOT NULL")[0][0], timeout=30,
               what="CREATE TABLE to reach B")
    assert_converges(db, "SELECT * FROM created_on_a ORDER BY id", workers=[fwd, rev])
    # (Several DDL commands in one query string are not carried: see
    # test_ddl_forward.py, which pins the warning.)
    # DDL on B stays on B (reverse never carries DDL).
    db.sql_b("CREATE TABLE only_on_b (id int)")
    db.sql_b("INSERT INTO t VALUES (2, 'from b')")
    assert_converges(db, "SELECT * FROM t ORDER BY id", workers=[fwd, rev])
    assert db.sql_a("SELECT to_regclass('public.only_on_b') IS NULL")[0][0]
    assert fwd.stop() == 0 and rev.stop() == 0


def test_run_slot_advances_when_every_source_change_is_filtered(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE t (id int PRIMARY KEY)")
    db.sql_a("CREATE TABLE outside (id int)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"tables": ["public.t"], "heartbeat_interval_sec": 1})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO outside SELECT generate_series(1, 1000)")
    target = db.sql_a("SELECT pg_current_wal_lsn()")[0][0]
    wait_until(lambda: db.sql_a("SELECT confirmed_flush_lsn >= %s::pg_lsn FROM pg_replication_slots "
                                "WHERE slot_name = 'pgduplex_t_forward'", (target,)) == [(True,)],
               timeout=20, what="the slot to confirm past the filtered writes")
    assert db.sql_b("SELECT to_regclass('public.outside') IS NULL")[0][0]
    assert w.stop() == 0
