#include "apply/role_switch.h"

#include <fmt/format.h>

#include <random>

namespace pgduplex {

bool ExtensionAtLeast(const std::string& version, int major, int minor) {
  int parts[2] = {0, 0};
  size_t pos = 0;
  for (int i = 0; i < 2 && pos < version.size(); ++i) {
    size_t end = version.find('.', pos);
    std::string part = version.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    try {
      parts[i] = std::stoi(part);
    } catch (const std::exception&) {
      return false;
    }
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return parts[0] > major || (parts[0] == major && parts[1] >= minor);
}

bool RunAsAvailable(PgConnection& conn, bool as_owner) {
  std::string version =
      conn.Scalar("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pgduplex'").value_or("");
  bool available = ExtensionAtLeast(version, 1, 1);
  if (as_owner && !available) {
    throw SetupRefused(fmt::format(
        "the pgduplex extension on cluster {} is version {}, which cannot apply changes as the table owner: "
        "upgrade it with ALTER EXTENSION pgduplex UPDATE on cluster {}, or set sync.apply_as_table_owner = false",
        conn.label(), version.empty() ? "(none)" : version, conn.label()));
  }
  return available;
}

RoleSwitch::RoleSwitch() : key_(NewKey()) {}

std::string RoleSwitch::NewKey() {
  std::random_device device;
  std::string key;
  static const char kHex[] = "0123456789abcdef";
  while (key.size() < 32) {
    uint32_t bits = device();
    for (int i = 0; i < 8 && key.size() < 32; ++i, bits >>= 4) key += kHex[bits & 0xF];
  }
  return key;
}

void RoleSwitch::Setup(PgConnection& conn, bool run_as_available, bool apply_as_owner) {
  available_ = run_as_available;
  apply_as_owner_ = apply_as_owner && run_as_available;
  worker_ = static_cast<uint32_t>(
      std::stoul(conn.Scalar("SELECT oid::text FROM pg_catalog.pg_roles WHERE rolname = current_user").value_or("0")));
  current_ = 0;
  if (available_) conn.ExecParams(kRunAsSql, {std::string("0"), key_});
}

bool RoleSwitch::Recheck(PgConnection& conn) {
  if (available_) return true;
  if (!RunAsAvailable(conn, false)) return false;
  conn.ExecParams(kRunAsSql, {std::string("0"), key_});
  available_ = true;
  current_ = 0;
  return true;
}

uint32_t RoleSwitch::RoleForTable(PgConnection& conn, const std::string& relation) const {
  std::optional<std::string> owner = conn.Scalar(
      "SELECT relowner::text FROM pg_catalog.pg_class WHERE oid = $1::pg_catalog.regclass", {relation});
  return RoleFor(static_cast<uint32_t>(std::stoul(owner.value_or("0"))));
}

void RoleSwitch::Switch(PgConnection& conn, uint32_t role) {
  if (role == current_) return;
  conn.ExecParams(kRunAsSql, {std::to_string(role), key_});
  current_ = role;
}

bool RoleSwitch::TrySwitch(PgConnection& conn, uint32_t role, std::string* error) {
  if (role == current_) return true;
  try {
    Switch(conn, role);
    return true;
  } catch (const ConnectionError&) {
    throw;
  } catch (const PgError& e) {
    *error = e.what();
    return false;
  }
}

void RoleSwitch::Queue(Pipeline& pipeline, uint32_t role) {
  if (role == current_) return;
  role_text_ = std::to_string(role);
  const char* values[] = {role_text_.c_str(), key_.c_str()};
  pipeline.SendQuery(kRunAsSql, 2, values, PipelineTag{PipelineTag::Kind::kControl, 0, nullptr, 0});
  current_ = role;
}

}  // namespace pgduplex
