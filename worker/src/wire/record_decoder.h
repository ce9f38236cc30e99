// ReadRecord: one XLogData payload -> one pgduplex.v1.Record, checked.
//
// The worker reads the wire format with the plugin core's strict decoder
// (plugin/src/core/record_decoder.h, DecodeRecord), the same code the tests
// and pgduplex.record_to_json use: one reading of the format, not two. It
// parses the payload once, into a message on the applier's arena, and
// checks that message in place (no copy of the tuples, no second parse).
//
// Contract: ReadRecord returns a Record allocated on the given arena (it
// lives until the arena is reset), or throws DecodeError naming the LSN and
// what is wrong (corrupt or truncated bytes, a tuple value that is neither
// text, NULL nor unchanged TOAST, an old tuple that contradicts old_kind, an
// enum value outside the format). A refused record is never applied. A
// record of a kind this worker does not know (a newer plugin) is an error,
// never skipped: skipping a change would be silent data loss.
#pragma once

#include <google/protobuf/arena.h>

#include <cstddef>

#include "common/errors.h"
#include "common/lsn.h"
#include "core/record_decoder.h"  // DecodeRecord; RecordKindName for messages
#include "pgduplex.pb.h"

namespace pgduplex {

v1::Record* ReadRecord(const char* data, size_t size, Lsn lsn, google::protobuf::Arena* arena);

}  // namespace pgduplex
