"""`status` counts the conflicts a direction met (issue 11): both while the
worker runs (since start, from worker_status) and in total (from
pgduplex.conflicts), in text and JSON, with no error for a direction whose
peer has not written a status row yet."""
from conftest import wait_until
from test_operate import status_json, status_text
from test_run_conflicts import TABLE, make_conflicts, wait_for_conflicts
from test_run_sync import run


def test_status_counts_conflicts_since_start_and_in_total(dbpair, worker_factory, tmp_path):
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "ignore"})
    w = run(worker_factory, cfg, "forward", db)
    make_conflicts(db)
    rows = wait_for_conflicts(db, 4, w)
    logged = {}
    for row in rows:
        logged[row[0]] = logged.get(row[0], 0) + 1

    def counted():
        forward = status_json(cfg)["forward"]
        assert forward.get("error") in (None, ""), forward
        since = {k: v for k, v in forward["conflicts_since_start"].items() if v}
        return since == logged and forward["conflicts_total"] == logged and forward
    wait_until(counted, timeout=30, what="status to count the logged conflicts")

    text = status_text(cfg)
    assert "cannot read" not in text, text
    line = next(l for l in text.splitlines() if l.strip().startswith("conflicts"))
    assert "since start: none" not in line, line
    for conflict_type, n in logged.items():
        assert f"{conflict_type} {n}" in line, line


def test_status_reads_a_status_row_it_did_not_write(dbpair, worker_factory, tmp_path):
    """A worker_status row holds counts of any shape (another version wrote
    it): status prints the direction, never 'cannot read'."""
    db = dbpair
    db.both(TABLE)
    cfg = db.write_config(tmp_path / "t.toml", sync={"conflict_policy": "ignore"})
    w = run(worker_factory, cfg, "forward", db)
    wait_until(lambda: db.sql_b("SELECT 1 FROM pgduplex.worker_status WHERE direction = 'forward'"), timeout=30,
               what="the forward status row")
    assert w.stop() == 0
    db.sql_b("UPDATE pgduplex.worker_status SET conflicts = '{\"insert_exists\": null, \"update_missing\": 2}'")
    forward = status_json(cfg)["forward"]
    assert forward.get("error") in (None, ""), forward
    assert forward["conflicts_since_start"] == {"update_missing": 2}
    assert "cannot read" not in status_text(cfg)
