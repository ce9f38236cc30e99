#include "wire/record_decoder.h"

#include <fmt/format.h>

namespace pgduplex {

namespace {

// On the error path only: bytes that parse but carry no kind this version
// knows come from a newer plugin, which the operator should hear about.
bool FromNewerPlugin(const char* data, size_t size) {
  v1::Record probe;
  return size > 0 && probe.ParseFromArray(data, static_cast<int>(size)) &&
         probe.kind_case() == v1::Record::KIND_NOT_SET;
}

}  // namespace

v1::Record* ReadRecord(const char* data, size_t size, Lsn lsn, google::protobuf::Arena* arena) {
  v1::Record* record = google::protobuf::Arena::CreateMessage<v1::Record>(arena);
  Status status = DecodeRecord(data, size, record);
  if (status.ok()) return record;
  if (FromNewerPlugin(data, size)) {
    throw DecodeError(fmt::format(
        "record at LSN {} is of a kind this worker does not know ({}; is the plugin newer than the worker?)",
        LsnToString(lsn), status.message()));
  }
  throw DecodeError(fmt::format("record at LSN {} ({} bytes) is not a valid pgduplex v1 record: {}",
                                LsnToString(lsn), size, status.message()));
}

}  // namespace pgduplex
