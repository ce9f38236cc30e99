"""[mapping]: B keeps the synchronized objects under other names (a renamed
schema, a renamed table, a renamed column). The initial copy creates them
under B's names, changes flow both ways between the counterparts, forward
DDL on a mapped table reaches B's name, verify compares the counterparts,
and a mapping that is not one-to-one is refused before anything runs."""
import random

from conftest import wait_until
from opshelp import check_lines, pgduplex
from test_initial_sync import start, wait_streaming

MAPPING = """
[mapping]
schemas = { "app" = "app_b" }
tables = { "public.orders" = "sales.orders_b" }
columns = { "public.orders.note" = "remark", "app.items.label" = "title" }
"""


def mapped_config(db, tmp_path, extra=MAPPING):
    return db.write_config(tmp_path / "t.toml", sync={"tables": ["public.*", "app.*"]}, extra=extra)


def load_a(db):
    db.sql_a("CREATE SCHEMA app")
    db.sql_a("CREATE TABLE app.items (id int PRIMARY KEY, label text, qty int)")
    db.sql_a("CREATE TABLE public.orders (id int PRIMARY KEY, note text, amount numeric)")
    db.sql_a("CREATE INDEX orders_note_idx ON public.orders (note)")
    db.sql_a("CREATE TABLE public.plain (id int PRIMARY KEY, v text)")
    db.sql_a("CREATE TABLE app.events (id serial PRIMARY KEY, what text)")
    db.sql_a("INSERT INTO app.events (what) SELECT 'e' || g FROM generate_series(1, 30) g")
    db.sql_a("INSERT INTO app.items SELECT g, 'item ' || g, g FROM generate_series(1, 50) g")
    db.sql_a("INSERT INTO public.orders SELECT g, 'note ' || g, g * 1.5 FROM generate_series(1, 50) g")
    db.sql_a("INSERT INTO public.plain SELECT g, 'p' || g FROM generate_series(1, 20) g")


def rows(side, query):
    return sorted(tuple(r) for r in side(query))


def test_renamed_schema_table_and_column_sync_both_ways(dbpair, worker_factory, tmp_path):
    db = dbpair
    seed = random.randrange(1 << 30)
    print("seed", seed)
    rng = random.Random(seed)
    load_a(db)
    db.sql_b("CREATE SCHEMA sales")  # B's home of the renamed table
    cfg = mapped_config(db, tmp_path)
    fwd = start(worker_factory, cfg, "forward")
    wait_streaming(db, fwd)
    rev = start(worker_factory, cfg, "reverse")
    wait_streaming(db, rev, "reverse")

    # The initial copy created B's names only, with the rows.
    assert db.sql_b("SELECT to_regclass('app.items'), to_regclass('public.orders')") == [(None, None)]
    assert rows(db.sql_b, "SELECT id, title, qty FROM app_b.items") == \
        rows(db.sql_a, "SELECT id, label, qty FROM app.items")
    assert rows(db.sql_b, "SELECT id, remark, amount FROM sales.orders_b") == \
        rows(db.sql_a, "SELECT id, note, amount FROM public.orders")
    assert db.sql_b("SELECT indexdef FROM pg_indexes WHERE indexname = 'orders_note_idx'") == \
        [("CREATE INDEX orders_note_idx ON sales.orders_b USING btree (remark)",)]

    # Streaming A -> B and B -> A, INSERT / UPDATE / DELETE.
    k = rng.randrange(1, 50)
    db.sql_a("INSERT INTO public.orders VALUES (1001, 'from a', 7)")
    db.sql_a(f"UPDATE public.orders SET note = 'changed on a' WHERE id = {k}")
    db.sql_a("DELETE FROM app.items WHERE id = 2")
    db.sql_a("UPDATE app.items SET label = 'relabelled' WHERE id = 3")
    db.sql_b("INSERT INTO sales.orders_b VALUES (2001, 'from b', 9)")
    db.sql_b("UPDATE sales.orders_b SET remark = 'changed on b' WHERE id = 51 - 1")
    db.sql_b("DELETE FROM sales.orders_b WHERE id = 49")
    db.sql_b("INSERT INTO app_b.items VALUES (3001, 'b item', 1)")
    db.sql_b("UPDATE public.plain SET v = 'b plain' WHERE id = 1")

    def same():
        return (rows(db.sql_a, "SELECT id, note, amount FROM public.orders") ==
                rows(db.sql_b, "SELECT id, remark, amount FROM sales.orders_b") and
                rows(db.sql_a, "SELECT id, label, qty FROM app.items") ==
                rows(db.sql_b, "SELECT id, title, qty FROM app_b.items") and
                rows(db.sql_a, "SELECT * FROM public.plain") == rows(db.sql_b, "SELECT * FROM public.plain"))
    wait_until(same, timeout=30, what="mapped tables to converge")
    assert db.sql_a("SELECT note FROM public.orders WHERE id = 2001") == [("from b",)]
    assert db.sql_b(f"SELECT remark FROM sales.orders_b WHERE id = {k}") == [("changed on a",)]
    assert db.sql_a("SELECT label FROM app.items WHERE id = 3001") == [("b item",)]

    # Forward DDL on the mapped table reaches B's names.
    db.sql_a("ALTER TABLE public.orders ADD COLUMN status text")
    db.sql_a("ALTER TABLE orders RENAME COLUMN note TO memo")  # search_path: public
    db.sql_a("ALTER TABLE app.items ADD COLUMN color text")
    db.sql_a("INSERT INTO public.orders (id, memo, amount, status) VALUES (1002, 'after ddl', 1, 'new')")
    db.sql_a("INSERT INTO app.items (id, label, qty, color) VALUES (1002, 'after ddl', 1, 'red')")
    wait_until(lambda: db.sql_b("SELECT status FROM sales.orders_b WHERE id = 1002") == [("new",)],
               timeout=30, what="orders DDL and row on B")
    wait_until(lambda: db.sql_b("SELECT color FROM app_b.items WHERE id = 1002") == [("red",)],
               timeout=30, what="app.items DDL and row on B")
    # The renamed column keeps its B name: A's new name "memo" maps to "remark" no longer
    # (the mapping names A's column "note"); B gets A's new name.
    assert db.sql_b("SELECT memo FROM sales.orders_b WHERE id = 1002") == [("after ddl",)]

    fwd.stop()
    rev.stop()
    code, out = pgduplex("verify", "--config", str(cfg))
    assert code == 0, out
    assert "sales.orders_b" in out and "app_b.items" in out, out

    # sequences: A's app.events_id_seq is app_b.events_id_seq on B.
    code, out = pgduplex("sequences", "--apply", "--config", str(cfg))
    assert code == 0, out
    assert "app_b" in out or "app.events_id_seq" in out, out
    assert db.sql_b("SELECT nextval('app_b.events_id_seq')") == [(31,)]

    code, out = pgduplex("status", "--config", str(cfg))
    assert code == 0 and "table  public.orders -> sales.orders_b" in out, out


def test_streaming_into_existing_mapped_tables_and_verify_finds_a_difference(dbpair, worker_factory, tmp_path):
    db = dbpair
    load_a(db)
    db.sql_b("CREATE SCHEMA app_b")
    db.sql_b("CREATE SCHEMA sales")
    db.sql_b("CREATE TABLE app_b.items (id int PRIMARY KEY, title text, qty int)")
    db.sql_b("CREATE TABLE sales.orders_b (id int PRIMARY KEY, remark text, amount numeric)")
    db.sql_b("CREATE TABLE public.plain (id int PRIMARY KEY, v text)")
    db.sql_b("CREATE TABLE app_b.events (id serial PRIMARY KEY, what text)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"tables": ["public.*", "app.*"], "initial": "data"},
                          extra=MAPPING)
    fwd = start(worker_factory, cfg, "forward")
    wait_streaming(db, fwd)
    assert db.sql_b("SELECT count(*) FROM sales.orders_b") == [(50,)]
    db.sql_a("UPDATE public.orders SET note = 'x' WHERE id = 5")
    wait_until(lambda: db.sql_b("SELECT remark FROM sales.orders_b WHERE id = 5") == [("x",)],
               timeout=30, what="update to reach B")
    # A conflict on the mapped table is logged under B's name, the log line
    # names A's too.
    db.sql_b("INSERT INTO sales.orders_b VALUES (5000, 'on b', 1)")
    db.sql_a("INSERT INTO public.orders VALUES (5000, 'on a', 2)")
    wait_until(lambda: db.sql_b("SELECT remark FROM sales.orders_b WHERE id = 5000") == [("on a",)],
               timeout=30, what="insert_exists overwritten on B")
    assert db.sql_b("SELECT relation, conflict_type, remote_row->>'remark' FROM pgduplex.conflicts") == \
        [("sales.orders_b", "insert_exists", "on a")]
    wait_until(lambda: "(source table public.orders)" in fwd.output(), timeout=10, what="conflict log line")
    fwd.stop()
    db.sql_b("UPDATE sales.orders_b SET amount = -1 WHERE id = 7")
    code, out = pgduplex("verify", "--config", str(cfg))
    assert code != 0, out
    assert "public.orders" in out and "sales.orders_b" in out, out

    code, out = pgduplex("precheck", "--config", str(cfg))
    mapping = [line for line in check_lines(out) if line[0] == "name mapping"]
    assert mapping == [("name mapping", "b", "PASS", mapping[0][3])], out
    assert "public.orders -> sales.orders_b" in mapping[0][3], out
    db.sql_b("DROP TABLE app_b.items")
    code, out = pgduplex("precheck", "--config", str(cfg))
    mapping = [line for line in check_lines(out) if line[0] == "name mapping" and line[2] == "FAIL"]
    assert code != 0 and mapping and "app.items -> app_b.items" in mapping[0][3], out

    # A DDL the mapping cannot carry is refused with one warning, B unchanged.
    db.sql_b("CREATE TABLE app_b.items (id int PRIMARY KEY, title text, qty int)")
    fwd = start(worker_factory, cfg, "forward")
    wait_streaming(db, fwd)
    db.sql_a("ALTER TABLE public.orders RENAME TO orders2")
    db.sql_a("INSERT INTO public.plain VALUES (999, 'after the refused ddl')")
    wait_until(lambda: db.sql_b("SELECT v FROM public.plain WHERE id = 999") == [("after the refused ddl",)],
               timeout=30, what="the stream to go on after the refused DDL")
    warnings = [line for line in fwd.output().splitlines() if "[mapping]" in line]
    assert len(warnings) == 1 and "public.orders is renamed to sales.orders_b" in warnings[0], fwd.output()
    assert "RENAME TO orders2" in warnings[0], warnings
    assert db.sql_b("SELECT to_regclass('sales.orders_b') IS NOT NULL") == [(True,)]


def test_a_mapping_that_is_not_one_to_one_is_refused(dbpair, tmp_path):
    db = dbpair
    cases = [
        ('[mapping]\ntables = { "public.x" = "public.z", "public.y" = "public.z" }\n', ["public.x", "public.y"]),
        ('[mapping]\nschemas = { "app" = "public" }\n', ["app", "public"]),
        ('[mapping]\ncolumns = { "public.t.a" = "c", "public.t.b" = "c" }\n', ["public.t.a", "public.t.b"]),
        ('[mapping]\ntables = { "public.t" = "nodot" }\n', ["nodot"]),
    ]
    for extra, names in cases:
        cfg = db.write_config(tmp_path / "bad.toml", sync={"tables": ["public.*", "app.*"]}, extra=extra)
        code, out = pgduplex("run", "--config", str(cfg), "--direction", "forward", timeout=30)
        assert code != 0, out
        assert "mapping" in out, out
        for name in names:
            assert name in out, (extra, out)
