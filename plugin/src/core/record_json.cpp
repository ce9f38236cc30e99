#include "core/record_json.h"

#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/record_decoder.h"
#include "core/utf8.h"
#include "core/no_postgres.h"

namespace pgduplex {
namespace {

using Json = nlohmann::ordered_json;

Json Bytes(const std::string& bytes) {
  if (IsValidUtf8(bytes.data(), bytes.size())) return Json(bytes);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  return Json{{"hex", std::move(hex)}};
}

Json TupleJson(const v1::Tuple& tuple) {
  Json out = Json::array();
  for (const v1::Value& v : tuple.values()) {
    switch (v.datum_case()) {
      case v1::Value::kText: out.push_back(Bytes(v.text())); break;
      case v1::Value::kNull: out.push_back(nullptr); break;
      case v1::Value::kUnchangedToast: out.push_back(Json{{"unchanged_toast", true}}); break;
      case v1::Value::kChunked: out.push_back(Json{{"chunked", true}}); break;
      case v1::Value::DATUM_NOT_SET: out.push_back(Json{{"invalid", true}}); break;
    }
  }
  return out;
}

const char* OldKindName(int kind) {
  switch (kind) {
    case v1::OLD_TUPLE_NONE: return "none";
    case v1::OLD_TUPLE_KEY: return "key";
    case v1::OLD_TUPLE_FULL: return "full";
    default: return "unknown";
  }
}

const char* ReplicaIdentityName(int identity) {
  switch (identity) {
    case v1::REPLICA_IDENTITY_DEFAULT: return "default";
    case v1::REPLICA_IDENTITY_NOTHING: return "nothing";
    case v1::REPLICA_IDENTITY_FULL: return "full";
    case v1::REPLICA_IDENTITY_INDEX: return "index";
    default: return "unknown";
  }
}

void AddOld(Json* out, int kind, bool has_old, const v1::Tuple& old) {
  (*out)["old_kind"] = OldKindName(kind);
  if (has_old) (*out)["old_tuple"] = TupleJson(old);
}

// Days since 1970-01-01 to a civil date (proleptic Gregorian), after
// Howard Hinnant's days_from_civil inverse.
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

// One function per record kind: the fields of its body, in this order.

Json BeginJson(const v1::Begin& m) {
  Json body = Json::object();
  body["xid"] = m.xid();
  body["final_lsn"] = FormatLsn(m.final_lsn());
  body["commit_time"] = FormatTimestamp(m.commit_time());
  if (!m.origin().empty()) body["origin"] = m.origin();
  return body;
}

Json CommitJson(const v1::Commit& m) {
  Json body = Json::object();
  body["commit_lsn"] = FormatLsn(m.commit_lsn());
  body["end_lsn"] = FormatLsn(m.end_lsn());
  body["commit_time"] = FormatTimestamp(m.commit_time());
  return body;
}

Json RelationJson(const v1::Relation& m) {
  Json body = Json::object();
  body["oid"] = m.oid();
  body["schema"] = m.schema();
  body["name"] = m.name();
  body["replica_identity"] = ReplicaIdentityName(m.replica_identity());
  Json columns = Json::array();
  for (const v1::Column& c : m.columns()) {
    columns.push_back(Json{{"name", c.name()},
                           {"type_name", c.type_name()},
                           {"type_oid", c.type_oid()},
                           {"typmod", c.typmod()},
                           {"key", c.key()}});
  }
  body["columns"] = std::move(columns);
  if (m.root_oid() != 0) {
    body["root_oid"] = m.root_oid();
    body["root_schema"] = m.root_schema();
    body["root_name"] = m.root_name();
    body["partition_constraint"] = m.partition_constraint();
  }
  return body;
}

Json InsertJson(const v1::Insert& m) {
  Json body = Json::object();
  body["relation_oid"] = m.relation_oid();
  body["new_tuple"] = TupleJson(m.new_tuple());
  return body;
}

Json UpdateJson(const v1::Update& m) {
  Json body = Json::object();
  body["relation_oid"] = m.relation_oid();
  AddOld(&body, m.old_kind(), m.has_old_tuple(), m.old_tuple());
  body["new_tuple"] = TupleJson(m.new_tuple());
  return body;
}

Json DeleteJson(const v1::Delete& m) {
  Json body = Json::object();
  body["relation_oid"] = m.relation_oid();
  AddOld(&body, m.old_kind(), m.has_old_tuple(), m.old_tuple());
  return body;
}

Json TruncateJson(const v1::Truncate& m) {
  Json body = Json::object();
  Json oids = Json::array();
  for (uint32_t oid : m.relation_oids()) oids.push_back(oid);
  body["relation_oids"] = std::move(oids);
  body["cascade"] = m.cascade();
  body["restart_identity"] = m.restart_identity();
  return body;
}

Json DdlJson(const v1::Ddl& m) {
  Json body = Json::object();
  body["statement"] = m.statement();
  body["search_path"] = m.search_path();
  body["role"] = m.role();
  body["command_tag"] = m.command_tag();
  body["object_type"] = m.object_type();
  body["object_identity"] = m.object_identity();
  body["schema"] = m.schema();
  body["in_function"] = m.in_function();
  body["has_dml"] = m.has_dml();
  body["standard_conforming_strings"] = m.standard_conforming_strings();
  return body;
}

Json MessageJson(const v1::LogicalMessage& m) {
  Json body = Json::object();
  body["prefix"] = m.prefix();
  body["content"] = Bytes(m.content());
  body["transactional"] = m.transactional();
  body["lsn"] = FormatLsn(m.lsn());
  return body;
}

Json HeartbeatJson(const v1::Heartbeat& m) {
  Json body = Json::object();
  body["task"] = m.task();
  body["source_time"] = FormatTimestamp(m.source_time());
  body["lsn"] = FormatLsn(m.lsn());
  return body;
}

Json StreamStartJson(const v1::StreamStart& m) {
  Json body = Json{{"xid", m.xid()}, {"first_segment", m.first_segment()}};
  if (m.commit_lsn() != 0) {
    body["commit_lsn"] = FormatLsn(m.commit_lsn());
    body["commit_time"] = FormatTimestamp(m.commit_time());
    if (!m.origin().empty()) body["origin"] = m.origin();
  }
  return body;
}

Json StreamCommitJson(const v1::StreamCommit& m) {
  Json body = Json::object();
  body["xid"] = m.xid();
  body["commit_lsn"] = FormatLsn(m.commit_lsn());
  body["end_lsn"] = FormatLsn(m.end_lsn());
  body["commit_time"] = FormatTimestamp(m.commit_time());
  if (!m.origin().empty()) body["origin"] = m.origin();
  return body;
}

Json StreamAbortJson(const v1::StreamAbort& m) { return Json{{"xid", m.xid()}, {"subxid", m.subxid()}}; }

Json ValueChunkJson(const v1::ValueChunk& m) {
  return Json{{"tuple", m.old_tuple() ? "old" : "new"},
              {"column", m.column()},
              {"total_size", m.total_size()},
              {"data", Bytes(m.data())}};
}

// stream_xid of a record inside a stream block (proto_version 2); 0 (absent)
// outside one, and then not shown.
uint32_t StreamXid(const v1::Record& record) {
  switch (record.kind_case()) {
    case v1::Record::kRelation: return record.relation().stream_xid();
    case v1::Record::kInsert: return record.insert().stream_xid();
    case v1::Record::kUpdate: return record.update().stream_xid();
    case v1::Record::kDelete: return record.delete_().stream_xid();
    case v1::Record::kTruncate: return record.truncate().stream_xid();
    case v1::Record::kDdl: return record.ddl().stream_xid();
    case v1::Record::kMessage: return record.message().stream_xid();
    case v1::Record::kValueChunk: return record.value_chunk().stream_xid();
    default: return 0;
  }
}

Json RecordBody(const v1::Record& record) {
  switch (record.kind_case()) {
    case v1::Record::kBegin: return BeginJson(record.begin());
    case v1::Record::kCommit: return CommitJson(record.commit());
    case v1::Record::kRelation: return RelationJson(record.relation());
    case v1::Record::kInsert: return InsertJson(record.insert());
    case v1::Record::kUpdate: return UpdateJson(record.update());
    case v1::Record::kDelete: return DeleteJson(record.delete_());
    case v1::Record::kTruncate: return TruncateJson(record.truncate());
    case v1::Record::kDdl: return DdlJson(record.ddl());
    case v1::Record::kMessage: return MessageJson(record.message());
    case v1::Record::kHeartbeat: return HeartbeatJson(record.heartbeat());
    case v1::Record::kStreamStart: return StreamStartJson(record.stream_start());
    case v1::Record::kStreamStop: return Json::object();
    case v1::Record::kStreamCommit: return StreamCommitJson(record.stream_commit());
    case v1::Record::kStreamAbort: return StreamAbortJson(record.stream_abort());
    case v1::Record::kValueChunk: return ValueChunkJson(record.value_chunk());
    case v1::Record::KIND_NOT_SET: break;
  }
  return Json::object();
}

}  // namespace

std::string FormatLsn(uint64_t lsn) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%" PRIX32 "/%" PRIX32, static_cast<uint32_t>(lsn >> 32),
                static_cast<uint32_t>(lsn));
  return buf;
}

std::string FormatTimestamp(int64_t micros_since_2000) {
  constexpr int64_t kMicrosPerDay = 86400LL * 1000000;
  constexpr int64_t kDays1970To2000 = 10957;
  int64_t days = micros_since_2000 / kMicrosPerDay;
  int64_t rest = micros_since_2000 % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  int64_t year;
  unsigned month, day;
  CivilFromDays(days + kDays1970To2000, &year, &month, &day);
  const int64_t secs = rest / 1000000;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%06dZ", year, month,
                day, static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60), static_cast<int>(rest % 1000000));
  return buf;
}

std::string RecordToJson(const v1::Record& record) {
  Json out = Json::object();
  Json body = RecordBody(record);
  if (uint32_t xid = StreamXid(record)) body["stream_xid"] = xid;
  out[RecordKindName(record)] = std::move(body);
  // Strings were checked (protobuf verifies UTF-8 on parse; Bytes() checks
  // values), but never let a stray byte throw: replace it.
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace pgduplex
