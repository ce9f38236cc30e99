// RecordDecoder: one XLogData payload -> one pgduplex.v1.Record.
//
// Contract: Decode returns a Record allocated on the given arena (it lives
// until the arena is reset), or throws DecodeError naming the LSN. A record
// of a kind this worker does not know (a newer plugin) is an error, never
// skipped: skipping a change would be silent data loss.
#pragma once

#include <google/protobuf/arena.h>

#include <cstddef>
#include <stdexcept>
#include <string>

#include "common/errors.h"
#include "pgduplex.pb.h"
#include "common/lsn.h"

namespace pgduplex {

const v1::Record* ReadRecord(const char* data, size_t size, Lsn lsn, google::protobuf::Arena* arena);

// "begin", "insert", ... for messages.
const char* RecordKindName(const v1::Record& record);

}  // namespace pgduplex
