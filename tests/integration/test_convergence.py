"""Issue 11, "Proof": a randomized convergence test of two-way sync under
conflict_policy = "last-write-wins".

Both sides run random INSERT / UPDATE / upsert / DELETE / rare TRUNCATE on
small overlapping key spaces of six tables (see convergence_workload.py),
one short transaction per operation, through these phases:

  live      both directions running
  cut       both workers stopped (SIGTERM), both sides keep writing
  heal      both restarted; in the middle, kill -9 of one direction's
            worker, restarted a few operations later
  half cut  one direction stopped (chosen by the seed), then restarted
  live      both running

Then, once both slots have confirmed everything written (bounded wait), the
workers are stopped and the test asserts:
  1. `pgduplex verify` reports identical;
  2. every table holds the same rows on both sides (full rows as text,
     ordered; the tables without a key as multisets; t_keyless_tagged,
     whose rows are told apart by a tag set at INSERT, never with two
     rows of one tag);
  3. the oracle: on t_single, t_comp, t_toast and t_keyless_tagged (by
     tag) each key holds the row
     written by the latest write by commit timestamp (ties to cluster A),
     or no row if that write was a DELETE or a TRUNCATE (a TRUNCATE deletes
     every key at its commit time). t_uniq and t_keyless are not checked
     by the oracle, only for identity (reasons in convergence_workload.py).

Seeds: 3 fixed ones in `make test` (about 10-15 s each); PGDUPLEX_SEED=S
runs only seed S (to reproduce a failure: the seed fixes the operations and
the phase schedule, not the replication timing); PGDUPLEX_SOAK_SEEDS=N adds
N random seeds, shown in the test ids (a soak run:
`PGDUPLEX_SOAK_SEEDS=20 bash tests/integration/run test_convergence.py`).

Known limit (README, "Conflicts"; convergence_workload.py explains it):
t_keyless, whose rows often have equal values on purpose, can still end
different (13 seeds of 26 in two soaks; 31 of 69 before extension 1.4),
when both sides remove or change rows of equal values at once.
t_keyless_tagged (no key either, rows told apart by value) is asserted: it
held the oracle's rows on 38 of 39 soak seeds, 13 of 13 since the fix for a
local UPDATE racing the apply (before 1.4: 1 of 6). Its differences are
printed, and fail the test only with PGDUPLEX_CONVERGENCE_STRICT=1 (the
soak does), so that `make test` asserts what last-write-wins guarantees
today and keeps showing what it does not. t_uniq (a second unique
constraint) is asserted: extension 1.3 remembers the unique values local
rows gave up (pgduplex.value_claims), and an INSERT or an UPDATE older than
such a claim is kept out on both sides (test_lww_unique_claims.py).

test_oracle_agrees_with_a_history_without_races runs the same checks on a
history where the sides take turns: it passes today, so a failure of the
randomized test is the sync's, not the harness's.
"""
import collections
import os
import random
import signal
import time

import pytest

from convergence_workload import BY_NAME, TABLES, Client, Oracle, make_op, operations, pick_table
from opshelp import pgduplex
from test_run_sync import run

OPS = {"live": 200, "cut": 200, "heal": 200, "half_cut": 150, "final": 100}
CATCH_UP_TIMEOUT = 60
# Tables whose convergence is a known limit (see the module docstring).
KNOWN_LIMITS = {"t_keyless"}
STRICT = os.environ.get("PGDUPLEX_CONVERGENCE_STRICT") == "1" or bool(os.environ.get("PGDUPLEX_SOAK_SEEDS"))


def seeds():
    if os.environ.get("PGDUPLEX_SEED"):
        return [int(os.environ["PGDUPLEX_SEED"])]
    extra = int(os.environ.get("PGDUPLEX_SOAK_SEEDS", "0") or 0)
    return [1, 2, 3] + [random.SystemRandom().randrange(10**9) for _ in range(extra)]


class Pair:
    """The two directions' workers, stopped, killed and restarted by phase."""

    def __init__(self, db, worker_factory, cfg):
        self.db, self.factory, self.cfg = db, worker_factory, cfg
        self.w = {}
        self.problems = []  # workers that exited on their own, or badly on SIGTERM
        self.logs = []

    def start(self, direction, wait=True):
        self.w[direction] = run(self.factory, self.cfg, direction, self.db if wait else None)

    def check_alive(self, when):
        for direction, w in self.w.items():
            if w is not None and not w.alive():
                self.problems.append(f"{direction} worker exited on its own ({when}), rc={w.proc.returncode}:\n"
                                     + w.output()[-2000:])
                self.w[direction] = None

    def stop(self, direction):
        w = self.w.get(direction)
        if w is not None:
            rc = w.stop()
            if rc != 0:
                self.problems.append(f"{direction} worker exited {rc} on SIGTERM:\n" + w.output()[-2000:])
            self.logs.append(w.output())
        self.w[direction] = None

    def kill9(self, direction):
        w = self.w[direction]
        w.proc.send_signal(signal.SIGKILL)
        w.proc.wait()
        self.logs.append(w.output())
        self.w[direction] = None


def wait_caught_up(db, pair):
    """Both slots confirmed past everything written so far (the clients
    have stopped; applied changes carry an origin and are never sent back).
    Returns None, or what did not catch up (at once if a worker is down)."""
    targets = {"forward": (db.sql_a, db.sql_a("SELECT pg_current_wal_lsn()")[0][0]),
               "reverse": (db.sql_b, db.sql_b("SELECT pg_current_wal_lsn()")[0][0])}
    deadline = time.monotonic() + CATCH_UP_TIMEOUT
    behind = list(targets)
    while behind:
        pair.check_alive("catching up")
        if not all(pair.w.values()):
            return "a worker is down: " + ", ".join(d for d, w in pair.w.items() if w is None)
        if time.monotonic() > deadline:
            return f"after {CATCH_UP_TIMEOUT}s, still behind: {behind}"
        behind = [d for d, (side, lsn) in targets.items()
                  if side("SELECT confirmed_flush_lsn >= %s::pg_lsn FROM pg_replication_slots WHERE slot_name = %s",
                          (lsn, f"pgduplex_t_{d}")) != [(True,)]]
        if behind:
            time.sleep(0.2)
    return None


def short(row):
    return tuple(v[:20] + "..." if isinstance(v, str) and len(v) > 23 else v for v in row)


def rows_by_key(db, table):
    """{key: row} on each side (projection of the table: md5 of TOAST)."""
    t = BY_NAME[table]
    q = f"SELECT {t.cols} FROM {t.name}"
    n = len(t.oracle_key())
    return ({tuple(r[:n]): tuple(r) for r in db.sql_a(q)}, {tuple(r[:n]): tuple(r) for r in db.sql_b(q)})


def compare_sides(db, table):
    """(number of differences, up to 5 lines showing them)."""
    t = BY_NAME[table]
    full = f"SELECT x::text FROM {t.name} x ORDER BY 1"
    if db.sql_a(full) == db.sql_b(full):
        return 0, []
    if t.key is None:
        q = f"SELECT {t.cols} FROM {t.name}"
        a, b = collections.Counter(db.sql_a(q)), collections.Counter(db.sql_b(q))
        only_a, only_b = a - b, b - a
        lines = [f"  row {r} x{c} only on A" for r, c in sorted(only_a.items())[:5]]
        lines += [f"  row {r} x{c} only on B" for r, c in sorted(only_b.items())[:5 - len(lines)]]
        return sum(only_a.values()) + sum(only_b.values()), lines
    a, b = rows_by_key(db, table)
    diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return len(diff), [f"  key {k}: A={short(a[k]) if k in a else None} B={short(b[k]) if k in b else None}"
                       for k in diff[:5]]


def classify(held, winner, events):
    """Why a side's row is not the oracle's, in a few words."""
    if winner is None:
        return "row that was never written"
    if held is None:
        return f"no row: later {winner.op.kind} lost"
    if winner.row is None:
        return f"row kept or brought back over a later {winner.op.kind}"
    if any(e.row == held for e in events):
        return f"older write kept over a later {winner.op.kind}"
    return f"row no write produced (mixed versions) instead of a {winner.op.kind}"


def check_oracle(db, table, oracle):
    """(keys whose row is not the oracle's on A, on B, lines): the first 5
    keys in detail, then the count of each kind of mistake per side."""
    a, b = rows_by_key(db, table)
    expected = oracle.expected(table)
    bad = {"A": 0, "B": 0}
    kinds = {"A": collections.Counter(), "B": collections.Counter()}
    lines = []
    for key in sorted(set(a) | set(b) | set(expected)):
        ev = expected.get(key)
        want = ev.row if ev else None
        events = oracle.events[table].get(key, [])
        for side, rows in (("A", a), ("B", b)):
            if rows.get(key) != want:
                bad[side] += 1
                kinds[side][classify(rows.get(key), ev, events)] += 1
        if (a.get(key) != want or b.get(key) != want) and len(lines) < 5:
            older = sorted(events, key=lambda e: e.rank())[-3:-1]
            lines.append(f"  key {key}: A={short(a[key]) if key in a else None} "
                         f"B={short(b[key]) if key in b else None}\n"
                         f"    expected {repr(ev) if ev else 'no row (never written)'}\n"
                         f"    the writes before it: {older}")
    for side in ("A", "B"):
        if kinds[side]:
            lines.append(f"  on {side}: " + "; ".join(f"{n} x {k}" for k, n in kinds[side].most_common()))
    return bad["A"], bad["B"], lines


def conflict_counts(db):
    q = ("SELECT conflict_type || '/' || resolution, count(*) FROM pgduplex.conflicts "
         "GROUP BY 1 ORDER BY 1")
    return {"on A": dict(db.sql_a(q)), "on B": dict(db.sql_b(q))}


def final_checks(db, cfg, pair, oracle):
    """Once both directions have caught up, stops them and checks: verify,
    identity of both sides, the oracle. Returns (problems, summary lines)."""
    not_caught_up = wait_caught_up(db, pair)
    if not_caught_up:
        for direction, w in pair.w.items():
            if w is not None:
                not_caught_up += f"\n{direction} worker's last output:\n" + w.output()[-3000:]
    pair.check_alive("after catching up")
    for direction in ("forward", "reverse"):
        pair.stop(direction)
    problems = list(pair.problems)
    if not_caught_up:
        problems.append(f"did not catch up: {not_caught_up}")
    code, out = pgduplex("verify", "--config", str(cfg))
    known = () if STRICT else tuple(f"public.{name}:" for name in KNOWN_LIMITS)
    counted = [line for line in out.splitlines()
               if ("DIFFERENT" in line or "error" in line.lower()) and not line.strip().startswith(known)]
    if code != 0 and (counted or not any("DIFFERENT" in line for line in out.splitlines())):
        problems.append("pgduplex verify exit %d:\n  " % code + "\n  ".join(counted))
    summary = []
    for t in TABLES:
        n, lines = compare_sides(db, t.name)
        counts = (db.sql_a(f"SELECT count(*) FROM {t.name}")[0][0], db.sql_b(f"SELECT count(*) FROM {t.name}")[0][0])
        summary.append(f"{t.name}: rows A={counts[0]} B={counts[1]}, differing {'keys' if t.key else 'rows'}: {n}")
        if n and t.name in KNOWN_LIMITS and not STRICT:
            summary.append(f"{t.name}: KNOWN LIMIT, not asserted without PGDUPLEX_CONVERGENCE_STRICT=1:\n"
                           + "\n".join(lines))
        elif n:
            problems.append(f"{t.name}: {n} differing {'keys' if t.key else 'rows'} between A and B "
                            f"(rows A={counts[0]} B={counts[1]}):\n" + "\n".join(lines))
        if t.identity:  # one row per identity: never two
            dup = f"SELECT {', '.join(t.identity)} FROM {t.name} GROUP BY 1 HAVING count(*) > 1"
            for side, sql in (("A", db.sql_a), ("B", db.sql_b)):
                twice = sql(dup)
                if twice:
                    problems.append(f"{t.name}: {len(twice)} tags held by two or more rows on {side}: {twice[:5]}")
        if t.oracle:
            bad_a, bad_b, lines = check_oracle(db, t.name, oracle)
            summary.append(f"{t.name}: keys not holding the oracle's row: A={bad_a} B={bad_b} "
                           f"(of {len(oracle.expected(t.name))} written keys)")
            if bad_a or bad_b:
                problems.append(f"{t.name}: oracle: {bad_a} keys wrong on A, {bad_b} on B:\n" + "\n".join(lines))
    return problems, summary


@pytest.mark.parametrize("seed", seeds())
def test_last_write_wins_converges_under_random_two_way_writes(dbpair, worker_factory, tmp_path, seed):
    print(f"seed={seed}")
    started = time.monotonic()
    db = dbpair
    rng = random.Random(seed)
    for t in TABLES:
        for stmt in t.ddl:
            db.both(stmt)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins", "initial": "none",
                                                     "heartbeat_interval_sec": 1})
    pair = Pair(db, worker_factory, cfg)
    pair.start("forward")
    pair.start("reverse")

    ops = operations(rng, sum(OPS.values()))
    kill_dir = rng.choice(["forward", "reverse"])
    kill_at = OPS["live"] + OPS["cut"] + rng.randint(30, 80)
    restart_killed_at = kill_at + rng.randint(20, 60)
    half_dir = rng.choice(["forward", "reverse"])
    # phase boundaries: op index -> actions
    boundaries = collections.defaultdict(list)
    b = OPS["live"]
    boundaries[b] += [("stop", "forward"), ("stop", "reverse")]
    b += OPS["cut"]
    boundaries[b] += [("start", "forward"), ("start", "reverse")]
    boundaries[kill_at].append(("kill9", kill_dir))
    boundaries[restart_killed_at].append(("restart", kill_dir))
    b += OPS["heal"]
    boundaries[b].append(("stop", half_dir))
    b += OPS["half_cut"]
    boundaries[b].append(("start", half_dir))
    schedule = (f"both live for ops 0..{OPS['live'] - 1}, both cut until op {OPS['live'] + OPS['cut'] - 1}, "
                f"kill -9 {kill_dir} at op {kill_at}, restarted at op {restart_killed_at}; "
                f"{half_dir} alone cut for ops {b - OPS['half_cut']}..{b - 1}")
    print(schedule)

    oracle = Oracle()
    clients = {"a": Client(db.a, db.dbname, "a"), "b": Client(db.b, db.dbname, "b")}
    pace = random.Random(seed + 1)  # pacing only: keeps the op sequence independent of it
    try:
        for op in ops:
            for action, direction in boundaries.get(op.no, ()):
                pair.check_alive(f"before op {op.no}")
                if action == "stop":
                    pair.stop(direction)
                elif action == "kill9":
                    pair.kill9(direction)
                elif action == "restart":
                    pair.start(direction, wait=False)  # the old walsender may still hold the slot
                else:
                    pair.start(direction)
            clients[op.side].run(op, oracle)
            if pace.random() < 0.3:
                time.sleep(pace.uniform(0, 0.02))  # lets replication overlap with the writes
    finally:
        failed = {s: dict(c.failed) for s, c in clients.items()}
        for c in clients.values():
            c.close()
    wrote_for = time.monotonic() - started
    print(f"operations: {len(ops)} in {wrote_for:.1f}s; committed by kind: {dict(sorted(oracle.stats.items()))}; "
          f"rolled back: {failed}")

    problems, summary = final_checks(db, cfg, pair, oracle)
    conflicts = conflict_counts(db)
    print("\n".join(summary))
    print(f"conflicts logged: {conflicts}")
    print(f"took {time.monotonic() - started:.1f}s")
    if problems:
        pytest.fail(f"seed={seed} (rerun: PGDUPLEX_SEED={seed}); {schedule}\n"
                          + "\n".join(summary) + f"\nconflicts logged: {conflicts}\n\n" + "\n\n".join(problems),
                    pytrace=False)


def test_oracle_agrees_with_a_history_without_races(dbpair, worker_factory, tmp_path):
    """The harness checked on itself: the sides take turns (blocks of 50
    operations, each block starting once the other side's writes have
    arrived), so there is no race and nothing to resolve; every check above
    must pass. A failure here is a bug of the oracle or of plain two-way
    apply, not of conflict handling."""
    db = dbpair
    rng = random.Random(0)
    for t in TABLES:
        for stmt in t.ddl:
            db.both(stmt)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "last-write-wins", "initial": "none",
                                                     "heartbeat_interval_sec": 1})
    pair = Pair(db, worker_factory, cfg)
    pair.start("forward")
    pair.start("reverse")
    ops = [make_op(rng, no, "ab"[(no // 50) % 2], pick_table(rng)) for no in range(300)]
    oracle = Oracle()
    clients = {"a": Client(db.a, db.dbname, "a"), "b": Client(db.b, db.dbname, "b")}
    try:
        for op in ops:
            if op.no % 50 == 0 and op.no:
                not_caught_up = wait_caught_up(db, pair)
                assert not not_caught_up, not_caught_up
            clients[op.side].run(op, oracle)
    finally:
        for c in clients.values():
            c.close()
    problems, summary = final_checks(db, cfg, pair, oracle)
    print("\n".join(summary))
    conflicts = conflict_counts(db)
    assert not problems, "\n".join(summary) + f"\nconflicts logged: {conflicts}\n\n" + "\n\n".join(problems)
    # No assertion on the conflict log: a row last written locally and then
    # updated by the peer is an update_origin_differs in PostgreSQL's
    # vocabulary even without a race; it must only be resolved the same way.
    print(f"conflicts logged: {conflicts}")
