// pgduplex drop — NOT IMPLEMENTED YET (placeholder so the CLI links).
#include <iostream>

#include "commands/commands.h"

namespace pgduplex {

int CommandDrop(const DropOptions&) {
  std::cerr << "pgduplex drop: not implemented yet\n";
  return kExitFatal;
}

}  // namespace pgduplex
