"""A restart of an interrupted initial copy removes only the rows the copy
itself wrote (issue 12): rows B's users wrote into a synced table while the
copy ran stay on B, and reach A through the reverse direction."""
from conftest import assert_converges, wait_until
from test_initial_sync import start, wait_streaming


def test_restart_of_interrupted_copy_keeps_rows_b_wrote_meanwhile(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE t (id int PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO t SELECT g, 'a' FROM generate_series(1, 20000) g; ANALYZE t")
    slow = db.write_config(tmp_path / "slow.toml", sync={"copy_split_rows": 1000, "copy_workers": 2,
                                                        "copy_max_rows_per_sec": 4000})
    # The reverse direction has its slot but is down during the copy (a
    # lagging reverse is the same): B's writes wait in its slot.
    rev = start(worker_factory, slow, "reverse")
    wait_streaming(db, rev, "reverse")
    assert rev.stop() == 0
    w = start(worker_factory, slow, "forward")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] > 0, timeout=60, what="copy under way")
    # B's users write while the copy runs: new rows, and one of the copied
    # rows changed (it is B's version now).
    db.sql_b("INSERT INTO t VALUES (50001, 'b during copy'), (50002, 'b during copy')")
    changed = db.sql_b("SELECT min(id) FROM t WHERE id <= 20000")[0][0]
    db.sql_b(f"UPDATE t SET v = 'b changed' WHERE id = {changed}")
    w.kill()
    assert db.sql_b("SELECT state FROM pgduplex.initial_sync WHERE task = 't'")[0][0] == "copying"
    fast = db.write_config(tmp_path / "fast.toml")  # conflicting_tables = "error": B's rows are no conflict
    fwd = start(worker_factory, fast, "forward")
    wait_streaming(db, fwd)
    assert "did not finish" in fwd.output()
    # The restart kept B's rows; the copy's own rows were redone.
    assert db.sql_b("SELECT id, v FROM t WHERE id > 20000 ORDER BY id") == [
        (50001, "b during copy"), (50002, "b during copy")]
    assert db.sql_b(f"SELECT v FROM t WHERE id = {changed}")[0][0] == "b changed"
    assert db.sql_b("SELECT count(*) FROM t")[0][0] == 20002
    # ... and once the reverse direction runs again it sends them to A:
    # both sides agree.
    rev = start(worker_factory, fast, "reverse")
    wait_streaming(db, rev, "reverse")
    db.sql_b("INSERT INTO t VALUES (50003, 'b after copy')")
    assert_converges(db, "SELECT id, v FROM t ORDER BY id", workers=[fwd, rev])
    assert fwd.stop() == 0 and rev.stop() == 0


def test_restart_does_not_drop_a_table_it_created_that_b_wrote_into(dbpair, worker_factory, tmp_path):
    """A table the interrupted copy created is dropped by the restart, unless
    B's users wrote rows into it meanwhile: then the restart stops naming
    it, and the rows stay."""
    db = dbpair
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO t SELECT g, 'a' FROM generate_series(1, 20000) g; ANALYZE t")
    slow = db.write_config(tmp_path / "slow.toml", sync={"copy_split_rows": 1000, "copy_workers": 2,
                                                        "copy_max_rows_per_sec": 4000})
    w = start(worker_factory, slow, "forward")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] > 0, timeout=60, what="copy under way")
    db.sql_b("INSERT INTO t VALUES (50001, 'b during copy')")
    w.kill()
    fast = db.write_config(tmp_path / "fast.toml", extra="[retry]\nerror_retry_minutes = 0\n")
    w2 = start(worker_factory, fast, "forward")
    assert w2.wait(60) != 0
    assert "table \"public\".\"t\" on cluster b was created by the copy that did not finish" in w2.output(), \
        w2.output()
    assert db.sql_b("SELECT v FROM t WHERE id = 50001")[0][0] == "b during copy"
