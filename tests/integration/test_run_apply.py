"""pgduplex run: the fast path's grouping keeps the semantics of applying
each change on its own (merged updates, extra unique constraints, triggers
that fire for the apply session, huge transactions, partitions)."""
import pytest

from conftest import assert_converges, wait_until
from test_run_conflicts import conflicts
from test_run_sync import run


def backlog_then_catch_up(db, worker_factory, cfg, statements):
    """Runs statements on A while the worker is stopped, so they arrive as
    one backlog (and land in one batch), then lets the worker catch up."""
    w = run(worker_factory, cfg, "forward", db)
    assert w.stop() == 0
    for sql in statements:
        db.sql_a(sql)
    return run(worker_factory, cfg, "forward", db)


def test_run_merges_updates_of_one_row_keeping_unchanged_toast(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE docs (id int PRIMARY KEY, body text, a int, b int)")
    db.both("ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL")
    cfg = db.write_config(tmp_path / "t.toml")
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO docs SELECT g, repeat(md5(g::text), 500), 0, 0 FROM generate_series(1, 20) g")
    assert_converges(db, "SELECT id, md5(body), a, b FROM docs ORDER BY id", workers=[w])
    assert w.stop() == 0
    w = backlog_then_catch_up(db, worker_factory, cfg, [
        "UPDATE docs SET a = 1",
        "UPDATE docs SET b = 2 WHERE id % 2 = 0",
        "UPDATE docs SET body = 'short ' || id WHERE id = 3",
        "UPDATE docs SET a = a + 10 WHERE id <= 5",
        "DELETE FROM docs WHERE id = 20",
        "INSERT INTO docs VALUES (20, 'again', 7, 7)",
        "UPDATE docs SET a = 99 WHERE id = 20",
    ])
    assert_converges(db, "SELECT id, md5(body), a, b FROM docs ORDER BY id", workers=[w])
    assert conflicts(db) == []
    assert w.stop() == 0


def test_run_swaps_values_of_a_second_unique_column_in_order(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE slots (id int PRIMARY KEY, pos int UNIQUE NOT NULL)")
    cfg = db.write_config(tmp_path / "t.toml")
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO slots VALUES (1, 10), (2, 20)")
    assert_converges(db, "SELECT * FROM slots ORDER BY id", workers=[w])
    assert w.stop() == 0
    w = backlog_then_catch_up(db, worker_factory, cfg, [
        "BEGIN; UPDATE slots SET pos = -1 WHERE id = 1; UPDATE slots SET pos = 10 WHERE id = 2; "
        "UPDATE slots SET pos = 20 WHERE id = 1; COMMIT",
        "UPDATE slots SET id = 3 WHERE id = 1",
    ])
    assert_converges(db, "SELECT * FROM slots ORDER BY id", workers=[w])
    assert db.sql_b("SELECT * FROM slots ORDER BY id") == [(2, 10), (3, 20)]
    assert conflicts(db) == []
    assert w.stop() == 0


def test_run_applies_tables_with_always_triggers_in_stream_order(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE t1 (id int PRIMARY KEY)")
    db.both("CREATE TABLE t2 (id int PRIMARY KEY)")
    # On B only: a trigger that fires for the apply session and looks at t1.
    db.sql_b("CREATE TABLE audit (seq serial, t1_rows bigint)")
    # Code that runs on the apply session sees search_path = pg_catalog (as
    # under PostgreSQL's own subscriptions): this function pins its own.
    db.sql_b("CREATE FUNCTION count_t1() RETURNS trigger LANGUAGE plpgsql SET search_path = public AS $$ BEGIN "
             "INSERT INTO audit (t1_rows) SELECT count(*) FROM t1; RETURN NEW; END $$")
    db.sql_b("CREATE TRIGGER t2_audit AFTER INSERT ON t2 FOR EACH ROW EXECUTE FUNCTION count_t1()")
    db.sql_b("ALTER TABLE t2 ENABLE ALWAYS TRIGGER t2_audit")
    cfg = db.write_config(tmp_path / "t.toml")
    w = backlog_then_catch_up(db, worker_factory, cfg, [
        "BEGIN; INSERT INTO t1 VALUES (1); INSERT INTO t2 VALUES (1); INSERT INTO t1 VALUES (2), (3); "
        "INSERT INTO t2 VALUES (2); COMMIT",
        "INSERT INTO t1 VALUES (4)",
        "INSERT INTO t2 VALUES (3)",
    ])
    assert_converges(db, "SELECT count(*) FROM t2", workers=[w])
    assert db.sql_b("SELECT t1_rows FROM audit ORDER BY seq") == [(1,), (3,), (4,)]
    assert w.stop() == 0


def test_run_huge_transaction_is_applied_in_segments_with_its_conflicts(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE big (id int PRIMARY KEY, v text)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"batch_max_changes": 100, "conflict_policy": "ignore"})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_b("INSERT INTO big VALUES (1500, 'local'), (4200, 'local')")
    db.sql_a("INSERT INTO big SELECT g, 'remote' FROM generate_series(1, 5000) g")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM big")[0][0] == 5000, timeout=60, what="5000 rows on B")
    assert db.sql_b("SELECT id, v FROM big WHERE v = 'local' ORDER BY id") == [(1500, "local"), (4200, "local")]
    assert [(r[0], r[1]) for r in conflicts(db)] == [("insert_exists", "skipped")] * 2
    db.sql_a("UPDATE big SET v = 'updated' WHERE id % 3 = 0")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM big WHERE v = 'updated'")[0][0] == 1666, timeout=60,
               what="the big update on B")
    assert w.stop() == 0


def test_run_partitioned_table_and_heartbeat_status(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE m (id int, at date, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)")
    db.both("CREATE TABLE m_2023 PARTITION OF m FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')")
    db.both("CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")
    cfg = db.write_config(tmp_path / "t.toml", sync={"heartbeat_interval_sec": 1})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO m SELECT g, date '2023-06-01' + g, 'x' FROM generate_series(1, 400) g")
    db.sql_a("UPDATE m SET v = 'y' WHERE id % 7 = 0")
    db.sql_a("DELETE FROM m WHERE id % 11 = 0")
    assert_converges(db, "SELECT tableoid::regclass::text, * FROM m ORDER BY id", workers=[w])
    wait_until(lambda: db.sql_b("SELECT last_heartbeat_source IS NOT NULL AND last_heartbeat_at IS NOT NULL "
                                "FROM pgduplex.worker_status WHERE direction = 'forward'") == [(True,)],
               timeout=15, what="a heartbeat in worker_status")
    assert w.stop() == 0


def test_run_keyless_table_with_full_identity_matches_rows_by_value(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE bag (n int, doc json, note text)")
    db.sql_a("ALTER TABLE bag REPLICA IDENTITY FULL")
    cfg = db.write_config(tmp_path / "t.toml")
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO bag VALUES (1, '{\"a\": 1}', 'x'), (1, '{\"a\": 1}', 'x'), (2, NULL, NULL), (3, '[]', 'y')")
    db.sql_a("UPDATE bag SET note = 'changed' WHERE ctid = (SELECT min(ctid) FROM bag WHERE n = 1)")
    db.sql_a("UPDATE bag SET n = 20 WHERE n = 2")
    db.sql_a("DELETE FROM bag WHERE n = 3")
    query = "SELECT n, doc::text, note FROM bag ORDER BY 1, 2, 3"
    assert_converges(db, query, workers=[w])
    assert db.sql_b(query) == [(1, '{"a": 1}', "changed"), (1, '{"a": 1}', "x"), (20, None, None)]
    assert w.stop() == 0


def test_run_converts_text_between_database_encodings(pair, worker_factory, tmp_path):
    from conftest import DbPair, drop_db_pair_slots
    a, b = pair
    name = f"latin{tmp_path.name[-6:].replace('-', '_').lower()}"
    name = "".join(c for c in name if c.isalnum() or c == "_")
    a.sql(f"CREATE DATABASE {name} ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
    b.sql(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    db = DbPair(a, b, name)
    try:
        db.both("CREATE EXTENSION pgduplex")
        db.both("CREATE TABLE words (id int PRIMARY KEY, w text)")
        cfg = db.write_config(tmp_path / "t.toml", extra="[retry]\nerror_retry_minutes = 0\n")
        w = run(worker_factory, cfg, "forward", db)
        db.sql_a("INSERT INTO words VALUES (1, 'café'), (2, 'Größe'), (3, 'naïve ½')")
        assert_converges(db, "SELECT * FROM words ORDER BY id", workers=[w])
        assert db.sql_b("SELECT w FROM words WHERE id = 2") == [("Größe",)]
        assert w.stop() == 0
    finally:
        drop_db_pair_slots(db)
