"""Memory bounded by bytes: one source transaction several times larger than
sync.apply_memory_mb is applied with the worker's peak RSS (VmHWM) under the
budget plus a fixed allowance, and intact; a single value larger than the
budget is held under 3x in all (the decoded record and libpq's send buffer:
the plugin sends it in chunks, so libpq's receive buffer stays small)."""
import os

from conftest import wait_until
from test_run_sync import run

MB = 1 << 20
BUDGET_MB = 64
# The worker's own footprint (code, libraries, protobuf, libpq's small
# buffers, malloc slack) on top of what the budget bounds.
ALLOWANCE_MB = int(os.environ.get("PGDUPLEX_TEST_RSS_ALLOWANCE_MB", "64"))


def vm_hwm_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def md5_rows(db, side):
    query = "SELECT id, length(body), md5(body) FROM big ORDER BY id"
    return (db.sql_a if side == "a" else db.sql_b)(query)


def apply_one_transaction(db, worker_factory, tmp_path, rows, row_mb):
    db.both("CREATE TABLE big (id int PRIMARY KEY, body text)")
    cfg = db.write_config(tmp_path / "t.toml", sync={"apply_memory_mb": BUDGET_MB})
    w = run(worker_factory, cfg, "forward", db)
    # 32 hex characters per md5: row_mb MB per row, one source transaction.
    db.sql_a(f"INSERT INTO big SELECT g, repeat(md5(g::text), {row_mb * MB // 32}) "
             f"FROM generate_series(1, {rows}) g")

    def arrived():
        assert w.alive(), "worker exited:\n" + w.output()
        return db.sql_b("SELECT count(*) FROM big")[0][0] == rows

    wait_until(arrived, timeout=150, what=f"{rows} rows of {row_mb} MB on B")
    peak = vm_hwm_mb(w.proc.pid)
    assert md5_rows(db, "b") == md5_rows(db, "a")
    assert w.stop() == 0
    return peak


def test_transaction_of_1mb_rows_applies_within_the_budget(dbpair, worker_factory, tmp_path):
    rows = 320  # 320 MB: five times the budget
    peak = apply_one_transaction(dbpair, worker_factory, tmp_path, rows, 1)
    print(f"VmHWM {peak:.0f} MB applying {rows} MB in 1 MB rows, budget {BUDGET_MB} MB")
    assert peak < BUDGET_MB + ALLOWANCE_MB, f"worker peak RSS {peak:.0f} MB"


def test_single_large_value_is_held_under_three_times(dbpair, worker_factory, tmp_path):
    # Large enough that the worker's own footprint does not hide a third
    # copy (3 x 120 MB), small enough for the suite.
    value_mb = 120
    peak = apply_one_transaction(dbpair, worker_factory, tmp_path, 1, value_mb)
    print(f"VmHWM {peak:.0f} MB applying one value of {value_mb} MB ({peak / value_mb:.2f}x), "
          f"budget {BUDGET_MB} MB")
    assert peak < 3 * value_mb, f"worker peak RSS {peak:.0f} MB, {peak / value_mb:.2f}x the value"
