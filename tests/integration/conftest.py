"""Integration-test harness: real PostgreSQL clusters, started and stopped by
the tests themselves, on unix sockets in private directories (plus loopback
TCP on a free port), run as the `postgres` OS user because initdb refuses root.

Fixtures
  pair        session-wide clusters A and B (wal_level=logical, extension
              installable). Cheap per-test isolation comes from `dbpair`.
  dbpair      a fresh database of the same name on A and B with
              CREATE EXTENSION pgduplex done; yields a DbPair.
  make_cluster  factory for clusters a test may restart or break.
  worker_factory  starts `pgduplex run` processes and stops them at teardown.

Every wait is bounded: wait_until() raises after its timeout.
Comparing the sides: assert_converges() waits for a query to agree,
assert_same() checks that tables hold the same rows now.
"""
import collections
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import psycopg2
import psycopg2.extras
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PGBIN = subprocess.check_output(["pg_config", "--bindir"], text=True).strip()
PGDUPLEX = os.environ.get("PGDUPLEX_BIN", os.path.join(ROOT, "build", "worker", "pgduplex"))
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _plugin_allow_list_conf():
    """Debian's PostgreSQL 15.20 security update only loads output plugins
    named in `output_plugin_libraries` (default 'pgoutput, test_decoding').
    Servers with that setting must be told to trust pgduplex; servers
    without it would refuse to start with it, so look before setting."""
    sharedir = subprocess.check_output(["pg_config", "--sharedir"], text=True).strip()
    try:
        with open(os.path.join(sharedir, "postgresql.conf.sample")) as f:
            if "output_plugin_libraries" in f.read():
                return "output_plugin_libraries = 'pgoutput, test_decoding, pgduplex'\n"
    except OSError:
        pass
    return ""


PLUGIN_ALLOW_CONF = _plugin_allow_list_conf()

_db_counter = itertools.count(1)


def wait_until(predicate, timeout=30.0, interval=0.1, what="condition"):
    """Polls predicate() until it returns a truthy value; raises on timeout."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # the condition may race with startup
            last_exc = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                         + (f" (last error: {last_exc})" if last_exc else ""))


def assert_converges(db, query, timeout=60, workers=()):
    """Waits until `query` gives the same rows on A and B, failing early if a
    worker died; on timeout, shows what differs and the workers' logs."""
    def check():
        for w in workers:
            assert w.alive(), "worker exited:\n" + w.output()
        return db.sql_a(query) == db.sql_b(query)
    try:
        wait_until(check, timeout=timeout, what=f"A and B to agree on: {query}")
    except AssertionError as e:
        a, b = db.sql_a(query), db.sql_b(query)
        logs = "\n".join(w.output()[-3000:] for w in workers)
        raise AssertionError(f"{e}\nonly on A: {[r for r in a if r not in b][:5]}\n"
                             f"only on B: {[r for r in b if r not in a][:5]}\n{logs}") from None


def table_rows(db, side, table):
    """Every row of `table` on one side as its row text, in byte order."""
    query = f'SELECT t::text FROM {table} t ORDER BY t::text COLLATE "C"'
    return [r[0] for r in (db.sql_a if side == "a" else db.sql_b)(query)]


def assert_same(db, *tables):
    """Each table holds the same rows on A and B, compared row by row as
    text (a changed value, a missing or an extra row all show); on a
    difference, says where the sorted rows first part and what is only on
    one side."""
    for table in tables:
        a, b = table_rows(db, "a", table), table_rows(db, "b", table)
        if a == b:
            continue
        first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        only_a, only_b = collections.Counter(a) - collections.Counter(b), collections.Counter(b) - collections.Counter(a)
        raise AssertionError(f"{table}: {len(a)} rows on A, {len(b)} on B; first difference at row {first}: "
                             f"A {a[first:first + 3]}, B {b[first:first + 3]}\n"
                             f"only on A: {list(only_a.elements())[:5]}\nonly on B: {list(only_b.elements())[:5]}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One PostgreSQL instance in a private directory."""

    def __init__(self, name, base, extra_conf=""):
        self.name = name
        self.dir = os.path.join(base, name)
        self.datadir = os.path.join(self.dir, "data")
        self.sockdir = os.path.join(self.dir, "sock")
        self.logfile = os.path.join(self.dir, "postgres.log")
        self.port = free_port()
        os.makedirs(self.sockdir, exist_ok=True)
        pw = pwd.getpwnam("postgres")
        for path in (self.dir, self.sockdir):
            os.chown(path, pw.pw_uid, pw.pw_gid)
        subprocess.run(AS_POSTGRES + [f"{PGBIN}/initdb", "-D", self.datadir, "-U", "postgres",
                                      "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with open(os.path.join(self.datadir, "postgresql.conf"), "a") as conf:
            conf.write(f"""
port = {self.port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '{self.sockdir}'
wal_level = logical
max_replication_slots = 50
max_wal_senders = 50
max_worker_processes = 20
max_logical_replication_workers = 8
track_commit_timestamp = on
fsync = off
synchronous_commit = on
shared_buffers = 64MB
log_min_messages = warning
{PLUGIN_ALLOW_CONF}{extra_conf}
""")
        self.start()

    # -- lifecycle ---------------------------------------------------------
    def pg_ctl(self, *args, check=True):
        return subprocess.run(AS_POSTGRES + [f"{PGBIN}/pg_ctl", "-D", self.datadir, "-l", self.logfile,
                                             "-w", "-t", "60", *args],
                              check=check, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self):
        self.pg_ctl("start")

    def stop(self, mode="fast"):
        self.pg_ctl("stop", "-m", mode, check=False)

    def restart(self):
        self.pg_ctl("restart", "-m", "fast")

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- access ------------------------------------------------------------
    def conninfo(self, dbname="postgres", tcp=False):
        host = "127.0.0.1" if tcp else self.sockdir
        return f"host={host} port={self.port} dbname={dbname} user=postgres"

    def connect(self, dbname="postgres", autocommit=True):
        conn = psycopg2.connect(self.conninfo(dbname))
        conn.autocommit = autocommit
        return conn

    def sql(self, query, params=None, dbname="postgres"):
        """Runs one statement in autocommit; returns all rows (or None)."""
        conn = self.connect(dbname)
        try:
            with conn.cursor() as cur:
                cur.execute(query, params)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def scalar(self, query, params=None, dbname="postgres"):
        rows = self.sql(query, params, dbname)
        return rows[0][0] if rows else None


class DbPair:
    """A database of the same name on A and B."""

    def __init__(self, a, b, dbname):
        self.a, self.b, self.dbname = a, b, dbname

    def sql_a(self, query, params=None):
        return self.a.sql(query, params, self.dbname)

    def sql_b(self, query, params=None):
        return self.b.sql(query, params, self.dbname)

    def both(self, query, params=None):
        self.sql_a(query, params)
        self.sql_b(query, params)

    def conninfo_a(self, **kw):
        return self.a.conninfo(self.dbname, **kw)

    def conninfo_b(self, **kw):
        return self.b.conninfo(self.dbname, **kw)

    def write_config(self, path, name="t", sync=None, extra=""):
        """Writes a task config for this pair; sync is a dict of [sync] keys."""
        sync = dict(sync or {})
        lines = [f'name = "{name}"', "[a]", f'conninfo = "{self.conninfo_a()}"',
                 "[b]", f'conninfo = "{self.conninfo_b()}"', "[sync]"]
        for key, value in sync.items():
            lines.append(f"{key} = {toml_value(value)}")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n" + extra)
        return path


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Worker:
    """A `pgduplex` subprocess with its output in a log file."""

    def __init__(self, args, logpath, env=None):
        self.args = [PGDUPLEX] + list(args)
        self.logpath = logpath
        self.log = open(logpath, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})})

    def output(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=30):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"worker did not stop on SIGTERM within {timeout}s")
        return self.proc.returncode

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def wait(self, timeout=60):
        return self.proc.wait(timeout)


@pytest.fixture(scope="session")
def workdir():
    base = tempfile.mkdtemp(prefix="pgduplex-it-")
    os.chmod(base, 0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def make_cluster(workdir):
    made = []

    def make(name=None, extra_conf=""):
        cluster = Cluster(name or f"c{len(made)}-{next(_db_counter)}", workdir, extra_conf)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.destroy()


@pytest.fixture(scope="session")
def pair(workdir):
    a = Cluster("a", workdir)
    b = Cluster("b", workdir)
    yield a, b
    a.destroy()
    b.destroy()


def create_db_pair(a, b, prefix="t"):
    dbname = f"{prefix}{next(_db_counter)}"
    for cluster in (a, b):
        cluster.sql(f"CREATE DATABASE {dbname}")
        cluster.sql("CREATE EXTENSION pgduplex", dbname=dbname)
    return DbPair(a, b, dbname)


def drop_db_pair_slots(db):
    """Frees the replication slots a test left in its database (the shared
    clusters would otherwise run out of slots and keep WAL forever), and the
    pgduplex replication origins: they are cluster-wide, so a later test
    using the same task name would otherwise start from this one's
    progress."""
    for cluster in (db.a, db.b):
        try:
            cluster.sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                        "WHERE database = %s AND active_pid IS NOT NULL", (db.dbname,))
            wait_until(lambda: not cluster.sql(
                "SELECT 1 FROM pg_replication_slots WHERE database = %s AND active", (db.dbname,)),
                timeout=10, what="slots to become inactive")
            cluster.sql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                        "WHERE database = %s", (db.dbname,))
        except Exception:
            pass
        try:
            cluster.sql("SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin "
                        "WHERE roname LIKE 'pgduplex\\_%%'")
        except Exception:
            pass


def grant_sync_rights(db, role):
    """On both sides of db: EXECUTE on every pg_replication_origin_*
    function and DML on pgduplex's tables for `role` (a broad stand-in for
    the README's script, for tests about something else; test_readme_setup
    uses the script itself)."""
    for side in (db.sql_a, db.sql_b):
        side(f"""DO $$ DECLARE f text; BEGIN
              FOR f IN SELECT p.oid::regprocedure::text FROM pg_proc p
                        WHERE p.proname LIKE 'pg\\_replication\\_origin\\_%' LOOP
                EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO {role}', f);
              END LOOP; END $$""")
        side(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pgduplex TO {role}")
        side(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA pgduplex TO {role}")
        side(f"GRANT EXECUTE ON FUNCTION pgduplex.purge_tombstones(interval) TO {role}")  # last-write-wins


@pytest.fixture
def dbpair(pair):
    db = create_db_pair(*pair)
    yield db
    drop_db_pair_slots(db)


@pytest.fixture
def worker_factory(tmp_path):
    workers = []

    def start(*args, env=None, name=None):
        log = tmp_path / f"{name or 'worker'}-{len(workers)}.log"
        w = Worker(args, str(log), env)
        workers.append(w)
        return w

    yield start
    for w in workers:
        w.kill()
