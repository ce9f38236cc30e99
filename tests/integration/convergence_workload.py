"""The workload and the oracle of test_convergence.py.

Tables: five shapes that meet conflicts differently (single key, composite
key, a second UNIQUE constraint, keyless with REPLICA IDENTITY FULL, a
TOASTed column). The workload is a sequence of operations fixed by the seed
(side, table, key, kind, values); each is one short client transaction on
its side. What each transaction actually changed (its RETURNING rows, or
every key for a TRUNCATE) is recorded with its commit timestamp, read after
COMMIT with pg_xact_commit_timestamp(xid): that record is the oracle.

Which rows an operation touches still depends on what replication delivered
before it ran, so a seed fixes the operations, not every outcome.
"""
import collections
import datetime

import psycopg2
import psycopg2.errors

SIDES = ("a", "b")

# Key spaces: small and shared by both sides, so that conflicts are frequent.
SINGLE_IDS = range(1, 41)
COMP_K1 = range(1, 9)
COMP_K2 = ("a", "b", "c", "d", "e")
UNIQ_IDS = range(1, 41)
UNIQ_EMAILS = 15
KEYLESS_K = range(1, 11)
TOAST_IDS = range(1, 21)
TOAST_MD5S = 160  # 160 md5 hex strings = 5120 bytes, stored EXTERNAL (never compressed)


# Per table, about 3 in 1000 operations are a TRUNCATE (weights below sum to ~100).
TRUNCATE_WEIGHT = 0.3


class Table:
    """name, DDL, the key columns (None: keyless), the projection used in
    RETURNING and in comparisons, and whether the oracle checks it."""

    def __init__(self, name, ddl, key, cols, oracle, keys=(), identity=None):
        self.name, self.ddl, self.key, self.cols, self.oracle = name, ddl, key, cols, oracle
        self.keys = list(keys)  # the whole key space (a TRUNCATE deletes each)
        # No key declared, but the rows are told apart by these columns
        # (the oracle's key; compared as a multiset all the same).
        self.identity = identity

    def oracle_key(self):
        return self.key or self.identity

    def order_by(self):
        return ", ".join(self.key) if self.key else self.cols_plain()

    def cols_plain(self):
        return ", ".join(str(i + 1) for i in range(len(self.cols.split(","))))


TABLES = [
    Table("t_single",
          ["CREATE TABLE t_single (id int PRIMARY KEY, v int NOT NULL, who text NOT NULL, note text)"],
          ("id",), "id, v, who, note", oracle=True, keys=[(i,) for i in SINGLE_IDS]),
    Table("t_comp",
          ["CREATE TABLE t_comp (k1 int, k2 text, v int NOT NULL, who text NOT NULL, PRIMARY KEY (k1, k2))"],
          ("k1", "k2"), "k1, k2, v, who", oracle=True, keys=[(a, b) for a in COMP_K1 for b in COMP_K2]),
    # Oracle skipped: which of several rows holding the same email survives
    # is the rule the implementation picks (issue 11: "a rule both sides
    # reach the same answer with"); only identity between sides is asserted.
    # The rule (ConflictResolver::PlanCollisions): a serial history in
    # commit-time order where every row version displaces the rows it
    # collides with. A row version R (commit t) arriving late may find no
    # colliding row because the local row that held its email after t, and
    # so displaced R in the serial history, was deleted, or moved to another
    # email, before R arrived. E.g. b: upsert (15,'e6') at t1 (link cut); a:
    # upsert (3,'e6') at t2 > t1, then delete 3; on b, a's (3,'e6') displaced
    # 15 and the delete took 3. On a, b's row finds nothing to collide with:
    # it is kept out (and an older row 15 of a's removed) because a
    # remembers that a local row held 'e6' at t2 (pgduplex.value_claims,
    # plugin/src/pg/value_claims.cpp), for an INSERT and for an UPDATE that
    # moves row 15 onto 'e6' alike (test_lww_unique_claims.py has each case).
    Table("t_uniq",
          ["CREATE TABLE t_uniq (id int PRIMARY KEY, email text NOT NULL UNIQUE, v int NOT NULL, who text NOT NULL)"],
          ("id",), "id, email, v, who", oracle=False),
    # Oracle skipped: rows have no identity of their own (duplicates are
    # frequent on purpose); only identity between sides (as multisets) is
    # asserted. The rule (conflict_resolver.h, "Keyless tables"): INSERT
    # adds a row, DELETE removes one with the old values, UPDATE changes
    # one; one that finds no row is decided by time against what became of
    # a row with those values here (extension 1.4: the first link of the
    # local chain whose values exactly one row still holds; with several,
    # the older rule: convert an UPDATE into an INSERT). KNOWN TO DIVERGE
    # still (about half the seeds): with equal values on several rows,
    # each side may take another row for "the" row, e.g. a's delete of
    # (10,3,'b') finds on b no such row and follows b's chain to a
    # (10,1,'a') that is not the one b made of it. Left in the workload on
    # purpose; t_keyless_tagged below has the same shape with rows told
    # apart by value.
    Table("t_keyless",
          ["CREATE TABLE t_keyless (k int NOT NULL, v int NOT NULL, who text NOT NULL)",
           "ALTER TABLE t_keyless REPLICA IDENTITY FULL"],
          None, "k, v, who", oracle=False),
    # No key either, but every row is told apart by its values, as in most
    # real tables without a key (events, logs): the tag is set once by the
    # INSERT (side and operation number: never reused) and never changed.
    # Asserted like the keyed tables, and by the oracle per tag: the rule
    # (extension 1.4, change_replayer_keyless.cpp) decides an UPDATE or
    # DELETE that finds no row against what became of it here, so the later
    # change wins and one row stays one row.
    Table("t_keyless_tagged",
          ["CREATE TABLE t_keyless_tagged (tag int NOT NULL, v int NOT NULL, who text NOT NULL)",
           "ALTER TABLE t_keyless_tagged REPLICA IDENTITY FULL"],
          None, "tag, v, who", oracle=True, identity=("tag",)),
    # REPLICA IDENTITY FULL: an UPDATE that leaves body alone sends it as
    # "unchanged TOAST"; only the full old image lets the other side rebuild
    # the whole row when that UPDATE wins over a row it does not have
    # (README: update_missing). Without it no policy can converge.
    Table("t_toast",
          ["CREATE TABLE t_toast (id int PRIMARY KEY, body text NOT NULL, n int NOT NULL, who text NOT NULL)",
           "ALTER TABLE t_toast ALTER COLUMN body SET STORAGE EXTERNAL",
           "ALTER TABLE t_toast REPLICA IDENTITY FULL"],
          ("id",), "id, md5(body) AS body_md5, n, who", oracle=True, keys=[(i,) for i in TOAST_IDS]),
]
BY_NAME = {t.name: t for t in TABLES}
TABLE_WEIGHTS = {"t_single": 30, "t_comp": 20, "t_uniq": 20, "t_keyless": 15, "t_keyless_tagged": 15,
                 "t_toast": 15}


def body_sql():
    """A poorly compressible text of 5120 bytes, from a seed string."""
    return f"(SELECT string_agg(md5(%s || g::text), '') FROM generate_series(1, {TOAST_MD5S}) g)"


class Op:
    def __init__(self, no, side, table, kind, sql, params, key=None):
        self.no, self.side, self.table, self.kind, self.sql, self.params, self.key = \
            no, side, table, kind, sql, params, key

    def __repr__(self):
        key = "" if self.kind == "truncate" else f" {self.key}"
        return f"{self.side}#{self.no} {self.kind} {self.table}{key}"


def _pick(rng, weights):
    names = list(weights)
    return rng.choices(names, [weights[n] for n in names])[0]


def make_op(rng, no, side, table, key=None):
    """One operation on `table` by `side`; key is reused for a deliberate race."""
    who = f"{side}{no}"
    v = rng.randint(0, 999)
    cols = BY_NAME[table].cols
    if table == "t_single":
        key = key or (rng.choice(SINGLE_IDS),)
        kind = _pick(rng, {"insert": 20, "update": 20, "increment": 10, "upsert": 25, "delete": 15,
                           "range_update": 5, "range_delete": 3, "truncate": TRUNCATE_WEIGHT})
        (i,) = key
        sql, params = {
            "insert": ("INSERT INTO t_single VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING " + cols,
                       (i, v, who, None)),
            "update": ("UPDATE t_single SET v = %s, who = %s, note = %s WHERE id = %s RETURNING " + cols,
                       (v, who, f"n{v}", i)),
            "increment": ("UPDATE t_single SET v = v + 1, who = %s WHERE id = %s RETURNING " + cols, (who, i)),
            "upsert": ("INSERT INTO t_single VALUES (%s, %s, %s, NULL) ON CONFLICT (id) DO UPDATE "
                       "SET v = EXCLUDED.v, who = EXCLUDED.who RETURNING " + cols, (i, v, who)),
            "delete": ("DELETE FROM t_single WHERE id = %s RETURNING " + cols, (i,)),
            "range_update": ("UPDATE t_single SET v = v + %s, who = %s WHERE id BETWEEN %s AND %s + 4 "
                             "RETURNING " + cols, (v, who, i, i)),
            "range_delete": ("DELETE FROM t_single WHERE id BETWEEN %s AND %s + 2 RETURNING " + cols, (i, i)),
            "truncate": ("TRUNCATE t_single", ()),
        }[kind]
    elif table == "t_comp":
        key = key or (rng.choice(COMP_K1), rng.choice(COMP_K2))
        kind = _pick(rng, {"insert": 20, "update": 20, "upsert": 25, "delete": 15, "range_update": 6,
                           "range_delete": 3, "truncate": TRUNCATE_WEIGHT})
        k1, k2 = key
        sql, params = {
            "insert": ("INSERT INTO t_comp VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING " + cols,
                       (k1, k2, v, who)),
            "update": ("UPDATE t_comp SET v = %s, who = %s WHERE (k1, k2) = (%s, %s) RETURNING " + cols,
                       (v, who, k1, k2)),
            "upsert": ("INSERT INTO t_comp VALUES (%s, %s, %s, %s) ON CONFLICT (k1, k2) DO UPDATE "
                       "SET v = t_comp.v + EXCLUDED.v, who = EXCLUDED.who RETURNING " + cols, (k1, k2, v, who)),
            "delete": ("DELETE FROM t_comp WHERE (k1, k2) = (%s, %s) RETURNING " + cols, (k1, k2)),
            "range_update": ("UPDATE t_comp SET v = v + 1, who = %s WHERE k1 = %s RETURNING " + cols, (who, k1)),
            "range_delete": ("DELETE FROM t_comp WHERE k1 = %s AND k2 <= %s RETURNING " + cols, (k1, k2)),
            "truncate": ("TRUNCATE t_comp", ()),
        }[kind]
    elif table == "t_uniq":
        key = key or (rng.choice(UNIQ_IDS),)
        (i,) = key
        email = f"e{rng.randint(1, UNIQ_EMAILS)}@x"
        kind = _pick(rng, {"insert": 25, "update_email": 20, "update": 15, "upsert": 25, "delete": 15,
                           "truncate": TRUNCATE_WEIGHT})
        sql, params = {
            "insert": ("INSERT INTO t_uniq VALUES (%s, %s, %s, %s) RETURNING " + cols, (i, email, v, who)),
            "update_email": ("UPDATE t_uniq SET email = %s, who = %s WHERE id = %s RETURNING " + cols,
                             (email, who, i)),
            "update": ("UPDATE t_uniq SET v = %s, who = %s WHERE id = %s RETURNING " + cols, (v, who, i)),
            "upsert": ("INSERT INTO t_uniq VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE "
                       "SET email = EXCLUDED.email, v = EXCLUDED.v, who = EXCLUDED.who RETURNING " + cols,
                       (i, email, v, who)),
            "delete": ("DELETE FROM t_uniq WHERE id = %s RETURNING " + cols, (i,)),
            "truncate": ("TRUNCATE t_uniq", ()),
        }[kind]
    elif table == "t_keyless":
        # who is the side only and v has 3 values: exact duplicate rows are
        # common, which is what "one row version matched, never two" is about.
        key = key or (rng.choice(KEYLESS_K),)
        (k,) = key
        v = rng.randint(1, 3)
        kind = _pick(rng, {"insert": 35, "update_one": 25, "update_all": 8, "delete_one": 20,
                           "delete_all": 5, "truncate": TRUNCATE_WEIGHT})
        one = "ctid = (SELECT ctid FROM t_keyless WHERE k = %s AND v = %s LIMIT 1)"
        sql, params = {
            "insert": ("INSERT INTO t_keyless VALUES (%s, %s, %s) RETURNING " + cols, (k, v, side)),
            "update_one": (f"UPDATE t_keyless SET v = %s, who = %s WHERE {one} RETURNING " + cols,
                           (rng.randint(1, 3), side, k, v)),
            "update_all": ("UPDATE t_keyless SET v = v %% 3 + 1, who = %s WHERE k = %s RETURNING " + cols,
                           (side, k)),
            "delete_one": (f"DELETE FROM t_keyless WHERE {one} RETURNING " + cols, (k, v)),
            "delete_all": ("DELETE FROM t_keyless WHERE k = %s RETURNING " + cols, (k,)),
            "truncate": ("TRUNCATE t_keyless", ()),
        }[kind]
    elif table == "t_keyless_tagged":
        tags = BY_NAME[table].keys  # the tags inserted so far (reset by operations())
        kind = _pick(rng, {"insert": 30, "update": 35, "delete": 20, "truncate": TRUNCATE_WEIGHT})
        if kind != "truncate" and (kind == "insert" or not (key or tags)):
            kind, key = "insert", (no * 2 + SIDES.index(side),)
            tags.append(key)
        key = key or (rng.choice(tags[-20:]) if tags else (0,))
        (tag,) = key
        sql, params = {
            "insert": ("INSERT INTO t_keyless_tagged VALUES (%s, %s, %s) RETURNING " + cols, (tag, v, who)),
            "update": ("UPDATE t_keyless_tagged SET v = %s, who = %s WHERE tag = %s RETURNING " + cols,
                       (v, who, tag)),
            "delete": ("DELETE FROM t_keyless_tagged WHERE tag = %s RETURNING " + cols, (tag,)),
            "truncate": ("TRUNCATE t_keyless_tagged", ()),
        }[kind]
    elif table == "t_toast":
        key = key or (rng.choice(TOAST_IDS),)
        (i,) = key
        kind = _pick(rng, {"insert": 20, "update_body": 20, "update_n": 25, "upsert": 20, "delete": 15,
                           "truncate": TRUNCATE_WEIGHT})
        seed_text = f"{who}-{v}-"
        sql, params = {
            "insert": (f"INSERT INTO t_toast VALUES (%s, {body_sql()}, %s, %s) ON CONFLICT DO NOTHING "
                       "RETURNING " + cols, (i, seed_text, v, who)),
            "update_body": (f"UPDATE t_toast SET body = {body_sql()}, who = %s WHERE id = %s RETURNING " + cols,
                            (seed_text, who, i)),
            # body untouched: travels as unchanged TOAST
            "update_n": ("UPDATE t_toast SET n = n + 1, who = %s WHERE id = %s RETURNING " + cols, (who, i)),
            "upsert": (f"INSERT INTO t_toast VALUES (%s, {body_sql()}, %s, %s) ON CONFLICT (id) DO UPDATE "
                       "SET n = EXCLUDED.n, who = EXCLUDED.who RETURNING " + cols, (i, seed_text, v, who)),
            "delete": ("DELETE FROM t_toast WHERE id = %s RETURNING " + cols, (i,)),
            "truncate": ("TRUNCATE t_toast", ()),
        }[kind]
    else:
        raise ValueError(table)
    return Op(no, side, table, kind, sql, params, key)


def pick_table(rng):
    return _pick(rng, TABLE_WEIGHTS)


def operations(rng, count, race=0.35):
    """The seed's operation sequence. With probability `race` the next
    operation hits the same table and key on the other side (a deliberate
    race: it runs before replication can have carried the first one)."""
    ops = []
    prev = None
    BY_NAME["t_keyless_tagged"].keys.clear()
    for no in range(count):
        if prev is not None and prev.kind != "truncate" and rng.random() < race:
            side = "b" if prev.side == "a" else "a"
            op = make_op(rng, no, side, prev.table, prev.key)
            prev = None
        else:
            op = make_op(rng, no, rng.choice(SIDES), pick_table(rng))
            prev = op
        ops.append(op)
    return ops


# Errors a client transaction may meet for reasons of its own (a local
# unique violation on t_uniq, a deadlock with an apply batch): the
# transaction is rolled back and changed nothing.
EXPECTED_ERRORS = (psycopg2.errors.UniqueViolation, psycopg2.errors.DeadlockDetected,
                   psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure)


class Event:
    """One committed change to one key: row is None for a delete."""
    __slots__ = ("ts", "side", "op", "key", "row")

    def __init__(self, ts, side, op, key, row):
        self.ts, self.side, self.op, self.key, self.row = ts, side, op, key, row

    def rank(self):
        return (self.ts, self.side == "a")  # ties go to cluster A

    def __repr__(self):
        what = "deleted" if self.row is None else repr(self.row)
        return f"{self.side}#{self.op.no} {self.op.kind} @ {self.ts.isoformat(timespec='microseconds')}: {what}"


class Oracle:
    def __init__(self):
        self.events = collections.defaultdict(lambda: collections.defaultdict(list))
        self.stats = collections.Counter()

    def record(self, op, ts, rows):
        table = BY_NAME[op.table]
        self.stats[f"{op.side}:{op.kind}"] += 1
        if not table.oracle:
            return
        nkey = len(table.oracle_key())
        if op.kind == "truncate":
            for key in table.keys:
                self.events[table.name][key].append(Event(ts, op.side, op, key, None))
            return
        deleting = op.kind.startswith("delete") or op.kind == "range_delete"
        for row in rows:
            key = tuple(row[:nkey])
            self.events[table.name][key].append(Event(ts, op.side, op, key, None if deleting else tuple(row)))

    def expected(self, table):
        """{key: winning Event} for every key written at least once."""
        return {key: max(evs, key=Event.rank) for key, evs in self.events[table].items()}


class Client:
    """One connection to one side, running operations as short transactions."""

    def __init__(self, cluster, dbname, side):
        self.side = side
        self.conn = cluster.connect(dbname)  # autocommit; BEGIN/COMMIT are explicit
        self.cur = self.conn.cursor()
        self.failed = collections.Counter()

    def run(self, op, oracle):
        cur = self.cur
        cur.execute("BEGIN")
        try:
            cur.execute(op.sql, op.params)
            rows = cur.fetchall() if cur.description else []
            if op.kind != "truncate" and not rows:
                cur.execute("ROLLBACK")  # nothing written: not an event
                return
            cur.execute("SELECT pg_current_xact_id()::xid::text")
            xid = cur.fetchone()[0]
            cur.execute("COMMIT")
        except EXPECTED_ERRORS as e:
            cur.execute("ROLLBACK")
            self.failed[type(e).__name__] += 1
            return
        cur.execute("SELECT pg_xact_commit_timestamp(%s::xid)", (xid,))
        ts = cur.fetchone()[0]
        assert isinstance(ts, datetime.datetime), f"no commit timestamp for xid {xid} on {self.side}"
        oracle.record(op, ts, rows)

    def close(self):
        self.conn.close()
