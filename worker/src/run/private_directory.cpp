#include "run/private_directory.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/errors.h"

namespace pgduplex {

void EnsurePrivateDirectory(const std::string& path) {
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    throw ConfigError(fmt::format("cannot create directory {}: {}", path, strerror(errno)));
  }
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    throw ConfigError(fmt::format("cannot inspect directory {}: {}", path, strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) throw ConfigError(fmt::format("{} is not a directory (a symbolic link or a file)", path));
  if (st.st_uid != geteuid()) {
    throw ConfigError(fmt::format("directory {} belongs to uid {}, not to this user (uid {})", path, st.st_uid,
                                  geteuid()));
  }
  if ((st.st_mode & 077) != 0) {
    throw ConfigError(fmt::format("directory {} is open to other users (mode {:o}): chmod 700 it", path,
                                  st.st_mode & 0777));
  }
}

std::string DefaultPrivateDirectory(const std::string& name) {
  std::filesystem::path base = std::filesystem::temp_directory_path() / fmt::format("pgduplex-{}", geteuid());
  EnsurePrivateDirectory(base.string());
  return (base / name).string();
}

}  // namespace pgduplex
