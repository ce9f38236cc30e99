"""Captured DDL that must not be carried as is (issue 8): a statement run
with standard_conforming_strings = off (its literals end elsewhere on B),
and passwords in DDL texts, which never reach a log line."""
from conftest import wait_until
from test_ddl_forward import run_a
from test_initial_sync import start, wait_streaming


def forward(db, worker_factory, tmp_path):
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    db.sql_a("CREATE TABLE marker (id int PRIMARY KEY)")
    fwd = start(worker_factory, db.write_config(tmp_path / "t.toml"), "forward")
    wait_streaming(db, fwd)
    return fwd


def wait_marker(db, fwd, marker):
    db.sql_a("INSERT INTO marker VALUES (%s)", (marker,))
    try:
        wait_until(lambda: db.sql_b("SELECT 1 FROM marker WHERE id = %s", (marker,)), timeout=60,
                   what=f"marker {marker} on B")
    except AssertionError as e:
        raise AssertionError(f"{e}\n{fwd.output()[-4000:]}") from None


def columns_b(db, table):
    return [r[0] for r in db.sql_b("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass "
                                   "AND attnum > 0 AND NOT attisdropped ORDER BY attnum", (table,))]


def test_ddl_run_without_standard_conforming_strings_is_not_carried(dbpair, worker_factory, tmp_path):
    db = dbpair
    fwd = forward(db, worker_factory, tmp_path)
    # On A (setting off) one column c whose default is "a', ADD COLUMN d
    # ..."; read with the setting on, as B would, two columns.
    run_a(db, "SET standard_conforming_strings = off",
          "ALTER TABLE t ADD COLUMN c text DEFAULT 'a\\', ADD COLUMN d int DEFAULT 1 --'")
    assert db.sql_a("SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'd'")[0][0] == 0
    wait_marker(db, fwd, 1)
    assert columns_b(db, "t") == ["id", "v"]
    lines = [line for line in fwd.output().splitlines()
             if "not carried" in line and "standard_conforming_strings = off" in line]
    assert len(lines) == 1, fwd.output()[-4000:]
    # With the setting on again, DDL is carried as before.
    run_a(db, "ALTER TABLE t ADD COLUMN e int")
    wait_marker(db, fwd, 2)
    assert columns_b(db, "t") == ["id", "v", "e"]
    assert fwd.stop() == 0


def test_passwords_in_ddl_never_reach_the_log(dbpair, worker_factory, tmp_path):
    db = dbpair
    fwd = forward(db, worker_factory, tmp_path)
    run_a(db,
          "CREATE FOREIGN DATA WRAPPER h2_dummy",
          "CREATE SERVER h2_srv FOREIGN DATA WRAPPER h2_dummy OPTIONS (host 'h', password 'srv-s3cret')",
          "CREATE USER MAPPING FOR postgres SERVER h2_srv OPTIONS (user 'u', password 'map-s3cret')",
          "ALTER USER MAPPING FOR postgres SERVER h2_srv OPTIONS (SET password $$new-s3cret$$)",
          "ALTER SERVER h2_srv OPTIONS (ADD dsn 'host=x password=dsn-s3cret')",
          # Carried: logged as "applied DDL".
          "ALTER TABLE t ADD COLUMN dsn text DEFAULT 'host=x password=col-s3cret'")
    wait_marker(db, fwd, 1)
    log = fwd.output()
    assert "s3cret" not in log, log[-4000:]
    assert len([line for line in log.splitlines() if "not carried" in line and "********" in line]) >= 4, log[-4000:]
    assert "dsn" in columns_b(db, "t")
    assert fwd.stop() == 0
