// pgduplex: two-way synchronization between two PostgreSQL clusters.
// Command-line front end: parses arguments and dispatches to commands/.
#include <CLI/CLI.hpp>

#include <iostream>

#include "commands/commands.h"
#include "common/conninfo.h"

using namespace pgduplex;

int main(int argc, char** argv) {
  CLI::App app{"pgduplex: two-way synchronization between two PostgreSQL clusters"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("pgduplex 1.0"));

  RunOptions run;
  std::string direction;
  auto* run_cmd = app.add_subcommand("run", "stream changes one way and apply them, until SIGTERM");
  run_cmd->add_option("--config", run.config_path, "task config (TOML)")->required();
  run_cmd->add_option("--direction", direction, "forward (A to B) or reverse (B to A)")
      ->required()
      ->check(CLI::IsMember({"forward", "reverse"}));
  run_cmd->add_option("--metrics-listen", run.metrics_listen, "serve Prometheus metrics on HOST:PORT");

  UpOptions up;
  auto* up_cmd = app.add_subcommand("up", "run both directions as supervised child processes");
  up_cmd->add_option("--config", up.config_path, "task config (TOML)")->required();
  up_cmd->add_option("--metrics-listen", up.metrics_listen,
                     "HOST:PORT or [IPV6]:PORT for the forward direction's metrics; reverse uses PORT+1 "
                     "(so PORT must be below 65535; 0 = a free port for each)");

  PrecheckOptions precheck;
  auto* precheck_cmd = app.add_subcommand("precheck", "check both clusters before starting");
  precheck_cmd->add_option("--config", precheck.config_path, "task config (TOML)")->required();
  precheck_cmd->add_flag("--fix", precheck.fix, "apply the fixes that are safe to apply");

  GrantsOptions grants;
  auto* grants_cmd = app.add_subcommand("grants", "print the SQL giving the sync role what it needs, per cluster");
  grants_cmd->add_option("--config", grants.config_path, "task config (TOML)")->required();
  grants_cmd->add_option("--role", grants.role, "the sync role (default: the user in each conninfo)");

  VerifyOptions verify;
  auto* verify_cmd = app.add_subcommand("verify", "compare the data of A and B");
  verify_cmd->add_option("--config", verify.config_path, "task config (TOML)")->required();
  verify_cmd->add_flag("--repair", verify.repair, "make B match A for the differing keys");
  verify_cmd->add_option("--table", verify.tables, "only this table (schema.table); repeatable");
  verify_cmd->add_option("--max-keys", verify.max_keys_shown, "differing keys shown per table");

  StatusOptions status;
  auto* status_cmd = app.add_subcommand("status", "state, lag and conflicts per direction");
  status_cmd->add_option("--config", status.config_path, "task config (TOML)")->required();
  status_cmd->add_flag("--json", status.json, "machine-readable output");

  DropOptions drop;
  auto* drop_cmd = app.add_subcommand("drop", "drop the task's slots, origins and state on both clusters");
  drop_cmd->add_option("--config", drop.config_path, "task config (TOML)")->required();
  drop_cmd->add_flag("--force", drop.force, "skip a cluster that cannot be reached");

  SequencesOptions sequences;
  auto* sequences_cmd = app.add_subcommand("sequences", "print or apply sequence moves for switchover");
  sequences_cmd->add_option("--config", sequences.config_path, "task config (TOML)")->required();
  sequences_cmd->add_flag("--apply", sequences.apply, "run the setval statements on B");
  sequences_cmd->add_flag("--interleave", sequences.interleave,
                          "give A and B non-colliding sequences (A odd, B even)");

  DemoOptions demo;
  auto* demo_cmd = app.add_subcommand("demo", "two throwaway local clusters with two-way sync live");
  demo_cmd->add_option("--duration", demo.duration_sec, "seconds to run; 0 = until Ctrl-C");
  demo_cmd->add_option("--workdir", demo.workdir, "where the clusters live (default: a temp dir)");
  demo_cmd->add_flag("--keep", demo.keep, "keep the clusters after the demo");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  try {
    if (*run_cmd) {
      run.direction = ParseDirection(direction);
      return CommandRun(run);
    }
    if (*up_cmd) return CommandUp(up);
    if (*precheck_cmd) return CommandPrecheck(precheck);
    if (*grants_cmd) return CommandGrants(grants);
    if (*verify_cmd) return CommandVerify(verify);
    if (*status_cmd) return CommandStatus(status);
    if (*drop_cmd) return CommandDrop(drop);
    if (*sequences_cmd) return CommandSequences(sequences);
    if (*demo_cmd) return CommandDemo(demo);
  } catch (const ConfigError& e) {
    std::cerr << "pgduplex: " << RedactSecrets(e.what()) << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "pgduplex: " << RedactSecrets(e.what()) << "\n";
    return kExitFatal;
  }
  return kExitUsage;
}
