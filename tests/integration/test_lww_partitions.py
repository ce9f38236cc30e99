"""last-write-wins on partitioned tables. First, a TRUNCATE of one leaf partition on one side racing
inserts from the other (issue 11, "TRUNCATE racing writes on the peer").

The link is cut (both workers stopped). A inserts rows into two leaves; later,
B truncates one leaf; later still A inserts another row into that leaf. Once
healed, by commit time: A's earlier row in the truncated leaf is gone on both
sides, its row in the other leaf and its later row survive on both sides.
Before extension 1.4 a leaf's TRUNCATE left no tombstone on B (statement
triggers of a partitioned table do not fire for a TRUNCATE of one leaf), so
B let A's earlier row in while A deleted it: the sides differed.
"""
import pytest

from conftest import wait_until
from test_run_sync import run

TABLE = ("CREATE TABLE m (id int, region int, v text, PRIMARY KEY (id, region)) PARTITION BY RANGE (region);"
         "CREATE TABLE m_low PARTITION OF m FOR VALUES FROM (MINVALUE) TO (10);"
         "CREATE TABLE m_mid PARTITION OF m FOR VALUES FROM (10) TO (20);"
         "CREATE TABLE m_rest PARTITION OF m DEFAULT")


def rows(sql):
    return [tuple(r) for r in sql("SELECT id, region, v FROM m ORDER BY id, region")]


def heal(db, workers, cfg, worker_factory, marker):
    """Both directions running until a marker written on each side is on the other."""
    workers["forward"] = run(worker_factory, cfg, "forward", db)
    workers["reverse"] = run(worker_factory, cfg, "reverse", db)
    db.sql_a(f"INSERT INTO m VALUES ({marker}, 25, 'marker a')")
    db.sql_b(f"INSERT INTO m VALUES ({marker + 1}, 25, 'marker b')")
    wait_until(lambda: db.sql_b(f"SELECT 1 FROM m WHERE id = {marker}")
               and db.sql_a(f"SELECT 1 FROM m WHERE id = {marker + 1}"), timeout=30, what="both markers across")
    for w in workers.values():
        assert w.alive(), w.output()


@pytest.mark.parametrize("truncated", ["m_mid", "m_rest"])
def test_leaf_truncate_racing_inserts_converges(dbpair, worker_factory, tmp_path, truncated):
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins", "initial": "none"})
    workers = {}
    heal(db, workers, cfg, worker_factory, 1000)  # creates the tombstone triggers on both sides
    region = 15 if truncated == "m_mid" else 25
    db.sql_a("INSERT INTO m VALUES (1, 5, 'a old'), (2, 15, 'a old'), (3, 25, 'a old')")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM m WHERE id < 10")[0][0] == 3, timeout=30,
               what="the first rows on B")
    for w in workers.values():
        assert w.stop() == 0
    # The link is cut: A writes into the leaf, then B truncates it, then A writes again.
    db.sql_a(f"INSERT INTO m VALUES (10, {region}, 'a before'), (11, 5, 'a other leaf')")
    db.sql_b(f"TRUNCATE {truncated}")
    db.sql_a(f"INSERT INTO m VALUES (12, {region}, 'a after')")
    heal(db, workers, cfg, worker_factory, 2000)
    expected_ids = {1, 11, 12, 2000, 2001} | ({3, 1000, 1001} if truncated == "m_mid" else {2})
    wait_until(lambda: {r[0] for r in rows(db.sql_a)} == expected_ids, timeout=30,
               what=f"A to hold ids {sorted(expected_ids)}")
    assert {r[0] for r in rows(db.sql_b)} == expected_ids, (rows(db.sql_a), rows(db.sql_b))
    assert rows(db.sql_a) == rows(db.sql_b)
    for w in workers.values():
        assert w.stop() == 0


def test_drop_removes_the_leaf_triggers(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins", "initial": "none"})
    w = run(worker_factory, cfg, "forward", db)
    wait_until(lambda: db.sql_b("SELECT count(*) FROM pg_trigger WHERE tgname = 'pgduplex_truncate'")[0][0] == 4,
               timeout=30, what="truncate triggers on the root and its three leaves on B")
    assert w.stop() == 0
    from opshelp import pgduplex
    code, out = pgduplex("drop", "--config", str(cfg))
    assert code == 0, out
    assert db.sql_b("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgduplex%'")[0][0] == 0


@pytest.mark.parametrize("on_b", ["DELETE FROM m WHERE id = 4", "UPDATE m SET v = 'b later' WHERE id = 4"])
def test_a_partition_applied_to_directly_finds_its_tombstones(dbpair, worker_factory, tmp_path, on_b):
    """Both sides partitioned alike: rows go straight into B's partition,
    while B's tombstones of that partition's rows are kept under the root."""
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins", "initial": "none"})
    workers = {}
    heal(db, workers, cfg, worker_factory, 1000)
    db.sql_a("INSERT INTO m VALUES (4, 15, 'a old')")
    wait_until(lambda: db.sql_b("SELECT 1 FROM m WHERE id = 4"), timeout=30, what="row 4 on B")
    for w in workers.values():
        assert w.stop() == 0
    db.sql_a("UPDATE m SET v = 'a earlier' WHERE id = 4")
    db.sql_b(on_b)  # later: B's version wins on both sides
    heal(db, workers, cfg, worker_factory, 2000)
    expected = db.sql_b("SELECT id, region, v FROM m WHERE id = 4")
    wait_until(lambda: db.sql_a("SELECT id, region, v FROM m WHERE id = 4") == expected, timeout=30,
               what=f"A to hold B's version of row 4: {expected}")
    assert rows(db.sql_a) == rows(db.sql_b)
    for w in workers.values():
        assert w.stop() == 0


def test_a_partition_applied_to_directly_finds_its_value_claims(dbpair, worker_factory, tmp_path):
    """The unique-value claims of a partitioned table are kept under the
    root too (test_lww_unique_claims.py has the plain-table case)."""
    db = dbpair
    db.both("CREATE TABLE u (id int, region int, email text NOT NULL, PRIMARY KEY (id, region), "
            "UNIQUE (email, region)) PARTITION BY LIST (region);"
            "CREATE TABLE u_1 PARTITION OF u FOR VALUES IN (1);"
            "CREATE TABLE u_2 PARTITION OF u FOR VALUES IN (2)")
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins", "initial": "none"})
    workers = {}
    heal(db, workers, cfg, worker_factory, 1000)
    for w in workers.values():
        assert w.stop() == 0
    db.sql_b("INSERT INTO u VALUES (15, 1, 'e6')")            # older
    db.sql_a("INSERT INTO u VALUES (7, 1, 'e6')")             # later: takes 'e6'
    db.sql_a("UPDATE u SET email = 'e9' WHERE id = 7")        # then gives it up
    heal(db, workers, cfg, worker_factory, 2000)
    query = "SELECT id, region, email FROM u ORDER BY id"
    wait_until(lambda: db.sql_a(query) == db.sql_b(query), timeout=30, what="u alike on both sides")
    assert [tuple(r) for r in db.sql_a(query)] == [(7, 1, "e9")]
    for w in workers.values():
        assert w.stop() == 0
