// PeekEnvelope: the kind of a record and the stream_xid of its body, read
// without decoding (or copying) anything else.
//
// Why. Records inside a stream block (proto_version 2) are written to the
// spool as they came and decoded only when their transaction commits
// (run/stream_spool.h). Decoding them on arrival would copy every value once
// more for nothing, and keep it on the applier's arena. This reads the
// record's first tag and walks its body's fields, skipping every value.
//
// Contract: throws DecodeError naming the LSN when the bytes are not one
// length-delimited Record kind followed by nothing. Whether the body is
// otherwise valid is for ReadRecord to say when the record is applied.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/lsn.h"

namespace pgduplex {

struct RecordEnvelope {
  int kind = 0;             // the Record's oneof field number (v1::Record::k*FieldNumber)
  uint32_t stream_xid = 0;  // 0 when absent
};

RecordEnvelope PeekEnvelope(const char* data, size_t size, Lsn lsn);

}  // namespace pgduplex
