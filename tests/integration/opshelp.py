"""Helpers shared by the operator-command tests (precheck, verify,
sequences, drop): run the pgduplex binary, read its table output, give a
database the extension objects the commands look for."""
import os
import re
import subprocess

from conftest import PGDUPLEX, ROOT


def pgduplex(*args, timeout=120):
    """Runs `pgduplex args...`; returns (exit code, stdout + stderr)."""
    proc = subprocess.run([PGDUPLEX, *args], capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def check_lines(output):
    """precheck's table as a list of (check, cluster, result, detail)."""
    rows = []
    for line in output.splitlines():
        m = re.match(r"^(\S.*?)\s{2,}(a|b|a\+b)\s{2,}(PASS|WARN|FAIL|SKIP)\s+(.*)$", line)
        if m:
            rows.append(m.groups())
    return rows


def results(output, check, cluster=None):
    return [r for r in check_lines(output) if r[0] == check and (cluster is None or r[1] == cluster)]


def create_slot(cluster, dbname, slot):
    """A logical slot with the pgduplex plugin, as the worker creates it.
    Fails when the server cannot load the plugin: a test that needs a slot
    must not pass on some other plugin without saying so."""
    cluster.sql("SELECT pg_create_logical_replication_slot(%s, 'pgduplex')", (slot,), dbname)
