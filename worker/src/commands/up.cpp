// pgduplex up — NOT IMPLEMENTED YET (placeholder so the CLI links).
#include <iostream>

#include "commands/commands.h"

namespace pgduplex {

int CommandUp(const UpOptions&) {
  std::cerr << "pgduplex up: not implemented yet\n";
  return kExitFatal;
}

}  // namespace pgduplex
