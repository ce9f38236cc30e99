// RelationMap: source relations (from Relation records) -> target tables.
//
// A Relation record arrives before the first change of a relation in a
// stream and again whenever its definition changed. The target table is
// found by the same schema and name (for a partition missing on the target:
// by its root's name), every source column must exist there by name, and
// the key used to find rows is the target's primary key, else its replica
// identity index, else the source's replica identity columns (then rows are
// matched by value and one is picked). A missing table or column is schema
// drift (schema_drift.h): the target relation says what is missing, and the
// applier records a conflict for each change, never skipping silently.
//
// Lifetime: TargetRelation objects stay valid until ReleaseRetired() (called
// at the end of every target transaction), even when a newer definition
// replaced them, so a batch being replayed still sees the shape each change
// was made with. Prepared statements hang off their TargetRelation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "apply/pipeline.h"
#include "apply/sql_builder.h"
#include "apply/table_run.h"
#include "common/config.h"
#include "common/name_mapping.h"
#include "common/pg_connection.h"
#include "common/worker_metrics.h"
#include "pgduplex.pb.h"

namespace pgduplex {

struct SourceRelation {
  uint32_t oid = 0;
  std::string schema;
  std::string name;
  std::string root_schema;  // partitions only
  std::string root_name;
  // partitions only: which rows of the root are this partition's (SQL over
  // the columns, Relation.partition_constraint); "" = unknown.
  std::string partition_constraint;
  v1::ReplicaIdentity identity = v1::REPLICA_IDENTITY_DEFAULT;
  std::vector<std::string> column_names;
  std::vector<bool> column_is_key;  // part of the source's replica identity

  // With [mapping]: the names above are the target's (the source's names
  // mapped, common/name_mapping.h) and this is the source's schema.table.
  std::string source_name;

  std::string Display() const { return schema + "." + name; }
  // "public.orders (sales.orders_b on the target)" when mapped.
  std::string DisplayBoth() const {
    return source_name.empty() ? Display() : source_name + " (" + Display() + " on the target)";
  }
  bool SameDefinition(const SourceRelation& other) const;
};

SourceRelation SourceRelationFromRecord(const v1::Relation& relation);
// The source relation under the target's names (table, root, columns);
// throws ApplyError when two source columns get one target name.
void MapSourceNames(const NameMapping& mapping, Direction direction, SourceRelation* source);

struct TargetRelation {
  const SourceRelation* source = nullptr;
  uint32_t oid = 0;                // the target table
  uint32_t serial = 0;             // names this relation's prepared statements
  std::string display;             // schema.table on the target, for messages
  TableShape shape;                // quoted names, key flags, target types
  bool has_key = false;            // UPDATE/DELETE possible
  // Unique indexes usable to find a conflicting row (all their columns are
  // source columns), primary key first; positions in source column order.
  std::vector<std::vector<int>> unique_indexes;
  // Triggers that fire under session_replication_role = replica (ENABLE
  // ALWAYS / ENABLE REPLICA): its changes are applied strictly in order.
  bool ordered = false;
  // The key is the only unique constraint, so UPDATEs of distinct rows
  // commute and successive UPDATEs of one row may be merged.
  bool compactable_updates = false;
  // pg_class.relowner on the target, read with the rest at every resolve:
  // with sync.apply_as_table_owner its changes run as this role.
  uint32_t owner = 0;
  // The target lacks the source partition: this is its tree's root, found
  // by the root's name. A TRUNCATE of the partition then deletes only the
  // rows of source->partition_constraint (truncate_plan.h).
  bool via_root = false;

  // Schema drift (schema_drift.h). conflict_only: changes of this relation
  // are recorded as a conflict and not applied (the table, or a key column,
  // is missing); its shape lists every source column (as text). Otherwise,
  // when some non-key source columns are missing, `kept` lists the source
  // positions applied (shape and source are the projection onto them) and
  // drift_view (conflict_only) records each change.
  bool conflict_only = false;
  bool drift_placeable = false;  // conflict_only view of a relation whose rows are applied (projected)
  ConflictType drift_type = ConflictType::kTargetColumnMissing;
  std::vector<std::string> missing_columns;
  std::string source_display;
  std::vector<int> kept;
  std::unique_ptr<TargetRelation> drift_view;
  std::unique_ptr<SourceRelation> projected_source;
  // The source's names translated by a rename carried to the source
  // (carried_renames.h); `source` (or its projection) points here.
  std::unique_ptr<SourceRelation> renamed_source;

  // The changes waiting to go out as multi-row statements (run_queue.h).
  TableRun run;

  // Statements, prepared lazily.
  std::unique_ptr<PreparedStatement> insert;        // fast path
  std::unique_ptr<PreparedStatement> insert_skip;   // ON CONFLICT DO NOTHING (conflict path)
  std::unique_ptr<PreparedStatement> remove;        // DELETE by key
  std::unordered_map<std::string, std::unique_ptr<PreparedStatement>> updates;  // by SET mask

  PreparedStatement* Insert(bool skip_conflicts);
  PreparedStatement* Delete();
  // mask[i] == '1' when column i is in the SET list.
  PreparedStatement* Update(const std::string& mask);
  // Multi-row forms (rows >= 2; 1 gives the single-row statement, except
  // under last-write-wins, where the fast path always sends the guarded
  // multi-row form, with one commit time per row after its values).
  // Guarded(): UPDATE and DELETE are guarded (a unique key is needed);
  // INSERT is guarded whenever shape.last_write is set.
  bool Guarded() const;
  PreparedStatement* MultiInsert(int rows);
  PreparedStatement* MultiDelete(int rows);
  PreparedStatement* MultiUpdate(const std::string& mask, int rows);

 private:
  PreparedStatement* Cached(const std::string& key, int params, const std::function<std::string()>& sql);
  std::unordered_map<std::string, std::unique_ptr<PreparedStatement>> multi_;
};

class RelationMap {
 public:
  explicit RelationMap(std::string target_label) : target_label_(std::move(target_label)) {}
  RelationMap(const RelationMap&) = delete;
  RelationMap& operator=(const RelationMap&) = delete;

  // Records a source definition. An unchanged definition keeps the resolved
  // target; a changed one retires it (and Define returns true).
  bool Define(const v1::Relation& relation);
  // nullptr until resolved (or after Invalidate).
  TargetRelation* Find(uint32_t oid) const;
  // Resolves on the target (synchronous queries: no pipeline in flight).
  TargetRelation* Resolve(uint32_t oid, PgConnection& target);
  // A table missing on the target: a target_table_missing conflict (the
  // reverse direction: A dropped it while B's rows were in flight), or, by
  // default, an ApplyError that stops the direction with nothing skipped
  // (the forward direction: B lacks a table A has, which the operator must
  // create or take out of sync.tables).
  void set_missing_table_is_conflict(bool value) { missing_table_is_conflict_ = value; }
  // [mapping]: source relations are resolved under the target's names.
  void set_name_mapping(const NameMapping* mapping, Direction direction) {
    mapping_ = mapping && !mapping->empty() ? mapping : nullptr;
    direction_ = direction;
  }
  const SourceRelation* Source(uint32_t oid) const;
  // After DDL ran on the target: re-resolve every table on next use.
  void InvalidateTargets();
  void ReleaseRetired();

 private:
  struct Entry {
    std::unique_ptr<SourceRelation> source;
    std::unique_ptr<TargetRelation> target;
  };
  void Retire(Entry& entry);

  std::string target_label_;
  std::unordered_map<uint32_t, Entry> entries_;
  std::vector<std::unique_ptr<TargetRelation>> retired_targets_;
  std::vector<std::unique_ptr<SourceRelation>> retired_sources_;
  uint32_t next_serial_ = 1;
  bool missing_table_is_conflict_ = false;
  const NameMapping* mapping_ = nullptr;
  Direction direction_ = Direction::kForward;
};

// Types without an equality operator: compared by text when rows must be
// matched by value.
bool TypeNeedsTextCompare(const std::string& type_name);

}  // namespace pgduplex
