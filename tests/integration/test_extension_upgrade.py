"""Extension upgrade: a pair installed at 1.0 and syncing both ways is
upgraded with ALTER EXTENSION pgduplex UPDATE on both sides while the
workers run, and keeps syncing rows both ways; DDL then travels through the
1.1 channel, and restarted workers apply as table owners."""
from conftest import DbPair, _db_counter, assert_converges, wait_until
from test_ddl_forward import run_a, two_way


def create_pair_at(a, b, version):
    dbname = f"up{next(_db_counter)}"
    for cluster in (a, b):
        cluster.sql(f"CREATE DATABASE {dbname}")
        cluster.sql(f"CREATE EXTENSION pgduplex VERSION '{version}'", dbname=dbname)
    return DbPair(a, b, dbname)


def ext_version(db):
    q = "SELECT extversion FROM pg_extension WHERE extname = 'pgduplex'"
    return db.sql_a(q)[0][0], db.sql_b(q)[0][0]


def test_pair_at_1_0_upgrades_while_syncing_and_keeps_syncing(make_cluster, worker_factory, tmp_path):
    a, b = make_cluster("up-a"), make_cluster("up-b")
    db = create_pair_at(a, b, "1.0")
    assert ext_version(db) == ("1.0", "1.0")
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO t SELECT g, 'a' FROM generate_series(1, 20) g")
    # A 1.0 target cannot switch to table owners: this stage runs as before.
    fwd, rev = two_way(db, worker_factory, tmp_path, sync={"apply_as_table_owner": False})
    db.sql_a("INSERT INTO t VALUES (101, 'from a at 1.0')")
    db.sql_b("INSERT INTO t VALUES (102, 'from b at 1.0')")
    assert_converges(db, "SELECT * FROM t ORDER BY id", workers=(fwd, rev))

    # Upgrade both sides under the running workers.
    db.sql_b("ALTER EXTENSION pgduplex UPDATE TO '1.1'")
    db.sql_a("ALTER EXTENSION pgduplex UPDATE TO '1.1'")
    assert ext_version(db) == ("1.1", "1.1")
    db.sql_a("INSERT INTO t VALUES (103, 'from a at 1.1')")
    db.sql_b("INSERT INTO t VALUES (104, 'from b at 1.1')")
    assert_converges(db, "SELECT * FROM t ORDER BY id", workers=(fwd, rev))

    # DDL now travels through pgduplex.ddl_log, to the running worker.
    run_a(db, "ALTER TABLE t ADD COLUMN w int")
    wait_until(lambda: db.sql_b("SELECT 1 FROM pg_attribute WHERE attrelid = 't'::regclass "
                                "AND attname = 'w'"), timeout=30, what="the ALTER TABLE to reach B")
    db.sql_a("INSERT INTO t VALUES (105, 'a', 5)")
    db.sql_b("INSERT INTO t VALUES (106, 'b', 6)")
    assert_converges(db, "SELECT * FROM t ORDER BY id", workers=(fwd, rev))

    # Restarted with the defaults, the workers apply as table owners.
    fwd.stop()
    rev.stop()
    fwd, rev = two_way(db, worker_factory, tmp_path)
    db.sql_a("INSERT INTO t VALUES (107, 'a', 7)")
    db.sql_b("INSERT INTO t VALUES (108, 'b', 8)")
    assert_converges(db, "SELECT * FROM t ORDER BY id", workers=(fwd, rev))
    assert db.sql_b("SELECT count(*) FROM pgduplex.conflicts")[0][0] == 0
