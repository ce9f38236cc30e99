// Included last by every core .cpp file: the core is plain C++ and must
// compile without PostgreSQL headers (the unit tests link it into an
// ordinary program, and postgres.h macros break C++ library headers).
#ifndef PGDUPLEX_CORE_NO_POSTGRES_H_
#define PGDUPLEX_CORE_NO_POSTGRES_H_

#if defined(PG_VERSION_NUM) || defined(POSTGRES_H) || defined(C_H)
#error "plugin/src/core must not include PostgreSQL headers"
#endif

#endif  // PGDUPLEX_CORE_NO_POSTGRES_H_
