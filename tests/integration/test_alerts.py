"""Alerts (issue 14): `pgduplex status --check` against the config's
[alerts] thresholds, and the shipped Prometheus rules evaluated by a real
Prometheus server scraping real workers: a stopped direction makes both
say so, naming it; the metric names the rules and the dashboard use are
the ones a worker serves."""
import subprocess

import pytest

from conftest import PGDUPLEX, free_port, wait_until
from monitoring import PROMETHEUS_SERIES, Prometheus, dashboard_queries, metric_names, rules, scrape, \
    served_metric_names


def check(config):
    """`status --check`: (exit code, output lines)."""
    out = subprocess.run([PGDUPLEX, "status", "--config", config, "--check"], capture_output=True, text=True,
                         timeout=90)
    return out.returncode, (out.stdout + out.stderr).splitlines()


def write_config(db, path, name, sync=None, alerts=None):
    extra = "".join(["[alerts]\n"] + [f"{k} = {v}\n" for k, v in (alerts or {}).items()])
    return db.write_config(path, name=name, sync={"initial": "none", "heartbeat_interval_sec": 1, **(sync or {})},
                           extra=extra)


def start_pair(db, worker_factory, config, task):
    ports = {"forward": free_port(), "reverse": free_port()}
    workers = {d: worker_factory("run", "--config", config, "--direction", d,
                                 "--metrics-listen", f"127.0.0.1:{ports[d]}", name=d) for d in ports}
    active = "SELECT 1 FROM pg_replication_slots WHERE slot_name = %s AND active"
    wait_until(lambda: db.sql_a(active, (f"pgduplex_{task}_forward",)), 60, what="forward slot active")
    wait_until(lambda: db.sql_b(active, (f"pgduplex_{task}_reverse",)), 60, what="reverse slot active")
    return workers, ports


@pytest.fixture
def prometheus(tmp_path):
    servers = []

    def start(targets, thresholds=None):
        servers.append(Prometheus(str(tmp_path / "prometheus"), targets, thresholds=thresholds))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def test_a_stopped_direction_fails_the_check_and_fires_the_rule(dbpair, worker_factory, tmp_path, prometheus):
    dbpair.both("CREATE TABLE items (id bigint PRIMARY KEY, v text)")
    config = write_config(dbpair, str(tmp_path / "t.toml"), "alerts", alerts={"max_lag_sec": 60})
    workers, ports = start_pair(dbpair, worker_factory, config, "alerts")

    code, lines = wait_until(lambda: (r := check(config))[0] == 0 and r, 60, what="status --check to pass")
    assert lines == [lines[0]] and lines[0].startswith("OK task alerts: forward streaming, apply lag "), lines
    assert "; reverse streaming, apply lag " in lines[0]

    # Every metric the rules and the dashboard query is one the worker serves,
    # and the dashboard shows every one it serves.
    served = served_metric_names(scrape(ports["forward"]))
    assert served == served_metric_names(scrape(ports["reverse"]))
    in_rules = set().union(*(metric_names(r["expr"]) for r in rules()))
    in_dashboard = set().union(*(metric_names(q) for q in dashboard_queries()))
    assert (in_rules | in_dashboard) - PROMETHEUS_SERIES <= served, (in_rules | in_dashboard) - served
    assert served <= in_dashboard, f"served but not on the dashboard: {served - in_dashboard}"

    def gauge(port, name):
        return [float(line.split()[-1]) for line in scrape(port).splitlines() if line.startswith(name + "{")][0]

    wait_until(lambda: gauge(ports["reverse"], "pgduplex_slot_retained_wal_bytes") > 0, 30,
               what="the retained WAL of the reverse slot in its worker's metrics")
    assert gauge(ports["forward"], "pgduplex_applied_source_time_seconds") > 0

    server = prometheus([f"127.0.0.1:{ports['forward']}", f"127.0.0.1:{ports['reverse']}"])
    wait_until(lambda: len(server.query('up{job="pgduplex"} == 1')) == 2, 30, what="both workers scraped")
    wait_until(lambda: len(server.query('pgduplex_state{state="streaming"} == 1')) == 2, 30,
               what="Prometheus to see both directions streaming")
    assert server.firing("PgduplexDirectionNotStreaming") == []

    assert workers["forward"].stop() == 0
    # The walsender may hold the slot a moment after the worker exited.
    code, lines = wait_until(lambda: (r := check(config))[0] == 1 and r, 30, what="status --check to fail")
    assert "PROBLEM task alerts: forward (a -> b): not streaming (stopped)" in lines, lines
    assert not [line for line in lines if "reverse" in line], lines

    firing = wait_until(lambda: server.firing("PgduplexDirectionNotStreaming"), 30,
                        what="PgduplexDirectionNotStreaming to fire")
    assert [(a["task"], a["direction"]) for a in firing] == [("alerts", "forward")]
    down = wait_until(lambda: server.firing("PgduplexWorkerDown"), 30, what="PgduplexWorkerDown to fire")
    assert [a["instance"] for a in down] == [f"127.0.0.1:{ports['forward']}"]
    # What the rule watches: the forward direction's state series is gone, the reverse one streams.
    assert server.query('pgduplex_state{direction="forward"}') == []
    assert [s["metric"]["direction"] for s in server.query('pgduplex_state{state="streaming"} == 1')] == ["reverse"]
    assert workers["reverse"].alive()


def test_lag_above_max_lag_sec_fails_the_check_and_fires_the_rule(dbpair, worker_factory, tmp_path, prometheus):
    dbpair.both("CREATE TABLE items (id bigint PRIMARY KEY, v text)")
    config = write_config(dbpair, str(tmp_path / "t.toml"), "laggy", sync={"apply_max_rows_per_sec": 100},
                          alerts={"max_lag_sec": 3})
    workers, ports = start_pair(dbpair, worker_factory, config, "laggy")
    wait_until(lambda: check(config)[0] == 0, 60, what="status --check to pass")
    # The shipped lag rule with its 300 s cut to 6 s: above a heartbeat's
    # age between two scrapes (up to 2 s), far below the 20 s backlog.
    server = prometheus([f"127.0.0.1:{ports['forward']}", f"127.0.0.1:{ports['reverse']}"],
                        thresholds={"PgduplexApplyLagHigh": ("> 300", "> 6")})
    wait_until(lambda: len(server.query('pgduplex_applied_source_time_seconds > 0')) == 2, 30,
               what="Prometheus to see both directions apply")
    assert server.firing("PgduplexApplyLagHigh") == []

    # 2000 rows at 100 rows/s: the forward apply falls behind by about 20 s.
    dbpair.sql_a("INSERT INTO items SELECT g, 'x' FROM generate_series(1, 2000) g")
    code, lines = wait_until(lambda: (r := check(config))[0] == 1 and r, 30, what="status --check to fail")
    assert len(lines) == 1, lines
    assert lines[0].startswith("PROBLEM task laggy: forward (a -> b): apply lag "), lines
    assert lines[0].endswith(" s is above alerts.max_lag_sec = 3"), lines
    assert all(w.alive() for w in workers.values())
    # The rule sees it too, from the age of the latest applied source time
    # (the lag gauge itself keeps its last value while the apply is behind).
    firing = wait_until(lambda: server.firing("PgduplexApplyLagHigh"), 30, what="PgduplexApplyLagHigh to fire")
    assert [(a["task"], a["direction"]) for a in firing] == [("laggy", "forward")]
