// LocalCluster: a throwaway PostgreSQL instance in a directory, for
// `pgduplex demo`. Runs initdb/pg_ctl from `pg_config --bindir`, as the
// postgres OS user when we are root (initdb and postgres refuse root).
// Listens on a unix socket in its own directory and nowhere else.
//
// Contract: Create() initializes and starts it or throws std::runtime_error
// naming the step and pointing at the log; Stop() is idempotent and never
// throws; the destructor does not stop the cluster (the demo decides).
#pragma once

#include <string>
#include <vector>

namespace pgduplex {

class LocalCluster {
 public:
  LocalCluster(std::string name, std::string dir, int port);
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  void Create();  // initdb + configure for logical replication + start
  void Stop() noexcept;
  std::string Conninfo(const std::string& dbname) const;
  const std::string& name() const { return name_; }

 private:
  void Run(const std::vector<std::string>& argv, const std::string& step) const;

  std::string name_;
  std::string dir_;
  std::string datadir_;
  std::string sockdir_;
  std::string logfile_;
  int port_;
  bool running_ = false;
};

// The PostgreSQL bin directory (pg_config --bindir), or throws.
std::string PostgresBinDir();
// Debian's PostgreSQL 15.20 update only loads output plugins listed in
// output_plugin_libraries; true when this server has that setting.
bool HasOutputPluginAllowList();
// A TCP port on 127.0.0.1 nobody listens on right now.
int FreeLocalPort();

}  // namespace pgduplex
