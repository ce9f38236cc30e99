"""DDL that real migrations run: a transaction mixing DDL and row changes is
carried in order; several statements in one query string are split and
each carried or refused on its own; CREATE TYPE / DOMAIN / FUNCTION used by
a synced table are carried; CREATE TABLE AS and SELECT INTO are carried as
an empty table their rows then fill; a volatile default is refused with one warning
(never a silent difference); a rename carried forward is translated for
rows still in flight from B; DDL on a table B's owner differs on."""
import psycopg2

from conftest import assert_converges, wait_until
from test_ddl_forward import SCHEMA_QUERY, run_a, two_way
from test_schema_drift import a_conflicts, row_in_flight_from_b, start_both


def warnings(worker, reason):
    return [line for line in worker.output().splitlines() if "not carried" in line and reason in line]


def test_migration_transaction_is_carried_in_order(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.sql_a("CREATE TABLE base (id int PRIMARY KEY, v text)")
    fwd, rev = two_way(db, worker_factory, tmp_path)
    run_a(db, ["INSERT INTO base VALUES (1, 'before')",
               "CREATE TABLE m (id int PRIMARY KEY, v text)",
               "INSERT INTO m VALUES (1, 'one'), (2, 'two')",
               "ALTER TABLE m ADD COLUMN n int",
               "INSERT INTO m VALUES (3, 'three', 3)",
               "UPDATE m SET n = id * 10 WHERE id < 3",
               "ALTER TABLE base ADD COLUMN w int",
               "UPDATE base SET w = 7",
               "ALTER TABLE m RENAME COLUMN v TO vv",
               "DELETE FROM m WHERE id = 2",
               "INSERT INTO m (id, vv, n) VALUES (4, 'four', 40)"])
    wait_until(lambda: db.sql_b("SELECT to_regclass('m')")[0][0] is not None, timeout=60, what="m on B")
    for query in (SCHEMA_QUERY, "SELECT * FROM m ORDER BY id", "SELECT * FROM base ORDER BY id"):
        assert_converges(db, query, workers=[fwd, rev])
    assert db.sql_b("SELECT * FROM m ORDER BY id") == [(1, "one", 10), (3, "three", 3), (4, "four", 40)]
    assert "not carried" not in fwd.output()
    # Both directions keep streaming through the new definitions.
    db.sql_b("INSERT INTO m VALUES (5, 'from b', 50)")
    assert_converges(db, "SELECT * FROM m ORDER BY id", workers=[fwd, rev])
    assert fwd.stop() == 0 and rev.stop() == 0


def test_several_statements_in_one_string_are_each_carried_or_refused(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    fwd, rev = two_way(db, worker_factory, tmp_path)
    # One simple-query string: one implicit transaction, one capture per command.
    run_a(db, "CREATE TABLE two_a (id int PRIMARY KEY, note text); "
              "INSERT INTO two_a VALUES (1, 'a; not a split'); "
              "CREATE VIEW two_view AS SELECT 1 AS one; "
              "ALTER TABLE t ADD COLUMN extra int; "
              "CREATE TABLE two_b (id int PRIMARY KEY, f text DEFAULT $$x;y$$); "
              "DROP TABLE two_b CASCADE; "
              "CREATE INDEX two_a_note ON two_a (note)")
    db.sql_a("INSERT INTO t VALUES (1, 'marker', 1)")
    wait_until(lambda: db.sql_b("SELECT 1 FROM t WHERE id = 1"), timeout=60, what="marker after the string")
    assert db.sql_b("SELECT * FROM two_a") == [(1, "a; not a split")]
    assert db.sql_b("SELECT to_regclass('two_a_note') IS NOT NULL, to_regclass('two_b') IS NOT NULL, "
                    "to_regclass('two_view') IS NULL") == [(True, True, True)]
    view = warnings(fwd, "CREATE VIEW is not carried")
    assert len(view) == 1 and "CREATE VIEW two_view AS SELECT 1 AS one" in view[0], view
    assert "CREATE TABLE two_a" not in view[0]
    cascade = warnings(fwd, "statements with CASCADE or RESTRICT are not carried")
    assert len(cascade) == 1 and "DROP TABLE two_b CASCADE" in cascade[0], cascade
    assert len(warnings(fwd, "")) == 2, fwd.output()[-3000:]
    db.sql_b("INSERT INTO two_a VALUES (2, 'from b')")
    assert_converges(db, "SELECT * FROM two_a ORDER BY id", workers=[fwd, rev])
    assert fwd.stop() == 0 and rev.stop() == 0


def test_types_domains_and_functions_used_by_a_table_are_carried(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY)")
    fwd, rev = two_way(db, worker_factory, tmp_path)
    run_a(db,
          "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
          "CREATE TYPE pair AS (x int, y int)",
          "CREATE DOMAIN positive AS int CHECK (VALUE > 0)",
          "CREATE FUNCTION twice(i int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT i * 2 $$",
          "CREATE TABLE feelings (id int PRIMARY KEY, m mood, p pair, n positive, "
          "d int GENERATED ALWAYS AS (twice(n)) STORED)",
          "INSERT INTO feelings (id, m, p, n) VALUES (1, 'happy', '(1,2)', 5)")
    wait_until(lambda: db.sql_b("SELECT to_regclass('feelings')")[0][0] is not None, timeout=60,
               what="feelings on B")
    assert_converges(db, "SELECT id, m::text, p::text, n, d FROM feelings ORDER BY id", workers=[fwd, rev])
    assert db.sql_b("SELECT id, m::text, p::text, n, d FROM feelings") == [(1, "happy", "(1,2)", 5, 10)]
    db.sql_b("INSERT INTO feelings (id, m, p, n) VALUES (2, 'sad', '(3,4)', 1)")
    assert_converges(db, "SELECT id, m::text, p::text, n, d FROM feelings ORDER BY id", workers=[fwd, rev])
    assert "not carried" not in fwd.output()
    assert fwd.stop() == 0 and rev.stop() == 0


VOLATILE = [
    "ALTER TABLE t ADD COLUMN at timestamptz DEFAULT now()",
    "ALTER TABLE t ADD COLUMN r float8 DEFAULT random()",
    "ALTER TABLE t ADD COLUMN s serial",
    "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT CURRENT_TIMESTAMP",
    "ALTER TABLE t ADD COLUMN g int GENERATED BY DEFAULT AS IDENTITY",
]


def test_volatile_default_is_refused_with_one_warning_never_silent(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO t SELECT g, 'x' FROM generate_series(1, 5) g")
    fwd, rev = two_way(db, worker_factory, tmp_path)
    wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] == 5, timeout=60, what="rows on B")
    run_a(db, *VOLATILE, "ALTER TABLE t ADD COLUMN k int DEFAULT 7")
    db.sql_a("INSERT INTO t (id, v) VALUES (100, 'marker')")
    wait_until(lambda: db.sql_b("SELECT 1 FROM t WHERE id = 100"), timeout=60, what="marker")
    for statement in VOLATILE:
        lines = warnings(fwd, "a default each side would compute on its own")
        assert len([line for line in lines if statement in line]) == 1, (statement, fwd.output()[-3000:])
    # The constant default is carried: same values on both sides.
    assert db.sql_b("SELECT k FROM t WHERE id = 1") == [(7,)]
    cols = db.sql_b("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute "
                    "WHERE attrelid = 't'::regclass AND attnum > 0 AND NOT attisdropped")[0][0]
    assert cols == "id,v,k"
    assert fwd.stop() == 0 and rev.stop() == 0


def test_rename_carried_forward_translates_a_row_in_flight_from_b(dbpair, worker_factory, tmp_path):
    db = dbpair
    cfg = row_in_flight_from_b(db, worker_factory, tmp_path)
    run_a(db, "ALTER TABLE t RENAME COLUMN v TO w")
    fwd, rev = start_both(db, worker_factory, cfg)
    wait_until(lambda: db.sql_a("SELECT id, w, n FROM t") == [(1, "from b", 10)], timeout=60,
               what="B's row in the renamed column on A")
    assert a_conflicts(db) == []
    wait_until(lambda: db.sql_b("SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass "
                                "AND attname = 'w'")[0][0] == 1, timeout=60, what="the rename on B")
    db.sql_b("INSERT INTO t (id, w, n) VALUES (2, 'later', 20)")
    assert_converges(db, "SELECT * FROM t ORDER BY id", workers=[fwd, rev])
    assert fwd.stop() == 0 and rev.stop() == 0


def test_ddl_on_a_table_owned_by_another_role_on_b(dbpair, worker_factory, tmp_path):
    db = dbpair
    for side in (db.sql_a, db.sql_b):
        side("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mig_owner') THEN "
             "CREATE ROLE mig_owner; END IF; END $$")
        side("GRANT CREATE ON SCHEMA public TO mig_owner")
    db.sql_a("CREATE TABLE owned (id int PRIMARY KEY, v text)")
    db.sql_a("ALTER TABLE owned OWNER TO mig_owner")
    db.sql_b("CREATE TABLE owned (id int PRIMARY KEY, v text)")  # owned by the superuser on B
    fwd, rev = two_way(db, worker_factory, tmp_path)
    run_a(db, "SET ROLE mig_owner; ALTER TABLE owned ADD COLUMN n int; RESET ROLE")
    db.sql_a("INSERT INTO owned VALUES (1, 'x', 1)")
    wait_until(lambda: "must be owner" in fwd.output() or not fwd.alive() or
               db.sql_b("SELECT count(*) FROM owned")[0][0] > 0, timeout=60, what="the DDL's outcome")
    out = fwd.output()
    lines = [line for line in out.splitlines() if "DDL not applied" in line]
    assert len(lines) == 1, out[-3000:]
    owner = db.sql_b("SELECT tableowner FROM pg_tables WHERE tablename = 'owned'")[0][0]
    assert "public.owned" in lines[0] and f'"{owner}"' in lines[0] and "OWNER TO" in lines[0], lines[0]
    fwd.stop()
    rev.stop()


def test_conflict_after_a_ddl_in_the_same_transaction_replays_without_rerunning_it(dbpair, worker_factory,
                                                                                    tmp_path):
    db = dbpair
    db.sql_a("CREATE TABLE base (id int PRIMARY KEY, v text)")
    fwd, rev = two_way(db, worker_factory, tmp_path)
    assert rev.stop() == 0
    db.sql_b("INSERT INTO base VALUES (50, 'b, not yet on a')")  # held back: the reverse direction is stopped
    run_a(db, ["INSERT INTO base VALUES (1, 'one')",
               "ALTER TABLE base ADD COLUMN n int DEFAULT 3",
               "CREATE TABLE side (id int PRIMARY KEY)",
               "INSERT INTO side VALUES (1)",
               "INSERT INTO base VALUES (50, 'a wins', 5)",  # unique violation on B: replayed
               "INSERT INTO base VALUES (51, 'after', 6)"])
    wait_until(lambda: db.sql_b("SELECT count(*) FROM base WHERE id = 51")[0][0] == 1, timeout=60,
               what="the transaction on B")
    assert db.sql_b("SELECT * FROM base ORDER BY id") == [(1, "one", 3), (50, "a wins", 5), (51, "after", 6)]
    assert db.sql_b("SELECT * FROM side") == [(1,)]
    assert fwd.alive() and "already exists" not in fwd.output()
    assert fwd.stop() == 0


def test_create_table_as_and_select_into_are_carried_with_their_rows(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    fwd, rev = two_way(db, worker_factory, tmp_path)
    run_a(db, "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 10) g",
          "CREATE TABLE made_as AS SELECT * FROM t WHERE id % 2 = 0",
          "CREATE TABLE made_empty AS SELECT id, v FROM t WITH NO DATA",
          "SELECT id, v INTO made_into FROM t WHERE id < 4 ORDER BY id")
    wait_until(lambda: db.sql_b("SELECT to_regclass('made_into')")[0][0] is not None, timeout=60,
               what="made_into on B")
    assert_converges(db, SCHEMA_QUERY, workers=[fwd, rev])
    assert db.sql_b("SELECT * FROM made_as ORDER BY id") == [(i, f"v{i}") for i in (2, 4, 6, 8, 10)]
    assert db.sql_b("SELECT count(*) FROM made_empty") == [(0,)]
    assert db.sql_b("SELECT * FROM made_into ORDER BY id") == [(1, "v1"), (2, "v2"), (3, "v3")]
    # Rows written into the new tables afterwards flow too.
    run_a(db, "INSERT INTO made_as VALUES (12, 'later')", "INSERT INTO made_empty VALUES (1, 'first')")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM made_empty")[0][0] == 1, timeout=60, what="made_empty row")
    assert db.sql_b("SELECT v FROM made_as WHERE id = 12") == [("later",)]
    assert "not carried" not in fwd.output() and fwd.alive()
    assert fwd.stop() == 0 and rev.stop() == 0


def test_create_table_as_inside_a_migration_transaction(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    fwd, rev = two_way(db, worker_factory, tmp_path)
    run_a(db, ["INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three')",
               "CREATE TABLE snap AS SELECT id, v FROM t WHERE id <= 2 WITH DATA",
               "ALTER TABLE snap ADD PRIMARY KEY (id)",
               "INSERT INTO snap VALUES (100, 'hundred')",
               "ALTER TABLE snap ADD COLUMN n int",
               "UPDATE snap SET n = id * 10",
               "CREATE TEMP TABLE scratch AS SELECT * FROM t",
               "INSERT INTO t SELECT id + 10, v FROM scratch"])
    wait_until(lambda: db.sql_b("SELECT count(*) FROM t")[0][0] == 6, timeout=60, what="the transaction on B")
    for query in (SCHEMA_QUERY, "SELECT * FROM snap ORDER BY id", "SELECT * FROM t ORDER BY id"):
        assert_converges(db, query, workers=[fwd, rev])
    assert db.sql_b("SELECT * FROM snap ORDER BY id") == [(1, "one", 10), (2, "two", 20), (100, "hundred", 1000)]
    assert db.sql_b("SELECT to_regclass('scratch')") == [(None,)]
    assert "not carried" not in fwd.output()
    # The key added in the transaction holds on B: B's rows flow back.
    db.sql_b("INSERT INTO snap VALUES (5, 'from b', 50)")
    assert_converges(db, "SELECT * FROM snap ORDER BY id", workers=[fwd, rev])
    assert fwd.stop() == 0 and rev.stop() == 0


def test_create_table_as_whose_query_cannot_run_on_b_waits_for_it(dbpair, worker_factory, tmp_path):
    from test_run_sync import run
    db = dbpair
    db.both("CREATE TABLE t (id int PRIMARY KEY)")
    db.sql_a("CREATE TABLE only_a (id int); INSERT INTO only_a VALUES (7)")  # before the slot: never carried
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": "none"})
    fwd = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO t VALUES (1)")
    run_a(db, "CREATE TABLE copied AS SELECT * FROM only_a")
    # As any DDL that fails on B for a missing object: the error, naming the
    # statement as run there, and a retry; nothing after it is applied.
    wait_until(lambda: "CREATE TABLE copied AS SELECT * FROM only_a WITH NO DATA: ERROR:  relation \"only_a\" "
                       "does not exist" in fwd.output(), timeout=60, what="the failure on B")
    assert db.sql_b("SELECT to_regclass('copied')") == [(None,)]
    db.sql_b("CREATE TABLE only_a (id int)")  # the operator's fix
    wait_until(lambda: db.sql_b("SELECT to_regclass('copied') IS NOT NULL")[0][0], timeout=60, what="copied on B")
    wait_until(lambda: db.sql_b("SELECT * FROM copied") == [(7,)], timeout=30, what="the row of copied")
    assert db.sql_b("SELECT id FROM t") == [(1,)] and db.sql_b("SELECT * FROM only_a") == []
    assert fwd.alive() and "not carried" not in fwd.output()
    assert fwd.stop() == 0


def test_table_rename_carried_forward_translates_a_row_in_flight_from_b(dbpair, worker_factory, tmp_path):
    db = dbpair
    cfg = row_in_flight_from_b(db, worker_factory, tmp_path)
    run_a(db, "ALTER TABLE t RENAME TO t_renamed", "ALTER TABLE t_renamed RENAME COLUMN v TO w")
    fwd, rev = start_both(db, worker_factory, cfg)
    wait_until(lambda: db.sql_a("SELECT id, w, n FROM t_renamed") == [(1, "from b", 10)], timeout=60,
               what="B's row in the renamed table on A")
    assert a_conflicts(db) == []
    assert fwd.stop() == 0 and rev.stop() == 0
