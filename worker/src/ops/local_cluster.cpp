#include "ops/local_cluster.h"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace pgduplex {

namespace fs = std::filesystem;

namespace {
// One line of `pg_config --FLAG`, or "" when pg_config is missing.
std::string PgConfig(const std::string& flag) {
  std::array<char, 512> buffer{};
  FILE* pipe = popen(("pg_config --" + flag + " 2>/dev/null").c_str(), "r");
  std::string out;
  if (pipe) {
    while (fgets(buffer.data(), buffer.size(), pipe)) out += buffer.data();
    pclose(pipe);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}
}  // namespace

std::string PostgresBinDir() {
  std::string out = PgConfig("bindir");
  if (out.empty() || !fs::exists(out + "/initdb")) {
    throw std::runtime_error("PostgreSQL server binaries not found (pg_config --bindir); run 'make deps'");
  }
  return out;
}

bool HasOutputPluginAllowList() {
  std::ifstream sample(PgConfig("sharedir") + "/postgresql.conf.sample");
  std::string line;
  while (std::getline(sample, line)) {
    if (line.find("output_plugin_libraries") != std::string::npos) return true;
  }
  return false;
}

int FreeLocalPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("cannot find a free local port");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

LocalCluster::LocalCluster(std::string name, std::string dir, int port)
    : name_(std::move(name)),
      dir_(std::move(dir)),
      datadir_(dir_ + "/data"),
      sockdir_(dir_ + "/socket"),
      logfile_(dir_ + "/postgres.log"),
      port_(port) {}

void LocalCluster::Run(const std::vector<std::string>& args, const std::string& step) const {
  std::vector<std::string> argv;
  if (geteuid() == 0) argv = {"runuser", "-u", "postgres", "--"};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // Quiet children: their output goes to the cluster's directory.
    std::string out = dir_ + "/" + step + ".out";
    FILE* f = fopen(out.c_str(), "a");
    if (f) {
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
    }
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
    raw.push_back(nullptr);
    execvp(raw[0], raw.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(
        fmt::format("cluster {}: {} failed; see {}/{}.out and {}", name_, step, dir_, step, logfile_));
  }
}

void LocalCluster::Create() {
  std::string bindir = PostgresBinDir();
  fs::create_directories(sockdir_);
  if (geteuid() == 0) {
    struct passwd* pw = getpwnam("postgres");
    if (!pw) throw std::runtime_error("running as root needs the 'postgres' OS user (install postgresql-15)");
    for (const auto& path : {dir_, sockdir_}) {
      if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        throw std::runtime_error(fmt::format("cannot chown {} to postgres", path));
      }
    }
    // The postgres user must be able to reach the directory.
    for (fs::path p = fs::path(dir_).parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
      fs::permissions(p, fs::perms::others_exec, fs::perm_options::add);
    }
  }
  Run({bindir + "/initdb", "-D", datadir_, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8",
       "--locale=C"},
      "initdb");
  {
    std::ofstream conf(datadir_ + "/postgresql.conf", std::ios::app);
    conf << fmt::format(
        "\n# pgduplex demo\nport = {}\nlisten_addresses = ''\nunix_socket_directories = '{}'\n"
        "wal_level = logical\nmax_replication_slots = 10\nmax_wal_senders = 10\n"
        "track_commit_timestamp = on\nfsync = off\n",
        port_, sockdir_);
    if (HasOutputPluginAllowList()) conf << "output_plugin_libraries = 'pgoutput, test_decoding, pgduplex'\n";
  }
  Run({bindir + "/pg_ctl", "-D", datadir_, "-l", logfile_, "-w", "-t", "60", "start"}, "pg_ctl-start");
  running_ = true;
}

void LocalCluster::Stop() noexcept {
  if (!running_) return;
  try {
    Run({PostgresBinDir() + "/pg_ctl", "-D", datadir_, "-w", "-t", "60", "-m", "fast", "stop"}, "pg_ctl-stop");
  } catch (const std::exception& e) {
    // Stop() runs from destructors and on the way out of a failed demo: it
    // must not throw. Say why the cluster may still be running.
    spdlog::warn("could not stop the local cluster in {}: {}", datadir_, e.what());
  } catch (...) {
    spdlog::warn("could not stop the local cluster in {}", datadir_);
  }
  running_ = false;
}

std::string LocalCluster::Conninfo(const std::string& dbname) const {
  return fmt::format("host={} port={} dbname={} user=postgres", sockdir_, port_, dbname);
}

}  // namespace pgduplex
