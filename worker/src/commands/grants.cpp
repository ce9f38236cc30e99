// pgduplex grants [--role NAME]: prints, per cluster, the SQL a superuser
// runs so that the sync role (default: the user of each conninfo) has what
// the task needs and nothing more (ops/grant_script.h): role attributes,
// the parameter and the memberships once per cluster, the rest in the
// task's database. Reads both clusters' catalogs only (which tables, their
// owners, which schemas exist on B); changes nothing. Exit 0, or 4 when a
// cluster cannot be read.
#include <fmt/format.h>

#include <iostream>

#include "commands/commands.h"
#include "ops/grant_needs.h"
#include "ops/grant_script.h"
#include "common/message_text.h"
#include "ops/precheck_facts.h"
#include "ops/precheck_mapping.h"

namespace pgduplex {

int CommandGrants(const GrantsOptions& options) {
  TaskConfig config = LoadConfig(options.config_path);
  TableScope scope(config.sync.tables);
  ClusterFacts facts[2];
  try {
    PgConnection a = PgConnection::Connect(config.a.conninfo, "a");
    PgConnection b = PgConnection::Connect(config.b.conninfo, "b");
    GatherOptions ga;
    ga.slot_name = config.SlotName(Direction::kForward);
    facts[0] = GatherClusterFacts(a, scope, ga);
    GatherOptions gb;
    gb.slot_name = config.SlotName(Direction::kReverse);
    // B under its own names ([mapping]).
    for (const auto& t : NameFactsAsB(config.mapping, facts[0]).tables) {
      gb.probe_create.push_back({t.owner, t.name.schema});
    }
    facts[1] = GatherClusterFacts(b, TableScope(config.mapping.PatternsOnB(config.sync.tables)), gb);
  } catch (const PgError& e) {
    std::cerr << "pgduplex grants: " << OneLine(e.what()) << "\n";
    return kExitFatal;
  }
  for (int i = 0; i < 2; ++i) {
    std::string role = options.role.empty() ? facts[i].role : options.role;
    if (options.role.empty() && facts[i].superuser) {
      std::cout << (i ? "\n" : "") << fmt::format("-- cluster {}: {} is superuser: nothing to grant (--role NAME prints "
                                                 "the script for another role)\n",
                                                 facts[i].label, role);
      continue;
    }
    GrantNeeds needs = i == 1 ? NeedsOf(config, NameFactsAsB(config.mapping, facts[0]), facts[1], true, role)
                              : NeedsOf(config, facts[0], facts[1], false, role);
    std::cout << (i ? "\n" : "") << GrantScript(needs, role);
  }
  return kExitOk;
}

}  // namespace pgduplex
