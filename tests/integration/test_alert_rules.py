"""The shipped Prometheus rules and Grafana dashboard (worker/monitoring,
issue 14): valid for promtool, each alert firing and staying quiet as its
rule-unit tests say, and only metric names the worker serves (checked
against a live worker's /metrics in test_alerts.py)."""
import json
import os
import re
import subprocess

from conftest import ROOT
from monitoring import (DASHBOARD, RULE_TESTS, RULES, PROMETHEUS_SERIES, dashboard_queries, metric_names,
                        rules, tool)


def test_promtool_checks_the_rules():
    out = subprocess.run([tool("promtool"), "check", "rules", RULES], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"SUCCESS: {len(rules())} rules found" in out.stdout


def test_promtool_rule_unit_tests_fire_each_alert():
    out = subprocess.run([tool("promtool"), "test", "rules", RULE_TESTS], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    with open(RULE_TESTS) as f:
        tested = f.read()
    untested = [r["alert"] for r in rules() if f"alertname: {r['alert']}\n" not in tested]
    assert not untested, f"alerts without a rule-unit test: {untested}"


def test_every_alert_names_its_severity_and_summary():
    for rule in rules():
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


def test_metric_name_extraction_sees_selectors_not_functions_or_labels():
    assert metric_names('sum by (task, direction) (increase(pgduplex_conflicts_total{type="x"}[1h])) > 100') \
        == {"pgduplex_conflicts_total"}
    assert metric_names('a unless on (task) max by (task) (b) or time() - (c > 0)') == {"a", "b", "c"}
    assert metric_names('rate(x_total{task=~"$task"}[$__rate_interval])') == {"x_total"}


def test_dashboard_queries_name_pgduplex_metrics():
    names = set().union(*(metric_names(q) for q in dashboard_queries()))
    assert names - PROMETHEUS_SERIES, "the dashboard queries no pgduplex metric"
    assert all(n.startswith("pgduplex_") or n in PROMETHEUS_SERIES for n in names), names


def test_dashboard_panels_are_well_formed():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dash["panels"]:
        assert panel["title"] and panel["targets"], panel
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"} and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_rule_thresholds_are_the_documented_alerts_defaults():
    """The rules and `status --check` use the same defaults (README's
    configuration reference lists the [alerts] keys)."""
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    defaults = {k: int(v) for k, v in re.findall(r"^\| `alerts\.(\w+)` \| `(\d+)` \|", readme, re.M)}
    assert set(defaults) == {"max_lag_sec", "max_retained_wal_mb", "max_conflicts_per_hour"}
    expr = {r["alert"]: r["expr"] for r in rules()}
    assert expr["PgduplexApplyLagHigh"].count(f"> {defaults['max_lag_sec']}\n") == 2
    assert f"> {defaults['max_retained_wal_mb']} * 1024 * 1024" in expr["PgduplexSlotRetainedWalHigh"]
    assert expr["PgduplexConflictsRising"].endswith(f"> {defaults['max_conflicts_per_hour']}")
