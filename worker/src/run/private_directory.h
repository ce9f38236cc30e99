// EnsurePrivateDirectory: a directory only this process's user can enter,
// for files that hold replicated row data (the stream spool).
//
// Contract: creates `path` with mode 0700 when it does not exist (its
// parent must). An existing one must be a real directory (not a symbolic
// link), owned by the effective user, with no group or other permission
// bits: anything else throws ConfigError naming the path and what is wrong,
// since another user could read or plant the files.
#pragma once

#include <string>

namespace pgduplex {

void EnsurePrivateDirectory(const std::string& path);

// <temp dir>/pgduplex-<uid>/<name>: the default place, both levels private.
std::string DefaultPrivateDirectory(const std::string& name);

}  // namespace pgduplex
