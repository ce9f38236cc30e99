"""Helpers for the alerting tests: the shipped rules and dashboard
(worker/monitoring), the metric names their queries use, and a throwaway
Prometheus server scraping workers and evaluating the rules."""
import json
import os
import re
import shutil
import subprocess
import urllib.parse
import urllib.request

import yaml

from conftest import ROOT, free_port, wait_until

MONITORING = os.path.join(ROOT, "worker", "monitoring")
RULES = os.path.join(MONITORING, "pgduplex-alerts.yml")
RULE_TESTS = os.path.join(MONITORING, "pgduplex-alerts.test.yml")
DASHBOARD = os.path.join(MONITORING, "pgduplex-dashboard.json")

# Series Prometheus makes itself, not the worker.
PROMETHEUS_SERIES = {"up", "ALERTS", "ALERTS_FOR_STATE"}
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
             "group_left", "group_right", "inf", "nan"}


def tool(name):
    path = shutil.which(name)
    assert path, f"{name} not found: install Debian's prometheus package (make deps)"
    return path


def rules():
    with open(RULES) as f:
        return [rule for group in yaml.safe_load(f)["groups"] for rule in group["rules"]]


def dashboard_queries():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    queries = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            queries.append(re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", query))
    return queries


def metric_names(expr):
    """The metric names a PromQL expression selects."""
    e = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)          # string literals
    e = re.sub(r"\{[^}]*\}", " ", e)                       # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)                      # range selectors
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"(?<![\w$.])[A-Za-z_:][\w:]*", e):
        rest = e[m.end():].lstrip()
        if rest.startswith("(") or m.group(0).lower() in _KEYWORDS:
            continue  # a function or an operator
        names.add(m.group(0))
    return names


def served_metric_names(metrics_text):
    """Family names of a /metrics page (its # TYPE lines)."""
    return {line.split()[2] for line in metrics_text.splitlines() if line.startswith("# TYPE ")}


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


class Prometheus:
    """A Prometheus server in a private directory scraping `targets` every
    second as job "pgduplex" and evaluating a copy of the shipped rules
    every second, their `for:` durations cut to `for_override` and each
    alert named in `thresholds` with the text old replaced by new in its
    expression (thresholds = {alertname: (old, new)})."""

    def __init__(self, directory, targets, for_override="0s", thresholds=None):
        self.port = free_port()
        os.makedirs(directory, exist_ok=True)
        with open(RULES) as f:
            doc = yaml.safe_load(f)
        for group in doc["groups"]:
            for rule in group["rules"]:
                rule["for"] = for_override
                if rule["alert"] in (thresholds or {}):
                    old, new = thresholds[rule["alert"]]
                    assert old in rule["expr"], (rule["alert"], old)
                    rule["expr"] = rule["expr"].replace(old, new)
        rules_copy = os.path.join(directory, "rules.yml")
        with open(rules_copy, "w") as f:
            yaml.safe_dump(doc, f)
        config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "900ms"},
                  "rule_files": [rules_copy],
                  "scrape_configs": [{"job_name": "pgduplex",
                                      "static_configs": [{"targets": targets}]}]}
        config_path = os.path.join(directory, "prometheus.yml")
        with open(config_path, "w") as f:
            yaml.safe_dump(config, f)
        self.log = open(os.path.join(directory, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [tool("prometheus"), f"--config.file={config_path}",
             f"--storage.tsdb.path={os.path.join(directory, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self._ready, 30, interval=0.3, what="Prometheus to be ready")

    def _ready(self):
        assert self.proc.poll() is None, f"prometheus exited {self.proc.returncode}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr):
        return self.api("query", query=expr)["result"]

    def firing(self, alertname):
        """Labels of each firing alert of that name."""
        return [a["labels"] for a in self.api("alerts")["alerts"]
                if a["labels"]["alertname"] == alertname and a["state"] == "firing"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
