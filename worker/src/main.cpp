// pgduplex: two-way synchronization between two PostgreSQL clusters.
// Command-line front end: parses arguments and dispatches to commands/.
// One function per subcommand declares its options (CLI11).
#include <CLI/CLI.hpp>

#include <iostream>

#include "commands/commands.h"
#include "common/conninfo.h"

using namespace pgduplex;

namespace {

// The option structs the subcommands fill, one per subcommand.
struct Options {
  RunOptions run;
  std::string direction;  // run --direction, parsed after CLI11
  UpOptions up;
  PrecheckOptions precheck;
  GrantsOptions grants;
  VerifyOptions verify;
  StatusOptions status;
  DropOptions drop;
  SequencesOptions sequences;
  DemoOptions demo;
};

void AddConfigOption(CLI::App* cmd, std::string& path) {
  cmd->add_option("--config", path, "task config (TOML)")->required();
}

CLI::App* AddRun(CLI::App& app, Options& o) {
  auto* cmd = app.add_subcommand("run", "stream changes one way and apply them, until SIGTERM");
  AddConfigOption(cmd, o.run.config_path);
  cmd->add_option("--direction", o.direction, "forward (A to B) or reverse (B to A)")
      ->required()
      ->check(CLI::IsMember({"forward", "reverse"}));
  cmd->add_option("--metrics-listen", o.run.metrics_listen, "serve Prometheus metrics on HOST:PORT");
  return cmd;
}

CLI::App* AddUp(CLI::App& app, UpOptions& up) {
  auto* cmd = app.add_subcommand("up", "run both directions as supervised child processes");
  AddConfigOption(cmd, up.config_path);
  cmd->add_option("--metrics-listen", up.metrics_listen,
                  "HOST:PORT or [IPV6]:PORT for the forward direction's metrics; reverse uses PORT+1 "
                  "(so PORT must be below 65535; 0 = a free port for each)");
  return cmd;
}

CLI::App* AddPrecheck(CLI::App& app, PrecheckOptions& precheck) {
  auto* cmd = app.add_subcommand("precheck", "check both clusters before starting");
  AddConfigOption(cmd, precheck.config_path);
  cmd->add_flag("--fix", precheck.fix, "apply the fixes that are safe to apply");
  return cmd;
}

CLI::App* AddGrants(CLI::App& app, GrantsOptions& grants) {
  auto* cmd = app.add_subcommand("grants", "print the SQL giving the sync role what it needs, per cluster");
  AddConfigOption(cmd, grants.config_path);
  cmd->add_option("--role", grants.role, "the sync role (default: the user in each conninfo)");
  return cmd;
}

CLI::App* AddVerify(CLI::App& app, VerifyOptions& verify) {
  auto* cmd = app.add_subcommand("verify", "compare the data of A and B");
  AddConfigOption(cmd, verify.config_path);
  cmd->add_flag("--repair", verify.repair, "make B match A for the differing keys");
  cmd->add_option("--table", verify.tables, "only this table (schema.table); repeatable");
  cmd->add_option("--max-keys", verify.max_keys_shown, "differing keys shown per table");
  return cmd;
}

CLI::App* AddStatus(CLI::App& app, StatusOptions& status) {
  auto* cmd = app.add_subcommand("status", "state, lag and conflicts per direction");
  AddConfigOption(cmd, status.config_path);
  auto* json = cmd->add_flag("--json", status.json, "machine-readable output");
  cmd->add_flag("--check", status.check,
                "print one line per problem (thresholds: the config's [alerts]) and exit 1, or OK and exit 0")
      ->excludes(json);
  return cmd;
}

CLI::App* AddDrop(CLI::App& app, DropOptions& drop) {
  auto* cmd = app.add_subcommand("drop", "drop the task's slots, origins and state on both clusters");
  AddConfigOption(cmd, drop.config_path);
  cmd->add_flag("--force", drop.force, "skip a cluster that cannot be reached");
  return cmd;
}

CLI::App* AddSequences(CLI::App& app, SequencesOptions& sequences) {
  auto* cmd = app.add_subcommand("sequences", "print or apply sequence moves for switchover");
  AddConfigOption(cmd, sequences.config_path);
  cmd->add_flag("--apply", sequences.apply, "run the setval statements on B");
  cmd->add_flag("--interleave", sequences.interleave, "give A and B non-colliding sequences (A odd, B even)");
  return cmd;
}

CLI::App* AddDemo(CLI::App& app, DemoOptions& demo) {
  auto* cmd = app.add_subcommand("demo", "two throwaway local clusters with two-way sync live");
  cmd->add_option("--duration", demo.duration_sec, "seconds to run; 0 = until Ctrl-C");
  cmd->add_option("--workdir", demo.workdir, "where the clusters live (default: a temp dir)");
  cmd->add_flag("--keep", demo.keep, "keep the clusters after the demo");
  return cmd;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pgduplex: two-way synchronization between two PostgreSQL clusters"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("pgduplex 1.0"));

  Options o;
  auto* run_cmd = AddRun(app, o);
  auto* up_cmd = AddUp(app, o.up);
  auto* precheck_cmd = AddPrecheck(app, o.precheck);
  auto* grants_cmd = AddGrants(app, o.grants);
  auto* verify_cmd = AddVerify(app, o.verify);
  auto* status_cmd = AddStatus(app, o.status);
  auto* drop_cmd = AddDrop(app, o.drop);
  auto* sequences_cmd = AddSequences(app, o.sequences);
  auto* demo_cmd = AddDemo(app, o.demo);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  try {
    if (*run_cmd) {
      o.run.direction = ParseDirection(o.direction);
      return CommandRun(o.run);
    }
    if (*up_cmd) return CommandUp(o.up);
    if (*precheck_cmd) return CommandPrecheck(o.precheck);
    if (*grants_cmd) return CommandGrants(o.grants);
    if (*verify_cmd) return CommandVerify(o.verify);
    if (*status_cmd) return CommandStatus(o.status);
    if (*drop_cmd) return CommandDrop(o.drop);
    if (*sequences_cmd) return CommandSequences(o.sequences);
    if (*demo_cmd) return CommandDemo(o.demo);
  } catch (const ConfigError& e) {
    std::cerr << "pgduplex: " << RedactSecrets(e.what()) << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "pgduplex: " << RedactSecrets(e.what()) << "\n";
    return kExitFatal;
  }
  return kExitUsage;
}
