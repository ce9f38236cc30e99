// CopiedSequences: the sequences the initial copy creates on the target get
// a value, not just a definition. pg_dump's pre-data copies a sequence's
// INCREMENT and START but not where it stands, so B's copy would hand out
// 1, 2, 3 (or 1, 3, 5 after `sequences --interleave` on A): ids the copied
// rows and A already use.
//
// Which: every sequence feeding a table the copy creates (owned, identity or
// named in a DEFAULT) that does not exist on the target before pre-data
// (Find, before pre-data). A sequence the target already had is the
// operator's, and left alone.
//
// What (Set, in the pre-data transaction, after pre-data and before owners
// change): ops/sequence_plan.h's PlanCopiedSequence, from A's sequence as it
// stands now and the largest value of each fed column under the snapshot
// (the rows copied). A interleaved (odd) -> B interleaved on the even values
// beyond both; otherwise B is moved past A's values with one warning per
// sequence that writes on both sides need `sequences --interleave`. A's
// sequence unreadable (no SELECT on it for the worker's role: then step 5
// could not have interleaved it either): B's is moved past the copied rows,
// with a warning naming the GRANT.
//
// Contract: `source` is inside the snapshot's transaction, `target` inside
// the pre-data transaction (session_replication_role = replica, so the
// ALTERs are not captured as DDL). Throws PgError on failure.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ops/catalog.h"
#include "common/pg_connection.h"

namespace pgduplex {

struct CopiedSequence {
  TableName sequence;
  std::vector<SequenceUse> uses;  // the columns it feeds on the source
};

std::vector<CopiedSequence> FindCopiedSequences(PgConnection& source, PgConnection& target,
                                                const std::vector<TableName>& created_tables);

void SetCopiedSequences(PgConnection& source, PgConnection& target, const std::vector<CopiedSequence>& sequences,
                        const std::function<void(const std::string&)>& note,
                        const std::function<void(const std::string&)>& warn);

}  // namespace pgduplex
