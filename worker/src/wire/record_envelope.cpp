#include "wire/record_envelope.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <climits>

#include "common/errors.h"

namespace pgduplex {

namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::internal::WireFormatLite;

// Every stream_xid field has this number (proto/pgduplex.proto).
constexpr int kStreamXidField = 15;

[[noreturn]] void Malformed(Lsn lsn, size_t size, const char* what) {
  throw DecodeError(
      fmt::format("record at LSN {} ({} bytes) is not a valid pgduplex record: {}", LsnToString(lsn), size, what));
}

}  // namespace

RecordEnvelope PeekEnvelope(const char* data, size_t size, Lsn lsn) {
  if (size > static_cast<size_t>(INT_MAX)) Malformed(lsn, size, "too large");
  CodedInputStream in(reinterpret_cast<const uint8_t*>(data), static_cast<int>(size));
  in.SetTotalBytesLimit(INT_MAX);
  uint32_t tag = in.ReadTag();
  if (tag == 0 || WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
    Malformed(lsn, size, "no record kind");
  }
  RecordEnvelope envelope;
  envelope.kind = WireFormatLite::GetTagFieldNumber(tag);
  uint32_t body_size = 0;
  if (!in.ReadVarint32(&body_size)) Malformed(lsn, size, "truncated");
  CodedInputStream::Limit limit = in.PushLimit(static_cast<int>(body_size));
  while ((tag = in.ReadTag()) != 0) {
    if (WireFormatLite::GetTagFieldNumber(tag) == kStreamXidField &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_VARINT) {
      if (!in.ReadVarint32(&envelope.stream_xid)) Malformed(lsn, size, "truncated stream_xid");
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      Malformed(lsn, size, "corrupt or truncated body");
    }
  }
  if (!in.ConsumedEntireMessage() || in.BytesUntilLimit() != 0) Malformed(lsn, size, "corrupt or truncated body");
  in.PopLimit(limit);
  if (static_cast<size_t>(in.CurrentPosition()) != size) Malformed(lsn, size, "bytes after the record");
  return envelope;
}

}  // namespace pgduplex
