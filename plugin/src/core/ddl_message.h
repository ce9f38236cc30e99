// The content of one row of pgduplex.ddl_log, the authentic DDL channel.
//
// The extension's event trigger (pgduplex_capture_ddl, pg/ddl_capture.cpp)
// writes one row per DDL command, its content a JSON object:
//   {"statement": "...", "search_path": "...", "role": "...",
//    "command_tag": "ALTER TABLE", "object_type": "table",
//    "object_identity": "public.t", "schema": "public",
//    "in_function": false, "standard_conforming_strings": true}
// Every member but "statement" may be missing or null (empty, or false for
// the booleans: a missing standard_conforming_strings reads as off, which
// the worker refuses); members this version does not know are ignored, so
// the trigger may grow.
#ifndef PGDUPLEX_CORE_DDL_MESSAGE_H_
#define PGDUPLEX_CORE_DDL_MESSAGE_H_

#include <cstddef>
#include <string>

#include "core/message_prefixes.h"
#include "core/status.h"

namespace pgduplex {

struct DdlMessage {
  std::string statement;
  std::string search_path;
  std::string role;
  std::string command_tag;
  std::string object_type;
  std::string object_identity;
  std::string schema;
  bool in_function = false;
  bool standard_conforming_strings = false;
};

// Parses `size` bytes of UTF-8 JSON into *out. A malformed document, a
// member of the wrong type or a missing statement is an error status.
Status ParseDdlMessage(const char* data, size_t size, DdlMessage* out) noexcept;

}  // namespace pgduplex

#endif  // PGDUPLEX_CORE_DDL_MESSAGE_H_
