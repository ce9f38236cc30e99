"""Last-write-wins on a table with a second unique constraint, when the
later holder of a unique value gives it up before the older claimant
arrives (issue 11, multiple unique constraints).

B's row (15, 'e6') is older than A's (7, 'e6'). On B, A's row arrives
while B's row still holds 'e6': the later row keeps the value and B's row
is removed. On A, B's row arrives after A's row moved on to 'e9': without a
memory of the value, it would go in on A only. pgduplex.value_claims
(extension 1.3) remembers that a local row held 'e6' later, so A keeps B's
row out too, and both sides end alike whatever the arrival order."""
import pytest

from conftest import wait_until
from test_run_sync import run

TABLE = "CREATE TABLE t (id int PRIMARY KEY, email text NOT NULL UNIQUE, v int)"


def rows(db, side):
    return [tuple(r) for r in getattr(db, "sql_" + side)("SELECT id, email, v FROM t ORDER BY id")]


def conflicts(db, side):
    return [tuple(r) for r in getattr(db, "sql_" + side)(
        "SELECT conflict_type, resolution FROM pgduplex.conflicts ORDER BY id")]


def start_both(worker_factory, cfg, db):
    return run(worker_factory, cfg, "forward", db), run(worker_factory, cfg, "reverse", db)


def settle(db, workers, marker):
    db.sql_a(f"INSERT INTO t VALUES ({marker}, 'ma{marker}', 0)")
    db.sql_b(f"INSERT INTO t VALUES ({marker + 1}, 'mb{marker}', 0)")
    for side, key in (("a", marker + 1), ("b", marker)):
        wait_until(lambda: getattr(db, "sql_" + side)(f"SELECT 1 FROM t WHERE id = {key}")
                   or not all(w.alive() for w in workers), timeout=30, what=f"the marker on {side}")
    for w in workers:
        assert w.alive(), w.output()


@pytest.mark.parametrize("later_move", ["update", "delete"])
def test_an_older_row_does_not_take_a_value_a_later_row_gave_up(dbpair, worker_factory, tmp_path, later_move):
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins", "initial": "none"})
    workers = start_both(worker_factory, cfg, db)
    settle(db, workers, 1000)  # both directions stream, triggers are in place
    for w in workers:
        assert w.stop() == 0
    db.sql_b("INSERT INTO t VALUES (15, 'e6', 1)")         # older
    db.sql_a("INSERT INTO t VALUES (7, 'e6', 2)")          # later: takes 'e6'
    if later_move == "update":
        db.sql_a("UPDATE t SET email = 'e9' WHERE id = 7")  # then gives it up
        expected = [(7, "e9", 2)]
    else:
        db.sql_a("DELETE FROM t WHERE id = 7")
        expected = []
    workers = start_both(worker_factory, cfg, db)
    settle(db, workers, 2000)
    a = [r for r in rows(db, "a") if r[0] < 1000]
    b = [r for r in rows(db, "b") if r[0] < 1000]
    assert a == b == expected, (a, b, conflicts(db, "a"), conflicts(db, "b"))
    assert ("insert_exists", "kept_local") in conflicts(db, "a")
    assert db.sql_a("SELECT count(*) FROM pgduplex.value_claims")[0][0] == 1
    for w in workers:
        assert w.stop() == 0


def test_a_later_row_takes_a_value_an_older_holder_gave_up(dbpair, worker_factory, tmp_path):
    """The claim is older than the arriving row: it goes in on both sides."""
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins", "initial": "none"})
    workers = start_both(worker_factory, cfg, db)
    settle(db, workers, 1000)
    for w in workers:
        assert w.stop() == 0
    db.sql_a("INSERT INTO t VALUES (7, 'e6', 2)")
    db.sql_a("UPDATE t SET email = 'e9' WHERE id = 7")
    db.sql_b("INSERT INTO t VALUES (15, 'e6', 1)")         # later than A's claim of 'e6'
    workers = start_both(worker_factory, cfg, db)
    settle(db, workers, 2000)
    a = [r for r in rows(db, "a") if r[0] < 1000]
    b = [r for r in rows(db, "b") if r[0] < 1000]
    assert a == b == [(7, "e9", 2), (15, "e6", 1)], (a, b)
    for w in workers:
        assert w.stop() == 0


def cut_link_after(db, worker_factory, cfg, setup_sql_a):
    """Both directions stream (triggers in place, setup rows on both
    sides), then the link is cut: the workers stop."""
    workers = start_both(worker_factory, cfg, db)
    db.sql_a(setup_sql_a)
    settle(db, workers, 1000)
    for w in workers:
        assert w.stop() == 0


def heal_and_compare(db, worker_factory, cfg):
    workers = start_both(worker_factory, cfg, db)
    settle(db, workers, 2000)
    a = [r for r in rows(db, "a") if r[0] < 1000]
    b = [r for r in rows(db, "b") if r[0] < 1000]
    for w in workers:
        assert w.stop() == 0
    return a, b


@pytest.mark.parametrize("later_move", ["update", "delete"])
@pytest.mark.parametrize("mover", ["b", "a"])
def test_an_older_update_onto_a_value_a_later_row_gave_up_is_displaced(dbpair, worker_factory, tmp_path,
                                                                       later_move, mover):
    """`mover` moves row 15 onto 'e6' (older); the other side's row 7 takes
    'e6' later, then gives it up. In commit-time order, row 7 displaced row
    15's version: row 15 is gone on both sides. The mover's side sees it as
    an INSERT colliding with its row; the other side must see it from the
    claim when the UPDATE arrives (fast path and conflict path alike), in
    either direction."""
    db = dbpair
    holder = "a" if mover == "b" else "b"
    mover_sql, holder_sql = getattr(db, "sql_" + mover), getattr(db, "sql_" + holder)
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins", "initial": "none"})
    cut_link_after(db, worker_factory, cfg, "INSERT INTO t VALUES (15, 'e1', 1)")
    mover_sql("UPDATE t SET email = 'e6', v = 3 WHERE id = 15")  # older
    holder_sql("INSERT INTO t VALUES (7, 'e6', 2)")               # later: takes 'e6'
    if later_move == "update":
        holder_sql("UPDATE t SET email = 'e9' WHERE id = 7")       # then gives it up
        expected = [(7, "e9", 2)]
    else:
        holder_sql("DELETE FROM t WHERE id = 7")
        expected = []
    a, b = heal_and_compare(db, worker_factory, cfg)
    assert a == b == expected, (a, b, conflicts(db, "a"), conflicts(db, "b"))
    assert ("update_exists", "kept_local") in conflicts(db, holder), conflicts(db, holder)


def test_a_later_update_takes_a_value_an_older_holder_gave_up(dbpair, worker_factory, tmp_path):
    """The claim is older than the UPDATE: the UPDATE goes in on both sides."""
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins", "initial": "none"})
    cut_link_after(db, worker_factory, cfg, "INSERT INTO t VALUES (15, 'e1', 1)")
    db.sql_a("INSERT INTO t VALUES (7, 'e6', 2)")
    db.sql_a("UPDATE t SET email = 'e9' WHERE id = 7")
    db.sql_b("UPDATE t SET email = 'e6', v = 3 WHERE id = 15")  # later than A's claim of 'e6'
    a, b = heal_and_compare(db, worker_factory, cfg)
    assert a == b == [(7, "e9", 2), (15, "e6", 3)], (a, b, conflicts(db, "a"), conflicts(db, "b"))


def test_an_older_insert_over_an_older_local_row_is_displaced_with_it(dbpair, worker_factory, tmp_path):
    """Row 15 exists on A only (written there, link cut); B inserts its own
    row 15 with 'e6' later, A's row 7 takes 'e6' later still and gives it
    up. In commit-time order B's row 15 replaced A's, then row 7 displaced
    it: no row 15 on either side."""
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins", "initial": "none"})
    cut_link_after(db, worker_factory, cfg, "SELECT 1")
    db.sql_a("INSERT INTO t VALUES (15, 'e1', 1)")               # oldest
    db.sql_b("INSERT INTO t VALUES (15, 'e6', 3)")               # replaces it
    db.sql_a("INSERT INTO t VALUES (7, 'e6', 2)")                # displaces B's row 15
    db.sql_a("UPDATE t SET email = 'e9' WHERE id = 7")
    a, b = heal_and_compare(db, worker_factory, cfg)
    assert a == b == [(7, "e9", 2)], (a, b, conflicts(db, "a"), conflicts(db, "b"))
