// pgduplex precheck [--fix]: reads both clusters, judges what it found
// (ops/precheck_rules.h) and prints one table of PASS / WARN / FAIL with the
// fix for each. Exit 0 when nothing FAILs, 1 otherwise. --fix changes
// that only an owner can make, and the connected role cannot make as that
// owner, are printed ("not fixed on a: only role ... can run: ...") and make
// the exit 1 too.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "commands/commands.h"
#include "common/conninfo.h"
#include "ops/check_table.h"
#include "ops/grant_needs.h"
#include "common/message_text.h"
#include "ops/precheck_facts.h"
#include "ops/precheck_mapping.h"
#include "ops/precheck_rules.h"
#include "ops/row_filter_checks.h"

namespace pgduplex {

namespace {

std::unique_ptr<PgConnection> TryConnect(const std::string& conninfo, const std::string& label, ClusterFacts& facts) {
  facts.label = label;
  try {
    return std::make_unique<PgConnection>(PgConnection::Connect(conninfo, label));
  } catch (const PgError& e) {
    facts.connected = false;
    facts.connect_error = OneLine(e.what());
    return nullptr;
  }
}

bool NeedsFullIdentity(ConflictPolicy policy) {
  return policy == ConflictPolicy::kOverwrite || policy == ConflictPolicy::kLastWriteWins;
}

}  // namespace

int CommandPrecheck(const PrecheckOptions& options) {
  TaskConfig config = LoadConfig(options.config_path);
  TableScope scope(config.sync.tables);
  PrecheckInput input;
  input.config = &config;
  auto a = TryConnect(config.a.conninfo, "a", input.a);
  auto b = TryConnect(config.b.conninfo, "b", input.b);
  // Catalog reads only, unless --fix (whose ALTER TABLE may wait on a lock):
  // a server that stops answering is reported, not waited on forever.
  if (!options.fix) {
    for (PgConnection* conn : {a.get(), b.get()}) {
      if (conn) conn->BoundQueries(config.retry.receive_timeout_sec);
    }
  }

  std::vector<RowFilterFacts> row_filters;
  GatherOptions gather;
  gather.fix_replica_identity = options.fix && NeedsFullIdentity(config.sync.conflict_policy);
  gather.fix_extension = options.fix;
  std::vector<CheckResult> mapping_results;
  try {
    std::vector<TableName> a_tables;
    if (a) {
      gather.slot_name = config.SlotName(Direction::kForward);
      input.a = GatherClusterFacts(*a, scope, gather);
      for (const auto& t : input.a.tables) a_tables.push_back(t.name);
    }
    if (b) {
      GatherOptions gb = gather;
      gb.slot_name = config.SlotName(Direction::kReverse);
      // B under its own names ([mapping]); the rules below read it under A's.
      ClusterFacts a_as_b = NameFactsAsB(config.mapping, input.a);
      if (config.sync.initial != InitialSync::kNone) {
        for (const auto& t : a_as_b.tables) gb.probe_rows.push_back(t.name);
      }
      for (const auto& t : a_as_b.tables) gb.probe_create.push_back({t.owner, t.name.schema});
      input.b = GatherClusterFacts(*b, TableScope(config.mapping.PatternsOnB(config.sync.tables)), gb);
      CheckGrants(*b, RequiredGrants(NeedsOf(config, a_as_b, input.b, true, input.b.role)), input.b);
      mapping_results = MappingChecks(config, input.a, input.b);
      NameFactsAsA(config.mapping, input.b);
    }
    // Each right the role needs, checked on its own (grant_script.h).
    if (a) CheckGrants(*a, RequiredGrants(NeedsOf(config, input.a, input.b, false, input.a.role)), input.a);
    if (a) input.sequences = GatherSequenceFacts(*a, b.get(), a_tables);
    if (a) row_filters = GatherRowFilterFacts(*a, config, Direction::kForward);
    if (b) {
      for (auto& f : GatherRowFilterFacts(*b, config, Direction::kReverse)) row_filters.push_back(std::move(f));
    }
  } catch (const PgError& e) {
    std::cerr << "pgduplex precheck: " << OneLine(e.what()) << "\n";
    return kExitFatal;
  }

  std::vector<CheckResult> results = EvaluatePrecheck(input);
  for (auto& r : RowFilterChecks(row_filters)) results.push_back(std::move(r));
  results.insert(results.end(), mapping_results.begin(), mapping_results.end());
  std::cout << FormatCheckTable(results);
  for (const ClusterFacts* f : {&input.a, &input.b}) {
    for (const auto& change : f->fixed) std::cout << fmt::format("fixed on {}: {}\n", f->label, change);
  }
  // --fix asked for a change it could not make: say who can, and fail.
  size_t not_fixed = 0;
  for (const ClusterFacts* f : {&input.a, &input.b}) {
    for (const auto& line : f->not_fixed) std::cout << fmt::format("not fixed on {}: {}\n", f->label, line);
    not_fixed += f->not_fixed.size();
  }
  if (not_fixed > 0) return kExitFound;
  return PrecheckExitCode(results);
}

}  // namespace pgduplex
