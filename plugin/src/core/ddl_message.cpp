#include "core/ddl_message.h"

#include <exception>
#include <nlohmann/json.hpp>

#include "core/no_postgres.h"

namespace pgduplex {
namespace {

// Reads an optional string member; null and absent both mean "".
bool ReadString(const nlohmann::json& doc, const char* key, std::string* out) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) {
    out->clear();
    return true;
  }
  if (!it->is_string()) return false;
  *out = it->get_ref<const std::string&>();
  return true;
}

}  // namespace

Status ParseDdlMessage(const char* data, size_t size, DdlMessage* out) noexcept {
  try {
    nlohmann::json doc = nlohmann::json::parse(data, data + size, nullptr,
                                               /*allow_exceptions=*/false);
    if (doc.is_discarded()) return Status::Error("DDL message is not valid JSON");
    if (!doc.is_object()) return Status::Error("DDL message is not a JSON object");
    static const struct {
      const char* key;
      std::string DdlMessage::*field;
    } kStrings[] = {
        {"statement", &DdlMessage::statement},
        {"search_path", &DdlMessage::search_path},
        {"role", &DdlMessage::role},
        {"command_tag", &DdlMessage::command_tag},
        {"object_type", &DdlMessage::object_type},
        {"object_identity", &DdlMessage::object_identity},
        {"schema", &DdlMessage::schema},
    };
    for (const auto& s : kStrings) {
      if (!ReadString(doc, s.key, &(out->*s.field)))
        return Status::Error("DDL message member \"%s\" is not a string", s.key);
    }
    if (out->statement.empty())
      return Status::Error("DDL message has no \"statement\"");
    static const struct {
      const char* key;
      bool DdlMessage::*field;
    } kBooleans[] = {
        {"in_function", &DdlMessage::in_function},
        {"standard_conforming_strings", &DdlMessage::standard_conforming_strings},
    };
    for (const auto& b : kBooleans) {
      out->*b.field = false;
      auto it = doc.find(b.key);
      if (it == doc.end() || it->is_null()) continue;
      if (!it->is_boolean())
        return Status::Error("DDL message member \"%s\" is not a boolean", b.key);
      out->*b.field = it->get<bool>();
    }
    return Status::OK();
  } catch (const std::bad_alloc&) {
    return Status::Error("out of memory parsing a DDL message");
  } catch (const std::exception& e) {
    return Status::Error("cannot parse DDL message: %s", e.what());
  } catch (...) {
    return Status::Error("cannot parse DDL message");
  }
}

}  // namespace pgduplex
