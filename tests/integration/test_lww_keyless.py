"""last-write-wins on a table without a key (REPLICA IDENTITY FULL), when
both sides change the same row while the link is cut (issue 11: "Keyless
REPLICA IDENTITY FULL tables: one row version matched and changed, never
two").

Before extension 1.4 an incoming UPDATE whose row this side had already
changed found no row and became an INSERT: two concurrent UPDATEs of one
row left two rows on both sides, and an UPDATE racing a later DELETE
brought the row back. Now each side remembers what its local UPDATEs and
DELETEs made of a row (pgduplex.keyless_successor) and what a lost incoming
UPDATE's values stand for (pgduplex.keyless_alias), and the later change
wins on the row both sides hold, like for a keyed row.
"""
import pytest

from conftest import wait_until
from test_run_sync import run

TABLE = ("CREATE TABLE k (n int NOT NULL, v int NOT NULL, who text NOT NULL);"
         "ALTER TABLE k REPLICA IDENTITY FULL;"
         "CREATE TABLE marker (id int PRIMARY KEY)")

# name: statements in commit order, each (side, SQL); the row starts as (1, 1, 's')
SCENARIOS = {
    "update/update, B later": ([("a", "UPDATE k SET v = 2, who = 'a'"), ("b", "UPDATE k SET v = 3, who = 'b'")],
                               [(1, 3, "b")]),
    "update/update, A later": ([("b", "UPDATE k SET v = 3, who = 'b'"), ("a", "UPDATE k SET v = 2, who = 'a'")],
                               [(1, 2, "a")]),
    "update, later delete": ([("a", "UPDATE k SET v = 2, who = 'a'"), ("b", "DELETE FROM k")], []),
    "delete, later update": ([("b", "DELETE FROM k"), ("a", "UPDATE k SET v = 2, who = 'a'")], [(1, 2, "a")]),
    "A updates twice around B's update": ([("a", "UPDATE k SET v = 2, who = 'a'"),
                                           ("b", "UPDATE k SET v = 3, who = 'b'"),
                                           ("a", "UPDATE k SET v = 4, who = 'a'")], [(1, 4, "a")]),
    "B updates twice around A's update": ([("b", "UPDATE k SET v = 3, who = 'b'"),
                                           ("a", "UPDATE k SET v = 2, who = 'a'"),
                                           ("b", "UPDATE k SET v = 5, who = 'b'")], [(1, 5, "b")]),
    "A updates, B updates then deletes": ([("a", "UPDATE k SET v = 2, who = 'a'"),
                                           ("b", "UPDATE k SET v = 3, who = 'b'"),
                                           ("b", "DELETE FROM k")], []),
    # A's TRUNCATE is later than B's UPDATE, which is later than A's DELETE.
    "delete, later update, later truncate": ([("a", "DELETE FROM k"), ("b", "UPDATE k SET v = 3, who = 'b'"),
                                              ("a", "TRUNCATE k")], []),
}


def rows(sql):
    return [tuple(r) for r in sql("SELECT n, v, who FROM k ORDER BY 1, 2, 3")]


def heal(db, workers, cfg, worker_factory, marker):
    workers["forward"] = run(worker_factory, cfg, "forward", db)
    workers["reverse"] = run(worker_factory, cfg, "reverse", db)
    db.sql_a(f"INSERT INTO marker VALUES ({marker})")
    db.sql_b(f"INSERT INTO marker VALUES ({marker + 1})")
    wait_until(lambda: db.sql_b(f"SELECT 1 FROM marker WHERE id = {marker}")
               and db.sql_a(f"SELECT 1 FROM marker WHERE id = {marker + 1}"), timeout=30, what="both markers across")
    for w in workers.values():
        assert w.alive(), w.output()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_concurrent_changes_of_one_keyless_row(dbpair, worker_factory, tmp_path, scenario):
    steps, expected = SCENARIOS[scenario]
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins", "initial": "none"})
    workers = {}
    heal(db, workers, cfg, worker_factory, 1000)
    db.sql_a("INSERT INTO k VALUES (1, 1, 's')")
    wait_until(lambda: rows(db.sql_b) == [(1, 1, "s")], timeout=30, what="the row on B")
    for w in workers.values():
        assert w.stop() == 0
    for side, sql in steps:  # the link is cut; each commits after the one before
        getattr(db, "sql_" + side)(sql)
    heal(db, workers, cfg, worker_factory, 2000)
    wait_until(lambda: rows(db.sql_a) == rows(db.sql_b), timeout=30,
               what=f"k alike on both sides (a {rows(db.sql_a)}, b {rows(db.sql_b)})")
    assert rows(db.sql_a) == expected, (rows(db.sql_a), rows(db.sql_b))
    for w in workers.values():
        assert w.stop() == 0


def test_a_local_update_racing_the_apply_of_a_keyless_row(dbpair, worker_factory, tmp_path):
    """The worker looks the row up, then a local transaction that changes it
    commits while the worker's UPDATE waits for its lock: the UPDATE finds
    nothing and the worker looks again (it must not fall back to an INSERT,
    which left two rows)."""
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins", "initial": "none"})
    workers = {}
    heal(db, workers, cfg, worker_factory, 1000)
    db.sql_a("INSERT INTO k VALUES (1, 1, 's')")
    wait_until(lambda: rows(db.sql_b) == [(1, 1, "s")], timeout=30, what="the row on B")
    for w in workers.values():
        assert w.stop() == 0
    db.sql_a("UPDATE k SET v = 2, who = 'a'")        # t0
    db.sql_b("UPDATE k SET v = 3, who = 'b'")        # t1: later, wins over t0
    local = db.a.connect(db.dbname)
    cur = local.cursor()
    cur.execute("BEGIN")
    cur.execute("UPDATE k SET v = 4, who = 'a'")     # holds the row; commits at t2, after t1
    workers["reverse"] = run(worker_factory, cfg, "reverse", db)
    wait_until(lambda: db.sql_a("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s USING (pid) "
                                "WHERE NOT l.granted AND s.application_name LIKE 'pgduplex%'")[0][0] > 0
               or not workers["reverse"].alive(), timeout=30, what="the worker waiting for the row lock on A")
    cur.execute("COMMIT")
    local.close()
    workers["forward"] = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO marker VALUES (3000)")
    db.sql_b("INSERT INTO marker VALUES (3001)")
    wait_until(lambda: db.sql_b("SELECT 1 FROM marker WHERE id = 3000")
               and db.sql_a("SELECT 1 FROM marker WHERE id = 3001"), timeout=30, what="both markers across")
    wait_until(lambda: rows(db.sql_a) == rows(db.sql_b), timeout=30,
               what=f"k alike on both sides (a {rows(db.sql_a)}, b {rows(db.sql_b)})")
    assert rows(db.sql_a) == [(1, 4, "a")], (rows(db.sql_a), rows(db.sql_b))
    for w in workers.values():
        assert w.stop() == 0
