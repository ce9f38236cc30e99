"""pgduplex precheck on real clusters: a good pair passes, a bad pair names
each failing check, --fix sets REPLICA IDENTITY FULL."""
from conftest import free_port
from opshelp import check_lines, pgduplex, results


def good_schema(db):
    db.sql_a("CREATE TABLE orders (id serial PRIMARY KEY, item text, qty int)")
    db.sql_a("INSERT INTO orders (item, qty) SELECT 'i' || g, g FROM generate_series(1, 50) g")
    db.sql_a("CREATE TABLE tags (name text NOT NULL, note text)")
    db.sql_a("CREATE UNIQUE INDEX tags_name ON tags (name)")
    db.sql_a("CREATE TABLE events (id int PRIMARY KEY, at date) PARTITION BY RANGE (id)")
    db.sql_a("CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (1000)")


def test_precheck_passes_on_a_good_pair(dbpair, tmp_path):
    good_schema(dbpair)
    dbpair.sql_b("CREATE TABLE orders (id serial PRIMARY KEY, item text, qty int)")  # exists, empty
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"tables": ["public.*"], "conflict_policy": "ignore"})
    code, out = pgduplex("precheck", "--config", str(cfg))
    assert code == 0, out
    assert not [r for r in check_lines(out) if r[2] == "FAIL"], out
    for check in ("wal_level", "replication slots", "wal senders", "extension", "privileges"):
        assert [r[2] for r in results(out, check)] == ["PASS", "PASS"], out
    assert results(out, "extension version", "a+b")[0][2] == "PASS"
    assert results(out, "partitions", "a")[0][2] == "PASS"
    # serial column in scope: a warning with the advice, not a failure
    seq = results(out, "sequences", "a+b")[0]
    assert seq[2] == "WARN" and "orders_id_seq" in seq[3]
    assert "pgduplex sequences --interleave" in out


def test_precheck_reports_each_failing_check_on_a_bad_pair(dbpair, make_cluster, tmp_path):
    a = dbpair.a
    # B: wal_level = replica and no commit timestamps
    bad = make_cluster(extra_conf="wal_level = replica\ntrack_commit_timestamp = off\n")
    bad.sql(f"CREATE DATABASE {dbpair.dbname}")
    bad.sql("CREATE EXTENSION pgduplex", dbname=dbpair.dbname)
    dbpair.sql_a("CREATE TABLE nokey (x int, y text)")
    dbpair.sql_a("CREATE TABLE people (id int PRIMARY KEY, email text)")
    dbpair.sql_a("CREATE UNIQUE INDEX people_email_lower ON people (lower(email))")
    dbpair.sql_a("CREATE TABLE filled (id int PRIMARY KEY)")
    dbpair.sql_a("CREATE SCHEMA archive")
    dbpair.sql_a("CREATE TABLE measures (id int PRIMARY KEY, v int) PARTITION BY RANGE (id)")
    dbpair.sql_a("CREATE TABLE measures_1 PARTITION OF measures FOR VALUES FROM (0) TO (100)")
    dbpair.sql_a("CREATE TABLE archive.measures_0 PARTITION OF measures FOR VALUES FROM (-100) TO (0)")
    bad.sql("CREATE TABLE filled (id int PRIMARY KEY)", dbname=dbpair.dbname)
    bad.sql("INSERT INTO filled VALUES (1)", dbname=dbpair.dbname)

    cfg = tmp_path / "t.toml"
    cfg.write_text(f'name = "bad"\n[a]\nconninfo = "{dbpair.conninfo_a()}"\n'
                   f'[b]\nconninfo = "{bad.conninfo(dbpair.dbname)}"\n'
                   '[sync]\ntables = ["public.*", "sales.*"]\nconflict_policy = "last-write-wins"\n')
    code, out = pgduplex("precheck", "--config", str(cfg))
    assert code == 1, out

    def failed(check, cluster, needle):
        rows = [r for r in results(out, check, cluster) if r[2] == "FAIL" and needle in r[3]]
        assert rows, f"no FAIL for {check} on {cluster} mentioning {needle!r}:\n{out}"

    failed("wal_level", "b", "replica")
    failed("track_commit_timestamp", "b", "off")
    failed("primary keys", "a", "public.nokey")
    failed("expression unique indexes", "a", "people_email_lower")
    failed("table patterns", "a", "sales.*")
    failed("target tables", "b", "public.filled")
    failed("partitions", "a", "archive.measures_0")
    # A itself is fine on the settings
    assert results(out, "wal_level", "a")[0][2] == "PASS"
    assert results(out, "track_commit_timestamp", "a")[0][2] == "PASS"
    assert "fix:" in out


def test_precheck_warns_instead_of_failing_for_populated_targets_under_ignore(dbpair, tmp_path):
    dbpair.both("CREATE TABLE t (id int PRIMARY KEY)")
    dbpair.sql_b("INSERT INTO t VALUES (1)")
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"conflicting_tables": "ignore",
                                                         "conflict_policy": "ignore"})
    code, out = pgduplex("precheck", "--config", str(cfg))
    assert code == 0, out
    assert results(out, "target tables", "b")[0][2] == "WARN"


def test_precheck_names_an_unreachable_cluster_without_its_password(dbpair, tmp_path):
    dbpair.sql_a("CREATE TABLE t (id int PRIMARY KEY)")
    cfg = tmp_path / "t.toml"
    cfg.write_text(f'name = "x"\n[a]\nconninfo = "{dbpair.conninfo_a()}"\n'
                   f'[b]\nconninfo = "host=127.0.0.1 port={free_port()} dbname=x user=u password=s3cret-pw"\n')
    code, out = pgduplex("precheck", "--config", str(cfg))
    assert code == 1, out
    conn = results(out, "connection", "b")
    assert len(conn) == 1 and conn[0][2] == "FAIL", out
    assert "s3cret-pw" not in out
    assert not [r for r in check_lines(out) if r[1] == "b" and r[0] != "connection"], out


def test_precheck_fix_sets_replica_identity_full_on_both_clusters(dbpair, tmp_path):
    dbpair.both("CREATE TABLE t1 (id int PRIMARY KEY, v text)")
    dbpair.both("CREATE TABLE t2 (id int PRIMARY KEY, v text)")
    cfg = dbpair.write_config(tmp_path / "t.toml", sync={"conflict_policy": "overwrite",
                                                         "initial": "none"})
    code, out = pgduplex("precheck", "--config", str(cfg))
    assert code == 0, out
    assert [r[2] for r in results(out, "replica identity")] == ["WARN", "WARN"], out

    code, out = pgduplex("precheck", "--config", str(cfg), "--fix")
    assert code == 0, out
    assert [r[2] for r in results(out, "replica identity")] == ["PASS", "PASS"], out
    for run in (dbpair.sql_a, dbpair.sql_b):
        idents = run("SELECT relname, relreplident FROM pg_class WHERE relname IN ('t1', 't2') ORDER BY 1")
        assert idents == [("t1", "f"), ("t2", "f")]


def test_precheck_warns_on_grantees_missing_on_b(dbpair, tmp_path):
    """Issue 9: the initial copy grants A's privileges only to roles that
    exist on B; precheck names the others beforehand (table, column and
    owned-sequence privileges; PUBLIC and the owner itself never count)."""
    db = dbpair
    app, col, seq = (f"{k}_{db.dbname}" for k in ("app", "col", "seq"))
    for role in (app, col, seq):
        db.a.sql(f"CREATE ROLE {role}")
    db.b.sql(f"CREATE ROLE {app}")
    db.sql_a("CREATE TABLE t (id serial PRIMARY KEY, v text)")
    db.sql_a(f"GRANT SELECT ON t TO {app}, PUBLIC; GRANT UPDATE (v) ON t TO {col}; "
             f"GRANT USAGE ON SEQUENCE t_id_seq TO {seq}")
    cfg = db.write_config(tmp_path / "t.toml")
    code, out = pgduplex("precheck", "--config", str(cfg))
    rows = results(out, "table grantees", "a+b")
    assert rows and rows[0][2] == "WARN", out
    assert f"{col} (on public.t)" in rows[0][3] and f"{seq} (on public.t)" in rows[0][3], out
    assert app not in rows[0][3] and "public (" not in rows[0][3].lower(), out
    db.b.sql(f"CREATE ROLE {col}; CREATE ROLE {seq}")
    code, out = pgduplex("precheck", "--config", str(cfg))
    assert [r[2] for r in results(out, "table grantees", "a+b")] == ["PASS"], out


def test_precheck_warns_on_table_owners_missing_on_b_or_different_there(dbpair, tmp_path):
    """Issue 12: owners are not copied by DDL, and DDL from A runs on B as its
    author: an owner missing on B, or a table owned by someone else on B
    (`must be owner of table`), is a WARN with the statements that fix it."""
    db = dbpair
    gone, owner = f"gone_{db.dbname}", f"owner_{db.dbname}"
    db.a.sql(f"CREATE ROLE {gone}; CREATE ROLE {owner}")
    db.b.sql(f"CREATE ROLE {owner}")
    db.sql_a(f"CREATE TABLE t1 (id int PRIMARY KEY); ALTER TABLE t1 OWNER TO {gone}")
    db.sql_a(f"CREATE TABLE t2 (id int PRIMARY KEY); ALTER TABLE t2 OWNER TO {owner}")
    db.sql_b("CREATE TABLE t1 (id int PRIMARY KEY); CREATE TABLE t2 (id int PRIMARY KEY)")  # the worker's
    cfg = db.write_config(tmp_path / "t.toml")
    code, out = pgduplex("precheck", "--config", str(cfg))
    rows = results(out, "table owners", "a+b")
    assert [r[2] for r in rows] == ["WARN", "WARN"], out
    assert f"{gone} (owns public.t1 on a, missing on b)" in rows[0][3], out
    assert f'on b: CREATE ROLE "{gone}"; on b: ALTER TABLE "public"."t1" OWNER TO "{gone}";' in out, out
    assert f"public.t2 (owned by {owner} on a, by " in rows[1][3], out
    assert f'on b: ALTER TABLE "public"."t2" OWNER TO "{owner}";' in out, out
    db.b.sql(f"CREATE ROLE {gone}")
    db.sql_b(f"ALTER TABLE t1 OWNER TO {gone}; ALTER TABLE t2 OWNER TO {owner}")
    code, out = pgduplex("precheck", "--config", str(cfg))
    assert [r[2] for r in results(out, "table owners", "a+b")] == ["PASS"], out
