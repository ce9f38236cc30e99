#include "run/listen_address.h"

#include <fmt/format.h>

#include "common/config.h"

namespace pgduplex {

namespace {
constexpr int kMaxPort = 65535;

ConfigError Bad(const std::string& text, const std::string& why) {
  return ConfigError(fmt::format("--metrics-listen \"{}\": {}", text, why));
}
}  // namespace

ListenAddress ParseListenAddress(const std::string& text) {
  ListenAddress out;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw Bad(text, "expected HOST:PORT or [IPV6]:PORT");
    }
    out.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.find(':');
    if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos) {
      throw Bad(text, "expected HOST:PORT or [IPV6]:PORT");
    }
    out.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (out.host.empty()) throw Bad(text, "the host is empty");
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > kMaxPort) {
    throw Bad(text, fmt::format("the port must be a number from 0 to {}", kMaxPort));
  }
  out.port = std::stoi(port);
  return out;
}

ListenAddress ListenAddress::WithPortOffset(int offset) const {
  ListenAddress out = *this;
  if (port == 0) return out;
  if (port + offset > kMaxPort) {
    throw ConfigError(fmt::format("--metrics-listen \"{}\": port {} + {} is beyond {}; choose a port below {}",
                                  ToString(), port, offset, kMaxPort, kMaxPort - offset + 1));
  }
  out.port = port + offset;
  return out;
}

std::string ListenAddress::ToString() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

}  // namespace pgduplex
