#include "run/session_options.h"

#include <fmt/format.h>

#include "common/table_options.h"
#include "common/table_scope.h"
#include "run/private_directory.h"

namespace pgduplex {

PluginOptions PluginOptionsFor(const TaskConfig& config, Direction direction) {
  bool ddl = direction == Direction::kForward && config.sync.ddl;
  PluginOptions options = {
      {"proto_version", "1"},
      {"origins", "none"},
      {"ddl", ddl ? "true" : "false"},
      {"tables", TableScope(config.mapping.PatternsOn(TaskConfig::SourceLabel(direction), config.sync.tables))
                     .PluginOption()}};
  // The reverse plugin reads B: its rules name B's tables ([mapping]).
  std::vector<TableOptions> rules = config.table_options;
  if (direction == Direction::kReverse) {
    for (auto& r : rules) r.table = config.mapping.ToB(r.table);
  }
  for (auto& rule : TableRulePluginOptions(rules, direction)) options.push_back(std::move(rule));
  return options;
}

PluginOptions WithStreaming(PluginOptions options) {
  for (auto& [name, value] : options) {
    if (name == "proto_version") value = "2";
  }
  options.emplace_back("streaming", "on");
  return options;
}

bool IsStreamingRefusal(const std::string& error) {
  return error.find("proto_version 2 is not supported") != std::string::npos ||
         error.find("unknown option \"streaming\"") != std::string::npos;
}

PluginOptions WithValueChunks(PluginOptions options, size_t chunk_size) {
  options.emplace_back("value_chunk_size", std::to_string(chunk_size));
  return options;
}

bool IsValueChunksRefusal(const std::string& error) {
  return error.find("unknown option \"value_chunk_size\"") != std::string::npos;
}

std::string SpoolDirectoryFor(const TaskConfig& config, Direction direction) {
  if (!config.sync.spool_directory.empty()) return config.sync.spool_directory;
  return DefaultPrivateDirectory(fmt::format("{}-{}", config.name, ToString(direction)));
}

ApplierOptions ApplierOptionsFor(const TaskConfig& config, Direction direction,
                                 const std::atomic<bool>* interrupt) {
  ApplierOptions options;
  options.task = config.name;
  options.direction = direction;
  options.policy = config.sync.conflict_policy;
  options.origin = config.OriginName(direction);
  options.batch_max_transactions = config.sync.batch_max_transactions;
  options.batch_max_changes = config.sync.batch_max_changes;
  options.memory = MemoryBudget::FromMb(config.sync.apply_memory_mb);
  options.max_rows_per_sec = config.sync.apply_max_rows_per_sec;
  options.max_bytes_per_sec = config.sync.apply_max_mb_per_sec * 1024 * 1024;
  options.tables = config.sync.tables;
  options.mapping = config.mapping;
  options.apply_as_table_owner = config.sync.apply_as_table_owner;
  options.tombstone_retention_hours = config.sync.tombstone_retention_hours;
  options.interrupt = interrupt;
  return options;
}

}  // namespace pgduplex
