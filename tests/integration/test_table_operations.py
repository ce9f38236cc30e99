"""Operations per table and direction ([table."schema.name"] operations*):
an archive table whose forward direction never carries deletes keeps on B
what A deleted, and verify lists those rows as expected differences apart
from real ones; a table that carries no TRUNCATE keeps its rows on the peer
when either side truncates."""
import random

from conftest import wait_until
from opshelp import pgduplex
from test_row_filters import two_way

ARCHIVE = """
[table."public.archive"]
operations_forward = ["insert", "update"]
"""
LOGS = """
[table."public.logs"]
operations = ["insert", "update", "delete"]
"""


def wait_for_row(db, sql, table, key):
    wait_until(lambda: sql(f"SELECT 1 FROM {table} WHERE id = {key}"), timeout=30,
               what=f"row {key} of {table} to arrive")


def test_archive_never_receives_deletes_and_verify_reports_them_as_expected(dbpair, worker_factory, tmp_path):
    seed = random.randrange(1 << 30)
    print(f"seed {seed}")
    rng = random.Random(seed)
    db = dbpair
    db.sql_a("CREATE TABLE archive (id int PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO archive SELECT g, 'v' || g FROM generate_series(1, 50) g")
    cfg, fwd, rev = two_way(db, worker_factory, tmp_path, ARCHIVE)
    deleted = sorted(rng.sample(range(1, 50), 7))  # 50 is updated below
    db.sql_a("DELETE FROM archive WHERE id = ANY(%s)", (deleted,))
    db.sql_a("UPDATE archive SET v = 'updated' WHERE id = 50")
    db.sql_a("INSERT INTO archive VALUES (100, 'marker')")
    wait_for_row(db, db.sql_b, "archive", 100)
    # The deletes never left A; the update and the insert after them arrived.
    assert db.sql_b("SELECT count(*) FROM archive WHERE id = ANY(%s)", (deleted,)) == [(7,)]
    assert db.sql_b("SELECT v FROM archive WHERE id = 50") == [("updated",)]
    # The reverse direction still carries deletes: B's delete reaches A.
    db.sql_b("DELETE FROM archive WHERE id = 100")
    wait_until(lambda: not db.sql_a("SELECT 1 FROM archive WHERE id = 100"), timeout=30,
               what="B's delete to reach A")

    code, out = pgduplex("verify", "--config", str(cfg))
    assert code == 0, out
    assert "public.archive: OK apart from expected differences" in out, out
    assert "expected, not counted: 7 on B only (deletes and truncates are not carried to B)" in out, out
    assert "1 with expected differences" in out

    # A real difference is still one, listed apart from the expected ones.
    fwd.stop()
    rev.stop()
    key = next(i for i in range(1, 50) if i not in deleted)
    db.sql_b(f"UPDATE archive SET v = 'drift' WHERE id = {key}")
    code, out = pgduplex("verify", "--config", str(cfg))
    assert code == 1, out
    assert "0 missing on B, 0 extra on B, 1 changed" in out, out
    assert "expected, not counted: 7 on B only" in out, out
    code, out = pgduplex("verify", "--config", str(cfg), "--repair")
    assert code == 0, out
    assert "repaired on B: 0 inserted, 1 updated, 0 deleted" in out, out
    # Repair leaves the expected rows alone.
    assert db.sql_b("SELECT count(*) FROM archive WHERE id = ANY(%s)", (deleted,)) == [(7,)]


def test_truncate_left_out_keeps_the_peer_rows_both_ways(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.sql_a("CREATE TABLE logs (id int PRIMARY KEY, line text)")
    db.sql_a("INSERT INTO logs SELECT g, 'l' || g FROM generate_series(1, 20) g")
    cfg, fwd, rev = two_way(db, worker_factory, tmp_path, LOGS)
    db.sql_a("TRUNCATE logs")
    db.sql_a("INSERT INTO logs VALUES (101, 'after truncate on A')")
    wait_for_row(db, db.sql_b, "logs", 101)
    assert db.sql_b("SELECT count(*) FROM logs") == [(21,)]
    db.sql_b("TRUNCATE logs")
    db.sql_b("INSERT INTO logs VALUES (102, 'after truncate on B')")
    wait_for_row(db, db.sql_a, "logs", 102)
    assert db.sql_a("SELECT id FROM logs ORDER BY id") == [(101,), (102,)]
    # Deletes still travel.
    db.sql_a("DELETE FROM logs WHERE id = 102")
    wait_until(lambda: not db.sql_b("SELECT 1 FROM logs WHERE id = 102"), timeout=30, what="the delete")
    assert db.sql_a("SELECT id FROM logs ORDER BY id") == [(101,)]
    assert db.sql_b("SELECT count(*) FROM logs") == [(0,)]  # B's TRUNCATE emptied B alone

    code, out = pgduplex("verify", "--config", str(cfg))
    assert code == 0, out
    assert "expected, not counted: 1 on A only (truncates are not carried to A)" in out, out
    assert "1 with expected differences" in out, out
