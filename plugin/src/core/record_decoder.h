// DecodeRecord: reads one pgduplex.v1.Record back from wire bytes.
//
// Contract. Strict: a record that does not parse (corrupt, truncated), that
// has no kind or a kind this version does not know, an enum value outside
// the format, a tuple value that is neither text, NULL nor unchanged-TOAST,
// or an old tuple that contradicts old_kind is an error status, never a
// crash and never a silently skipped change. Fields added by later versions
// inside a known record kind are ignored, as protobuf intends.
#ifndef PGDUPLEX_CORE_RECORD_DECODER_H_
#define PGDUPLEX_CORE_RECORD_DECODER_H_

#include <cstddef>

#include "pgduplex.pb.h"

#include "core/status.h"

namespace pgduplex {

Status DecodeRecord(const void* data, size_t size, v1::Record* record) noexcept;

// Checks a record that is already in memory (DecodeRecord runs it).
Status ValidateRecord(const v1::Record& record) noexcept;

// "begin", "insert", ... (the proto's field name), "unknown" for none.
const char* RecordKindName(const v1::Record& record) noexcept;

}  // namespace pgduplex

#endif  // PGDUPLEX_CORE_RECORD_DECODER_H_
