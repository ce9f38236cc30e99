// SourceTxn: one source transaction as the apply side knows it -- its xid,
// where it committed in the source's WAL and when. The applier keeps one
// per source transaction of the open batch; its end LSN and commit time
// are what pg_replication_origin_xact_setup records as progress, and the
// conflict path (ChangeReplayer) reads its commit time for last-write-wins
// and names it in conflict rows.
#pragma once

#include <cstdint>
#include <string>

#include "common/lsn.h"
#include "common/pg_time.h"

namespace pgduplex {

struct SourceTxn {
  uint32_t xid = 0;
  Lsn commit_lsn = kInvalidLsn;   // Begin.final_lsn
  Lsn end_lsn = kInvalidLsn;      // Commit.end_lsn (0 until the commit arrives)
  PgTimestamp commit_time = 0;
  // commit_time as timestamptz text: the fast path's last-write-wins guard
  // sends it with every row (set under last-write-wins only).
  std::string commit_time_text;
};

}  // namespace pgduplex
