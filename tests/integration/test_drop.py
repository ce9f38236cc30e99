"""pgduplex drop on real clusters: leaves no slot, origin or worker_status
row of the task behind, refuses while a slot is active, --force skips a
cluster that is gone."""
import subprocess

from conftest import PGBIN, free_port, wait_until
from opshelp import create_slot, pgduplex


def leave_task_behind(db, task):
    create_slot(db.a, db.dbname, f"pgduplex_{task}_forward")
    create_slot(db.b, db.dbname, f"pgduplex_{task}_reverse")
    db.sql_b(f"SELECT pg_replication_origin_create('pgduplex_{task}_forward')")
    db.sql_a(f"SELECT pg_replication_origin_create('pgduplex_{task}_reverse')")
    db.sql_b(f"INSERT INTO pgduplex.worker_status (task, direction, state) VALUES ('{task}', 'forward', 'stopped')")
    db.sql_a(f"INSERT INTO pgduplex.worker_status (task, direction, state) VALUES ('{task}', 'reverse', 'stopped')")
    db.sql_a("INSERT INTO pgduplex.worker_status (task, direction, state) VALUES ('other', 'reverse', 'stopped')")
    # What a run that crashed during its initial copy leaves on B.
    db.sql_b(f"SELECT pg_replication_origin_create('pgduplex_{task}_copy_1')")
    db.sql_b(f"INSERT INTO pgduplex.initial_sync (task, state) VALUES ('{task}', 'copying')")


def leftovers(db, task):
    found = []
    for label, run in (("a", db.sql_a), ("b", db.sql_b)):
        found += [(label, "slot", r[0]) for r in run(
            "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE %s", (f"pgduplex_{task}_%",))]
        found += [(label, "origin", r[0]) for r in run(
            "SELECT roname FROM pg_replication_origin WHERE roname LIKE %s", (f"pgduplex_{task}_%",))]
        found += [(label, "status", r[0]) for r in run(
            "SELECT direction FROM pgduplex.worker_status WHERE task = %s", (task,))]
        found += [(label, "initial_sync", r[0]) for r in run(
            "SELECT state FROM pgduplex.initial_sync WHERE task = %s", (task,))]
    return found


def test_drop_leaves_no_slot_and_no_origin_behind(dbpair, tmp_path):
    leave_task_behind(dbpair, "dr1")
    cfg = dbpair.write_config(tmp_path / "t.toml", name="dr1")
    code, out = pgduplex("drop", "--config", str(cfg))
    assert code == 0, out
    assert leftovers(dbpair, "dr1") == []
    for line in ("a: slot pgduplex_dr1_forward dropped", "b: slot pgduplex_dr1_reverse dropped",
                 "a: origin pgduplex_dr1_reverse dropped", "b: origin pgduplex_dr1_forward dropped",
                 "a: worker_status rows deleted (1)", "b: worker_status rows deleted (1)",
                 "b: origin pgduplex_dr1_copy_1 dropped", "b: initial_sync rows deleted (1)"):
        assert line in out, out
    # another task's state is not touched
    assert dbpair.sql_a("SELECT count(*) FROM pgduplex.worker_status WHERE task = 'other'") == [(1,)]

    code, out = pgduplex("drop", "--config", str(cfg))
    assert code == 0, out
    assert "a: slot pgduplex_dr1_forward already absent" in out
    assert "b: origin pgduplex_dr1_forward already absent" in out


def test_drop_refuses_while_a_slot_of_the_task_is_active(dbpair, tmp_path):
    leave_task_behind(dbpair, "dr2")
    # Hold the reverse slot on B active, as a running reverse worker would.
    dbpair.sql_b("SELECT pg_drop_replication_slot('pgduplex_dr2_reverse')")
    dbpair.sql_b("SELECT pg_create_logical_replication_slot('pgduplex_dr2_reverse', 'test_decoding')")
    reader = subprocess.Popen([f"{PGBIN}/pg_recvlogical", "-d", dbpair.conninfo_b(), "-S", "pgduplex_dr2_reverse",
                               "--start", "-f", "/dev/null"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: dbpair.sql_b("SELECT active FROM pg_replication_slots "
                                        "WHERE slot_name = 'pgduplex_dr2_reverse'") == [(True,)],
                   timeout=20, what="slot to become active")
        cfg = dbpair.write_config(tmp_path / "t.toml", name="dr2")
        code, out = pgduplex("drop", "--config", str(cfg))
        assert code == 1, out
        assert "refusing: slot pgduplex_dr2_reverse on cluster b is active" in out
        # nothing dropped, on either cluster
        assert len(leftovers(dbpair, "dr2")) == 8  # 2 slots, 3 origins, 2 status rows, 1 initial_sync
    finally:
        reader.terminate()
        reader.wait(10)
    wait_until(lambda: dbpair.sql_b("SELECT active FROM pg_replication_slots "
                                    "WHERE slot_name = 'pgduplex_dr2_reverse'") == [(False,)],
               timeout=20, what="slot to become inactive")
    code, out = pgduplex("drop", "--config", str(cfg))
    assert code == 0, out
    assert leftovers(dbpair, "dr2") == []


def test_drop_force_skips_an_unreachable_cluster(dbpair, tmp_path):
    leave_task_behind(dbpair, "dr3")
    cfg = tmp_path / "t.toml"
    cfg.write_text(f'name = "dr3"\n[a]\nconninfo = "{dbpair.conninfo_a()}"\n'
                   f'[b]\nconninfo = "host=127.0.0.1 port={free_port()} dbname=x user=u password=pw-s3cret"\n')
    code, out = pgduplex("drop", "--config", str(cfg))
    assert code == 4, out
    assert "cluster b" in out and "--force" in out and "pw-s3cret" not in out
    assert ("a", "slot", "pgduplex_dr3_forward") in leftovers(dbpair, "dr3")

    code, out = pgduplex("drop", "--config", str(cfg), "--force")
    assert code == 0, out
    assert "b: UNREACHABLE, skipped (--force)" in out and "pw-s3cret" not in out
    assert [x for x in leftovers(dbpair, "dr3") if x[0] == "a"] == []
    # clean B for the shared cluster
    dbpair.sql_b("SELECT pg_drop_replication_slot('pgduplex_dr3_reverse')")
    dbpair.sql_b("SELECT pg_replication_origin_drop('pgduplex_dr3_forward')")
