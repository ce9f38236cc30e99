// pgduplex precheck — NOT IMPLEMENTED YET (placeholder so the CLI links).
#include <iostream>

#include "commands/commands.h"

namespace pgduplex {

int CommandPrecheck(const PrecheckOptions&) {
  std::cerr << "pgduplex precheck: not implemented yet\n";
  return kExitFatal;
}

}  // namespace pgduplex
