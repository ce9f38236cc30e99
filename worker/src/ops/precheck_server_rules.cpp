// The precheck rules about each server and the extension: can the worker
// connect, decode (wal_level, output_plugin_libraries, slots, wal senders),
// time conflicts (track_commit_timestamp), and is pgduplex installed, the
// same version on both. Also the config file's readable password.
#include "ops/precheck_rule_families.h"

#include <fmt/format.h>

#include <string>

#include "common/config_secrets.h"
#include "common/sql_lexer.h"

namespace pgduplex {
namespace precheck {

namespace {

bool ListsPgduplex(const std::string& libraries) {
  size_t start = 0;
  while (start <= libraries.size()) {
    size_t comma = libraries.find(',', start);
    std::string item = libraries.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(" \t\""));
    item.erase(item.find_last_not_of(" \t\"") + 1);
    if (item == "pgduplex") return true;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return false;
}

}  // namespace

void Connection(const ClusterFacts& f, Results& out) {
  if (f.connected) {
    out.push_back(Pass("connection", f.label, fmt::format("PostgreSQL {} as {}", f.server_version, f.role)));
  } else {
    out.push_back(Fail("connection", f.label, f.connect_error,
                       fmt::format("check [{}] conninfo, the server and pg_hba.conf", f.label)));
  }
}

void ConfigFile(const TaskConfig& config, Results& out) {
  if (auto warning = ReadablePasswordWarning(config)) {
    out.push_back(Warn("config file", "a+b", *warning, ChmodFix(config)));
  } else {
    out.push_back(Pass("config file", "a+b", "no password readable by other users"));
  }
}

void WalLevel(const ClusterFacts& f, Results& out) {
  if (f.wal_level == "logical") {
    out.push_back(Pass("wal_level", f.label, "logical"));
  } else {
    out.push_back(Fail("wal_level", f.label, fmt::format("wal_level = {}", f.wal_level),
                       "ALTER SYSTEM SET wal_level = logical; then restart the server"));
  }
}

void OutputPluginAllowed(const ClusterFacts& f, Results& out) {
  if (f.output_plugin_libraries_unreadable) {
    out.push_back(Warn("output plugin allowed", f.label,
                       fmt::format("{} may not read output_plugin_libraries (superuser-only): if it does not list "
                                   "pgduplex, creating the slot fails",
                                   f.role),
                       fmt::format("as a superuser: SHOW output_plugin_libraries; (it must list pgduplex), or "
                                   "GRANT pg_read_all_settings TO {}; so that precheck reads it",
                                   QuoteIdent(f.role))));
  } else if (!f.output_plugin_libraries) {
    out.push_back(Pass("output plugin allowed", f.label, "no allow-list on this server"));
  } else if (ListsPgduplex(*f.output_plugin_libraries)) {
    out.push_back(Pass("output plugin allowed", f.label, "pgduplex is in output_plugin_libraries"));
  } else {
    out.push_back(Fail("output plugin allowed", f.label,
                       fmt::format("output_plugin_libraries = '{}' does not list pgduplex",
                                   *f.output_plugin_libraries),
                       fmt::format("ALTER SYSTEM SET output_plugin_libraries = '{}, pgduplex'; "
                                   "SELECT pg_reload_conf();",
                                   *f.output_plugin_libraries)));
  }
}

void Slots(const ClusterFacts& f, const std::string& slot, Results& out) {
  int free_slots = f.max_replication_slots - f.used_replication_slots;
  if (f.task_slot_exists) {
    out.push_back(Pass("replication slots", f.label, fmt::format("slot {} exists ({} of {} used)", slot,
                                                                 f.used_replication_slots, f.max_replication_slots)));
  } else if (free_slots >= 1) {
    out.push_back(Pass("replication slots", f.label,
                       fmt::format("{} free ({} of {} used)", free_slots, f.used_replication_slots,
                                   f.max_replication_slots)));
  } else {
    out.push_back(Fail("replication slots", f.label,
                       fmt::format("no free slot ({} of {} used)", f.used_replication_slots, f.max_replication_slots),
                       "raise max_replication_slots (restart) or drop an unused slot"));
  }
}

void WalSenders(const ClusterFacts& f, Results& out) {
  int free_senders = f.max_wal_senders - f.used_wal_senders;
  std::string detail = fmt::format("{} free ({} of {} used)", free_senders, f.used_wal_senders, f.max_wal_senders);
  if (free_senders >= 1) {
    out.push_back(Pass("wal senders", f.label, detail));
  } else {
    out.push_back(Fail("wal senders", f.label, detail, "raise max_wal_senders (restart)"));
  }
}

bool VersionAtLeast(const std::string& version, int major, int minor) {
  size_t dot = version.find('.');
  try {
    int have_major = std::stoi(version.substr(0, dot));
    int have_minor = dot == std::string::npos ? 0 : std::stoi(version.substr(dot + 1));
    return have_major > major || (have_major == major && have_minor >= minor);
  } catch (const std::exception&) {
    return false;
  }
}

void Extension(const ClusterFacts& f, Results& out) {
  if (!f.extension_version) {
    out.push_back(Fail("extension", f.label, "pgduplex is not installed in this database",
                       f.extension_available ? "CREATE EXTENSION pgduplex (or run precheck --fix)"
                                             : "install the pgduplex package on this server (make install), "
                                               "then CREATE EXTENSION pgduplex"));
  } else if (f.extension_available && *f.extension_available != *f.extension_version) {
    out.push_back(Warn("extension", f.label,
                       fmt::format("pgduplex {} installed, {} available", *f.extension_version, *f.extension_available),
                       "ALTER EXTENSION pgduplex UPDATE"));
  } else {
    out.push_back(Pass("extension", f.label, fmt::format("pgduplex {}", *f.extension_version)));
  }
}

void ExtensionVersions(const ClusterFacts& a, const ClusterFacts& b, Results& out) {
  if (!a.extension_version || !b.extension_version) return;  // already FAILed per cluster
  if (*a.extension_version == *b.extension_version) {
    out.push_back(Pass("extension version", "a+b", fmt::format("both {}", *a.extension_version)));
  } else {
    out.push_back(Fail("extension version", "a+b",
                       fmt::format("a has {}, b has {}", *a.extension_version, *b.extension_version),
                       "install the same pgduplex version on both, then ALTER EXTENSION pgduplex UPDATE"));
  }
}

void CommitTimestamp(ConflictPolicy policy, const ClusterFacts& f, Results& out) {
  if (policy != ConflictPolicy::kLastWriteWins) {
    out.push_back(Pass("track_commit_timestamp", f.label,
                       fmt::format("{} (needed only for last-write-wins)", f.track_commit_timestamp ? "on" : "off")));
  } else if (f.track_commit_timestamp) {
    out.push_back(Pass("track_commit_timestamp", f.label, "on"));
  } else {
    out.push_back(Fail("track_commit_timestamp", f.label, "off, but conflict_policy = last-write-wins",
                       "ALTER SYSTEM SET track_commit_timestamp = on; then restart the server"));
  }
}

// Last-write-wins keeps delete tombstones, which came with extension 1.2.
void Tombstones(ConflictPolicy policy, const ClusterFacts& f, Results& out) {
  if (policy != ConflictPolicy::kLastWriteWins || !f.extension_version) return;  // no extension: already FAILed
  if (VersionAtLeast(*f.extension_version, 1, 2)) {
    out.push_back(Pass("tombstones", f.label, fmt::format("pgduplex {} keeps them", *f.extension_version)));
  } else {
    out.push_back(Fail("tombstones", f.label,
                       fmt::format("pgduplex {} keeps no delete tombstones, which last-write-wins needs (1.2)",
                                   *f.extension_version),
                       "ALTER EXTENSION pgduplex UPDATE"));
  }
}

}  // namespace precheck
}  // namespace pgduplex
