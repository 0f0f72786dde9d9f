/*-------------------------------------------------------------------------
 *
 * settings.c
 *	  The migrate.* settings (GUCs), defined in one place.
 *
 * The variables live in the bottom layer so that every subsystem can read
 * them without calling up into the module's entry point.  Anything that
 * weakens a protection (migrate.strict) is PGC_SUSET.
 *
 * IDENTIFICATION
 *	  src/common/settings.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "common/common.h"

/* migrate.lock_wait: queue behind a running migrate call, or fail */
bool		migrate_lock_wait = true;

/* migrate.lock_timeout: lock_timeout of each attempt of a migration, ms */
int			migrate_lock_timeout = 0;

/* migrate.lock_retries: attempts after the first on a lock timeout */
int			migrate_lock_retries = 0;

/* migrate.environment: where this database runs, for environments => */
char	   *migrate_environment = NULL;

/* migrate.strict: DDL only inside migrations */
bool		migrate_strict = false;

/*
 * Define the migrate.* settings, then reserve the prefix so that a typo
 * such as migrate.stict is an error, not a new placeholder.
 */
void
migrate_define_settings(void)
{
	DefineCustomBoolVariable("migrate.lock_wait",
							 "Wait for the migrate lock when another session holds it.",
							 "When off, a call that would change migrations while another "
							 "session is running one fails at once, naming the process "
							 "that holds the lock.",
							 &migrate_lock_wait,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.lock_timeout",
							"Sets the lock_timeout of each attempt to run a migration.",
							"When a migration waits longer than this for a lock, its attempt "
							"is rolled back and, if migrate.lock_retries allows, retried "
							"after a backoff.  0 (the default) leaves lock_timeout as it is.",
							&migrate_lock_timeout,
							0, 0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.lock_retries",
							"Sets how many times a migration that failed to get a lock is tried again.",
							"Each retry waits first: migrate.lock_timeout (1 s when it is 0) "
							"doubled after each attempt, at most 60 s.",
							&migrate_lock_retries,
							0, 0, 1000,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	DefineCustomStringVariable("migrate.environment",
							   "The environment this database is part of, such as staging or production.",
							   "Migrations and seeds registered with environments run only where "
							   "this setting is one of them; the others are skipped. Set it per "
							   "database or role with ALTER DATABASE or ALTER ROLE ... SET.",
							   &migrate_environment,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomBoolVariable("migrate.strict",
							 "Allow DDL only inside migrations.",
							 "When on, a DDL statement run outside a migration fails "
							 "with an error that says how to apply it as a migration. "
							 "Temporary objects, extension scripts and restores by "
							 "pg_restore or psql are exempt.",
							 &migrate_strict,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("migrate");
}
