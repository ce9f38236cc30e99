"""last-write-wins after an initial copy (issue 11): B's rows written by the
copy's sessions are the forward direction's history, not newer local rows.
A's changes committed during the copy (after its snapshot, before the copy
of their table committed on B) are older than B's copied rows by commit
time, and must still be applied."""
from conftest import wait_until
from test_initial_sync import start, wait_streaming


def test_changes_made_during_the_copy_win_over_the_copied_rows(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO t SELECT g, 'copied' FROM generate_series(1, 3000) g")
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins",
                                                     "copy_max_rows_per_sec": 1000})
    w = start(worker_factory, cfg, "forward")
    # The copy's snapshot is taken when its slot exists: then change rows on A,
    # while the throttled copy of t (about 3 s) is still running.
    wait_until(lambda: db.sql_a("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'pgduplex_t_forward'"),
               timeout=60, what="the copy's slot")
    db.sql_a("UPDATE t SET v = 'changed during the copy' WHERE id IN (1, 3000)")
    db.sql_a("DELETE FROM t WHERE id = 2")
    wait_streaming(db, w)
    wait_until(lambda: db.sql_b("SELECT id, v FROM t WHERE id IN (1, 2, 3000) ORDER BY id")
               == [(1, "changed during the copy"), (3000, "changed during the copy")], timeout=60,
               what="the changes made during the copy on B")
    assert db.sql_b("SELECT count(*) FROM t")[0][0] == 2999
    assert db.sql_b("SELECT count(*) FROM pgduplex.conflicts WHERE conflict_type LIKE '%origin_differs'")[0][0] == 0
    assert w.stop() == 0
