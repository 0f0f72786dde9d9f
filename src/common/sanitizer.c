/*-------------------------------------------------------------------------
 *
 * sanitizer.c
 *	  Options of the AddressSanitizer build (make SANITIZE=1).
 *
 * PostgreSQL's executables are not built with the sanitizer: its runtime
 * comes in with migrate.so, so ASan must not insist on being first in the
 * list of loaded libraries, and the allocations PostgreSQL keeps until
 * exit on purpose are not leaks.  A report aborts, so that a test fails.
 * LD_PRELOAD of the runtime is no way out on these machines: it hangs
 * every PostgreSQL binary in a constructor.
 *
 * IDENTIFICATION
 *	  src/common/sanitizer.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#ifdef MIGRATE_SANITIZE

PGDLLEXPORT const char *__asan_default_options(void);
PGDLLEXPORT const char *__ubsan_default_options(void);

const char *
__asan_default_options(void)
{
	return "verify_asan_link_order=0:detect_leaks=0:abort_on_error=1:"
		"print_stacktrace=1:detect_odr_violation=0";
}

const char *
__ubsan_default_options(void)
{
	return "print_stacktrace=1:halt_on_error=1";
}

#endif							/* MIGRATE_SANITIZE */
