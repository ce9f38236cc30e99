// pgduplex verify — NOT IMPLEMENTED YET (placeholder so the CLI links).
#include <iostream>

#include "commands/commands.h"

namespace pgduplex {

int CommandVerify(const VerifyOptions&) {
  std::cerr << "pgduplex verify: not implemented yet\n";
  return kExitFatal;
}

}  // namespace pgduplex
