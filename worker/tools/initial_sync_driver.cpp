// initial-sync-driver: runs the initial copy engine alone, for its
// integration tests and the bench/initial fallback, with a snapshot the
// caller exported and keeps alive (no slot, no stream).
//
//   initial-sync-driver --config F --snapshot NAME --lsn LSN [--prepare-only]
//
// Exit codes: 0 done, 1 InitialSyncError (operator must fix), 4 other error.
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <string>

#include "common/config.h"
#include "initial_sync/initial_sync.h"
#include "common/log.h"

using namespace pgduplex;

int main(int argc, char** argv) {
  std::string config_path, snapshot, lsn;
  bool prepare_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << arg << " needs a value\n";
        exit(2);
      }
      return argv[++i];
    };
    if (arg == "--config") {
      config_path = value();
    } else if (arg == "--snapshot") {
      snapshot = value();
    } else if (arg == "--lsn") {
      lsn = value();
    } else if (arg == "--prepare-only") {
      prepare_only = true;
    } else {
      std::cerr << "unknown argument " << arg << "\n";
      return 2;
    }
  }
  if (config_path.empty() || (!prepare_only && (snapshot.empty() || lsn.empty()))) {
    std::cerr << "usage: initial-sync-driver --config F --snapshot NAME --lsn LSN [--prepare-only]\n";
    return 2;
  }
  try {
    TaskConfig config = LoadConfig(config_path);
    InitLogging(config.name + "/forward");
    initial_sync::InitialSync::Prepare(config);
    if (prepare_only) return 0;
    initial_sync::Options options;
    options.terminal = isatty(STDERR_FILENO);
    initial_sync::InitialSync(config, snapshot, lsn, options).Run();
    return 0;
  } catch (const initial_sync::InitialSyncError& e) {
    spdlog::error("{}", e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 4;
  }
}
