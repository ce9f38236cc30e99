"""pgduplex sequences on real clusters: print and apply the switchover
setval, interleave A (odd) and B (even) so default ids never collide."""
from opshelp import pgduplex


def schema(db):
    db.both("CREATE TABLE orders (id serial PRIMARY KEY, v text)")
    db.both("CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO orders (v) SELECT 'a' FROM generate_series(1, 100)")
    db.sql_a("INSERT INTO orders (id, v) VALUES (250, 'by hand')")  # column max beyond the sequence
    db.sql_a("INSERT INTO items (v) SELECT 'a' FROM generate_series(1, 40)")


def nextval(run, seq):
    return run(f"SELECT nextval('{seq}')")[0][0]


def test_sequences_prints_setval_past_a_without_touching_b(dbpair, tmp_path):
    schema(dbpair)
    cfg = dbpair.write_config(tmp_path / "t.toml")
    code, out = pgduplex("sequences", "--config", str(cfg))
    assert code == 0, out
    assert "SELECT setval('public.orders_id_seq', 251, false);" in out
    assert "SELECT setval('public.items_id_seq', 41, false);" in out
    assert dbpair.sql_b("SELECT is_called, last_value FROM orders_id_seq") == [(False, 1)]


def test_sequences_apply_moves_b_past_a_and_never_back(dbpair, tmp_path):
    schema(dbpair)
    cfg = dbpair.write_config(tmp_path / "t.toml")
    code, out = pgduplex("sequences", "--config", str(cfg), "--apply")
    assert code == 0, out
    assert nextval(dbpair.sql_b, "orders_id_seq") == 251
    assert nextval(dbpair.sql_b, "items_id_seq") == 41
    code, out = pgduplex("sequences", "--config", str(cfg), "--apply")
    assert code == 0, out
    assert "nothing to do: already past A" in out
    assert nextval(dbpair.sql_b, "orders_id_seq") == 252


def test_sequences_interleave_makes_default_ids_on_both_sides_disjoint(dbpair, tmp_path):
    schema(dbpair)
    dbpair.sql_b("INSERT INTO orders (v) SELECT 'b' FROM generate_series(1, 300)")  # B ahead of A
    cfg = dbpair.write_config(tmp_path / "t.toml")
    code, out = pgduplex("sequences", "--config", str(cfg), "--interleave")
    assert code == 0, out
    assert "ALTER SEQUENCE public.orders_id_seq INCREMENT BY 2 START WITH 301 RESTART WITH 301" in out
    assert "ALTER SEQUENCE public.orders_id_seq INCREMENT BY 2 START WITH 302 RESTART WITH 302" in out

    code, out = pgduplex("sequences", "--config", str(cfg), "--interleave")
    assert code == 0, out
    assert "ALTER SEQUENCE" not in out
    assert out.count("unchanged: already interleaved") == 4, out

    for run, tag in ((dbpair.sql_a, "A"), (dbpair.sql_b, "B")):
        run(f"INSERT INTO orders (v) SELECT '{tag}' FROM generate_series(1, 20)")
        run(f"INSERT INTO items (v) SELECT '{tag}' FROM generate_series(1, 20)")
    for table in ("orders", "items"):
        a_ids = {r[0] for r in dbpair.sql_a(f"SELECT id FROM {table} WHERE v = 'A'")}
        b_ids = {r[0] for r in dbpair.sql_b(f"SELECT id FROM {table} WHERE v = 'B'")}
        assert len(a_ids) == 20 and len(b_ids) == 20
        assert not a_ids & b_ids
        assert all(i % 2 == 1 for i in a_ids) and all(i % 2 == 0 for i in b_ids)
        # and none collides with a row either side had before
        old = {r[0] for r in dbpair.sql_a(f"SELECT id FROM {table} WHERE v NOT IN ('A', 'B')")} | \
              {r[0] for r in dbpair.sql_b(f"SELECT id FROM {table} WHERE v NOT IN ('A', 'B')")}
        assert not (a_ids | b_ids) & old

    # A TRUNCATE ... RESTART IDENTITY on either side restarts at its own
    # parity: START WITH was set with the interleave.
    for run, parity in ((dbpair.sql_a, 1), (dbpair.sql_b, 0)):
        run("TRUNCATE items RESTART IDENTITY")
        assert nextval(run, "items_id_seq") % 2 == parity

    # After writes on both sides it still changes nothing.
    code, out = pgduplex("sequences", "--config", str(cfg), "--interleave")
    assert code == 0 and "ALTER SEQUENCE" not in out, out


def test_sequences_interleave_is_not_captured_as_ddl(dbpair, tmp_path):
    dbpair.both("CREATE TABLE t (id serial PRIMARY KEY)")
    dbpair.sql_a("SELECT pg_create_logical_replication_slot('ops_seq_ddl', 'test_decoding')")
    cfg = dbpair.write_config(tmp_path / "t.toml")
    code, out = pgduplex("sequences", "--config", str(cfg), "--interleave")
    assert code == 0, out
    changes = dbpair.sql_a("SELECT data FROM pg_logical_slot_get_changes('ops_seq_ddl', NULL, NULL)")
    assert not [c for c in changes if "pgduplex.ddl" in c[0]], changes


def test_sequences_reports_a_sequence_missing_on_b(dbpair, tmp_path):
    dbpair.sql_a("CREATE TABLE t (id serial PRIMARY KEY)")
    dbpair.sql_a("INSERT INTO t DEFAULT VALUES")
    dbpair.sql_b("CREATE TABLE t (id int PRIMARY KEY)")
    cfg = dbpair.write_config(tmp_path / "t.toml")
    code, out = pgduplex("sequences", "--config", str(cfg))
    assert code == 1, out
    assert "public.t_id_seq: cannot move: missing on B" in out


def test_readme_order_interleave_before_up_with_b_empty_never_collides(dbpair, worker_factory, tmp_path):
    """README steps 5 then 6 with B empty: `sequences --interleave` does A's
    side and says the copy will make B's; the copy creates B's sequences
    interleaved (even, past every value A used), so default ids written on
    both sides never collide."""
    from conftest import assert_converges
    from test_initial_sync import wait_streaming
    db = dbpair
    db.sql_a("CREATE TABLE orders (id serial PRIMARY KEY, v text)")
    # BY DEFAULT: rows of a GENERATED ALWAYS identity column are not applied
    # yet (the INSERT lacks OVERRIDING SYSTEM VALUE), a separate bug.
    db.sql_a("CREATE TABLE items (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO orders (v) SELECT 'old' FROM generate_series(1, 100)")
    db.sql_a("INSERT INTO items (v) SELECT 'old' FROM generate_series(1, 40)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins"})

    code, out = pgduplex("sequences", "--config", str(cfg), "--interleave")
    assert code == 0, out
    assert out.count("B's sequences do not exist yet; the initial copy will create them interleaved") == 2, out
    assert "cannot interleave" not in out, out

    up = worker_factory("up", "--config", str(cfg), name="up")
    wait_streaming(db, up, "forward")
    wait_streaming(db, up, "reverse")
    assert_converges(db, "SELECT id, v FROM orders ORDER BY id", workers=[up])
    for run, tag in ((db.sql_b, "B"), (db.sql_a, "A"), (db.sql_b, "B2")):
        run(f"INSERT INTO orders (v) SELECT '{tag}' FROM generate_series(1, 10)")
        run(f"INSERT INTO items (v) SELECT '{tag}' FROM generate_series(1, 10)")
    for table in ("orders", "items"):
        assert_converges(db, f"SELECT id, v FROM {table} ORDER BY id", workers=[up])
        rows = db.sql_a(f"SELECT id, v FROM {table}")
        assert len(rows) == (100 if table == "orders" else 40) + 30, rows
        b_ids = [i for i, v in rows if v.startswith("B")]
        a_ids = [i for i, v in rows if v == "A"]
        assert all(i % 2 == 0 for i in b_ids) and all(i % 2 == 1 for i in a_ids), rows
    # The copy left B as step 5 would have: running it again changes nothing.
    code, out = pgduplex("sequences", "--config", str(cfg), "--interleave")
    assert code == 0 and "ALTER SEQUENCE" not in out, out
    assert up.stop() == 0


def test_initial_copy_moves_b_sequences_past_a_and_warns_when_a_is_not_interleaved(dbpair, worker_factory, tmp_path):
    """Without step 5, B's sequences are created past every value A used (so
    B's own inserts do not trip over the copied rows), with one warning per
    sequence that writes on both sides need `sequences --interleave`."""
    from test_initial_sync import start, wait_streaming
    db = dbpair
    db.sql_a("CREATE TABLE orders (id serial PRIMARY KEY, v text)")
    db.sql_a("INSERT INTO orders (v) SELECT 'old' FROM generate_series(1, 100)")
    db.sql_a("INSERT INTO orders (id, v) VALUES (250, 'by hand')")
    cfg = db.write_config(tmp_path / "t.toml")
    w = start(worker_factory, cfg, "forward")
    wait_streaming(db, w, "forward")
    assert nextval(db.sql_b, "orders_id_seq") == 251
    lines = [x for x in w.output().splitlines() if "orders_id_seq" in x and "not interleaved" in x]
    assert len(lines) == 1, w.output()
    assert "sequences --interleave" in lines[0]
    assert w.stop() == 0
