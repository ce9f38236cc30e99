// pgduplex up: runs both directions as supervised child processes
// (`pgduplex run --direction forward|reverse`), restarts a direction that
// crashed (RestartPolicy), stops both on SIGTERM/SIGINT, and exits non-zero
// with the reason when a direction fails for good.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <thread>

#include "commands/commands.h"
#include "run/listen_address.h"
#include "common/log.h"
#include "run/restart_policy.h"

namespace pgduplex {

namespace {

std::atomic<bool> g_stop{false};
void OnStopSignal(int) { g_stop = true; }

std::string SelfExe() {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) throw std::runtime_error("cannot find the pgduplex executable (/proc/self/exe)");
  return std::string(path, n);
}

// The metrics address of the direction `offset` (0 forward, 1 reverse):
// same host, port + offset; empty stays empty. A port beyond 65535 is a
// ConfigError (exit 2) before anything starts.
std::string OffsetListen(const std::string& listen, int offset) {
  if (listen.empty()) return listen;
  return ParseListenAddress(listen).WithPortOffset(offset).ToString();
}

struct Child {
  Direction direction;
  std::string metrics_listen;
  pid_t pid = 0;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point restart_at;
  RestartPolicy policy;
};

pid_t Spawn(const std::string& exe, const std::string& config_path, const Child& child) {
  std::vector<std::string> args = {exe, "run", "--config", config_path, "--direction", ToString(child.direction)};
  if (!child.metrics_listen.empty()) {
    args.push_back("--metrics-listen");
    args.push_back(child.metrics_listen);
  }
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_IGN);  // Ctrl-C reaches the whole group: let up decide
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

ChildExit ToChildExit(int status) {
  ChildExit exit;
  if (WIFSIGNALED(status)) {
    exit.signaled = true;
    exit.signal = WTERMSIG(status);
  } else {
    exit.code = WEXITSTATUS(status);
  }
  return exit;
}

// Sends SIGTERM to every running child and waits (SIGKILL after 60 s).
void StopAll(std::array<Child, 2>& children) {
  for (auto& c : children) {
    if (c.pid > 0) kill(c.pid, SIGTERM);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (auto& c : children) {
    while (c.pid > 0) {
      int status = 0;
      pid_t done = waitpid(c.pid, &status, WNOHANG);
      if (done == c.pid) {
        spdlog::info("direction {} stopped ({})", ToString(c.direction), RestartPolicy::Describe(ToChildExit(status)));
        c.pid = 0;
      } else if (std::chrono::steady_clock::now() > deadline) {
        spdlog::warn("direction {} did not stop within 60 s; killing it", ToString(c.direction));
        kill(c.pid, SIGKILL);
        waitpid(c.pid, &status, 0);
        c.pid = 0;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
}

}  // namespace

int CommandUp(const UpOptions& options) {
  TaskConfig config = LoadConfig(options.config_path);
  InitLogging(config.name);
  const std::string exe = SelfExe();

  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  std::array<Child, 2> children = {Child{Direction::kForward, OffsetListen(options.metrics_listen, 0)},
                                   Child{Direction::kReverse, OffsetListen(options.metrics_listen, 1)}};
  auto now = std::chrono::steady_clock::now();
  for (auto& c : children) c.restart_at = now;
  spdlog::info("starting both directions of task {}", config.name);

  while (!g_stop) {
    now = std::chrono::steady_clock::now();
    for (auto& c : children) {
      if (c.pid == 0 && now >= c.restart_at) {
        c.pid = Spawn(exe, options.config_path, c);
        c.started = now;
        spdlog::info("direction {} started (pid {})", ToString(c.direction), c.pid);
      }
    }
    int status = 0;
    pid_t done = waitpid(-1, &status, WNOHANG);
    if (done <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    for (auto& c : children) {
      if (c.pid != done) continue;
      c.pid = 0;
      ChildExit exit = ToChildExit(status);
      if (RestartPolicy::Decide(exit) == RestartDecision::kGiveUp) {
        spdlog::error("direction {} {}; stopping the task (see its log lines above)", ToString(c.direction),
                      RestartPolicy::Describe(exit));
        StopAll(children);
        return exit.code;
      }
      auto delay = c.policy.NextBackoff(std::chrono::steady_clock::now() - c.started);
      spdlog::warn("direction {} {}; restarting in {} s", ToString(c.direction), RestartPolicy::Describe(exit),
                   delay.count());
      c.restart_at = std::chrono::steady_clock::now() + delay;
    }
  }
  spdlog::info("stop requested; stopping both directions");
  StopAll(children);
  return kExitOk;
}

}  // namespace pgduplex
