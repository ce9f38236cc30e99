"""Issue 8: rows are applied with the table owner's rights, DDL runs as its
author or not at all. Run as the attacker would: a plain role owns a synced
table on B and puts code on it (an ENABLE ALWAYS trigger, a CHECK
constraint, an index expression) that tries to get back to the worker's
superuser rights and make itself superuser; the worker connects as
superuser. Roles are cluster-wide, so every test names its own."""
import psycopg2
import pytest

from conftest import wait_until, grant_sync_rights
from test_run_sync import run

# Tries every way back to the session's superuser (including the worker's
# own switch function with a guessed key), then the escalation; each step
# may fail (caught), so the row still applies.
ESCALATE = """
  BEGIN RESET ROLE; EXCEPTION WHEN OTHERS THEN NULL; END;
  BEGIN SET ROLE postgres; EXCEPTION WHEN OTHERS THEN NULL; END;
  BEGIN SET SESSION AUTHORIZATION DEFAULT; EXCEPTION WHEN OTHERS THEN NULL; END;
  BEGIN PERFORM pgduplex.run_as(0, repeat('0', 32)); EXCEPTION WHEN OTHERS THEN NULL; END;
  BEGIN EXECUTE 'ALTER ROLE {role} SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
"""


def alive_and(worker, predicate):
    def check():
        assert worker.alive(), "worker exited:\n" + worker.output()
        return predicate()
    return check


def superuser(cluster, role):
    return cluster.scalar("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (role,))


def create_role(cluster, role, extra=""):
    cluster.sql(f"CREATE ROLE {role} LOGIN {extra}")


def attack_schema(db):
    """Tables on A (plain) and B (owned by r_trg, r_chk, r_idx, with their
    code on them). Returns the role names."""
    roles = {k: f"{k}_{db.dbname}" for k in ("trg", "chk", "idx", "trunc")}
    for role in roles.values():
        create_role(db.b, role)
    for side in (db.sql_a, db.sql_b):
        side("CREATE TABLE t_trg (id int PRIMARY KEY, v text, who text)")
        side("CREATE TABLE t_chk (id int PRIMARY KEY, v text)")
        side("CREATE TABLE t_idx (id int PRIMARY KEY, v text)")
    # A local row on B, before the trigger exists: A's row with the same key
    # is an insert_exists conflict, applied through the replay path.
    db.sql_b("INSERT INTO t_trg VALUES (100, 'local', NULL)")
    b = db.sql_b
    b(f"""CREATE FUNCTION trg_fn() RETURNS trigger LANGUAGE plpgsql AS $f$
          BEGIN {ESCALATE.format(role=roles['trg'])} NEW.who := current_user; RETURN NEW; END $f$""")
    b(f"""CREATE FUNCTION trunc_fn() RETURNS trigger LANGUAGE plpgsql AS $f$
          BEGIN {ESCALATE.format(role=roles['trunc'])} RETURN NULL; END $f$""")
    b(f"""CREATE FUNCTION chk_fn(int) RETURNS boolean LANGUAGE plpgsql AS $f$
          BEGIN {ESCALATE.format(role=roles['chk'])} RETURN true; END $f$""")
    # An index expression must be IMMUTABLE; it calls a volatile function,
    # which may write.
    b(f"""CREATE FUNCTION idx_helper() RETURNS void LANGUAGE plpgsql AS $f$
          BEGIN {ESCALATE.format(role=roles['idx'])} END $f$""")
    b("""CREATE FUNCTION idx_fn(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $f$
          BEGIN PERFORM public.idx_helper(); RETURN $1; END $f$""")
    b("CREATE TRIGGER t_trg_bi BEFORE INSERT OR UPDATE ON t_trg FOR EACH ROW EXECUTE FUNCTION trg_fn()")
    b("ALTER TABLE t_trg ENABLE ALWAYS TRIGGER t_trg_bi")
    b("CREATE TRIGGER t_trg_bt BEFORE TRUNCATE ON t_trg FOR EACH STATEMENT EXECUTE FUNCTION trunc_fn()")
    b("ALTER TABLE t_trg ENABLE ALWAYS TRIGGER t_trg_bt")
    b("ALTER TABLE t_chk ADD CONSTRAINT t_chk_fn CHECK (chk_fn(id))")
    b("CREATE INDEX t_idx_fn ON t_idx (idx_fn(id))")
    for table, fns, owner in (("t_trg", ["trg_fn()", "trunc_fn()"], roles["trg"]),
                              ("t_chk", ["chk_fn(int)"], roles["chk"]),
                              ("t_idx", ["idx_helper()", "idx_fn(int)"], roles["idx"])):
        b(f"ALTER TABLE {table} OWNER TO {owner}")
        for fn in fns:
            b(f"ALTER FUNCTION {fn} OWNER TO {owner}")
    return roles


def test_owner_code_on_the_target_cannot_become_superuser_through_applied_rows(dbpair, worker_factory, tmp_path):
    db = dbpair
    roles = attack_schema(db)
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": "none", "conflict_policy": "overwrite"})
    w = run(worker_factory, cfg, "forward", db)
    # Fast path (multi-row statements), an UPDATE, and a conflict (replay path).
    db.sql_a("BEGIN; INSERT INTO t_trg SELECT g, 'a', NULL FROM generate_series(1, 20) g; "
             "INSERT INTO t_chk SELECT g, 'a' FROM generate_series(1, 20) g; "
             "INSERT INTO t_idx SELECT g, 'a' FROM generate_series(1, 20) g; COMMIT")
    db.sql_a("UPDATE t_trg SET v = 'b' WHERE id = 3; UPDATE t_chk SET v = 'b'; UPDATE t_idx SET v = 'b'")
    db.sql_a("INSERT INTO t_trg VALUES (100, 'remote', NULL)")
    db.sql_a("INSERT INTO t_chk VALUES (1000, 'marker')")

    wait_until(alive_and(w, lambda: db.sql_b("SELECT v FROM t_trg WHERE id = 100") == [("remote",)] and
                         db.sql_b("SELECT 1 FROM t_chk WHERE id = 1000")), timeout=60, what="the rows on B")
    assert db.sql_b("SELECT count(*), count(*) FILTER (WHERE v = 'b') FROM t_chk")[0] == (21, 20)
    assert db.sql_b("SELECT count(*), count(*) FILTER (WHERE v = 'b') FROM t_idx")[0] == (20, 20)
    escalated = [r for k, r in roles.items() if k != "trunc" and superuser(db.b, r)]
    assert not escalated, f"{escalated} became superuser on B"
    # Triggers ran as the table's owner, on both paths.
    assert db.sql_b("SELECT DISTINCT who FROM t_trg") == [(roles["trg"],)]
    db.sql_a("TRUNCATE t_trg")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM t_trg")[0][0] == 0, timeout=30, what="the TRUNCATE on B")
    assert not superuser(db.b, roles["trunc"]), "a TRUNCATE trigger made its role superuser on B"
    assert db.sql_b("SELECT conflict_type, resolution FROM pgduplex.conflicts") == [("insert_exists", "applied")]
    assert w.stop() == 0


def test_plain_worker_role_member_of_the_owner_applies_as_the_owner(dbpair, worker_factory, tmp_path):
    db = dbpair
    sync_role = f"sync_{db.dbname}"
    owner = f"app_{db.dbname}"
    for cluster in (db.a, db.b):
        create_role(cluster, owner)
        create_role(cluster, sync_role, "REPLICATION")
        cluster.sql(f"GRANT {owner} TO {sync_role}")
        cluster.sql(f"GRANT SET ON PARAMETER session_replication_role TO {sync_role}")
    grant_sync_rights(db, sync_role)
    for side in (db.sql_a, db.sql_b):
        side("CREATE TABLE t (id int PRIMARY KEY, v text, who text)")
        side(f"ALTER TABLE t OWNER TO {owner}")
    db.sql_b("INSERT INTO t VALUES (5, 'local', NULL)")
    db.sql_b("""CREATE FUNCTION who_fn() RETURNS trigger LANGUAGE plpgsql AS $f$
                BEGIN NEW.who := current_user; RETURN NEW; END $f$""")
    db.sql_b("CREATE TRIGGER t_who BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION who_fn()")
    db.sql_b("ALTER TABLE t ENABLE ALWAYS TRIGGER t_who")
    cfg = tmp_path / "t.toml"
    cfg.write_text(f'name = "t"\n[a]\nconninfo = "{db.conninfo_a()} user={sync_role}"\n'
                   f'[b]\nconninfo = "{db.conninfo_b()} user={sync_role}"\n'
                   '[sync]\ninitial = "none"\nconflict_policy = "overwrite"\n')
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO t SELECT g, 'a', NULL FROM generate_series(1, 10) g")
    db.sql_a("UPDATE t SET v = 'b' WHERE id = 2")
    wait_until(alive_and(w, lambda: db.sql_b("SELECT v FROM t WHERE id = 5") == [("a",)] and
                         db.sql_b("SELECT v FROM t WHERE id = 2") == [("b",)]), timeout=60, what="rows on B")
    assert db.sql_b("SELECT DISTINCT who FROM t") == [(owner,)], w.output()[-3000:]
    assert db.sql_b("SELECT conflict_type FROM pgduplex.conflicts") == [("insert_exists",)]
    assert w.stop() == 0


def test_apply_as_table_owner_off_applies_as_the_worker(dbpair, worker_factory, tmp_path):
    db = dbpair
    owner = f"app_{db.dbname}"
    create_role(db.b, owner)
    db.both("CREATE TABLE t (id int PRIMARY KEY, who text)")
    db.sql_b("""CREATE FUNCTION who_fn() RETURNS trigger LANGUAGE plpgsql AS $f$
                BEGIN NEW.who := current_user; RETURN NEW; END $f$""")
    db.sql_b("CREATE TRIGGER t_who BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION who_fn()")
    db.sql_b("ALTER TABLE t ENABLE ALWAYS TRIGGER t_who")
    db.sql_b(f"ALTER TABLE t OWNER TO {owner}")
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": "none", "apply_as_table_owner": False})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO t VALUES (1, NULL)")
    wait_until(lambda: db.sql_b("SELECT who FROM t"), timeout=30, what="the row on B")
    assert db.sql_b("SELECT who FROM t") == [("postgres",)]
    assert w.stop() == 0


@pytest.mark.parametrize("initial", ["none", "schema+data"])
def test_target_extension_older_than_1_1_refuses_to_start(dbpair, worker_factory, tmp_path, initial):
    db = dbpair
    db.sql_b("DROP EXTENSION pgduplex")
    db.sql_b("CREATE EXTENSION pgduplex VERSION '1.0'")
    db.both("CREATE TABLE t (id int PRIMARY KEY)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": initial})
    w = worker_factory("run", "--config", str(cfg), "--direction", "forward")
    assert w.wait(60) == 2, w.output()
    lines = [line for line in w.output().splitlines() if "ALTER EXTENSION pgduplex UPDATE" in line]
    assert len(lines) == 1, w.output()
    assert "cluster b" in lines[0] and "sync.apply_as_table_owner = false" in lines[0]


def ddl_roles(db):
    """ghost: exists on A only; weak: exists on both, may not create on B."""
    ghost, weak = f"ghost_{db.dbname}", f"weak_{db.dbname}"
    create_role(db.a, ghost)
    for cluster in (db.a, db.b):
        create_role(cluster, weak)
    db.sql_a(f"GRANT CREATE ON SCHEMA public TO {ghost}, {weak}")
    return ghost, weak


def run_as_role_on_a(db, role, statement):
    conn = psycopg2.connect(db.conninfo_a())
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"SET ROLE {role}")
        cur.execute(statement)
    conn.close()


def test_ddl_runs_as_its_author_or_is_recorded_as_not_applied(dbpair, worker_factory, tmp_path):
    db = dbpair
    ghost, weak = ddl_roles(db)
    db.both("CREATE TABLE t (id int PRIMARY KEY)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": "none", "conflict_policy": "ignore"})
    w = run(worker_factory, cfg, "forward", db)
    run_as_role_on_a(db, ghost, "CREATE TABLE by_ghost (id int PRIMARY KEY)")
    run_as_role_on_a(db, weak, "CREATE TABLE by_weak (id int PRIMARY KEY)")
    db.sql_a("CREATE TABLE by_super (id int PRIMARY KEY)")
    db.sql_a("INSERT INTO t VALUES (1)")
    wait_until(alive_and(w, lambda: db.sql_b("SELECT 1 FROM t WHERE id = 1")), timeout=60,
               what="the marker row on B")
    assert db.sql_b("SELECT to_regclass('by_ghost'), to_regclass('by_weak'), to_regclass('by_super')::text") == \
        [(None, None, "by_super")], w.output()[-3000:]
    rows = db.sql_b("SELECT conflict_type, resolution, relation, remote_row FROM pgduplex.conflicts ORDER BY id")
    assert [(r[0], r[1], r[2]) for r in rows] == [("ddl_not_applied", "skipped", "public.by_ghost"),
                                                   ("ddl_not_applied", "skipped", "public.by_weak")]
    assert rows[0][3]["role"] == ghost and "does not exist" in rows[0][3]["reason"]
    assert rows[0][3]["statement"].startswith("CREATE TABLE by_ghost")
    assert rows[1][3]["role"] == weak and "permission denied" in rows[1][3]["reason"]
    warnings = [line for line in w.output().splitlines() if "DDL not applied" in line]
    assert len(warnings) == 2, w.output()[-3000:]
    assert w.stop() == 0


def test_ddl_by_a_role_missing_on_b_stops_the_worker_under_fail(dbpair, worker_factory, tmp_path):
    db = dbpair
    ghost, _ = ddl_roles(db)
    db.both("CREATE TABLE t (id int PRIMARY KEY)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": "none", "conflict_policy": "fail"})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO t VALUES (1)")
    run_as_role_on_a(db, ghost, "CREATE TABLE by_ghost (id int PRIMARY KEY)")
    assert w.wait(60) == 3, w.output()
    lines = [line for line in w.output().splitlines() if "DDL not applied" in line]
    assert len(lines) == 1 and ghost in lines[0] and "CREATE TABLE by_ghost" in lines[0], w.output()
    assert db.sql_b("SELECT to_regclass('by_ghost')") == [(None,)]
    assert db.sql_b("SELECT id FROM t") == [(1,)]  # what came before it is kept
    assert db.sql_b("SELECT conflict_type, resolution FROM pgduplex.conflicts") == [("ddl_not_applied", "failed")]


def test_initial_sync_keeps_owners_that_exist_on_b(dbpair, worker_factory, tmp_path):
    from test_initial_sync import start, wait_streaming
    db = dbpair
    kept, gone = f"kept_{db.dbname}", f"gone_{db.dbname}"
    for cluster in (db.a, db.b):
        create_role(cluster, kept)
    create_role(db.a, gone)
    db.sql_a("CREATE SEQUENCE shared_seq")
    db.sql_a("CREATE TABLE t_kept (id serial PRIMARY KEY, n int DEFAULT nextval('shared_seq'), v text)")
    db.sql_a("CREATE TABLE t_gone (id int PRIMARY KEY)")
    db.sql_a("INSERT INTO t_kept (v) VALUES ('x'); INSERT INTO t_gone VALUES (1)")
    db.sql_a(f"ALTER TABLE t_kept OWNER TO {kept}; ALTER SEQUENCE shared_seq OWNER TO {kept}")
    db.sql_a(f"ALTER TABLE t_gone OWNER TO {gone}")
    cfg = db.write_config(tmp_path / "t.toml")
    w = start(worker_factory, cfg, "forward")
    wait_streaming(db, w)
    owners = db.sql_b("SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c "
                      "WHERE c.relname IN ('t_kept', 't_kept_id_seq', 'shared_seq', 't_gone') ORDER BY 1")
    assert owners == [("shared_seq", kept), ("t_gone", "postgres"), ("t_kept", kept), ("t_kept_id_seq", kept)]
    lines = [line for line in w.output().splitlines() if gone in line]
    assert len(lines) == 1 and "WARN" in lines[0].upper() and "public.t_gone" in lines[0], w.output()
    # Rows still arrive, applied as the owner.
    db.sql_a("INSERT INTO t_kept (v) VALUES ('y'); INSERT INTO t_gone VALUES (2)")
    wait_until(alive_and(w, lambda: db.sql_b("SELECT count(*) FROM t_kept")[0][0] == 2 and
                         db.sql_b("SELECT count(*) FROM t_gone")[0][0] == 2), timeout=60, what="rows on B")
    assert w.stop() == 0


def test_precheck_warns_on_missing_owners_and_on_apply_as_table_owner_off(dbpair, tmp_path):
    from opshelp import pgduplex, results
    db = dbpair
    gone = f"gone_{db.dbname}"
    create_role(db.a, gone)
    db.both("CREATE TABLE t (id int PRIMARY KEY)")
    db.sql_a(f"ALTER TABLE t OWNER TO {gone}")
    cfg = db.write_config(tmp_path / "t.toml", sync={"apply_as_table_owner": False})
    code, out = pgduplex("precheck", "--config", str(cfg))
    owners = results(out, "table owners", "a+b")
    assert owners and owners[0][2] == "WARN" and f"{gone} (owns public.t on a, missing on b)" in owners[0][3], out
    assert [r[2] for r in results(out, "apply as table owner")] == ["WARN", "WARN"], out
    cfg = db.write_config(tmp_path / "t.toml")
    code, out = pgduplex("precheck", "--config", str(cfg))
    assert [r[2] for r in results(out, "apply as table owner")] == ["PASS", "PASS"], out


def test_initial_copy_evaluates_checks_as_the_table_owner(dbpair, worker_factory, tmp_path):
    """A's table owner puts a CHECK calling a function that, on B, tries to
    make its owner superuser: the initial COPY into B evaluates it, as the
    table's owner (both for a created table and for an existing one that
    already has rows, which goes through a staging table)."""
    from test_initial_sync import start, wait_streaming
    db = dbpair
    app = f"capp_{db.dbname}"
    for cluster in (db.a, db.b):
        create_role(cluster, app)
    db.sql_a("CREATE FUNCTION app_fn(int) RETURNS boolean LANGUAGE sql AS 'SELECT true'")
    db.sql_b(f"""CREATE FUNCTION app_fn(int) RETURNS boolean LANGUAGE plpgsql AS $f$
                 BEGIN {ESCALATE.format(role=app)} RETURN true; END $f$""")
    for side in (db.sql_a, db.sql_b):
        side(f"ALTER FUNCTION app_fn(int) OWNER TO {app}")
        side("CREATE TABLE t_kept (id int PRIMARY KEY)")
    db.sql_a("CREATE TABLE t_new (id int PRIMARY KEY, CHECK (public.app_fn(id)))")
    db.sql_a("ALTER TABLE t_kept ADD CHECK (public.app_fn(id))")
    db.sql_a("INSERT INTO t_new SELECT generate_series(1, 10); INSERT INTO t_kept SELECT generate_series(1, 10)")
    db.sql_b("INSERT INTO t_kept VALUES (1)")  # a row on B: the copy skips A's row 1 through a staging table
    db.sql_b("ALTER TABLE t_kept ADD CHECK (public.app_fn(id)) NOT VALID")
    for side in (db.sql_a, db.sql_b):
        side(f"ALTER TABLE t_kept OWNER TO {app}")
    db.sql_a(f"ALTER TABLE t_new OWNER TO {app}")
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflicting_tables": "ignore"})
    w = start(worker_factory, cfg, "forward")
    wait_streaming(db, w)
    assert db.sql_b("SELECT (SELECT count(*) FROM t_new), (SELECT count(*) FROM t_kept)") == [(10, 10)]
    assert not superuser(db.b, app), "the initial copy ran the owner's CHECK as superuser"
    assert w.stop() == 0


def test_tables_owned_by_the_worker_role_need_no_switch(dbpair, worker_factory, tmp_path):
    """Owner = the worker's role: no run_as around its changes (the only
    call is the one that claims the session's key)."""
    db = dbpair
    db.sql_b(f"ALTER DATABASE {db.dbname} SET track_functions = 'all'")
    db.both("CREATE TABLE t (id int PRIMARY KEY, v text)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": "none"})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO t SELECT g, 'x' FROM generate_series(1, 100) g")
    db.sql_a("UPDATE t SET v = 'y'; TRUNCATE t; INSERT INTO t VALUES (1, 'z')")
    wait_until(alive_and(w, lambda: db.sql_b("SELECT v FROM t") == [("z",)]), timeout=30, what="rows on B")
    assert w.stop() == 0
    calls = lambda: db.sql_b("SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions "
                             "WHERE schemaname = 'pgduplex' AND funcname = 'run_as'")[0][0]
    wait_until(lambda: calls() >= 1, timeout=10, what="function statistics")
    assert calls() == 1


def test_reverse_direction_applies_as_the_owner_on_a(dbpair, worker_factory, tmp_path):
    db = dbpair
    owner = f"app_{db.dbname}"
    for cluster in (db.a, db.b):
        create_role(cluster, owner)
    db.both("CREATE TABLE t (id int PRIMARY KEY, who text)")
    db.sql_a("""CREATE FUNCTION who_fn() RETURNS trigger LANGUAGE plpgsql AS $f$
                BEGIN NEW.who := current_user; RETURN NEW; END $f$""")
    db.sql_a("CREATE TRIGGER t_who BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION who_fn()")
    db.sql_a("ALTER TABLE t ENABLE ALWAYS TRIGGER t_who")
    db.both(f"ALTER TABLE t OWNER TO {owner}")
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": "none"})
    w = run(worker_factory, cfg, "reverse", db)
    db.sql_b("INSERT INTO t VALUES (1, NULL)")
    wait_until(alive_and(w, lambda: db.sql_a("SELECT who FROM t")), timeout=30, what="B's row on A")
    assert db.sql_a("SELECT who FROM t") == [(owner,)]
    assert w.stop() == 0


def test_verify_repair_writes_as_the_table_owner(dbpair, tmp_path):
    """verify --repair writes B's rows too: the owner's ALWAYS trigger runs
    as the owner, in a security-restricted operation, not as the superuser
    running verify."""
    from opshelp import pgduplex
    db = dbpair
    owner = f"rep_{db.dbname}"
    create_role(db.b, owner)
    for side in (db.sql_a, db.sql_b):
        side("CREATE TABLE t (id int PRIMARY KEY, v text, who text)")
    db.sql_a("INSERT INTO t SELECT g, 'a', NULL FROM generate_series(1, 5) g")
    db.sql_b(f"""CREATE FUNCTION rep_fn() RETURNS trigger LANGUAGE plpgsql AS $f$
                 BEGIN {ESCALATE.format(role=owner)} NEW.who := current_user; RETURN NEW; END $f$""")
    db.sql_b("CREATE TRIGGER t_rep BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION rep_fn()")
    db.sql_b("ALTER TABLE t ENABLE ALWAYS TRIGGER t_rep")
    db.sql_b(f"ALTER FUNCTION rep_fn() OWNER TO {owner}")
    db.sql_b(f"ALTER TABLE t OWNER TO {owner}")
    cfg = db.write_config(tmp_path / "t.toml")
    code, out = pgduplex("verify", "--config", str(cfg), "--repair")
    assert code == 0, out
    assert db.sql_b("SELECT count(*) FROM t")[0][0] == 5
    assert not superuser(db.b, owner), f"{owner} became superuser on B through verify --repair"
    assert db.sql_b("SELECT DISTINCT who FROM t") == [(owner,)]


def test_undo_of_an_unfinished_copy_deletes_and_truncates_as_the_table_owner(dbpair, worker_factory, tmp_path):
    """A copy cut off by a crash is undone at the next start (rows it added
    deleted, tables it filled truncated): those writes fire the owner's
    ALWAYS triggers too, so they run as the owner."""
    import psycopg2
    db = dbpair
    owner = f"undo_{db.dbname}"
    create_role(db.b, owner)
    for side in (db.sql_a, db.sql_b):
        side("CREATE TABLE t (id int PRIMARY KEY, v text)")
        side("CREATE TABLE e (id int PRIMARY KEY)")
    db.sql_a("INSERT INTO t SELECT g, 'a' FROM generate_series(1, 3) g")
    b = db.sql_b
    b("CREATE TABLE undo_log (who text)")
    b(f"""CREATE FUNCTION undo_fn() RETURNS trigger LANGUAGE plpgsql AS $f$
          BEGIN {ESCALATE.format(role=owner)} INSERT INTO public.undo_log VALUES (current_user); RETURN NULL; END $f$""")
    b("CREATE TRIGGER t_undo AFTER DELETE ON t FOR EACH ROW EXECUTE FUNCTION undo_fn()")
    b("CREATE TRIGGER e_undo AFTER TRUNCATE ON e FOR EACH STATEMENT EXECUTE FUNCTION undo_fn()")
    b("ALTER TABLE t ENABLE ALWAYS TRIGGER t_undo")
    b("ALTER TABLE e ENABLE ALWAYS TRIGGER e_undo")
    for obj in ("TABLE t", "TABLE e", "TABLE undo_log", "FUNCTION undo_fn()"):
        b(f"ALTER {obj} OWNER TO {owner}")
    # What a cut-off copy leaves: B's own row 100 in t, a copied row 1 in t
    # (its transaction recorded), a copied row in e (empty before).
    b("INSERT INTO t VALUES (100, 'b')")
    conn = psycopg2.connect(db.conninfo_b())
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO t VALUES (1, 'copied'); INSERT INTO e VALUES (1); "
                    """INSERT INTO pgduplex.initial_sync_xacts VALUES ('t', '"public"."t"', pg_current_xact_id()::xid)""")
    conn.close()
    b("""INSERT INTO pgduplex.initial_sync (task, state, tables) VALUES ('t', 'copying',
         '[{"schema": "public", "name": "t", "leaf": true, "created": false, "had_rows": true},
           {"schema": "public", "name": "e", "leaf": true, "created": false, "had_rows": false}]')""")
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflicting_tables": "ignore"})
    w = run(worker_factory, cfg, "forward", db)
    wait_until(alive_and(w, lambda: "undoing it and starting over" in w.output()), timeout=60,
               what="the undo of the unfinished copy")
    wait_until(alive_and(w, lambda: len(db.sql_b("SELECT * FROM undo_log")) >= 2), timeout=30,
               what="the owner's triggers to fire")
    assert not superuser(db.b, owner), f"{owner} became superuser on B through the undo of a copy"
    assert db.sql_b("SELECT DISTINCT who FROM undo_log") == [(owner,)]
    # The slot is active from the copy's start: wait for the copy itself.
    wait_until(alive_and(w, lambda: db.sql_b("SELECT id, v FROM t ORDER BY id") == [
        (1, "a"), (2, "a"), (3, "a"), (100, "b")]), timeout=30, what="the copy after the undo")
    w.stop()


@pytest.mark.parametrize("policy", ["overwrite", "last-write-wins"])
def test_owner_code_in_a_domain_check_cannot_become_superuser_through_conflict_lookups(dbpair, worker_factory,
                                                                                     tmp_path, policy):
    """The key column's type on B is a domain whose CHECK calls its owner's
    code. Every lookup of the conflict path casts values to that type (local
    rows by key, colliding rows, tombstones, claims): they run as the table
    owner, never as the worker's superuser."""
    db = dbpair
    role = f"dom_{db.dbname}"
    create_role(db.b, role)
    db.sql_a("CREATE TABLE t_dom (id int PRIMARY KEY, v text)")
    db.sql_b(f"""CREATE FUNCTION dom_fn(int) RETURNS boolean LANGUAGE plpgsql AS $f$
                 BEGIN {ESCALATE.format(role=role)} RETURN true; END $f$""")
    db.sql_b("CREATE DOMAIN dom_key AS int")
    db.sql_b("CREATE TABLE t_dom (id dom_key PRIMARY KEY, v text)")
    db.sql_b("INSERT INTO t_dom VALUES (1, 'local')")  # insert_exists for A's row 1
    # NOT VALID: the superuser setting this up must not run the code itself
    db.sql_b("ALTER DOMAIN dom_key ADD CONSTRAINT dom_key_fn CHECK (public.dom_fn(VALUE)) NOT VALID")
    db.sql_b(f"ALTER FUNCTION dom_fn(int) OWNER TO {role}")
    db.sql_b(f"ALTER DOMAIN dom_key OWNER TO {role}")
    db.sql_b(f"ALTER TABLE t_dom OWNER TO {role}")
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": "none", "conflict_policy": policy})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO t_dom VALUES (1, 'remote'), (2, 'remote')")
    wait_until(alive_and(w, lambda: db.sql_b("SELECT 1 FROM t_dom WHERE id = 2")), timeout=60, what="row 2 on B")
    db.sql_b("DELETE FROM t_dom WHERE id = 2")  # A's later UPDATE of 2 finds no row
    db.sql_a("UPDATE t_dom SET v = 'again' WHERE id = 2")
    db.sql_a("INSERT INTO t_dom VALUES (1000, 'marker')")
    wait_until(alive_and(w, lambda: db.sql_b("SELECT 1 FROM t_dom WHERE id = 1000")), timeout=60, what="the marker")
    types = {r[0] for r in db.sql_b("SELECT conflict_type FROM pgduplex.conflicts")}
    assert "insert_exists" in types and types & {"update_missing", "update_deleted"}, types
    assert not superuser(db.b, role), f"{role} became superuser on B through a conflict lookup"
    assert w.stop() == 0
