// RecordToJson: a readable, deterministic JSON rendering of one record, for
// people (pgduplex.record_to_json, logs, tests), not for machines.
//
// Layout: {"<kind>": {...fields...}}, the kind being begin, commit,
// relation, insert, update, delete, truncate, ddl, message or heartbeat.
//   * LSNs render as "X/X" (pg_lsn's form), times as ISO 8601 UTC
//     ("2024-05-01T12:00:00.000001Z"), enums by name ("full", "key").
//   * A tuple is an array with one entry per column: the text as a JSON
//     string, null for NULL, {"unchanged_toast": true} for a TOAST value
//     that was not sent, and {"hex": "..."} for text that is not valid
//     UTF-8 (bytes in another encoding); message content likewise.
//   * Fields that are absent by construction are left out: old_tuple when
//     old_kind is "none", the root_* fields of a relation that is not a
//     partition, a begin's origin when it has none.
#ifndef PGDUPLEX_CORE_RECORD_JSON_H_
#define PGDUPLEX_CORE_RECORD_JSON_H_

#include <cstdint>
#include <string>

#include "pgduplex.pb.h"

namespace pgduplex {

// Throws std::bad_alloc when out of memory; nothing else.
std::string RecordToJson(const v1::Record& record);

// "16/B374D848", as PostgreSQL prints a pg_lsn.
std::string FormatLsn(uint64_t lsn);
// Microseconds since 2000-01-01 00:00:00 UTC as "2000-01-01T00:00:00.000000Z".
std::string FormatTimestamp(int64_t micros_since_2000);

}  // namespace pgduplex

#endif  // PGDUPLEX_CORE_RECORD_JSON_H_
