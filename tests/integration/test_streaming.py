"""Streaming of in-progress transactions (issue 13): with sync.streaming the
source sends a transaction larger than its logical_decoding_work_mem (64kB
here, set on the source database so its walsender uses it) while it runs;
the worker spools it (sync.spool_directory) and applies it at commit, in
commit order, exactly once, and the source spills nothing to disk."""
import os
import random
import time

from conftest import wait_until
from test_run_sync import run

BIG_ROWS = 3000  # about 600 kB of changes: many times logical_decoding_work_mem


def prepare(db, tmp_path, extra_tables=()):
    db.sql_a(f"ALTER DATABASE {db.dbname} SET logical_decoding_work_mem = '64kB'")
    db.both("CREATE TABLE big (id int PRIMARY KEY, payload text)")
    db.both("CREATE TABLE marker (id int PRIMARY KEY)")
    for ddl in extra_tables:
        db.both(ddl)
    spool = tmp_path / "spool"
    cfg = db.write_config(tmp_path / "t.toml", sync={"initial": "none", "streaming": True, "batch_max_changes": 100,
                                                     "spool_directory": str(spool)})
    return cfg, spool


def spool_files(spool):
    return [f for f in os.listdir(spool) if f.endswith(".spool")] if spool.exists() else []


def spooled_bytes(spool):
    return sum(os.path.getsize(spool / f) for f in spool_files(spool))


def insert_big(cur, first, count):
    cur.execute("INSERT INTO big SELECT g, repeat(md5(g::text), 6) FROM generate_series(%s, %s) g",
                (first, first + count - 1))


def wait_streamed(spool, w, what):
    wait_until(lambda: spooled_bytes(spool) > 64 * 1024 or not w.alive(), timeout=30, what=what)
    assert w.alive(), w.output()


def test_streamed_transaction_that_aborts_leaves_nothing_on_b_and_no_spool(dbpair, worker_factory, tmp_path):
    db = dbpair
    cfg, spool = prepare(db, tmp_path)
    w = run(worker_factory, cfg, "forward", db)
    assert (os.stat(spool).st_mode & 0o777) == 0o700
    conn = db.a.connect(db.dbname, autocommit=False)
    with conn.cursor() as cur:
        insert_big(cur, 1, BIG_ROWS)
        cur.execute("SAVEPOINT s")
        insert_big(cur, BIG_ROWS + 1, 100)
        wait_streamed(spool, w, "the open transaction streamed to the spool")
        conn.rollback()
    conn.close()
    wait_until(lambda: not spool_files(spool), timeout=30, what="the spool file removed at the abort")
    db.sql_a("INSERT INTO marker VALUES (1)")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM marker")[0][0] == 1, timeout=30, what="marker on B")
    assert db.sql_b("SELECT count(*) FROM big")[0][0] == 0
    assert w.stop() == 0


def test_streamed_subtransaction_abort_drops_only_its_rows(dbpair, worker_factory, tmp_path):
    db = dbpair
    cfg, spool = prepare(db, tmp_path)
    w = run(worker_factory, cfg, "forward", db)
    conn = db.a.connect(db.dbname, autocommit=False)
    with conn.cursor() as cur:
        insert_big(cur, 1, BIG_ROWS)
        cur.execute("SAVEPOINT s")
        insert_big(cur, BIG_ROWS + 1, BIG_ROWS)
        wait_streamed(spool, w, "the open transaction streamed to the spool")
        cur.execute("ROLLBACK TO SAVEPOINT s")
        insert_big(cur, 2 * BIG_ROWS + 1, 10)
    conn.commit()
    conn.close()
    expected = db.sql_a("SELECT count(*), sum(id) FROM big")
    assert expected[0][0] == BIG_ROWS + 10
    wait_until(lambda: db.sql_b("SELECT count(*), sum(id) FROM big") == expected, timeout=60,
               what="the committed part of the transaction on B")
    wait_until(lambda: not spool_files(spool), timeout=10, what="the spool file removed after the commit")
    assert w.stop() == 0


def test_streamed_transaction_interleaved_with_small_ones_keeps_commit_order(dbpair, worker_factory, tmp_path):
    seed = int(os.environ.get("PGDUPLEX_SEED", random.randrange(1 << 30)))
    print(f"seed {seed}")
    rng = random.Random(seed)
    db = dbpair
    cfg, spool = prepare(db, tmp_path, ["CREATE TABLE small (id int PRIMARY KEY)"])
    # On B only: an ALWAYS trigger (it fires in the apply session) logs the
    # order in which rows of small and marker arrive.
    db.sql_b("CREATE TABLE arrival (n bigserial PRIMARY KEY, what text)")
    db.sql_b("CREATE FUNCTION log_arrival() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
             "INSERT INTO public.arrival (what) VALUES (TG_TABLE_NAME || ' ' || NEW.id); RETURN NEW; END $$")
    for table in ("small", "marker"):
        db.sql_b(f"CREATE TRIGGER log_arrival AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION log_arrival()")
        db.sql_b(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER log_arrival")
    w = run(worker_factory, cfg, "forward", db)

    before, after = rng.randint(3, 8), rng.randint(3, 8)
    commit_order = []
    conn = db.a.connect(db.dbname, autocommit=False)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO marker VALUES (1)")
        for i in range(1, before + 1):
            insert_big(cur, (i - 1) * BIG_ROWS // before + 1, BIG_ROWS // before)
            db.sql_a("INSERT INTO small VALUES (%s)", (i,))
            commit_order.append(f"small {i}")
        wait_streamed(spool, w, "the open transaction streamed to the spool")
        assert db.sql_b("SELECT count(*) FROM big")[0][0] == 0
    conn.commit()
    conn.close()
    commit_order.append("marker 1")
    for i in range(before + 1, before + after + 1):
        db.sql_a("INSERT INTO small VALUES (%s)", (i,))
        commit_order.append(f"small {i}")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM small")[0][0] == before + after, timeout=60,
               what="every small transaction on B")
    assert db.sql_b("SELECT count(*) FROM big")[0][0] == db.sql_a("SELECT count(*) FROM big")[0][0]
    arrived = [r[0] for r in db.sql_b("SELECT what FROM arrival ORDER BY n")]
    assert arrived == commit_order
    assert w.stop() == 0


def test_kill_9_in_the_middle_of_a_streamed_transaction_applies_it_once(dbpair, worker_factory, tmp_path):
    db = dbpair
    cfg, spool = prepare(db, tmp_path)
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO marker VALUES (1)")
    conn = db.a.connect(db.dbname, autocommit=False)
    with conn.cursor() as cur:
        insert_big(cur, 1, BIG_ROWS)
        wait_streamed(spool, w, "the open transaction streamed to the spool")
        w.kill()
        insert_big(cur, BIG_ROWS + 1, BIG_ROWS)
    conn.commit()
    conn.close()
    db.sql_a("INSERT INTO marker VALUES (2)")
    assert spool_files(spool)  # left behind by the killed worker
    w2 = run(worker_factory, cfg, "forward", db)
    wait_until(lambda: db.sql_b("SELECT count(*) FROM marker")[0][0] == 2, timeout=60, what="marker 2 on B")
    assert db.sql_b("SELECT count(*), count(DISTINCT id), sum(id) FROM big") == \
        db.sql_a("SELECT count(*), count(DISTINCT id), sum(id) FROM big")
    assert not spool_files(spool)
    assert w2.stop() == 0


def test_streamed_transaction_does_not_spill_on_the_source(dbpair, worker_factory, tmp_path):
    db = dbpair
    cfg, spool = prepare(db, tmp_path)
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a("INSERT INTO big SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, %s) g", (BIG_ROWS,))
    wait_until(lambda: db.sql_b("SELECT count(*) FROM big")[0][0] == BIG_ROWS, timeout=60, what="rows on B")

    def stats():
        return db.a.sql("SELECT spill_bytes, stream_bytes FROM pg_stat_replication_slots "
                        "WHERE slot_name = 'pgduplex_t_forward'", dbname=db.dbname)

    wait_until(lambda: stats() and stats()[0][1] > 0, timeout=30, what="stream_bytes reported")
    spill, streamed = stats()[0]
    print(f"spill_bytes {spill}, stream_bytes {streamed}")
    assert spill == 0
    assert streamed > 64 * 1024
    assert w.stop() == 0


def test_spool_directory_open_to_other_users_is_refused_at_start(dbpair, worker_factory, tmp_path):
    db = dbpair
    cfg, spool = prepare(db, tmp_path)
    spool.mkdir(mode=0o755)
    os.chmod(spool, 0o755)
    w = worker_factory("run", "--config", str(cfg), "--direction", "forward", name="forward")
    assert w.wait(timeout=60) == 4, w.output()
    assert f"directory {spool} is open to other users" in w.output()
    assert "retrying" not in w.output()
