"""The conflict types of concurrent writes on both sides (issue 11), one
deterministic scenario each, under every policy.

Only the forward worker applies (A -> B). Each scenario first syncs its
setup rows, then stops the worker, writes on A, then writes on B (so B's
write commits later: a newer local row), and starts the worker again: what
B holds afterwards, and which conflict rows B logged, are asserted per
policy. Under last-write-wins the later commit wins; the other policies do
not compare commit times (README, "Conflicts")."""
import pytest

from conftest import wait_until
from test_run_sync import run

TABLE = "CREATE TABLE t (id int PRIMARY KEY, v text, u int UNIQUE)"


def conflicts(db):
    return [tuple(r) for r in db.sql_b("SELECT conflict_type, resolution FROM pgduplex.conflicts ORDER BY id")]


def b_rows(db):
    return [tuple(r) for r in db.sql_b("SELECT id, v, u FROM t ORDER BY id")]


# name: (setup on A, synced; then on A; then on B (later); expected B rows and conflicts per policy)
SCENARIOS = {
    "update_origin_differs": (
        ["INSERT INTO t VALUES (1, 'x', 1)"],
        ["UPDATE t SET v = 'a' WHERE id = 1"],
        ["UPDATE t SET v = 'b' WHERE id = 1"],
        {"last-write-wins": ([(1, "b", 1)], [("update_origin_differs", "kept_local")]),
         "overwrite": ([(1, "a", 1)], []),
         "ignore": ([(1, "a", 1)], []),
         "fail": ([(1, "a", 1)], [])}),
    "delete_origin_differs": (
        ["INSERT INTO t VALUES (2, 'x', 2)"],
        ["DELETE FROM t WHERE id = 2"],
        ["UPDATE t SET v = 'b' WHERE id = 2"],
        {"last-write-wins": ([(2, "b", 2)], [("delete_origin_differs", "kept_local")]),
         "overwrite": ([], []),
         "ignore": ([], []),
         "fail": ([], [])}),
    "update_deleted, the delete is later": (
        ["INSERT INTO t VALUES (3, 'x', 3)"],
        ["UPDATE t SET v = 'a' WHERE id = 3"],
        ["DELETE FROM t WHERE id = 3"],
        {"last-write-wins": ([], [("update_deleted", "kept_local")]),
         "overwrite": ([(3, "a", 3)], [("update_missing", "converted_to_insert")]),
         "ignore": ([(3, "a", 3)], [("update_missing", "converted_to_insert")]),
         "fail": ([(3, "a", 3)], [("update_missing", "converted_to_insert")])}),
    "insert_deleted": (
        [],
        ["INSERT INTO t VALUES (5, 'a', 5)"],
        ["INSERT INTO t VALUES (5, 'b', 5)", "DELETE FROM t WHERE id = 5"],
        {"last-write-wins": ([], [("insert_deleted", "kept_local")]),
         "overwrite": ([(5, "a", 5)], []),
         "ignore": ([(5, "a", 5)], []),
         "fail": ([(5, "a", 5)], [])}),
    "truncate racing a later insert": (
        ["INSERT INTO t VALUES (7, 'x', 7), (8, 'x', 8)"],
        ["TRUNCATE t"],
        ["INSERT INTO t VALUES (9, 'b', 9)"],
        {"last-write-wins": ([(9, "b", 9)], []),
         "overwrite": ([], []),
         "ignore": ([], []),
         "fail": ([], [])}),
}

POLICIES = ["last-write-wins", "overwrite", "ignore", "fail"]


def start(worker_factory, cfg, db):
    return run(worker_factory, cfg, "forward", db)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_concurrent_writes_under_each_policy(dbpair, worker_factory, tmp_path, scenario, policy):
    setup, on_a, on_b, expected = SCENARIOS[scenario]
    rows, logged = expected[policy]
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": policy, "initial": "none"})
    w = start(worker_factory, cfg, db)
    for sql in setup:
        db.sql_a(sql)
    wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] == db.sql_a("SELECT count(*) FROM t")[0][0],
               timeout=30, what="the setup rows on B")
    assert w.stop() == 0
    for sql in on_a:
        db.sql_a(sql)
    for sql in on_b:
        db.sql_b(sql)
    w = start(worker_factory, cfg, db)
    marker = "INSERT INTO t VALUES (1000, 'marker', 1000)"
    db.sql_a(marker)
    wait_until(lambda: db.sql_b("SELECT 1 FROM t WHERE id = 1000") or not w.alive(), timeout=30,
               what="the marker on B")
    assert w.alive(), w.output()
    assert [r for r in b_rows(db) if r[0] != 1000] == rows
    assert conflicts(db) == logged
    assert w.stop() == 0


@pytest.mark.parametrize("policy,later,rows,logged", [
    # B holds (10, u 10) and (11, u 11); A inserts (10, u 11), colliding with both.
    ("last-write-wins", "a", [(10, "a", 11)], [("multiple_unique_conflicts", "applied")]),
    # B's rows are later: both stay, A's row is kept out
    ("last-write-wins", "b", [(10, "b", 10), (11, "b", 11)], [("multiple_unique_conflicts", "kept_local")]),
    ("overwrite", "a", [(10, "a", 11)], [("multiple_unique_conflicts", "applied")]),
    ("ignore", "a", [(10, "b", 10), (11, "b", 11)], [("multiple_unique_conflicts", "skipped")]),
])
def test_a_row_colliding_with_two_local_rows(dbpair, worker_factory, tmp_path, policy, later, rows, logged):
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": policy, "initial": "none"})
    b_writes = "INSERT INTO t VALUES (10, 'b', 10), (11, 'b', 11)"
    a_writes = "INSERT INTO t VALUES (10, 'a', 11)"
    w = start(worker_factory, cfg, db)
    if later == "a":
        db.sql_b(b_writes)
        db.sql_a(a_writes)
    else:  # A's row commits first, while the worker is stopped
        assert w.stop() == 0
        db.sql_a(a_writes)
        db.sql_b(b_writes)
        w = start(worker_factory, cfg, db)
    db.sql_a("INSERT INTO t VALUES (1000, 'marker', 1000)")
    wait_until(lambda: db.sql_b("SELECT 1 FROM t WHERE id = 1000") or not w.alive(), timeout=30,
               what="the marker on B")
    assert w.alive(), w.output()
    assert [r for r in b_rows(db) if r[0] != 1000] == rows
    assert conflicts(db) == logged
    assert w.stop() == 0
