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

/* migrate.lock_timeout: lock_timeout of each attempt of a migration, ms;
 * -1 for migrate_effective_lock_timeout()'s default */
int			migrate_lock_timeout = -1;

/* migrate.lock_retries: attempts after the first on a lock timeout */
int			migrate_lock_retries = 3;

/* migrate.environment: where this database runs, for environments => */
char	   *migrate_environment = NULL;

/* migrate.strict: DDL only inside migrations (MigrateStrictMode) */
int			migrate_strict = MIGRATE_STRICT_OFF;

/* migrate.allow_drop: DROP EXTENSION migrate may delete the history */
bool		migrate_allow_drop = false;

/*
 * Values of migrate.strict; the boolean spellings are accepted as
 * PostgreSQL accepts them for a boolean setting, but not listed.
 */
static const struct config_enum_entry strict_options[] = {
	{"off", MIGRATE_STRICT_OFF, false},
	{"warn", MIGRATE_STRICT_WARN, false},
	{"on", MIGRATE_STRICT_ON, false},
	{"false", MIGRATE_STRICT_OFF, true},
	{"true", MIGRATE_STRICT_ON, true},
	{"no", MIGRATE_STRICT_OFF, true},
	{"yes", MIGRATE_STRICT_ON, true},
	{"0", MIGRATE_STRICT_OFF, true},
	{"1", MIGRATE_STRICT_ON, true},
	{NULL, 0, false}
};

/*
 * Parse a value of migrate.strict as the setting would; false if it is
 * not one.
 */
bool
migrate_parse_strict(const char *value, int *mode)
{
	const struct config_enum_entry *entry;

	for (entry = strict_options; entry->name; entry++)
	{
		if (pg_strcasecmp(value, entry->name) == 0)
		{
			*mode = entry->val;
			return true;
		}
	}
	return false;
}

/*
 * Define the migrate.* settings.  _PG_init() reserves the prefix once
 * every subsystem has defined its own (rollout's migrate.lint_*): a
 * placeholder of a setting not defined yet when the prefix is reserved
 * (ALTER DATABASE ... SET migrate.lint_level, before the library was
 * loaded) would be removed, and its value lost.
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
							"after a backoff.  -1 (the default) is 3 s for migrations that "
							"run in the caller's transaction and none in the background "
							"worker of CALL migrate.run(); 0 leaves lock_timeout as it is.",
							&migrate_lock_timeout,
							-1, -1, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.lock_retries",
							"Sets how many times a migration that failed to get a lock is tried again.",
							"Each retry waits first: migrate.lock_timeout (1 s when it is 0) "
							"doubled after each attempt, at most 60 s.",
							&migrate_lock_retries,
							3, 0, 1000,
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

	DefineCustomBoolVariable("migrate.allow_drop",
							 "Allows DROP EXTENSION migrate while the history has rows.",
							 "Dropping the extension deletes migrate.history, the registry "
							 "and migrate.ddl_log. Off, it is refused while the history has "
							 "rows. Only a superuser changes it.",
							 &migrate_allow_drop,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomEnumVariable("migrate.strict",
							 "Allows DDL only inside migrations (on), or reports DDL outside them (warn).",
							 "on: a DDL statement run outside a migration fails with an "
							 "error that says how to apply it as a migration. warn: it runs, "
							 "with a WARNING, and is recorded as drift. Temporary objects, "
							 "extension scripts and restores by pg_restore or psql are exempt. "
							 "Only a superuser changes it; a database or role that set it "
							 "stays strict whatever a client passes at connection.",
							 &migrate_strict,
							 MIGRATE_STRICT_OFF,
							 strict_options,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
}

/*
 * The lock_timeout (ms, 0 for none) a migration's statements run with:
 * migrate.lock_timeout, or its default.  The default bounds how long a
 * migration in the caller's transaction queues every other query of a
 * table behind the lock it waits for; such an attempt is rolled back and
 * retried.  A non-transactional migration in the background worker
 * ("in_worker") gets none by default: CREATE INDEX CONCURRENTLY waits
 * for every older transaction by design, is not retried, and a timeout
 * would leave an INVALID index behind.
 */
int
migrate_effective_lock_timeout(bool in_worker)
{
	if (migrate_lock_timeout >= 0)
		return migrate_lock_timeout;
	return in_worker ? 0 : MIGRATE_DEFAULT_LOCK_TIMEOUT_MS;
}
