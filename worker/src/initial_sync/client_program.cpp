#include "initial_sync/client_program.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/conninfo.h"

extern char** environ;

namespace pgduplex {

namespace {

bool Executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

// The descriptor number a client program finds its service file on.
constexpr int kServiceFd = 3;

// A service file that never exists on disk: an anonymous memory file
// (memfd_create), or where that is not available an unlinked temporary
// file, readable only through this descriptor and the child's inherited
// copy of it. However either process ends (kill -9 included), the kernel
// frees it with the last descriptor; nothing is left to find.
class ServiceFile {
 public:
  ServiceFile() {
    fd_ = memfd_create("pgduplex-service", MFD_CLOEXEC);
    if (fd_ < 0) {
      const char* dir = getenv("TMPDIR");
      std::string path = std::string(dir && *dir ? dir : "/tmp") + "/pgduplex-XXXXXX";
      fd_ = mkostemp(path.data(), O_CLOEXEC);
      if (fd_ < 0) throw ClientProgramError(fmt::format("cannot create a temporary file: {}", strerror(errno)));
      unlink(path.c_str());
    }
    fchmod(fd_, 0600);
    if (fd_ == kServiceFd) {  // keep it off the number the child sees it on
      int moved = fcntl(fd_, F_DUPFD_CLOEXEC, kServiceFd + 1);
      close(fd_);
      fd_ = moved;
      if (fd_ < 0) throw ClientProgramError(fmt::format("cannot duplicate a descriptor: {}", strerror(errno)));
    }
  }
  ~ServiceFile() { close(fd_); }
  ServiceFile(const ServiceFile&) = delete;
  ServiceFile& operator=(const ServiceFile&) = delete;
  void Write(const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
      ssize_t n = write(fd_, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw ClientProgramError(fmt::format("cannot write the service file: {}", strerror(errno)));
      done += static_cast<size_t>(n);
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

std::string ServiceFileText(const PgConnection& conn) {
  PQconninfoOption* options = PQconninfo(conn.get());
  if (!options) throw ClientProgramError("out of memory reading connection parameters");
  std::string text = "[pgduplex]\n";
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    std::string keyword = o->keyword;
    if (keyword == "replication" || keyword == "service") continue;
    std::string value = o->val;
    if (value.find('\n') != std::string::npos || value.find('\r') != std::string::npos) {
      PQconninfoFree(options);
      throw ClientProgramError(fmt::format("connection parameter {} contains a line break", keyword));
    }
    text += keyword + "=" + value + "\n";
  }
  PQconninfoFree(options);
  return text;
}

// pass_fd >= 0 is given to the child as descriptor kServiceFd.
std::string Execute(const std::string& path, const std::vector<std::string>& args,
                    const std::vector<std::string>& extra_env, int pass_fd = -1) {
  std::vector<std::string> argv_storage = {path};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    std::string key = entry.substr(0, entry.find('='));
    // Our own settings win; a service name or password from the
    // environment must not redirect or leak into the child.
    if (key == "PGSERVICEFILE" || key == "PGSERVICE" || key == "PGPASSWORD") continue;
    bool overridden = false;
    for (const auto& x : extra_env) overridden = overridden || x.substr(0, x.find('=')) == key;
    if (!overridden) env_storage.push_back(entry);
  }
  env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw ClientProgramError(fmt::format("cannot create a pipe: {}", strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (pass_fd >= 0) posix_spawn_file_actions_adddup2(&actions, pass_fd, kServiceFd);
  pid_t pid;
  int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw ClientProgramError(fmt::format("cannot run {}: {}", path, strerror(rc)));
  }

  std::string out, err;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? out : err).append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    std::string name = path.substr(path.rfind('/') + 1);
    throw ClientProgramError(fmt::format("{} failed ({}): {}", name,
                                         WIFEXITED(status) ? fmt::format("exit code {}", WEXITSTATUS(status))
                                                           : fmt::format("signal {}", WTERMSIG(status)),
                                         RedactSecrets(err)));
  }
  return out;
}

}  // namespace

std::string FindClientProgram(const std::string& program, int server_version) {
  if (const char* dir = getenv("PGDUPLEX_PG_BINDIR"); dir && *dir) {
    std::string path = std::string(dir) + "/" + program;
    if (!Executable(path)) throw ClientProgramError(fmt::format("{} not found in PGDUPLEX_PG_BINDIR ({})", program, dir));
    return path;
  }
  std::string debian = fmt::format("/usr/lib/postgresql/{}/bin/{}", server_version / 10000, program);
  if (Executable(debian)) return debian;
  const char* path_env = getenv("PATH");
  std::string paths = path_env ? path_env : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= paths.size()) {
    size_t end = paths.find(':', start);
    if (end == std::string::npos) end = paths.size();
    std::string candidate = paths.substr(start, end - start) + "/" + program;
    if (end > start && Executable(candidate)) return candidate;
    start = end + 1;
  }
  throw ClientProgramError(fmt::format(
      "{} not found (looked in /usr/lib/postgresql/{}/bin and PATH; set PGDUPLEX_PG_BINDIR)", program,
      server_version / 10000));
}

std::string RunClientProgram(const PgConnection& conn, const std::string& program,
                             const std::vector<std::string>& args) {
  ServiceFile service;
  service.Write(ServiceFileText(conn));
  std::vector<std::string> full = {"-d", "service=pgduplex"};
  full.insert(full.end(), args.begin(), args.end());
  return Execute(FindClientProgram(program, conn.server_version()), full,
                 {fmt::format("PGSERVICEFILE=/dev/fd/{}", kServiceFd)}, service.fd());
}

std::string RunProgram(const std::string& path, const std::vector<std::string>& args,
                       const std::vector<std::string>& extra_env) {
  return Execute(path, args, extra_env);
}

}  // namespace pgduplex
