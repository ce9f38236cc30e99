// Applier: what a TRUNCATE may touch on the target (truncate_plan.h).
#include <set>

#include "apply/applier.h"
#include "common/oid_array.h"

namespace pgduplex {

std::string Applier::TruncatedRowsOf(const TargetRelation& relation) const {
  const SourceRelation& source = *relation.source;
  return TruncatedRows(relation.via_root, source.partition_constraint, source.Display(), relation.display,
                       conn_->label());
}

void Applier::CheckTruncateReferences(const v1::Truncate& truncate) {
  std::set<uint32_t> oids;
  for (uint32_t oid : truncate.relation_oids()) {
    const TargetRelation* relation = relations_.Find(oid);
    if (relation && relation->oid != 0) oids.insert(relation->oid);
  }
  if (oids.empty()) return;
  // Catalog lookups need a quiet connection: settle the pipeline first.
  if (open_) {
    if (Verify() == Step::kSurprise) Recover();
    pipeline_.Exit();
    AsWorker();
  }
  // Foreign keys as declared (conparentid = 0: not their copies on
  // partitions), from a table outside the TRUNCATE, to one in it or to a
  // partition of one (the DELETE of a partition's rows goes through the
  // root).
  PgResult r = conn_->ExecParams(
      "WITH truncated AS (SELECT i.relid FROM pg_catalog.unnest($1::pg_catalog.oid[]) AS t(oid), "
      "                   LATERAL pg_catalog.pg_partition_tree(t.oid) AS i "
      "                   UNION SELECT pg_catalog.unnest($1::pg_catalog.oid[])) "
      "SELECT c.conname, c.conrelid::pg_catalog.regclass::text, c.confrelid::pg_catalog.regclass::text "
      "FROM pg_catalog.pg_constraint c "
      "WHERE c.contype = 'f' AND c.conparentid = 0 AND c.confrelid IN (SELECT relid FROM truncated) "
      "  AND c.conrelid NOT IN (SELECT relid FROM truncated) "
      "ORDER BY 1, 2",
      {OidArray(std::vector<uint32_t>(oids.begin(), oids.end()))});
  std::vector<TruncateReference> references;
  for (int i = 0; i < r.rows(); ++i) references.push_back({r.Get(i, 0), r.Get(i, 1), r.Get(i, 2)});
  if (open_) pipeline_.Enter();
  RefuseOutsideReferences(references, conn_->label());
}

}  // namespace pgduplex
