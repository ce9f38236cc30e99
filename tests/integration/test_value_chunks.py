"""Large values travel in chunks (issue 13): a value longer than the chunk
size (sync.apply_memory_mb / 32, at most 16 MiB) leaves the plugin as a run
of ValueChunk records before its change, and the worker reassembles it into
the change's value. Values at, just over and well over the chunk size, in
inserts, updates (new and REPLICA IDENTITY FULL old images) and deletes,
next to NULL and unchanged-TOAST columns, and inside streamed transactions
that commit or abort, arrive byte-identical (md5 on both sides)."""
import os
import random

from conftest import wait_until
from test_run_sync import run

MB = 1 << 20
BUDGET_MB = 64
CHUNK = BUDGET_MB * MB // 32  # the chunk size the worker asks for (README)


def seeded():
    seed = int(os.environ.get("PGDUPLEX_SEED", random.randrange(1 << 30)))
    print(f"seed {seed}")
    return seed


def text_of(size, salt):
    """SQL for `size` bytes of text that differ with `salt` (exact length)."""
    return f"left(repeat(md5('{salt}'), {size // 32 + 1}), {size})"


def fingerprint(db, side, table):
    query = (f"SELECT id, md5(a), length(a), md5(b), length(b), c IS NULL FROM {table} ORDER BY id")
    return (db.sql_a if side == "a" else db.sql_b)(query)


def wait_same(db, w, table, timeout=60):
    expected = fingerprint(db, "a", table)

    def same():
        assert w.alive(), "worker exited:\n" + w.output()
        return fingerprint(db, "b", table) == expected

    wait_until(same, timeout=timeout, what=f"{table} identical on B")


def create(db, table, full=False):
    db.both(f"CREATE TABLE {table} (id int PRIMARY KEY, a text, b text, c text)")
    # Uncompressed out-of-line storage: an unchanged b is really TOAST.
    db.both(f"ALTER TABLE {table} ALTER b SET STORAGE EXTERNAL, ALTER a SET STORAGE EXTERNAL")
    if full:
        db.sql_a(f"ALTER TABLE {table} REPLICA IDENTITY FULL")


def test_values_around_the_chunk_size_arrive_intact(dbpair, worker_factory, tmp_path):
    db = dbpair
    salt = seeded()
    create(db, "v")
    cfg = db.write_config(tmp_path / "t.toml", sync={"apply_memory_mb": BUDGET_MB, "streaming": False})
    w = run(worker_factory, cfg, "forward", db)
    sizes = [CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 7, 0]
    for i, size in enumerate(sizes, start=1):
        # b is NULL (c too): NULL neighbours of a chunked value.
        db.sql_a(f"INSERT INTO v VALUES ({i}, {text_of(size, f'{salt}-{i}')}, NULL, NULL)")
    # One transaction with several chunked values in one row and in two rows.
    db.sql_a(f"INSERT INTO v VALUES (10, {text_of(CHUNK + 5, f'{salt}-a')}, {text_of(3 * CHUNK, f'{salt}-b')}, 'x'),"
             f" (11, 'small', {text_of(CHUNK + 1, f'{salt}-c')}, NULL)")
    wait_same(db, w, "v")
    # An update of a beside an unchanged (TOAST) b of several chunks, and of
    # c beside unchanged a and b.
    db.sql_a(f"UPDATE v SET a = {text_of(2 * CHUNK + 3, f'{salt}-d')} WHERE id = 10")
    db.sql_a("UPDATE v SET c = 'y' WHERE id = 11")
    wait_same(db, w, "v")
    assert db.sql_b("SELECT count(*) FROM v")[0][0] == len(sizes) + 2
    assert w.stop() == 0


def test_update_and_delete_with_huge_old_and_new_images(dbpair, worker_factory, tmp_path):
    db = dbpair
    salt = seeded()
    create(db, "f", full=True)
    cfg = db.write_config(tmp_path / "t.toml", sync={"apply_memory_mb": BUDGET_MB, "streaming": False})
    w = run(worker_factory, cfg, "forward", db)
    db.sql_a(f"INSERT INTO f VALUES (1, {text_of(3 * CHUNK + 1, f'{salt}-1')}, NULL, 'k'),"
             f" (2, {text_of(CHUNK + 1, f'{salt}-2')}, NULL, 'k')")
    wait_same(db, w, "f")
    # Old image (REPLICA IDENTITY FULL) and new tuple both chunked.
    db.sql_a(f"UPDATE f SET a = {text_of(2 * CHUNK + 9, f'{salt}-3')} WHERE id = 1")
    wait_same(db, w, "f")
    db.sql_a("DELETE FROM f WHERE id = 2")
    wait_same(db, w, "f")
    assert db.sql_b("SELECT count(*) FROM f")[0][0] == 1
    assert "conflict" not in w.output().lower(), w.output()
    assert w.stop() == 0


def streaming_config(db, tmp_path):
    db.sql_a(f"ALTER DATABASE {db.dbname} SET logical_decoding_work_mem = '64kB'")
    return db.write_config(tmp_path / "t.toml", sync={"apply_memory_mb": BUDGET_MB, "streaming": True,
                                                      "spool_directory": str(tmp_path / "spool")})


def spooled_bytes(spool):
    if not spool.exists():
        return 0
    return sum(os.path.getsize(spool / f) for f in os.listdir(spool) if f.endswith(".spool"))


def test_huge_values_in_streamed_transactions_that_abort_and_commit(dbpair, worker_factory, tmp_path):
    db = dbpair
    salt = seeded()
    create(db, "s")
    db.both("CREATE TABLE marker (id int PRIMARY KEY)")
    cfg = streaming_config(db, tmp_path)
    spool = tmp_path / "spool"
    w = run(worker_factory, cfg, "forward", db)

    def streamed(at_least):
        assert w.alive(), "worker exited:\n" + w.output()
        return spooled_bytes(spool) >= at_least

    # Aborts: the chunks were spooled, nothing reaches B.
    conn = db.a.connect(db.dbname, autocommit=False)
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO s VALUES (1, {text_of(3 * CHUNK, f'{salt}-x')}, NULL, NULL)")
        cur.execute("INSERT INTO s SELECT g, 'row ' || g, NULL, NULL FROM generate_series(100, 2000) g")
        wait_until(lambda: streamed(3 * CHUNK), timeout=30, what="the huge value spooled")
    conn.rollback()
    # Commits: a huge value in a streamed block, another in the block at
    # the commit, a huge old and new image in between.
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO s VALUES (2, {text_of(2 * CHUNK + 1, f'{salt}-y')}, NULL, 'c')")
        cur.execute("INSERT INTO s SELECT g, 'row ' || g, NULL, NULL FROM generate_series(100, 2000) g")
        wait_until(lambda: streamed(2 * CHUNK), timeout=30, what="the huge value spooled")
        cur.execute(f"UPDATE s SET b = {text_of(CHUNK + 1, f'{salt}-z')} WHERE id = 2")
        cur.execute(f"INSERT INTO s VALUES (3, NULL, {text_of(4 * CHUNK + 2, f'{salt}-w')}, NULL)")
    conn.commit()
    conn.close()
    db.sql_a("INSERT INTO marker VALUES (1)")
    wait_until(lambda: db.sql_b("SELECT count(*) FROM marker")[0][0] == 1, timeout=60, what="marker on B")
    wait_same(db, w, "s")
    assert db.sql_b("SELECT count(*) FROM s WHERE id = 1")[0][0] == 0
    assert w.stop() == 0
