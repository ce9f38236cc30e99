"""Forged pgduplex messages (issue 8): any login role can call
pg_logical_emit_message under the extension's prefixes. From extension 1.1
on, DDL travels through pgduplex.ddl_log only, so a 'pgduplex.ddl' message
is a forgery; a heartbeat whose clock is out of range is one too. The worker
ignores them with one warning, counts them, and keeps applying."""
import json
import re
import urllib.request

import psycopg2

from conftest import free_port, wait_until
from test_initial_sync import wait_streaming

FORGED_DDL = {"statement": "CREATE TABLE public.pwned (a int)", "role": "postgres",
              "command_tag": "CREATE TABLE", "object_type": "table", "object_identity": "public.pwned",
              "schema": "public", "search_path": "public", "standard_conforming_strings": True}


def as_role(db, role, *statements):
    conn = psycopg2.connect(db.conninfo_a().replace("user=postgres", f"user={role}"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for statement, params in statements:
                cur.execute(statement, params)
    finally:
        conn.close()


def metric(port, name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    match = re.search(rf"^{name}{{[^}}]*}} (\d+)$", text, re.M)
    return int(match.group(1)) if match else None


def test_forged_ddl_and_heartbeats_are_ignored_counted_and_warned_once(dbpair, worker_factory, tmp_path):
    db = dbpair
    version = db.a.scalar("SELECT extversion FROM pg_extension WHERE extname = 'pgduplex'", dbname=db.dbname)
    assert version != "1.0", "needs extension 1.1 or later (pgduplex.ddl is no DDL channel there)"
    db.sql_a("CREATE TABLE t (id int PRIMARY KEY, v text)")
    role = f"mallory_{db.dbname}"
    db.a.sql(f"CREATE ROLE {role} LOGIN")
    db.sql_a(f"GRANT INSERT ON t TO {role}")
    try:
        config = db.write_config(tmp_path / "t.toml", name="t")
        port = free_port()
        fwd = worker_factory("run", "--config", str(config), "--direction", "forward",
                             "--metrics-listen", f"127.0.0.1:{port}", name="forward")
        wait_streaming(db, fwd)
        emit = "SELECT pg_catalog.pg_logical_emit_message(%s, %s, %s)"
        as_role(db, role,
                # Out of range: the worker used to retry "time zone
                # displacement out of range" until it gave up.
                (emit, (False, "pgduplex.heartbeat", "t|9223372036854775807")),
                (emit, (False, "pgduplex.heartbeat", "t|-9223372036854775808")),
                (emit, (False, "pgduplex.heartbeat", "t|not a clock")),
                (emit, (True, "pgduplex.ddl", json.dumps(FORGED_DDL))),
                (emit, (False, "pgduplex.ddl", json.dumps(FORGED_DDL))),
                (emit, (True, "pgduplex.anything", "x")),
                # Another task's heartbeat is none of our business: ignored,
                # not counted.
                (emit, (False, "pgduplex.heartbeat", "other|9223372036854775807")),
                ("INSERT INTO public.t VALUES (1, 'after the forgeries')", None))
        try:
            wait_until(lambda: db.sql_b("SELECT v FROM t WHERE id = 1") == [("after the forgeries",)],
                       timeout=60, what="the row written after the forgeries")
        except AssertionError as e:
            raise AssertionError(f"{e}\n{fwd.output()[-4000:]}") from None
        assert fwd.alive(), fwd.output()
        assert db.sql_b("SELECT to_regclass('public.pwned')")[0][0] is None
        assert db.sql_a("SELECT to_regclass('public.pwned')")[0][0] is None
        log = fwd.output()
        warnings = [line for line in log.splitlines() if "forged" in line]
        assert len(warnings) == 1, log[-4000:]
        assert "pgduplex.heartbeat" in warnings[0], warnings
        assert "time zone displacement" not in log
        wait_until(lambda: metric(port, "pgduplex_forged_messages_total") == 6, timeout=10,
                   what="pgduplex_forged_messages_total == 6")
        assert fwd.stop() == 0
    finally:
        db.sql_a(f"DROP OWNED BY {role}")
        db.a.sql(f"DROP ROLE IF EXISTS {role}")
