// pgduplex run — NOT IMPLEMENTED YET (placeholder so the CLI links).
#include <iostream>

#include "commands/commands.h"

namespace pgduplex {

int CommandRun(const RunOptions&) {
  std::cerr << "pgduplex run: not implemented yet\n";
  return kExitFatal;
}

}  // namespace pgduplex
