// Tombstone triggers: what last-write-wins needs on every target table.
//
// A change that finds its row gone must know whether (and when) the row was
// deleted here, to let the later of the delete and the change win. Under
// last-write-wins each table of the task on the target carries two
// triggers calling pgduplex.record_tombstone() (extension 1.2, see
// plugin/src/pg/tombstones.cpp):
//
//   pgduplex_tombstone  AFTER DELETE ... FOR EACH ROW     (partitions inherit it)
//   pgduplex_truncate   AFTER TRUNCATE ... FOR EACH STATEMENT, also on
//                       every partition (a partitioned table's statement
//                       trigger does not fire for a TRUNCATE of one of its
//                       partitions; the partition's tombstone covers the
//                       keys that go into it)
//   pgduplex_release    AFTER UPDATE ... FOR EACH ROW, only on tables with
//                       a unique index besides the key (extension 1.3):
//                       remembers the unique values a row gives up
//                       (pgduplex.value_claims); and on tables without a
//                       key (extension 1.4): what a row became
//
// They fire for local writes only: the apply sessions run with
// session_replication_role = replica. The worker creates the missing ones
// when it starts, for every table it meets later (a table created by a
// forward DDL; with its partitions), and about once an hour (a partition
// created on the target meanwhile), as the table's owner; `pgduplex drop`
// removes them. Old
// tombstones are forgotten after sync.tombstone_retention_hours
// (pgduplex.purge_tombstones).
#pragma once

#include <cstdint>
#include <string>

#include "apply/role_switch.h"
#include "common/pg_connection.h"
#include "common/table_scope.h"

namespace pgduplex {

// Throws SetupRefused (exit 2, not retried), naming the fix, when conn
// cannot run last-write-wins: commit timestamps are off (it compares them;
// turning them on takes a restart of that cluster), or the pgduplex
// extension keeps no tombstones (before 1.2).
void RequireLastWriteWinsSupport(PgConnection& conn);

// Creates the missing triggers on the tables of `scope` in conn's database
// (plain tables, partition roots and their partitions), each in a
// transaction of its own, as the table's owner. Returns how many tables got
// them.
int EnsureTombstoneTriggers(PgConnection& conn, RoleSwitch& roles, const TableScope& scope);

// The same for one table (by OID) and its partitions, inside the caller's
// transaction; no-op when present.
void EnsureTombstoneTriggersOn(PgConnection& conn, RoleSwitch& roles, uint32_t table_oid);

// Drops the triggers from the tables of `scope`; returns how many tables had them.
int DropTombstoneTriggers(PgConnection& conn, const TableScope& scope);

// Forgets tombstones older than `hours`; returns how many.
int64_t PurgeTombstones(PgConnection& conn, int hours);

}  // namespace pgduplex
