"""pgduplex run: one-way and two-way streaming end to end on real clusters."""
import signal
import threading
import time

import psycopg2

from conftest import wait_until


def run(worker_factory, config, direction, db=None, task="t"):
    """Starts `pgduplex run`; with db, waits until its slot streams (changes
    made before the slot exists are the initial sync's business)."""
    w = worker_factory("run", "--config", str(config), "--direction", direction, name=direction)
    if db is not None:
        source = db.a if direction == "forward" else db.b
        slot = f"pgduplex_{task}_{direction}"

        def streaming():
            assert w.alive(), "worker exited:\n" + w.output()
            return source.scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s AND active",
                                 (slot,), dbname=db.dbname)
        wait_until(streaming, timeout=30, what=f"slot {slot} to stream")
    return w


def rows(db, side, query):
    return (db.sql_a if side == "a" else db.sql_b)(query)


def same(db, query):
    a, b = db.sql_a(query), db.sql_b(query)
    return a == b and a


def assert_converges(db, query, timeout=30, workers=()):
    def check():
        for w in workers:
            assert w.alive(), "worker exited:\n" + w.output()
        return db.sql_a(query) == db.sql_b(query)
    try:
        wait_until(check, timeout=timeout, what=f"A and B to agree on: {query}")
    except AssertionError as e:
        logs = "\n".join(w.output()[-3000:] for w in workers)
        a, b = db.sql_a(query), db.sql_b(query)
        only_a = [r for r in a if r not in b][:5]
        only_b = [r for r in b if r not in a][:5]
        raise AssertionError(f"{e}\nonly on A: {only_a}\nonly on B: {only_b}\n{logs}") from None


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
