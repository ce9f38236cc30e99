"""GENERATED ALWAYS AS IDENTITY columns are applied in both directions
(issue 12): the row's identity value comes from the side that wrote it
(OVERRIDING SYSTEM VALUE), as the initial copy already did."""
from conftest import assert_converges
from test_ddl_forward import two_way

TABLE = "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)"


def test_identity_always_rows_apply_both_ways(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both(TABLE)
    db.sql_b("ALTER TABLE t ALTER COLUMN id RESTART WITH 1000")  # no collisions with A's ids
    fwd, rev = two_way(db, worker_factory, tmp_path, sync={"initial": "none"})
    db.sql_a("INSERT INTO t (v) VALUES ('a1'), ('a2')")
    db.sql_b("INSERT INTO t (v) VALUES ('b1')")
    db.sql_a("UPDATE t SET v = 'a2 updated' WHERE id = 2")
    assert_converges(db, "SELECT id, v FROM t ORDER BY id", workers=(fwd, rev))
    assert db.sql_b("SELECT id, v FROM t ORDER BY id") == [(1, "a1"), (2, "a2 updated"), (1000, "b1")]


def test_identity_always_rows_apply_under_last_write_wins(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both(TABLE)
    db.sql_b("ALTER TABLE t ALTER COLUMN id RESTART WITH 1000")
    fwd, rev = two_way(db, worker_factory, tmp_path, sync={"initial": "none", "conflict_policy": "last-write-wins"})
    db.sql_a("INSERT INTO t (v) VALUES ('a1')")
    db.sql_b("INSERT INTO t (v) VALUES ('b1')")
    assert_converges(db, "SELECT id, v FROM t ORDER BY id", workers=(fwd, rev))
    assert db.sql_a("SELECT id, v FROM t ORDER BY id") == [(1, "a1"), (1000, "b1")]
