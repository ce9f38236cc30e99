"""pgduplex run: every conflict type under every policy, with the expected
end state on the target and one pgduplex.conflicts row per conflict.

Only the forward worker runs, so what is written on B stays local: that is
how a local row gets in the way of (or goes missing for) a remote change."""
import pytest

from conftest import assert_converges, wait_until
from test_run_sync import run

TABLE = "CREATE TABLE t (id int PRIMARY KEY, v text, u int UNIQUE)"


def conflicts(db):
    return db.sql_b("SELECT conflict_type, resolution, relation, local_row, remote_row, source_lsn IS NOT NULL, "
                    "remote_commit_ts IS NOT NULL, task, direction FROM pgduplex.conflicts ORDER BY id")


def wait_for_conflicts(db, n, worker):
    def enough():
        assert worker.alive(), "worker exited:\n" + worker.output()
        return len(conflicts(db)) >= n
    wait_until(enough, timeout=30, what=f"{n} conflict rows")
    return conflicts(db)


def b_rows(db):
    return db.sql_b("SELECT id, v, u FROM t ORDER BY id")


def make_conflicts(db):
    """Creates one conflict of each type, in this order: insert_exists (id 1),
    update_missing (id 2), update_exists (id 3 takes u = 40 held by local id
    4), delete_missing (id 5). Returns after the setup rows reached B."""
    db.sql_a("INSERT INTO t VALUES (2, 'two', 20), (3, 'three', 30), (5, 'five', 50)")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] == 3, timeout=30, what="setup rows on B")
    db.sql_b("INSERT INTO t VALUES (1, 'local one', 10), (4, 'local four', 40)")
    db.sql_b("DELETE FROM t WHERE id IN (2, 5)")
    db.sql_a("INSERT INTO t VALUES (1, 'remote one', 11)")        # insert_exists
    db.sql_a("UPDATE t SET v = 'two updated' WHERE id = 2")         # update_missing
    db.sql_a("UPDATE t SET u = 40, v = 'three updated' WHERE id = 3")  # update_exists
    db.sql_a("DELETE FROM t WHERE id = 5")                          # delete_missing


# last-write-wins keeps tombstones of local deletes: the UPDATE of id 2,
# which B deleted earlier, is an update_deleted (the later update wins).
MISSING = {"last-write-wins": "update_deleted"}


@pytest.mark.parametrize("policy,expected_rows,resolutions", [
    ("ignore",
     [(1, "local one", 10), (2, "two updated", 20), (3, "three", 30), (4, "local four", 40)],
     ["skipped", "converted_to_insert", "skipped", "skipped"]),
    ("overwrite",
     [(1, "remote one", 11), (2, "two updated", 20), (3, "three updated", 40)],
     ["applied", "converted_to_insert", "applied", "skipped"]),
    ("last-write-wins",  # every remote change is later than the local rows
     [(1, "remote one", 11), (2, "two updated", 20), (3, "three updated", 40)],
     ["applied", "converted_to_insert", "applied", "skipped"]),
])
def test_run_each_conflict_type_under_policy(dbpair, worker_factory, tmp_path, policy, expected_rows, resolutions):
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": policy})
    w = run(worker_factory, cfg, "forward", db)
    make_conflicts(db)
    rows = wait_for_conflicts(db, 4, w)
    missing = MISSING.get(policy, "update_missing")
    assert [(r[0], r[1]) for r in rows] == list(zip(
        ["insert_exists", missing, "update_exists", "delete_missing"], resolutions))
    assert all(r[2] == "public.t" and r[5] and r[6] and r[7] == "t" and r[8] == "forward" for r in rows)
    insert_exists, update_missing, update_exists, delete_missing = rows
    assert insert_exists[3] == {"id": 1, "v": "local one", "u": 10}
    assert insert_exists[4] == {"id": 1, "v": "remote one", "u": 11}
    assert update_missing[3] is None and update_missing[4] == {"id": 2, "v": "two updated", "u": 20}
    assert update_exists[3] == {"id": 4, "v": "local four", "u": 40}
    assert update_exists[4] == {"id": 3, "v": "three updated", "u": 40}
    assert delete_missing[4] == {"id": 5}
    wait_until(lambda: b_rows(db) == expected_rows, timeout=30, what=f"B to hold {expected_rows}")
    wait_until(lambda: db.sql_b("SELECT conflicts FROM pgduplex.worker_status WHERE direction = 'forward'")[0][0]
               == {"insert_exists": 1, missing: 1, "update_exists": 1, "delete_missing": 1},
               timeout=10, what="conflict counts in worker_status")
    assert w.stop() == 0
    assert len(conflicts(db)) == 4


def test_run_last_write_wins_keeps_a_newer_local_row(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins"})
    w = run(worker_factory, cfg, "forward", db)
    assert w.stop() == 0
    db.sql_a("INSERT INTO t VALUES (1, 'older remote', 1)")  # in the slot, not yet applied
    db.sql_b("INSERT INTO t VALUES (1, 'newer local', 2)")
    w = run(worker_factory, cfg, "forward", db)
    rows = wait_for_conflicts(db, 1, w)
    assert (rows[0][0], rows[0][1]) == ("insert_exists", "kept_local")
    assert b_rows(db) == [(1, "newer local", 2)]
    assert w.stop() == 0


def test_run_fail_policy_stops_with_one_line_and_applies_nothing_of_the_transaction(dbpair, worker_factory,
                                                                                   tmp_path):
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "fail"})
    w = run(worker_factory, cfg, "forward", db)
    w.stop()
    db.sql_b("INSERT INTO t VALUES (1, 'local', 10)")
    db.sql_a("INSERT INTO t VALUES (20, 'before', 200)")  # a transaction of its own, before the conflict
    conn = db.a.connect(db.dbname, autocommit=False)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO t VALUES (10, 'same transaction', 100)")
        cur.execute("INSERT INTO t VALUES (1, 'remote', 11)")
    conn.commit()
    conn.close()
    w = run(worker_factory, cfg, "forward")
    assert w.wait(60) == 3
    out = w.output()
    lines = [line for line in out.splitlines() if "insert_exists" in line]
    assert len(lines) == 1, out
    assert "public.t" in lines[0] and "(id)=(1)" in lines[0]
    assert b_rows(db) == [(1, "local", 10), (20, "before", 200)]
    assert [(r[0], r[1]) for r in conflicts(db)] == [("insert_exists", "failed")]
    # A restart retries the same transaction, and stops again.
    w = run(worker_factory, cfg, "forward")
    assert w.wait(60) == 3
    assert b_rows(db) == [(1, "local", 10), (20, "before", 200)]
    # Once the operator removes the obstacle, it applies.
    db.sql_b("DELETE FROM t WHERE id = 1")
    w = run(worker_factory, cfg, "forward", db)
    assert_converges(db, "SELECT * FROM t ORDER BY id", workers=[w])
    assert w.stop() == 0


def test_run_fail_policy_stops_on_update_exists(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "fail"})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO t VALUES (3, 'three', 30)")
    wait_until(lambda: b_rows(db) == [(3, "three", 30)], timeout=30, what="row 3 on B")
    db.sql_b("INSERT INTO t VALUES (4, 'local four', 40)")
    db.sql_a("UPDATE t SET u = 40 WHERE id = 3")
    assert w.wait(60) == 3
    assert "update_exists" in w.output() and "(id)=(3)" in w.output()
    assert b_rows(db) == [(3, "three", 30), (4, "local four", 40)]
    assert [(r[0], r[1]) for r in conflicts(db)] == [("update_exists", "failed")]


@pytest.mark.parametrize("policy", ["fail", "ignore"])
def test_run_update_of_missing_row_without_whole_row_follows_policy(dbpair, worker_factory, tmp_path, policy):
    db = dbpair
    db.both("CREATE TABLE docs (id int PRIMARY KEY, body text, n int)")
    db.both("ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL")
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": policy})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO docs VALUES (1, repeat('x', 10000), 0)")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM docs")[0][0] == 1, timeout=30, what="row on B")
    db.sql_b("DELETE FROM docs")
    db.sql_a("UPDATE docs SET n = 1")  # body unchanged TOAST: the whole row is not known
    if policy == "fail":
        assert w.wait(60) == 3
        assert "update_missing" in w.output()
    else:
        wait_for_conflicts(db, 1, w)
        assert w.stop() == 0
    rows = db.sql_b("SELECT conflict_type, resolution, remote_row FROM pgduplex.conflicts")
    assert rows == [("update_missing", "failed" if policy == "fail" else "skipped", {"id": 1, "n": 1})]
    assert db.sql_b("SELECT count(*) FROM docs")[0][0] == 0


def test_run_update_of_missing_row_uses_full_old_image(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE docs (id int PRIMARY KEY, body text, n int)")
    db.both("ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL")
    db.sql_a("ALTER TABLE docs REPLICA IDENTITY FULL")
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "overwrite"})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO docs VALUES (1, repeat('y', 10000), 0)")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM docs")[0][0] == 1, timeout=30, what="row on B")
    db.sql_b("DELETE FROM docs")
    db.sql_a("UPDATE docs SET n = 1")
    wait_for_conflicts(db, 1, w)
    assert_converges(db, "SELECT id, md5(body), n FROM docs", workers=[w])
    assert db.sql_b("SELECT conflict_type, resolution FROM pgduplex.conflicts") == [
        ("update_missing", "converted_to_insert")]
    assert w.stop() == 0


def test_overwrite_on_a_partitioned_target_replaces_only_the_conflicting_row(dbpair, worker_factory, tmp_path):
    """A plain table on A, partitioned on B: the first row of each partition
    has the same ctid (0,1), so the conflicting row must be found by
    (tableoid, ctid), never by ctid alone."""
    db = dbpair
    db.sql_a("CREATE TABLE p (id int PRIMARY KEY, v text)")
    db.sql_b("CREATE TABLE p (id int PRIMARY KEY, v text) PARTITION BY RANGE (id)")
    db.sql_b("CREATE TABLE p_lo PARTITION OF p FOR VALUES FROM (0) TO (100)")
    db.sql_b("CREATE TABLE p_hi PARTITION OF p FOR VALUES FROM (100) TO (1000)")
    db.sql_b("INSERT INTO p VALUES (5, 'local five'), (150, 'local one fifty')")
    assert db.sql_b("SELECT count(DISTINCT ctid) FROM p") == [(1,)]  # both rows are (0,1)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "overwrite", "initial": "none"})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO p VALUES (5, 'remote five')")  # insert_exists on B's p_lo
    wait_for_conflicts(db, 1, w)
    wait_until(lambda: db.sql_b("SELECT v FROM p WHERE id = 5") == [("remote five",)], timeout=30,
               what="the remote row to replace the local one")
    assert db.sql_b("SELECT id, v FROM p ORDER BY id") == [(5, "remote five"), (150, "local one fifty")]
    assert w.stop() == 0


def test_keyless_delete_on_a_partitioned_target_removes_one_row(dbpair, worker_factory, tmp_path):
    """Keyless rows are matched by value and picked by (tableoid, ctid): the
    row in the other partition at the same ctid must survive."""
    db = dbpair
    db.sql_a("CREATE TABLE k (id int, v text)")
    db.sql_a("ALTER TABLE k REPLICA IDENTITY FULL")
    db.sql_b("CREATE TABLE k (id int, v text) PARTITION BY RANGE (id)")
    db.sql_b("CREATE TABLE k_lo PARTITION OF k FOR VALUES FROM (0) TO (100)")
    db.sql_b("CREATE TABLE k_hi PARTITION OF k FOR VALUES FROM (100) TO (1000)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": "none"})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO k VALUES (5, 'five'), (150, 'one fifty')")
    assert_converges(db, "SELECT id, v FROM k ORDER BY id", workers=[w])
    assert db.sql_b("SELECT count(DISTINCT ctid) FROM k") == [(1,)]  # both rows are (0,1)
    db.sql_a("DELETE FROM k WHERE id = 5")
    db.sql_a("UPDATE k SET v = 'changed' WHERE id = 150")
    assert_converges(db, "SELECT id, v FROM k ORDER BY id", workers=[w])
    assert db.sql_b("SELECT id, v FROM k") == [(150, "changed")]
    assert w.stop() == 0


def test_keyless_box_rows_of_equal_area_are_told_apart(dbpair, worker_factory, tmp_path):
    """box = box compares areas (issue 12): a keyless table's DELETE and
    UPDATE must find the row with the same box, not one of the same area."""
    db = dbpair
    db.both("CREATE TABLE shapes (b box, c circle)")
    db.both("ALTER TABLE shapes REPLICA IDENTITY FULL")
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": "none"})
    w = run(worker_factory, cfg, "forward", db)
    # The same areas: '=' holds between the two rows, '~=' (same as) does not.
    db.sql_a("INSERT INTO shapes VALUES ('(0,0),(2,2)', '<(0,0),1>'), ('(10,10),(12,12)', '<(5,5),1>')")
    query = "SELECT b::text, c::text FROM shapes ORDER BY b::text"
    wait_until(lambda: db.sql_b(query) == db.sql_a(query), timeout=30, what="the shapes on B")
    db.sql_a("DELETE FROM shapes WHERE b ~= '(10,10),(12,12)'")
    db.sql_a("UPDATE shapes SET c = '<(1,1),1>' WHERE b ~= '(0,0),(2,2)'")
    wait_until(lambda: db.sql_b(query) == db.sql_a(query) or not w.alive(), timeout=30,
               what="the DELETE and UPDATE on B")
    assert db.sql_b(query) == [("(2,2),(0,0)", "<(1,1),1>")]
    assert w.stop() == 0
