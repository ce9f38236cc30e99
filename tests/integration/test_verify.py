"""pgduplex verify on real clusters: identical tables pass, planted
differences are found key by key, --repair makes B match A."""
import subprocess
import threading

from conftest import PGBIN, wait_until
from opshelp import pgduplex


def load(db):
    # Same rows; B declares the columns in another order and with other
    # compatible types: equal rows must still compare equal.
    db.sql_a("CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), "
             "at timestamptz DEFAULT '2024-01-02 03:04:05+00', tags text[])")
    db.sql_b("CREATE TABLE items (tags text[], at timestamptz DEFAULT '2024-01-02 03:04:05+00', "
             "price numeric(10,2), name varchar(40), id bigint PRIMARY KEY)")
    for run in (db.sql_a, db.sql_b):
        run("INSERT INTO items (id, name, price, tags) SELECT g, 'n' || g, g / 4.0, "
            "ARRAY['x', g::text] FROM generate_series(1, 25000) g")
        run("CREATE TABLE pairs (a int, b text, v int, PRIMARY KEY (a, b))")
        run("INSERT INTO pairs SELECT g % 7, 'k' || g, g FROM generate_series(1, 300) g")


def test_verify_of_identical_tables_exits_zero(dbpair, tmp_path):
    load(dbpair)
    cfg = dbpair.write_config(tmp_path / "t.toml")
    code, out = pgduplex("verify", "--config", str(cfg))
    assert code == 0, out
    assert "public.items: identical (25000 rows, 3 chunks)" in out
    assert "public.pairs: identical" in out


def test_verify_finds_changed_missing_and_extra_rows_and_repair_fixes_them(dbpair, tmp_path):
    load(dbpair)
    dbpair.sql_b("DELETE FROM items WHERE id IN (17, 12345)")          # missing on B
    dbpair.sql_b("INSERT INTO items (id, name) VALUES (99999, 'ghost')")  # extra on B
    dbpair.sql_b("UPDATE items SET price = 0 WHERE id = 20001")         # changed
    dbpair.sql_b("UPDATE items SET tags = NULL WHERE id = 3")           # changed (to NULL)
    dbpair.sql_b("UPDATE pairs SET v = -1 WHERE a = 3 AND b = 'k10'")
    cfg = dbpair.write_config(tmp_path / "t.toml")

    code, out = pgduplex("verify", "--config", str(cfg))
    assert code == 1, out
    assert "public.items: DIFFERENT (A 25000 rows, B 24999 rows): 2 missing on B, 1 extra on B, 2 changed" in out
    for line in ("missing on B  17", "missing on B  12345", "extra on B    99999", "changed       3",
                 "changed       20001", "changed       (3, k10)"):
        assert line in out, out

    code, out = pgduplex("verify", "--config", str(cfg), "--max-keys", "1")
    assert "... and 4 more (--max-keys 1)" in out, out

    code, out = pgduplex("verify", "--config", str(cfg), "--repair")
    assert code == 0, out
    assert "repaired on B: 2 inserted, 2 updated, 1 deleted" in out

    code, out = pgduplex("verify", "--config", str(cfg))
    assert code == 0, out
    query = "SELECT id, name, price::text, tags FROM items WHERE id IN (3, 17, 12345, 20001) ORDER BY id"
    assert dbpair.sql_b(query) == dbpair.sql_a(query)
    assert dbpair.sql_b("SELECT count(*) FROM items WHERE id = 99999") == [(0,)]


def test_verify_only_checks_the_named_table(dbpair, tmp_path):
    load(dbpair)
    dbpair.sql_b("DELETE FROM pairs")
    cfg = dbpair.write_config(tmp_path / "t.toml")
    code, out = pgduplex("verify", "--config", str(cfg), "--table", "public.items")
    assert code == 0, out
    assert "pairs" not in out
    code, out = pgduplex("verify", "--config", str(cfg), "--table", "nosuch")
    assert code == 2, out


def test_verify_reports_a_missing_table_and_a_keyless_difference(dbpair, tmp_path):
    dbpair.sql_a("CREATE TABLE only_a (id int PRIMARY KEY)")
    dbpair.both("CREATE TABLE heap (x int)")
    dbpair.sql_a("INSERT INTO heap VALUES (1), (2)")
    dbpair.sql_b("INSERT INTO heap VALUES (1), (3)")
    cfg = dbpair.write_config(tmp_path / "t.toml")
    code, out = pgduplex("verify", "--config", str(cfg), "--repair")
    assert code == 1, out
    assert "public.only_a: DIFFERENT: table missing on B" in out
    assert "public.heap: DIFFERENT (A 2 rows, B 2 rows; no key" in out
    assert "not repaired" in out


def test_verify_repair_writes_under_the_forward_origin_and_fires_no_trigger(dbpair, tmp_path):
    dbpair.both("CREATE TABLE t (id int PRIMARY KEY, v text)")
    dbpair.sql_a("INSERT INTO t SELECT g, 'v' FROM generate_series(1, 10) g")
    dbpair.sql_b("CREATE TABLE audit (n int)")
    dbpair.sql_b("CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$BEGIN INSERT INTO audit VALUES (1); RETURN NEW; END$$")
    dbpair.sql_b("CREATE TRIGGER t_audit AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg()")
    dbpair.sql_b("SELECT pg_replication_origin_create('pgduplex_rep_forward')")
    try:
        cfg = dbpair.write_config(tmp_path / "t.toml", name="rep", sync={"tables": ["public.t"]})
        code, out = pgduplex("verify", "--config", str(cfg), "--repair")
        assert code == 0, out
        assert "carry origin pgduplex_rep_forward" in out
        assert dbpair.sql_b("SELECT count(*) FROM t") == [(10,)]
        assert dbpair.sql_b("SELECT count(*) FROM audit") == [(0,)]
        local_lsn = dbpair.sql_b("SELECT local_lsn::text FROM pg_replication_origin_status "
                                 "WHERE external_id = 'pgduplex_rep_forward'")[0][0]
        assert local_lsn != "0/0"
    finally:
        dbpair.sql_b("SELECT pg_replication_origin_drop('pgduplex_rep_forward')")


def test_verify_reports_sequences_apart_from_the_data(dbpair, tmp_path):
    dbpair.both("CREATE TABLE s (id serial PRIMARY KEY, v int)")
    dbpair.sql_a("INSERT INTO s (v) SELECT g FROM generate_series(1, 5) g")
    dbpair.sql_b("INSERT INTO s (id, v) SELECT g, g FROM generate_series(1, 5) g")
    cfg = dbpair.write_config(tmp_path / "t.toml")
    code, out = pgduplex("verify", "--config", str(cfg))
    assert code == 0, out
    assert "public.s_id_seq: A last_value 5, B last_value 1 (not yet used)" in out


def test_verify_compares_a_partitioned_table_through_its_partitions(dbpair, tmp_path):
    for run in (dbpair.sql_a, dbpair.sql_b):
        run("CREATE TABLE m (id int PRIMARY KEY, v int) PARTITION BY RANGE (id)")
        run("CREATE TABLE m_1 PARTITION OF m FOR VALUES FROM (0) TO (100)")
        run("CREATE TABLE m_2 PARTITION OF m FOR VALUES FROM (100) TO (200)")
        run("INSERT INTO m SELECT g, g FROM generate_series(0, 199) g")
    dbpair.sql_b("UPDATE m SET v = 0 WHERE id = 150")
    cfg = dbpair.write_config(tmp_path / "t.toml")
    code, out = pgduplex("verify", "--config", str(cfg))
    assert code == 1, out
    assert "public.m: partitioned, compared through its partitions" in out
    assert "public.m_1: identical" in out
    assert "public.m_2: DIFFERENT" in out and "changed       150" in out


def test_verify_while_sync_runs_waits_for_changes_in_flight(dbpair, tmp_path):
    dbpair.both("CREATE TABLE t (id int PRIMARY KEY, v text)")
    dbpair.sql_a("INSERT INTO t SELECT g, 'v' FROM generate_series(1, 100) g")
    dbpair.sql_b("INSERT INTO t SELECT g, 'v' FROM generate_series(1, 99) g")  # row 100 "in flight"
    # An active slot of the task = a worker streaming.
    dbpair.sql_a("SELECT pg_create_logical_replication_slot('pgduplex_live_forward', 'test_decoding')")
    reader = subprocess.Popen([f"{PGBIN}/pg_recvlogical", "-d", dbpair.conninfo_a(), "-S", "pgduplex_live_forward",
                               "--start", "-f", "/dev/null"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: dbpair.sql_a("SELECT active FROM pg_replication_slots "
                                        "WHERE slot_name = 'pgduplex_live_forward'") == [(True,)],
                   timeout=20, what="slot to become active")
        cfg = dbpair.write_config(tmp_path / "t.toml", name="live")
        late = threading.Timer(0.4, lambda: dbpair.sql_b("INSERT INTO t VALUES (100, 'v')"))
        late.start()
        code, out = pgduplex("verify", "--config", str(cfg))
        late.join()
        assert code == 0, out
        assert "a worker of the task is streaming" in out
        # without the late row, the difference outlives the re-reads
        dbpair.sql_b("DELETE FROM t WHERE id = 7")
        code, out = pgduplex("verify", "--config", str(cfg))
        assert code == 1 and "missing on B  7" in out, out
    finally:
        reader.terminate()
        reader.wait(10)
