// ListenAddress: the HOST:PORT of --metrics-listen, parsed in one place
// (run binds it, up derives each direction's address from it).
//
// Contract: ParseListenAddress accepts "host:port" and "[ipv6]:port" (the
// host is returned without brackets) with a port of 0..65535 (0 = any free
// port), or throws ConfigError naming the flag and the text.
// WithPortOffset(n) is the same host with port + n; port 0 stays 0; a port
// beyond 65535 throws ConfigError (it would otherwise wrap or fail late).
// ToString() gives back the "host:port" / "[ipv6]:port" form.
#pragma once

#include <string>

namespace pgduplex {

struct ListenAddress {
  std::string host;  // "127.0.0.1", "::1", "localhost"
  int port = 0;

  ListenAddress WithPortOffset(int offset) const;
  std::string ToString() const;
};

ListenAddress ParseListenAddress(const std::string& text);

}  // namespace pgduplex
