"""The initial copy engine on its own (build/worker/initial-sync-driver), with
a snapshot exported by the test from a plain REPEATABLE READ transaction on
A: schema and data, conflicting_tables modes, partitions, crash and restart,
and that nothing the copy writes on B could travel back to A."""
import os
import signal
import subprocess
import time

import psycopg2
import pytest

from conftest import ROOT, assert_same, wait_until

DRIVER = os.path.join(ROOT, "build", "worker", "initial-sync-driver")


class Snapshot:
    """An exported snapshot of A's database, alive while this object is."""

    def __init__(self, db):
        self.conn = psycopg2.connect(db.conninfo_a())
        cur = self.conn.cursor()
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SELECT pg_export_snapshot(), pg_current_wal_lsn()")
        self.name, self.lsn = cur.fetchone()

    def close(self):
        self.conn.close()


def start_engine(db, config, snap):
    return subprocess.Popen([DRIVER, "--config", config, "--snapshot", snap.name, "--lsn", snap.lsn],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run_engine(db, config, expect=0):
    snap = Snapshot(db)
    try:
        proc = start_engine(db, config, snap)
        out, _ = proc.communicate(timeout=120)
    finally:
        snap.close()
    assert proc.returncode == expect, out
    return out


SCHEMA = """
CREATE SCHEMA shop;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE SEQUENCE shared_seq;
CREATE TABLE parent (id serial PRIMARY KEY, m mood, n posint, note text DEFAULT 'a;b');
CREATE TABLE child (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    pid int REFERENCES parent (id), k int DEFAULT nextval('shared_seq'),
                    g int GENERATED ALWAYS AS (k * 2) STORED);
CREATE INDEX child_k ON child (k);
CREATE TABLE shop.orders (id bigint PRIMARY KEY, moods mood[], total numeric(12,2));
CREATE TABLE events (id int, ts date, v text, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX events_v ON events (v);
CREATE TABLE nokey (a int, b text);
"""

DATA = """
INSERT INTO parent (m, n) SELECT 'ok', g FROM generate_series(1, 2000) g;
INSERT INTO child (pid) SELECT g FROM generate_series(1, 2000) g;
INSERT INTO shop.orders SELECT g, '{sad,happy}', g * 1.25 FROM generate_series(1, 3000) g;
INSERT INTO events SELECT g, '2024-01-01'::date + (g % 1000), 'v' || g FROM generate_series(1, 6000) g;
INSERT INTO nokey SELECT g, 'x' FROM generate_series(1, 500) g;
ANALYZE;
"""

ALL = ["parent", "child", "shop.orders", "events", "events_2024", "events_2025", "events_2026", "nokey"]


def test_schema_and_data_are_copied_with_types_sequences_partitions_and_indexes(dbpair, tmp_path):
    dbpair.sql_a(SCHEMA)
    dbpair.sql_a(DATA)
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"tables": ["public.*", "shop.*"],
                                                        "copy_split_rows": 700, "copy_workers": 3})
    out = run_engine(dbpair, cfg)
    assert "copy: 7/7 tables" in out
    assert_same(dbpair, *ALL)
    # Definitions came along: types, defaults, identity, generated column,
    # indexes, keys, foreign keys, partitions.
    assert dbpair.sql_b("SELECT count(*) FROM pg_type WHERE typname IN ('mood', 'posint')")[0][0] == 2
    assert dbpair.sql_b("SELECT to_regclass('public.shared_seq') IS NOT NULL")[0][0]
    indexes = {r[0] for r in dbpair.sql_b("SELECT indexname FROM pg_indexes WHERE schemaname IN ('public','shop')")}
    assert {"parent_pkey", "child_pkey", "child_k", "orders_pkey", "events_pkey", "events_v"} <= indexes
    assert dbpair.sql_b("SELECT count(*) FROM pg_constraint WHERE contype = 'f'")[0][0] == 1
    assert dbpair.sql_b("SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass")[0][0] == 3
    assert dbpair.sql_b("SELECT g FROM child WHERE id = 7")[0][0] is not None
    # The stream would start at the snapshot's point: origin advanced, state done.
    lsn = dbpair.sql_b("SELECT remote_lsn FROM pg_replication_origin_status s "
                       "JOIN pg_replication_origin o ON o.roident = s.local_id "
                       "WHERE o.roname = 'pgduplex_t_forward'")
    assert lsn and lsn[0][0] != "0/0"
    assert dbpair.sql_b("SELECT state FROM pgduplex.initial_sync WHERE task = 't'")[0][0] == "done"
    # Helper origins are gone.
    assert dbpair.sql_b("SELECT count(*) FROM pg_replication_origin WHERE roname LIKE 'pgduplex_t_copy%'")[0][0] == 0


def test_rows_written_after_the_snapshot_are_not_copied(dbpair, tmp_path):
    dbpair.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    dbpair.sql_a("INSERT INTO t SELECT g, 'old' FROM generate_series(1, 100) g")
    cfg = dbpair.write_config(tmp_path / "t.toml")
    snap = Snapshot(dbpair)
    try:
        dbpair.sql_a("INSERT INTO t VALUES (101, 'new')")
        dbpair.sql_a("UPDATE t SET v = 'changed' WHERE id = 1")
        proc = start_engine(dbpair, cfg, snap)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
    finally:
        snap.close()
    assert dbpair.sql_b("SELECT count(*), count(*) FILTER (WHERE v = 'old') FROM t")[0] == (100, 100)


def test_copy_sessions_carry_an_origin_so_the_reverse_direction_never_sees_them(dbpair, tmp_path):
    dbpair.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    dbpair.sql_a("INSERT INTO t SELECT g, 'x' FROM generate_series(1, 500) g")
    dbpair.sql_b("CREATE TABLE t (id int PRIMARY KEY, v text)")
    slot = f"probe_{dbpair.dbname}"
    dbpair.sql_b(f"SELECT pg_create_logical_replication_slot('{slot}', 'test_decoding')")
    try:
        run_engine(dbpair, dbpair.write_config(tmp_path / "t.toml"))
        assert dbpair.sql_b("SELECT count(*) FROM t")[0][0] == 500
        # only-local drops changes that carry an origin: the copy left none.
        rows = dbpair.sql_b(f"SELECT data FROM pg_logical_slot_get_changes('{slot}', NULL, NULL, "
                            "'only-local', '1', 'skip-empty-xacts', '1') WHERE data LIKE 'table public.t:%'")
        assert rows == []
        all_rows = dbpair.sql_b(f"SELECT count(*) FROM pg_logical_slot_peek_changes('{slot}', NULL, NULL)")
        assert all_rows is not None
    finally:
        dbpair.sql_b(f"SELECT pg_drop_replication_slot('{slot}')")


def test_conflicting_tables_error_names_the_tables_with_rows(dbpair, tmp_path):
    for side in (dbpair.sql_a, dbpair.sql_b):
        side("CREATE TABLE full_one (id int PRIMARY KEY); CREATE TABLE empty_one (id int PRIMARY KEY)")
    dbpair.sql_a("INSERT INTO full_one VALUES (1), (2); INSERT INTO empty_one VALUES (1)")
    dbpair.sql_b("INSERT INTO full_one VALUES (7)")
    out = run_engine(dbpair, dbpair.write_config(tmp_path / "t.toml"), expect=1)
    assert "already have rows on cluster b: public.full_one" in out
    assert "empty_one" not in out.split("already have rows")[1].split("\n")[0]
    assert dbpair.sql_b("SELECT count(*) FROM empty_one")[0][0] == 0


def test_conflicting_tables_ignore_keeps_target_rows_and_skips_same_keys(dbpair, tmp_path):
    for side in (dbpair.sql_a, dbpair.sql_b):
        side("CREATE TABLE t (id int PRIMARY KEY, v text, u int UNIQUE)")
    dbpair.sql_a("INSERT INTO t SELECT g, 'a', g FROM generate_series(1, 1000) g")
    # B: a row with a key A also has (kept as is), a row with a unique value
    # A also has under another key (kept, A's row skipped), a B-only row.
    dbpair.sql_b("INSERT INTO t VALUES (5, 'b', 5), (2000, 'b', 6), (3000, 'b-only', 3000)")
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"conflicting_tables": "ignore",
                                                        "copy_split_rows": 300, "copy_workers": 2})
    out = run_engine(dbpair, cfg)
    assert "kept" in out
    rows = dict(dbpair.sql_b("SELECT id, v FROM t WHERE id IN (5, 6, 2000, 3000)"))
    assert rows == {5: "b", 2000: "b", 3000: "b-only"}
    assert dbpair.sql_b("SELECT count(*) FROM t")[0][0] == 1000 - 2 + 3


def test_conflicting_tables_ignore_needs_a_key_on_tables_with_rows(dbpair, tmp_path):
    for side in (dbpair.sql_a, dbpair.sql_b):
        side("CREATE TABLE t (a int, b text)")
    dbpair.sql_a("INSERT INTO t VALUES (1, 'x')")
    dbpair.sql_b("INSERT INTO t VALUES (2, 'y')")
    out = run_engine(dbpair, dbpair.write_config(tmp_path / "t.toml", sync={"conflicting_tables": "ignore"}),
                     expect=1)
    assert "no primary key or unique index" in out and "public.t" in out


def test_data_mode_needs_the_tables_on_the_target(dbpair, tmp_path):
    dbpair.sql_a("CREATE TABLE present (id int PRIMARY KEY); CREATE TABLE absent (id int PRIMARY KEY)")
    dbpair.sql_b("CREATE TABLE present (id int PRIMARY KEY)")
    out = run_engine(dbpair, dbpair.write_config(tmp_path / "t.toml", sync={"initial": "data"}), expect=1)
    assert "do not exist on cluster b" in out and "public.absent" in out


def test_data_mode_copies_into_existing_tables(dbpair, tmp_path):
    for side in (dbpair.sql_a, dbpair.sql_b):
        side("CREATE TABLE t (id int PRIMARY KEY, v text, extra int DEFAULT 3)")
    dbpair.sql_a("INSERT INTO t SELECT g, 'v' FROM generate_series(1, 300) g")
    run_engine(dbpair, dbpair.write_config(tmp_path / "t.toml", sync={"initial": "data"}))
    assert_same(dbpair, "t")


def test_a_partition_outside_the_scope_is_an_error(dbpair, tmp_path):
    dbpair.sql_a("CREATE TABLE m (id int, k int) PARTITION BY LIST (k);"
                 "CREATE TABLE m1 PARTITION OF m FOR VALUES IN (1);"
                 "CREATE TABLE other_m2 PARTITION OF m FOR VALUES IN (2)")
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"tables": ["public.m", "public.m1"]})
    out = run_engine(dbpair, cfg, expect=1)
    assert "partitioned table public.m has partitions outside the sync scope: public.other_m2" in out
    cfg = dbpair.write_config(tmp_path / "t2.toml", sync={"tables": ["public.m1"]})
    out = run_engine(dbpair, cfg, expect=1)
    assert "partition public.m1 is in the sync scope but its partitioned table public.m is not" in out


def crash_mid_copy(dbpair, cfg, baseline=0):
    """Starts a throttled copy, kills it with SIGKILL once rows arrive on B."""
    snap = Snapshot(dbpair)
    try:
        proc = start_engine(dbpair, cfg, snap)
        # Rows land in B only at commit; wait until the state says copying
        # and some task committed (several small parts).
        wait_until(lambda: dbpair.sql_b("SELECT count(*) FROM t")[0][0] > baseline, timeout=60,
                   what="first committed copy part on B")
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    finally:
        snap.close()
    assert dbpair.sql_b("SELECT state FROM pgduplex.initial_sync WHERE task = 't'")[0][0] == "copying"


def test_crash_during_copy_restarts_cleanly(dbpair, tmp_path):
    dbpair.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    dbpair.sql_a("INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 20000) g; ANALYZE t")
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"copy_split_rows": 1000, "copy_workers": 2,
                                                        "copy_max_rows_per_sec": 4000})
    crash_mid_copy(dbpair, cfg)
    partial = dbpair.sql_b("SELECT count(*) FROM t")[0][0]
    assert 0 < partial < 20000
    dbpair.sql_a("DELETE FROM t WHERE id <= 10; UPDATE t SET v = 'later' WHERE id = 20000")
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"copy_split_rows": 1000, "copy_workers": 2})
    out = run_engine(dbpair, cfg)
    assert "did not finish" in out
    assert_same(dbpair, "t")
    assert dbpair.sql_b("SELECT count(*) FROM (SELECT id FROM t GROUP BY id HAVING count(*) > 1) d")[0][0] == 0


def test_crash_during_ignore_copy_keeps_the_targets_own_rows(dbpair, tmp_path):
    for side in (dbpair.sql_a, dbpair.sql_b):
        side("CREATE TABLE t (id int PRIMARY KEY, v text)")
    dbpair.sql_a("INSERT INTO t SELECT g, 'a' FROM generate_series(1, 20000) g; ANALYZE t")
    dbpair.sql_b("INSERT INTO t VALUES (1, 'mine'), (50000, 'mine too')")
    settings = {"conflicting_tables": "ignore", "copy_split_rows": 1000, "copy_workers": 2}
    crash_mid_copy(dbpair, dbpair.write_config(tmp_path / "t.toml",
                                               sync={**settings, "copy_max_rows_per_sec": 4000}), baseline=2)
    dbpair.sql_a("UPDATE t SET v = 'changed' WHERE id BETWEEN 2 AND 20000")
    run_engine(dbpair, dbpair.write_config(tmp_path / "t.toml", sync=settings))
    # The half copy's rows were removed (the new copy brought the changed
    # values), B's own rows stayed.
    assert dbpair.sql_b("SELECT v FROM t WHERE id = 1")[0][0] == "mine"
    assert dbpair.sql_b("SELECT v FROM t WHERE id = 50000")[0][0] == "mine too"
    assert dbpair.sql_b("SELECT count(*) FROM t WHERE v = 'changed'")[0][0] == 19999
    assert dbpair.sql_b("SELECT count(*) FROM t")[0][0] == 20001


def test_crash_after_schema_creation_drops_what_it_created(dbpair, tmp_path):
    dbpair.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text); CREATE INDEX t_v ON t (v)")
    dbpair.sql_a("INSERT INTO t SELECT g, 'v' FROM generate_series(1, 20000) g; ANALYZE t")
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"copy_split_rows": 1000, "copy_workers": 2,
                                                        "copy_max_rows_per_sec": 4000})
    crash_mid_copy(dbpair, cfg)
    # The table was created without its indexes (post-data comes last);
    # the restart drops and recreates it, so the indexes are there in the end.
    run_engine(dbpair, dbpair.write_config(tmp_path / "t.toml"))
    assert {r[0] for r in dbpair.sql_b("SELECT indexname FROM pg_indexes WHERE tablename = 't'")} == {"t_pkey", "t_v"}
    assert_same(dbpair, "t")


def test_pg_dump_gets_the_password_from_a_private_service_file_not_its_command_line(dbpair, tmp_path):
    """A stand-in pg_dump records its argv, environment and service file,
    then runs the real one."""
    dbpair.sql_a("CREATE TABLE t (id int PRIMARY KEY)")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "record"
    real = subprocess.check_output(["pg_config", "--bindir"], text=True).strip()
    for program in ("pg_dump", "pg_restore"):
        path = bindir / program
        path.write_text(f"""#!/bin/sh
{{ echo "argv: $*"; echo "PGPASSWORD=${{PGPASSWORD:-}}"; echo "PGSERVICEFILE=$PGSERVICEFILE"; stat -L -c 'mode %a' "$PGSERVICEFILE";
   cat "$PGSERVICEFILE"; }} >> {record}
exec {real}/{program} "$@"
""")
        path.chmod(0o755)
    cfg = tmp_path / "t.toml"
    cfg.write_text(open(dbpair.write_config(tmp_path / "plain.toml")).read()
                   .replace("user=postgres", "user=postgres password=s3cret-pw", 1))
    snap = Snapshot(dbpair)
    try:
        proc = subprocess.run([DRIVER, "--config", str(cfg), "--snapshot", snap.name, "--lsn", snap.lsn],
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PGDUPLEX_PG_BINDIR": str(bindir), "PGPASSWORD": "leak"})
    finally:
        snap.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = record.read_text()
    argv_lines = [line for line in text.splitlines() if line.startswith("argv:")]
    assert argv_lines and all("s3cret" not in line for line in argv_lines)
    assert "-d service=pgduplex" in argv_lines[0]
    assert "PGPASSWORD=\n" in text  # the caller's PGPASSWORD is not passed on
    assert "mode 600" in text and "password=s3cret-pw" in text
    assert "PGSERVICEFILE=/dev/fd/3\n" in text  # an inherited descriptor, no file on disk
    assert "s3cret" not in proc.stdout + proc.stderr
    assert dbpair.sql_b("SELECT to_regclass('t') IS NOT NULL")[0][0]
