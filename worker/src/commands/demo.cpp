// pgduplex demo — NOT IMPLEMENTED YET (placeholder so the CLI links).
#include <iostream>

#include "commands/commands.h"

namespace pgduplex {

int CommandDemo(const DemoOptions&) {
  std::cerr << "pgduplex demo: not implemented yet\n";
  return kExitFatal;
}

}  // namespace pgduplex
