"""Issue 9 (item 5): `sequences --interleave` and `precheck --fix` run
statements only an owner may run (ALTER SEQUENCE, ALTER TABLE ... REPLICA
IDENTITY FULL). With a sync role that is not superuser they work when it is a
member of the owners' roles (as the README grants: with or without
inheriting their rights), and otherwise say which owner must run which
statement, exit non-zero, and change nothing they cannot. Roles are
cluster-wide, so every test names its own."""
import pytest

from conftest import grant_sync_rights
from opshelp import pgduplex


def least_privilege_pair(db, tmp_path, membership, sequence_grant=True):
    """A non-superuser sync role on both clusters (REPLICATION, the origin
    functions, session_replication_role, schema pgduplex, DML on the
    tables, SELECT on their sequences); tables and sequences owned by an
    application role. membership: "inherit", "noinherit" (member, does not
    inherit the owner's rights) or "none". Returns (config, owner)."""
    sync, owner = f"sync_{db.dbname}", f"app_{db.dbname}"
    noinherit = " NOINHERIT" if membership == "noinherit" else ""
    for cluster in (db.a, db.b):
        cluster.sql(f"CREATE ROLE {owner} LOGIN")
        cluster.sql(f"CREATE ROLE {sync} LOGIN REPLICATION{noinherit}")
        if membership != "none":
            cluster.sql(f"GRANT {owner} TO {sync}")
        cluster.sql(f"GRANT SET ON PARAMETER session_replication_role TO {sync}")
        cluster.sql(f"GRANT pg_read_all_settings TO {sync}")
    grant_sync_rights(db, sync)
    for side in (db.sql_a, db.sql_b):
        side("CREATE TABLE orders (id serial PRIMARY KEY, v text)")
        side("CREATE TABLE customers (id int PRIMARY KEY, name text)")
        side(f"ALTER TABLE orders OWNER TO {owner}")  # with its owned sequence
        side(f"ALTER TABLE customers OWNER TO {owner}")
        # TRIGGER: under last-write-wins without the owners' rights, the
        # worker creates the tombstone triggers on its own (README, grants).
        side(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER ON orders, customers TO {sync}")
        if sequence_grant:
            side(f"GRANT SELECT, USAGE ON SEQUENCE orders_id_seq TO {sync}")
    db.sql_a("INSERT INTO orders (v) SELECT 'a' FROM generate_series(1, 10)")
    cfg = tmp_path / "t.toml"
    cfg.write_text(f'name = "t"\n[a]\nconninfo = "{db.conninfo_a()} user={sync}"\n'
                   f'[b]\nconninfo = "{db.conninfo_b()} user={sync}"\n'
                   '[sync]\ninitial = "none"\nconflict_policy = "last-write-wins"\n')
    return cfg, owner


def increments(db):
    q = "SELECT seqincrement FROM pg_sequence WHERE seqrelid = 'orders_id_seq'::regclass"
    return db.sql_a(q)[0][0], db.sql_b(q)[0][0]


def identities(db):
    q = "SELECT relname, relreplident FROM pg_class WHERE relname IN ('customers', 'orders') ORDER BY 1"
    return db.sql_a(q), db.sql_b(q)


@pytest.mark.parametrize("membership", ["inherit", "noinherit"])
def test_sequences_interleave_works_for_a_member_of_the_owner(dbpair, tmp_path, membership):
    cfg, owner = least_privilege_pair(dbpair, tmp_path, membership)
    code, out = pgduplex("sequences", "--config", str(cfg), "--interleave")
    assert code == 0, out
    assert "ALTER SEQUENCE public.orders_id_seq INCREMENT BY 2 START WITH 11 RESTART WITH 11" in out, out
    assert "ALTER SEQUENCE public.orders_id_seq INCREMENT BY 2 START WITH 12 RESTART WITH 12" in out, out
    assert increments(dbpair) == (2, 2)
    for run in (dbpair.sql_a, dbpair.sql_b):  # owners unchanged
        assert run("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'orders_id_seq'") == [(owner,)]


# Not "noinherit" yet: such a role does not have pg_read_all_settings' rights
# either, and precheck cannot read output_plugin_libraries (issue 9 item 1,
# another part of the issue).
@pytest.mark.parametrize("membership", ["inherit"])
def test_precheck_fix_works_for_a_member_of_the_owner(dbpair, tmp_path, membership):
    cfg, _ = least_privilege_pair(dbpair, tmp_path, membership)
    code, out = pgduplex("precheck", "--config", str(cfg), "--fix")
    assert code in (0, 1), out  # a check may FAIL; never a raw SQL error (4)
    for label in ("a", "b"):
        assert f"fixed on {label}: ALTER TABLE public.customers REPLICA IDENTITY FULL" in out, out
    assert "not fixed" not in out, out
    assert identities(dbpair) == ([("customers", "f"), ("orders", "f")],) * 2


def test_sequences_interleave_names_the_owner_and_statement_it_cannot_run(dbpair, tmp_path):
    cfg, owner = least_privilege_pair(dbpair, tmp_path, "none")
    code, out = pgduplex("sequences", "--config", str(cfg), "--interleave")
    assert code == 1, out
    for label, start in (("a", 11), ("b", 12)):
        line = [x for x in out.splitlines() if x.strip().startswith(f"{label}: not run")]
        assert len(line) == 1, out
        assert f'role "{owner}"' in line[0] and "public.orders_id_seq" in line[0], out
        assert line[0].endswith(f"ALTER SEQUENCE public.orders_id_seq INCREMENT BY 2 START WITH {start} RESTART WITH {start};"), out
    assert "must be owner" not in out, out
    assert increments(dbpair) == (1, 1)


def test_precheck_fix_names_the_owner_and_statement_it_cannot_run(dbpair, tmp_path):
    cfg, owner = least_privilege_pair(dbpair, tmp_path, "none")
    code, out = pgduplex("precheck", "--config", str(cfg), "--fix")
    assert code == 1, out
    assert "replica identity" in out, out  # the check table is still printed
    for label in ("a", "b"):
        lines = [x for x in out.splitlines() if x.startswith(f"not fixed on {label}:")]
        assert len(lines) == 2, out
        for line, table in zip(lines, ("customers", "orders")):
            assert f"ALTER TABLE public.{table} REPLICA IDENTITY FULL;" in line, out
            assert f'role "{owner}"' in line, out
    assert "must be owner" not in out, out
    assert identities(dbpair) == ([("customers", "d"), ("orders", "d")],) * 2


def test_sequences_names_the_grant_when_it_cannot_read_a_sequence(dbpair, tmp_path):
    cfg, _ = least_privilege_pair(dbpair, tmp_path, "none", sequence_grant=False)
    code, out = pgduplex("sequences", "--config", str(cfg), "--interleave")
    assert code == 1, out
    sync = f"sync_{dbpair.dbname}"
    for label in ("a", "b"):
        assert f"cannot read public.orders_id_seq on cluster {label}: " \
               f'GRANT SELECT ON SEQUENCE public.orders_id_seq TO "{sync}";' in out, out
    assert "permission denied" not in out, out
    assert increments(dbpair) == (1, 1)


def test_initial_copy_without_select_on_a_sequence_moves_b_past_the_rows_and_names_the_grant(
        dbpair, worker_factory, tmp_path):
    """The copy reads A's sequence to place B's; a role that may not read it
    (and so could not have interleaved it either) gets B's past the copied
    rows and one warning with the GRANT, not a failed copy."""
    from test_initial_sync import start, wait_streaming
    db = dbpair
    cfg, _ = least_privilege_pair(db, tmp_path, "none", sequence_grant=False)
    sync = f"sync_{db.dbname}"
    db.sql_b("DROP TABLE orders, customers")  # B empty: the copy creates them
    db.b.sql(f"GRANT CREATE ON DATABASE {db.dbname} TO {sync}")
    db.sql_b(f"GRANT CREATE ON SCHEMA public TO {sync}")
    cfg.write_text(cfg.read_text().replace('initial = "none"', "apply_as_table_owner = false"))
    w = start(worker_factory, cfg, "forward")
    wait_streaming(db, w, "forward")
    assert db.sql_b("SELECT last_value, is_called FROM orders_id_seq") == [(11, False)]
    lines = [x for x in w.output().splitlines() if "cannot read it on cluster a" in x]
    assert len(lines) == 1, w.output()
    assert f'GRANT SELECT ON SEQUENCE public.orders_id_seq TO "{sync}"' in lines[0]
    assert w.stop() == 0
