"""Every session pgduplex opens runs with search_path = pg_catalog, so a
plain role that can create objects in a schema on the worker role's default
search_path cannot get its functions called by precheck or status (run as
superuser). The attack: a schema `evil`, owned by a plain role, put on the
database's default search_path, holding functions that shadow the catalog's
(a better-matching signature, or the same signature when the path lists evil
before pg_catalog) and make their author superuser when a superuser calls
them."""
import pytest

from conftest import assert_converges, wait_until
from opshelp import create_slot, pgduplex


def attacker_setup(cluster, dbname, search_path):
    role = f"attacker_{dbname}"
    cluster.sql(f"CREATE ROLE {role} LOGIN")
    cluster.sql(f"CREATE SCHEMA evil AUTHORIZATION {role}", dbname=dbname)
    cluster.sql(f"ALTER DATABASE {dbname} SET search_path = {search_path}")
    # The functions are the attacker's (owner); they are created by the
    # superuser only because the installed extension's DDL trigger refuses
    # CREATE FUNCTION by a plain role (which does not change the attack).
    conn = cluster.connect(dbname)
    promote = f"EXECUTE 'ALTER ROLE {role} SUPERUSER';"
    with conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        # Better matches than the catalog's polymorphic/variadic versions:
        # chosen even when pg_catalog is searched first (implicitly).
        cur.execute(f"""
CREATE FUNCTION evil.unnest(smallint[]) RETURNS SETOF smallint LANGUAGE plpgsql AS $$
BEGIN {promote} RETURN QUERY SELECT x FROM pg_catalog.unnest($1) x; END $$;
CREATE FUNCTION evil.format(text, name, name) RETURNS text LANGUAGE plpgsql AS $$
BEGIN {promote} RETURN pg_catalog.format($1, $2, $3); END $$;
""")
        # Same signatures: chosen when the path names evil before pg_catalog.
        cur.execute(f"""
CREATE FUNCTION evil.current_setting(text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN {promote} RETURN pg_catalog.current_setting($1); END $$;
CREATE FUNCTION evil.pg_current_wal_lsn() RETURNS pg_lsn LANGUAGE plpgsql AS $$
BEGIN {promote} RETURN pg_catalog.pg_current_wal_lsn(); END $$;
CREATE FUNCTION evil.pg_replication_origin_progress(text, boolean) RETURNS pg_lsn LANGUAGE plpgsql AS $$
BEGIN {promote} RETURN pg_catalog.pg_replication_origin_progress($1, $2); END $$;
""")
        cur.execute("SELECT p.oid::regprocedure FROM pg_proc p WHERE p.pronamespace = 'evil'::regnamespace")
        for (proc,) in cur.fetchall():
            cur.execute(f"ALTER FUNCTION {proc} OWNER TO {role}")
    conn.close()
    return role


def is_superuser(cluster, role):
    return cluster.scalar("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (role,))


def schema_precheck_reads(db):
    """Tables that make precheck call unnest (a unique index that is not the
    primary key) and format (a partitioned table)."""
    db.sql_a("CREATE TABLE tags (name text NOT NULL, note text)")
    db.sql_a("CREATE UNIQUE INDEX tags_name ON tags (name)")
    db.sql_a("CREATE TABLE events (id int PRIMARY KEY, at date) PARTITION BY RANGE (id)")
    db.sql_a("CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (1000)")


@pytest.mark.parametrize("search_path", ["evil, public", "evil, pg_catalog, public"])
def test_precheck_does_not_call_functions_of_a_schema_on_the_search_path(dbpair, tmp_path, search_path):
    schema_precheck_reads(dbpair)
    roles = [attacker_setup(c, dbpair.dbname, search_path) for c in (dbpair.a, dbpair.b)]
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"conflict_policy": "ignore"})
    code, out = pgduplex("precheck", "--config", str(cfg))
    assert "connection" in out, out
    for cluster, role in zip((dbpair.a, dbpair.b), roles):
        assert not is_superuser(cluster, role), f"precheck made {role} superuser on {cluster.name}:\n{out}"


def test_status_does_not_call_functions_of_a_schema_on_the_search_path(dbpair, tmp_path):
    roles = [attacker_setup(c, dbpair.dbname, "evil, pg_catalog, public") for c in (dbpair.a, dbpair.b)]
    # Status reads the slot on each source and the origin on each target.
    create_slot(dbpair.a, dbpair.dbname, "pgduplex_t_forward")
    create_slot(dbpair.b, dbpair.dbname, "pgduplex_t_reverse")
    dbpair.b.sql("SELECT pg_replication_origin_create('pgduplex_t_forward')")
    dbpair.a.sql("SELECT pg_replication_origin_create('pgduplex_t_reverse')")
    cfg = dbpair.write_config(tmp_path / "t.toml")
    code, out = pgduplex("status", "--config", str(cfg))
    assert "forward" in out, out
    for cluster, role in zip((dbpair.a, dbpair.b), roles):
        assert not is_superuser(cluster, role), f"status made {role} superuser on {cluster.name}:\n{out}"


def test_extension_types_in_public_still_match_with_their_own_operators(dbpair, worker_factory, tmp_path):
    """With search_path = pg_catalog the apply session must still find rows
    by a citext key (with citext's own =, so its index is used) and by an
    hstore column under REPLICA IDENTITY FULL (hstore's = is in public)."""
    db = dbpair
    for ext in ("citext", "hstore"):
        db.both(f"CREATE EXTENSION {ext}")
    db.both("CREATE TABLE c (k citext PRIMARY KEY, v int)")
    db.both("CREATE TABLE h (id int, tags hstore)")
    db.both("ALTER TABLE h REPLICA IDENTITY FULL")
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"initial": "none", "conflict_policy": "fail"})
    w = worker_factory("run", "--config", str(cfg), "--direction", "forward")
    wait_until(lambda: db.a.sql("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'pgduplex_t_forward' "
                                "AND active", dbname=db.dbname), 60, what="slot to stream")
    db.sql_a("INSERT INTO c SELECT 'Key' || g, g FROM generate_series(1, 200) g")
    db.sql_a("INSERT INTO h VALUES (1, 'a=>1'), (2, 'b=>2')")
    db.sql_a("UPDATE c SET v = -v WHERE k IN ('Key1', 'Key2')")
    db.sql_a("DELETE FROM c WHERE k = 'Key3'")
    db.sql_a("UPDATE h SET tags = 'a=>9' WHERE id = 1")
    db.sql_a("DELETE FROM h WHERE id = 2")
    assert_converges(db, "SELECT k::text, v FROM c ORDER BY 1", workers=[w])
    assert_converges(db, "SELECT id, tags::text FROM h ORDER BY 1", workers=[w])
    assert w.stop() == 0


def test_verify_of_a_citext_keyed_table_finds_each_difference(dbpair, tmp_path):
    """Under search_path = pg_catalog a citext key is range-compared through
    text (its own < is in public) while rows are ordered by citext: chunks
    differ in size, but they still cover every key once."""
    db = dbpair
    db.both("CREATE EXTENSION citext")
    for run in (db.sql_a, db.sql_b):
        run("CREATE TABLE c (k citext PRIMARY KEY, v int)")
        run("INSERT INTO c SELECT CASE WHEN g % 2 = 0 THEN 'k' ELSE 'K' END || lpad(g::text, 5, '0'), g "
            "FROM generate_series(1, 25000) g")
    db.sql_b("UPDATE c SET v = -1 WHERE k = 'K12345'")
    db.sql_b("DELETE FROM c WHERE k = 'k20002'")
    cfg = db.write_config(tmp_path / "t.toml")
    code, out = pgduplex("verify", "--config", str(cfg))
    assert code == 1, out
    assert "K12345" in out and "k20002" in out, out
