"""Schema drift: a DDL on A racing a row still in flight from B (rename
column, drop column, drop table) is a conflict on A (target_column_missing,
target_table_missing), never a stall: the reverse direction keeps streaming,
the row's other columns are applied, and under conflict_policy fail the
worker stops with one line (exit 3)."""
import json

import pytest

from conftest import wait_until
from test_ddl_forward import run_a, two_way
from test_initial_sync import start, wait_streaming


def a_conflicts(db):
    return db.sql_a("SELECT conflict_type, resolution, relation, remote_row, direction FROM pgduplex.conflicts "
                    "ORDER BY id")


def row_in_flight_from_b(db, worker_factory, tmp_path, sync=None):
    """Both directions set up, then stopped; B inserts (1, 'from b', 10)
    into t, which has not reached A."""
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text, n int)")
    db.sql_a("CREATE TABLE t2 (id int PRIMARY KEY)")
    fwd, rev = two_way(db, worker_factory, tmp_path, sync)
    assert fwd.stop() == 0 and rev.stop() == 0
    db.sql_b("INSERT INTO t VALUES (1, 'from b', 10)")
    return tmp_path / "t.toml"


def start_both(db, worker_factory, cfg):
    fwd = start(worker_factory, cfg, "forward")
    wait_streaming(db, fwd)
    rev = start(worker_factory, cfg, "reverse")
    wait_streaming(db, rev, "reverse")
    return fwd, rev


CASES = [
    # (DDL on A, A's row 1 afterwards, conflict type, resolution)
    # (A rename carried by pgduplex is translated instead: test_ddl_migrations.py.)
    ("ALTER TABLE t DROP COLUMN v", "SELECT id, n FROM t", [(1, 10)], "target_column_missing", "applied"),
    ("DROP TABLE t", None, None, "target_table_missing", "skipped"),
]


@pytest.mark.parametrize("ddl,query,rows,conflict_type,resolution", CASES,
                         ids=["drop column", "drop table"])
def test_ddl_on_a_racing_a_row_from_b_is_a_conflict_not_a_stall(dbpair, worker_factory, tmp_path, ddl, query,
                                                                  rows, conflict_type, resolution):
    db = dbpair
    cfg = row_in_flight_from_b(db, worker_factory, tmp_path)
    run_a(db, ddl)
    fwd, rev = start_both(db, worker_factory, cfg)

    def conflict_recorded():
        assert rev.alive(), "reverse worker exited:\n" + rev.output()
        return len(a_conflicts(db)) >= 1
    wait_until(conflict_recorded, timeout=60, what="the conflict row on A")
    (kind, how, relation, remote_row, direction), = a_conflicts(db)
    assert (kind, how, relation, direction) == (conflict_type, resolution, "public.t", "reverse")
    # The whole row as B sent it, the missing column's value with it.
    assert remote_row == {"id": "1", "v": "from b", "n": "10"}
    if query:
        assert db.sql_a(query) == rows
    # No stall: later rows from B reach A (once the forward DDL reached B).
    if ddl.startswith("DROP TABLE"):
        wait_until(lambda: db.sql_b("SELECT to_regclass('t') IS NULL")[0][0], timeout=60, what="DROP TABLE on B")
    else:
        wait_until(lambda: db.sql_b("SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass "
                                    "AND attname = 'v' AND NOT attisdropped")[0][0] == 0,
                   timeout=60, what="the DDL on B")
        db.sql_b("INSERT INTO t (id, n) VALUES (2, 20)")
        wait_until(lambda: db.sql_a("SELECT n FROM t WHERE id = 2") == [(20,)], timeout=60,
                   what="a later row of t from B on A")
    db.sql_b("INSERT INTO t2 VALUES (7)")
    wait_until(lambda: db.sql_a("SELECT id FROM t2") == [(7,)], timeout=60, what="a later row from B on A")
    assert len(a_conflicts(db)) == 1
    assert rev.alive() and fwd.alive()
    assert fwd.stop() == 0 and rev.stop() == 0


def test_missing_column_under_policy_fail_stops_with_one_line(dbpair, worker_factory, tmp_path):
    db = dbpair
    cfg = row_in_flight_from_b(db, worker_factory, tmp_path, sync={"conflict_policy": "fail"})
    run_a(db, "ALTER TABLE t DROP COLUMN v")
    rev = start(worker_factory, cfg, "reverse")
    assert rev.wait(60) == 3, rev.output()
    out = rev.output()
    lines = [line for line in out.splitlines() if "target_column_missing" in line]
    assert len(lines) == 1, out
    assert "public.t" in lines[0] and '"v"' in lines[0]
    assert db.sql_a("SELECT count(*) FROM t")[0][0] == 0
    assert [(r[0], r[1]) for r in a_conflicts(db)] == [("target_column_missing", "failed")]
    # A restart stops again: nothing is skipped silently.
    rev = start(worker_factory, cfg, "reverse")
    assert rev.wait(60) == 3


def test_missing_key_column_skips_the_row_and_keeps_streaming(dbpair, worker_factory, tmp_path):
    db = dbpair
    cfg = row_in_flight_from_b(db, worker_factory, tmp_path)
    run_a(db, "ALTER TABLE t DROP COLUMN id")
    fwd, rev = start_both(db, worker_factory, cfg)
    wait_until(lambda: len(a_conflicts(db)) >= 1, timeout=60, what="the conflict row on A")
    assert a_conflicts(db) == [("target_column_missing", "skipped", "public.t",
                                {"id": "1", "v": "from b", "n": "10"}, "reverse")]
    assert db.sql_a("SELECT count(*) FROM t")[0][0] == 0
    db.sql_b("INSERT INTO t2 VALUES (7)")
    wait_until(lambda: db.sql_a("SELECT id FROM t2") == [(7,)], timeout=60, what="a later row from B on A")
    assert 'has no column "id"' in rev.output()
    assert fwd.stop() == 0 and rev.stop() == 0


@pytest.mark.parametrize("policy", ["overwrite", "last-write-wins"])
def test_update_in_flight_is_applied_to_the_renamed_column(dbpair, worker_factory, tmp_path, policy):
    db = dbpair
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text, n int)")
    db.sql_a("CREATE TABLE t2 (id int PRIMARY KEY)")
    db.sql_a("INSERT INTO t VALUES (1, 'old', 10)")
    fwd, rev = two_way(db, worker_factory, tmp_path, {"conflict_policy": policy})
    wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] == 1, timeout=60, what="row 1 on B")
    assert fwd.stop() == 0 and rev.stop() == 0
    db.sql_b("UPDATE t SET v = 'new', n = 11 WHERE id = 1")
    run_a(db, "ALTER TABLE t RENAME COLUMN v TO w")
    fwd, rev = start_both(db, worker_factory, tmp_path / "t.toml")
    # The rename was captured on A: B's "v" is A's "w" (no conflict).
    wait_until(lambda: db.sql_a("SELECT id, w, n FROM t") == [(1, "new", 11)], timeout=60, what="the update on A")
    assert a_conflicts(db) == []
    db.sql_b("INSERT INTO t2 VALUES (7)")
    wait_until(lambda: db.sql_a("SELECT id FROM t2") == [(7,)], timeout=60, what="a later row from B on A")
    assert fwd.stop() == 0 and rev.stop() == 0


def test_truncate_of_a_table_dropped_on_a_is_a_warning_not_a_stall(dbpair, worker_factory, tmp_path):
    db = dbpair
    cfg = row_in_flight_from_b(db, worker_factory, tmp_path)
    db.sql_b("TRUNCATE t")
    run_a(db, "DROP TABLE t")
    fwd, rev = start_both(db, worker_factory, cfg)
    db.sql_b("INSERT INTO t2 VALUES (7)")
    wait_until(lambda: db.sql_a("SELECT id FROM t2") == [(7,)], timeout=60, what="a later row from B on A")
    assert [(r[0], r[1]) for r in a_conflicts(db)] == [("target_table_missing", "skipped")]
    assert "TRUNCATE of public.t not applied: table public.t does not exist on cluster a" in rev.output()
    assert fwd.stop() == 0 and rev.stop() == 0
