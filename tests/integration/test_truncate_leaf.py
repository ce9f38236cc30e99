"""A TRUNCATE of one leaf partition on A never removes more than that leaf's
rows on B (issue 12). When B's table is not partitioned the same way the
change maps to B's table by the root's name, and the TRUNCATE becomes a
DELETE of the leaf's partition bounds (its partition constraint on A)."""
import pytest

from conftest import wait_until
from test_run_sync import run

PARTITIONED_ON_A = ("CREATE TABLE m (id int, region int, v text, PRIMARY KEY (id, region)) PARTITION BY RANGE (region);"
                    "CREATE TABLE m_low PARTITION OF m FOR VALUES FROM (MINVALUE) TO (10);"
                    "CREATE TABLE m_mid PARTITION OF m FOR VALUES FROM (10) TO (20);"
                    "CREATE TABLE m_rest PARTITION OF m DEFAULT")


def start_forward(db, worker_factory, tmp_path, policy=None):
    sync = {"initial": "none"}
    if policy:
        sync["conflict_policy"] = policy
    cfg = db.write_config(tmp_path / "t.toml", sync=sync, extra="[retry]\nerror_retry_minutes = 0\n")
    return run(worker_factory, cfg, "forward", db)


def fill(db, worker):
    db.sql_a("INSERT INTO m SELECT g, g % 30, 'a' FROM generate_series(1, 300) g")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM m")[0][0] == 300, timeout=30, what="the rows on B")
    assert worker.alive()


def regions_on_b(db):
    return db.sql_b("SELECT count(*) FILTER (WHERE region < 10), count(*) FILTER (WHERE region >= 10 AND region < 20),"
                    " count(*) FILTER (WHERE region >= 20) FROM m")[0]


@pytest.mark.parametrize("policy", [None, "last-write-wins"])
def test_leaf_truncate_onto_a_plain_table_removes_only_that_leafs_rows(dbpair, worker_factory, tmp_path, policy):
    db = dbpair
    db.sql_a(PARTITIONED_ON_A)
    db.sql_b("CREATE TABLE m (id int, region int, v text, PRIMARY KEY (id, region))")  # plain on B
    w = start_forward(db, worker_factory, tmp_path, policy)
    fill(db, w)
    db.sql_a("TRUNCATE m_mid")
    wait_until(lambda: regions_on_b(db)[1] == 0, timeout=30, what="m_mid's rows gone on B")
    assert regions_on_b(db) == (100, 0, 100)
    # The default partition's constraint is "none of the others".
    db.sql_a("TRUNCATE m_rest")
    wait_until(lambda: regions_on_b(db)[2] == 0, timeout=30, what="m_rest's rows gone on B")
    assert regions_on_b(db) == (100, 0, 0)
    assert w.alive(), w.output()


def test_leaf_truncate_onto_differently_partitioned_table_removes_only_that_leafs_rows(dbpair, worker_factory,
                                                                                    tmp_path):
    db = dbpair
    db.sql_a(PARTITIONED_ON_A)
    db.sql_b("CREATE TABLE m (id int, region int, v text, PRIMARY KEY (id, region)) PARTITION BY HASH (id);"
             "CREATE TABLE m_h0 PARTITION OF m FOR VALUES WITH (MODULUS 2, REMAINDER 0);"
             "CREATE TABLE m_h1 PARTITION OF m FOR VALUES WITH (MODULUS 2, REMAINDER 1)")
    w = start_forward(db, worker_factory, tmp_path)
    fill(db, w)
    db.sql_a("TRUNCATE m_low")
    wait_until(lambda: regions_on_b(db)[0] == 0, timeout=30, what="m_low's rows gone on B")
    assert regions_on_b(db) == (0, 100, 100)
    # A whole-tree TRUNCATE still empties B's table.
    db.sql_a("TRUNCATE m")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM m")[0][0] == 0, timeout=30, what="B's table emptied")
    assert w.alive(), w.output()


def test_leaf_truncate_whose_bounds_cannot_travel_stops_naming_the_partition(dbpair, worker_factory, tmp_path):
    """A partition key calling a function that is not built in: its bounds
    would run on B, where that name may be someone else's function, so they
    do not travel and the TRUNCATE is refused rather than emptying B's table."""
    db = dbpair
    # plpgsql: not inlined into the key expression (a SQL function would be).
    db.both("CREATE FUNCTION bucket(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS 'BEGIN RETURN $1 / 10; END'")
    db.sql_a("CREATE TABLE m (id int, region int, v text) PARTITION BY LIST (bucket(region));"
             "CREATE TABLE m_0 PARTITION OF m FOR VALUES IN (0);"
             "CREATE TABLE m_1 PARTITION OF m FOR VALUES IN (1, 2);"
             "ALTER TABLE m_0 REPLICA IDENTITY FULL; ALTER TABLE m_1 REPLICA IDENTITY FULL")
    db.sql_b("CREATE TABLE m (id int, region int, v text)")
    w = start_forward(db, worker_factory, tmp_path)
    db.sql_a("INSERT INTO m SELECT g, g % 30, 'a' FROM generate_series(1, 300) g")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM m")[0][0] == 300, timeout=30, what="the rows on B")
    db.sql_a("TRUNCATE m_0")
    assert w.wait(60) == 4
    assert "TRUNCATE of partition public.m_0 not applied" in w.output(), w.output()
    assert db.sql_b("SELECT count(*) FROM m")[0][0] == 300
