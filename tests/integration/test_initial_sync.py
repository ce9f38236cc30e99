"""Initial synchronization through `pgduplex run --direction forward`: the copy
from the slot's exported snapshot, then the stream from its consistent point,
with no gap and no duplicate; conflicting_tables; crash during the copy;
partitioned tables syncing both ways; grants kept."""
import threading

import psycopg2
import psycopg2.errors
import pytest

from conftest import assert_converges, wait_until, grant_sync_rights


def start(worker_factory, config, direction):
    return worker_factory("run", "--config", str(config), "--direction", direction, name=direction)


def wait_streaming(db, worker, direction="forward", timeout=90):
    """Waits for the worker's "streaming ..." line (after any initial copy)."""
    def streaming():
        assert worker.alive(), "worker exited:\n" + worker.output()
        return f"streaming {direction} from cluster" in worker.output()
    wait_until(streaming, timeout=timeout, what=f"{direction} worker to stream")


class Writer(threading.Thread):
    """Inserts, updates and deletes on A until stopped."""

    def __init__(self, db, table, first_id):
        super().__init__(daemon=True)
        self.db, self.table, self.next_id = db, table, first_id
        self.stop_event = threading.Event()
        self.count = 0
        self.error = None

    def run(self):
        try:
            conn = psycopg2.connect(self.db.conninfo_a())
            conn.autocommit = True
            cur = conn.cursor()
            while not self.stop_event.is_set():
                i = self.next_id
                self.next_id += 1
                cur.execute(f"INSERT INTO {self.table} (id, v) VALUES (%s, 'w')", (i,))
                cur.execute(f"UPDATE {self.table} SET v = v || '+' WHERE id = %s", (i % 5000 + 1,))
                if i % 3 == 0:
                    cur.execute(f"DELETE FROM {self.table} WHERE id = %s", (i - 1,))
                self.count += 1
            conn.close()
        except Exception as e:  # reported by stop()
            self.error = e

    def stop(self):
        self.stop_event.set()
        self.join(10)
        assert self.error is None, self.error


def test_initial_sync_under_concurrent_writes_ends_identical_without_duplicates(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.sql_a("CREATE TABLE acct (id int PRIMARY KEY, v text, filler text DEFAULT repeat('x', 80))")
    db.sql_a("INSERT INTO acct (id, v) SELECT g, 'v' FROM generate_series(1, 30000) g; ANALYZE acct")
    db.sql_a("CREATE TABLE hist (h bigserial PRIMARY KEY, note text)")
    db.sql_a("INSERT INTO hist (note) SELECT 'n' FROM generate_series(1, 2000)")
    writer = Writer(db, "acct", 100000)
    writer.start()
    wait_until(lambda: writer.count > 0, 30, what="the writer's first writes")
    # Slow enough that the writer keeps writing through the whole copy.
    cfg = db.write_config(tmp_path / "t.toml", sync={"copy_split_rows": 5000, "copy_workers": 2,
                                                    "copy_max_rows_per_sec": 20000})
    w = start(worker_factory, cfg, "forward")
    wait_streaming(db, w)
    during = writer.count
    wait_until(lambda: writer.count > during, 30, what="writes while streaming")
    writer.stop()
    db.sql_a("INSERT INTO hist (note) VALUES ('marker')")
    assert writer.count > during > 0
    assert_converges(db, "SELECT id, v FROM acct ORDER BY id", workers=[w])
    assert_converges(db, "SELECT * FROM hist ORDER BY h", workers=[w])
    assert db.sql_b("SELECT count(*) FROM acct")[0][0] == db.sql_a("SELECT count(*) FROM acct")[0][0]
    out = w.output()
    assert "initial copy: done" in out and "copy: 2/2 tables" in out
    assert w.stop() == 0


def test_conflicting_tables_error_stops_the_worker_naming_the_table(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE t (id int PRIMARY KEY)")
    db.sql_a("INSERT INTO t VALUES (1)")
    db.sql_b("INSERT INTO t VALUES (2)")
    w = start(worker_factory, db.write_config(tmp_path / "t.toml"), "forward")
    assert w.wait(60) == 4
    assert "already have rows on cluster b: public.t" in w.output()


def test_conflicting_tables_ignore_keeps_target_rows_then_streams(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both("CREATE TABLE t (id int PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO t SELECT g, 'a' FROM generate_series(1, 100) g")
    db.sql_b("INSERT INTO t VALUES (1, 'b'), (500, 'b-only')")
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflicting_tables": "ignore"})
    w = start(worker_factory, cfg, "forward")
    wait_streaming(db, w)
    assert db.sql_b("SELECT v FROM t WHERE id IN (1, 500) ORDER BY id") == [("b",), ("b-only",)]
    assert db.sql_b("SELECT count(*) FROM t")[0][0] == 101
    db.sql_a("UPDATE t SET v = 'streamed' WHERE id = 2; INSERT INTO t VALUES (101, 'new')")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM t WHERE v IN ('streamed', 'new')")[0][0] == 2,
               what="stream after the copy")
    assert w.stop() == 0


def test_kill_during_copy_then_restart_starts_over_cleanly(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO t SELECT g, 'v' FROM generate_series(1, 20000) g; ANALYZE t")
    slow = db.write_config(tmp_path / "slow.toml", sync={"copy_split_rows": 1000, "copy_workers": 2,
                                                        "copy_max_rows_per_sec": 4000})
    w = start(worker_factory, slow, "forward")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] > 0, timeout=60, what="copy under way")
    w.kill()
    assert db.sql_b("SELECT state FROM pgduplex.initial_sync WHERE task = 't'")[0][0] == "copying"
    db.sql_a("DELETE FROM t WHERE id <= 100; INSERT INTO t VALUES (30000, 'after crash')")
    fast = db.write_config(tmp_path / "fast.toml")
    w2 = start(worker_factory, fast, "forward")
    wait_streaming(db, w2)
    db.sql_a("UPDATE t SET v = 'streamed' WHERE id = 20000")
    assert_converges(db, "SELECT id, v FROM t ORDER BY id", workers=[w2])
    assert "did not finish" in w2.output()
    assert w2.stop() == 0


def test_partitioned_table_with_three_partitions_syncs_both_ways(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.sql_a("CREATE TABLE m (id int, region int, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);"
             "CREATE TABLE m_1 PARTITION OF m FOR VALUES IN (1);"
             "CREATE TABLE m_2 PARTITION OF m FOR VALUES IN (2);"
             "CREATE TABLE m_3 PARTITION OF m FOR VALUES IN (3)")
    db.sql_a("INSERT INTO m SELECT g, 1 + g % 3, 'a' FROM generate_series(1, 3000) g")
    cfg = db.write_config(tmp_path / "t.toml")
    fwd = start(worker_factory, cfg, "forward")
    wait_streaming(db, fwd)
    assert db.sql_b("SELECT count(*) FROM pg_inherits WHERE inhparent = 'm'::regclass")[0][0] == 3
    rev = start(worker_factory, cfg, "reverse")
    wait_until(lambda: rev.alive() and db.b.scalar(
        "SELECT active FROM pg_replication_slots WHERE slot_name = 'pgduplex_t_reverse'", dbname=db.dbname),
        timeout=30, what="reverse slot to stream")
    db.sql_a("INSERT INTO m SELECT g, 1 + g % 3, 'from a' FROM generate_series(5001, 5300) g")
    db.sql_b("INSERT INTO m SELECT g, 1 + g % 3, 'from b' FROM generate_series(7001, 7300) g")
    db.sql_a("UPDATE m SET v = 'moved' WHERE id = 10")
    db.sql_b("DELETE FROM m WHERE id = 11")
    for table in ("m", "m_1", "m_2", "m_3"):
        assert_converges(db, f"SELECT * FROM ONLY {table} ORDER BY id, region", workers=[fwd, rev])
    assert db.sql_a("SELECT count(*) FROM m")[0][0] == 3000 + 300 + 300 - 1
    assert fwd.stop() == 0 and rev.stop() == 0


def test_initial_copy_keeps_grants_for_roles_that_exist_on_b(dbpair, worker_factory, tmp_path):
    """Issue 9: after the copy the application role works on B unchanged:
    its table, column and sequence privileges come along (roles are
    cluster-wide, so the names carry the database's); a grantee missing on
    B gets one warning line and nothing else."""
    db = dbpair
    app, gone = f"app_{db.dbname}", f"gone_{db.dbname}"
    for cluster in (db.a, db.b):
        cluster.sql(f"CREATE ROLE {app} LOGIN")
    db.a.sql(f"CREATE ROLE {gone} LOGIN")
    db.sql_a("CREATE TABLE customers (id serial PRIMARY KEY, name text, note text)")
    db.sql_a("CREATE TABLE audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, what text)")
    db.sql_a("INSERT INTO customers (name) VALUES ('a1'); INSERT INTO audit (what) VALUES ('x')")
    db.sql_a(f"GRANT SELECT, INSERT ON customers TO {app}; GRANT UPDATE (note) ON customers TO {app}; "
             f"GRANT USAGE ON SEQUENCE customers_id_seq TO {app}; GRANT INSERT ON audit TO {app} WITH GRANT OPTION; "
             f"GRANT SELECT ON customers, audit TO {gone}; GRANT SELECT ON audit TO PUBLIC")
    w = start(worker_factory, db.write_config(tmp_path / "t.toml"), "forward")
    wait_streaming(db, w)
    # Sequence values are not copied (pgduplex sequences --apply does that).
    db.sql_b("SELECT setval(pg_get_serial_sequence(t, 'id'), 100) FROM unnest(ARRAY['customers', 'audit']) t")

    conn = psycopg2.connect(db.conninfo_b().replace("user=postgres", f"user={app}"))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("INSERT INTO public.customers (name) VALUES ('from app on b') RETURNING id")
        assert cur.fetchone()[0] >= 1
        cur.execute("UPDATE public.customers SET note = 'n' WHERE name = 'from app on b'")
        assert cur.rowcount == 1
        cur.execute("INSERT INTO public.audit (what) VALUES ('app')")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("DELETE FROM public.customers")
    conn.close()
    privileges = db.sql_b(
        f"SELECT has_table_privilege('{app}', 'customers', 'DELETE'), "
        f"has_column_privilege('{app}', 'customers', 'name', 'UPDATE'), "
        f"has_table_privilege('{app}', 'audit', 'INSERT WITH GRANT OPTION'), "
        "has_table_privilege('public', 'audit', 'SELECT'), has_table_privilege('public', 'customers', 'SELECT')")
    assert privileges == [(False, False, True, True, False)]
    lines = [line for line in w.output().splitlines() if gone in line]
    assert len(lines) == 1 and "public.audit" in lines[0] and "public.customers" in lines[0], w.output()
    assert w.stop() == 0


def test_initial_copy_as_a_plain_role_keeps_owner_and_grants(dbpair, worker_factory, tmp_path):
    """The same with a worker role that is not superuser, only a member of
    the tables' owner: the grants are made through that membership."""
    db = dbpair
    sync, owner, app = (f"{k}_{db.dbname}" for k in ("sync", "owner", "app"))
    for cluster in (db.a, db.b):
        for role in (owner, app):
            cluster.sql(f"CREATE ROLE {role}")
        cluster.sql(f"CREATE ROLE {sync} LOGIN REPLICATION")
        cluster.sql(f"GRANT {owner} TO {sync}")
        cluster.sql(f"GRANT SET ON PARAMETER session_replication_role TO {sync}")
    grant_sync_rights(db, sync)
    # The owner must be able to own tables in public on B, as on A (ALTER ... OWNER TO checks it).
    db.sql_b(f"GRANT CREATE ON DATABASE {db.dbname} TO {sync}; GRANT CREATE ON SCHEMA public TO {sync}, {owner}")
    db.sql_a("CREATE TABLE customers (id serial PRIMARY KEY, name text)")
    db.sql_a(f"ALTER TABLE customers OWNER TO {owner}")
    db.sql_a(f"GRANT SELECT, INSERT ON customers TO {app}; GRANT USAGE ON SEQUENCE customers_id_seq TO {app}")
    db.sql_a("INSERT INTO customers (name) VALUES ('a1')")
    cfg = tmp_path / "t.toml"
    cfg.write_text(f'name = "t"\n[a]\nconninfo = "{db.conninfo_a()} user={sync}"\n'
                   f'[b]\nconninfo = "{db.conninfo_b()} user={sync}"\n')
    w = start(worker_factory, cfg, "forward")
    wait_streaming(db, w)
    assert db.sql_b("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'customers'") == [(owner,)]
    assert db.sql_b(f"SELECT has_table_privilege('{app}', 'customers', 'INSERT'), "
                    f"has_table_privilege('{app}', 'customers', 'UPDATE'), "
                    f"has_sequence_privilege('{app}', 'customers_id_seq', 'USAGE')") == [(True, False, True)]
    assert "not granted" not in w.output(), w.output()
    assert w.stop() == 0
