"""The shipped Prometheus rules and Grafana dashboard (worker/monitoring,
issue 14): valid for promtool, each alert firing and staying quiet as its
rule-unit tests say, and only metric names the worker serves (checked
against a live worker's /metrics in test_alerts.py)."""
import subprocess

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
    assert DASHBOARD.endswith(".json")
