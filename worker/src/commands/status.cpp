// pgduplex status — NOT IMPLEMENTED YET (placeholder so the CLI links).
#include <iostream>

#include "commands/commands.h"

namespace pgduplex {

int CommandStatus(const StatusOptions&) {
  std::cerr << "pgduplex status: not implemented yet\n";
  return kExitFatal;
}

}  // namespace pgduplex
