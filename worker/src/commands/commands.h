// The pgduplex subcommands. main.cpp parses the command line (CLI11) into
// these option structs and calls one function; each function lives in its own
// file under commands/ and returns the process exit code.
//
// Exit codes: see exit_codes.h.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/exit_codes.h"

namespace pgduplex {

struct RunOptions {
  std::string config_path;
  Direction direction = Direction::kForward;
  std::string metrics_listen;  // host:port, empty = off
};
int CommandRun(const RunOptions& options);

struct UpOptions {
  std::string config_path;
  std::string metrics_listen;  // first port for forward, +1 for reverse
};
int CommandUp(const UpOptions& options);

struct PrecheckOptions {
  std::string config_path;
  bool fix = false;
};
int CommandPrecheck(const PrecheckOptions& options);

struct GrantsOptions {
  std::string config_path;
  std::string role;  // empty = the user each conninfo connects as
};
int CommandGrants(const GrantsOptions& options);

struct VerifyOptions {
  std::string config_path;
  bool repair = false;
  std::vector<std::string> tables;  // empty = every table in scope
  int max_keys_shown = 20;
};
int CommandVerify(const VerifyOptions& options);

struct StatusOptions {
  std::string config_path;
  bool json = false;
  bool check = false;  // one line per problem against [alerts]; exit 1 if any
};
int CommandStatus(const StatusOptions& options);

struct DropOptions {
  std::string config_path;
  bool force = false;
};
int CommandDrop(const DropOptions& options);

struct SequencesOptions {
  std::string config_path;
  bool apply = false;
  bool interleave = false;
};
int CommandSequences(const SequencesOptions& options);

struct DemoOptions {
  int duration_sec = 0;  // 0 = until Ctrl-C
  std::string workdir;   // empty = a fresh temporary directory
  bool keep = false;     // leave the clusters behind
};
int CommandDemo(const DemoOptions& options);

}  // namespace pgduplex
