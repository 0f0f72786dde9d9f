/*-------------------------------------------------------------------------
 *
 * seed.c
 *	  Seeds: data scripts that run once, tracked like migrations.
 *
 * A seed is a named SQL script (reference data, a demo tenant, fixtures)
 * registered with migrate.add_seed() and run by migrate.seed().  A seed
 * runs once; a repeatable seed runs again whenever its text changes.
 * Every run is recorded in migrate.seed_runs (when, who, checksum, the
 * text that ran), and the view migrate.seed_status says for each seed
 * whether it ran, is pending, changed (repeatable, will run again) or is
 * skipped in this environment (environment.c).
 *
 * Seeds run in name order (migrate's natural order), each in a
 * subtransaction of its own inside the caller's transaction, with the
 * caller's privileges and search_path, like migrations.  A seed that
 * fails stops the call with an error that names it, and the caller's
 * transaction rolls back every seed the call ran.
 *
 * A seed that ran is history, as an applied migration is: new text for a
 * non-repeatable seed that ran is refused.
 *
 * files/export.c writes seeds out as files (export_seed(), export_all()
 * with seeds => true); it uses the name checks and the refusal of an
 * unknown seed defined here.
 *
 * IDENTIFICATION
 *	  src/engine/seed.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "engine/engine.h"

PG_FUNCTION_INFO_V1(migrate_add_seed);
PG_FUNCTION_INFO_V1(migrate_seed);

static MigrateQuery seed_registered_query = {
	.sql =
		"SELECT s.checksum, s.repeatable,"
		"       s.environments IS NOT DISTINCT FROM $2,"
		"       (SELECT r.checksum FROM migrate.seed_runs r"
		"         WHERE r.name OPERATOR(pg_catalog.=) s.name"
		"         ORDER BY r.id DESC LIMIT 1)"
		"  FROM migrate.seeds s WHERE s.name OPERATOR(pg_catalog.=) $1",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTARRAYOID}
};

static MigrateQuery seed_upsert_query = {
	.sql =
		"INSERT INTO migrate.seeds (name, sql, repeatable, environments, added_by)"
		" VALUES ($1, $2, $3, $4, $5)"
		" ON CONFLICT (name) DO UPDATE"
		"   SET sql = excluded.sql, repeatable = excluded.repeatable,"
		"       environments = excluded.environments,"
		"       added_by = excluded.added_by, added_at = pg_catalog.now()",
	.nargs = 5,
	.argtypes = {TEXTOID, TEXTOID, BOOLOID, TEXTARRAYOID, NAMEOID}
};

static MigrateQuery seeds_to_run_query = {
	.sql =
		"SELECT s.name, s.sql, s.checksum"
		"  FROM migrate.seeds s"
		"  LEFT JOIN LATERAL (SELECT r.checksum FROM migrate.seed_runs r"
		"                      WHERE r.name OPERATOR(pg_catalog.=) s.name"
		"                      ORDER BY r.id DESC LIMIT 1) r ON true"
		" WHERE (r.checksum IS NULL"
		"        OR (s.repeatable AND r.checksum OPERATOR(pg_catalog.<>) s.checksum))"
		"   AND (s.environments IS NULL"
		"        OR COALESCE(pg_catalog.current_setting('migrate.environment', true), '')"
		"           OPERATOR(pg_catalog.=) ANY (s.environments))"
		" ORDER BY s.sort_key, s.name",
	.nargs = 0
};

static MigrateQuery record_seed_run_query = {
	.sql =
		"INSERT INTO migrate.seed_runs (name, checksum, sql, statements,"
		"       ran_at, duration, ran_by, environment)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7,"
		"         NULLIF(pg_catalog.current_setting('migrate.environment', true), ''))",
	.nargs = 7,
	.argtypes = {TEXTOID, TEXTOID, TEXTOID, INT4OID, TIMESTAMPTZOID, INTERVALOID, NAMEOID}
};

/*
 * Every registered seed, in migrate's order, with whether it sorts
 * before $1: for migrate_nearest_names().
 */
static MigrateQuery seed_names_query = {
	.sql =
		"SELECT s.name, s.sort_key OPERATOR(pg_catalog.<) migrate.version_key($1)"
		"  FROM migrate.seeds s ORDER BY s.sort_key, s.name",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

/*
 * One seed to run, and what its run did.
 */
typedef struct SeedRun
{
	char	   *name;
	char	   *sql;
	char	   *checksum;
	TimestampTz started;
	int64		duration_us;
	int			statements;
} SeedRun;

/*
 * Raise an error unless "name" is a well-formed seed name: the same rule
 * as versions, so that seeds sort in natural order too.
 */
void
migrate_check_seed_name(const char *name)
{
	const char *p;

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("seed name must not be NULL"),
				 errhint("Name the seed, for example '01_countries'; seeds run in name order.")));
	for (p = name; *p; p++)
		if (!(isalnum((unsigned char) *p) || *p == '.' || *p == '_' || *p == '-'))
			break;
	if (*p != '\0' || p == name || p - name > MIGRATE_VERSION_MAXLEN ||
		!isalnum((unsigned char) name[0]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid seed name \"%s\"", name),
				 errdetail("A seed name is 1 to %d letters, digits, dots, underscores or hyphens, starting with a letter or a digit.",
						   MIGRATE_VERSION_MAXLEN),
				 errhint("Use a name such as '01_countries'; seeds run in natural name order.")));
}

/*
 * The detail of an error about an unknown seed: the seeds next to it in
 * name order.  For use inside ereport().
 */
static int
errdetail_nearest_seeds(const MigrateNearest *nearest)
{
	if (nearest->before && nearest->after)
		return errdetail("The registered seeds nearest to it in name order are \"%s\" and \"%s\".",
						 nearest->before, nearest->after);
	if (nearest->before)
		return errdetail("The last registered seed in name order is \"%s\".",
						 nearest->before);
	if (nearest->after)
		return errdetail("The first registered seed in name order is \"%s\".",
						 nearest->after);
	return errdetail("No seed is registered.");
}

/*
 * The hint of an error about an unknown seed: the seeds a typo away from
 * it, or where to look.  For use inside ereport().
 */
static int
errhint_nearest_seeds(const MigrateNearest *nearest)
{
	if (nearest->ntypos > 0)
		return errhint_plural("Perhaps you meant seed %s.",
							  "Perhaps you meant one of seeds %s.",
							  nearest->ntypos, nearest->typos);
	return errhint("SELECT * FROM migrate.seed_status lists the registered seeds.");
}

/*
 * Refuse a seed name that is not registered, naming the seeds a typo away
 * from it and those next to it in name order, as an unknown version is
 * refused.  The caller is connected to SPI.
 */
void
migrate_refuse_unknown_seed(const char *name)
{
	MigrateNearest nearest;

	migrate_nearest_names(&seed_names_query, name, &nearest);
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("seed \"%s\" is not registered", name),
			 errdetail_nearest_seeds(&nearest),
			 errhint_nearest_seeds(&nearest)));
}

/*
 * Check a seed's script as add() checks a migration's, naming the seed
 * in the error.  A seed runs inside the caller's transaction, so
 * statements that cannot run in a transaction block are refused.
 */
static void
check_seed_script(const char *name, const char *sql)
{
	MigrateScript *script = migrate_parse_script(name, MIGRATE_SEED_SCRIPT,
												 sql, true);

	if (script->first_top_level >= 0)
	{
		MigrateStatement *st = &script->statements[script->first_top_level];

		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("seed \"%s\" contains %s, which cannot run inside a transaction block",
						name, st->top_level_only),
				 errdetail("It is statement %d, on line %d. Seeds run inside the caller's transaction. Nothing was registered.",
						   script->first_top_level + 1, st->line),
				 errhint("Put this statement in a migration registered with transactional => false.")));
	}
}

/*
 * add_seed(name, sql, repeatable, environments) returns text
 *
 * Register a seed; returns added, updated or unchanged.
 */
Datum
migrate_add_seed(PG_FUNCTION_ARGS)
{
	char	   *name = migrate_text_arg(fcinfo, 0);
	char	   *sql;
	bool		repeatable;
	Datum		environments;
	bool		envnull;
	char	   *checksum;
	const char *action;
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

	migrate_check_seed_name(name);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sql of seed \"%s\" must not be NULL", name),
				 errdetail("Nothing was registered."),
				 errhint("Pass the SQL that seeds the data.")));
	sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (migrate_script_is_blank(sql))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sql of seed \"%s\" has no statement", name),
				 errdetail("Nothing was registered."),
				 errhint("Pass the SQL that seeds the data.")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("repeatable must not be NULL"),
				 errhint("Pass false (the default) or true.")));
	repeatable = PG_GETARG_BOOL(2);
	environments = migrate_environments_arg(fcinfo, 3, &envnull);
	check_seed_script(name, sql);
	checksum = migrate_checksum(sql, NULL);

	migrate_call_begin();

	values[0] = CStringGetTextDatum(name);
	values[1] = environments;
	nulls[1] = envnull ? 'n' : ' ';
	(void) migrate_store_exec(&seed_registered_query, values, nulls, 1);
	if (SPI_processed == 0)
		action = "added";
	else
	{
		bool		isnull;
		char	   *old_checksum = migrate_store_getstr(0, 1);
		bool		old_repeatable = DatumGetBool(migrate_store_getdatum(0, 2, &isnull));
		bool		same_environments = DatumGetBool(migrate_store_getdatum(0, 3, &isnull));
		char	   *ran_checksum = migrate_store_getstr(0, 4);

		if (ran_checksum && !repeatable && strcmp(ran_checksum, checksum) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("seed \"%s\" already ran with different text", name),
					 errdetail("It ran with checksum %s, the new text has checksum %s. Nothing was registered.",
							   ran_checksum, checksum),
					 errhint("A seed that ran is history: add the change as a new seed, or register it with repeatable => true to run it again whenever its text changes.")));
		if (strcmp(old_checksum, checksum) == 0 && old_repeatable == repeatable &&
			same_environments)
			action = "unchanged";
		else
			action = "updated";
	}
	migrate_store_done();

	if (strcmp(action, "unchanged") != 0)
	{
		values[1] = CStringGetTextDatum(sql);
		values[2] = BoolGetDatum(repeatable);
		values[3] = environments;
		nulls[3] = envnull ? 'n' : ' ';
		nulls[1] = ' ';
		values[4] = DirectFunctionCall1(namein,
										CStringGetDatum(migrate_current_user_name()));
		(void) migrate_store_exec(&seed_upsert_query, values, nulls, 0);
	}

	migrate_call_end();
	PG_RETURN_TEXT_P(cstring_to_text(action));
}

/*
 * Run one seed and record the run; in a subtransaction of its own.
 */
static void
seed_work(void *arg)
{
	SeedRun    *run = (SeedRun *) arg;
	Datum		values[7];

	run->started = GetCurrentTimestamp();
	run->statements = migrate_exec_script(run->name, NULL, MIGRATE_SEED_SCRIPT,
										 run->sql, NULL);
	run->duration_us = GetCurrentTimestamp() - run->started;

	values[0] = CStringGetTextDatum(run->name);
	values[1] = CStringGetTextDatum(run->checksum);
	values[2] = CStringGetTextDatum(run->sql);
	values[3] = Int32GetDatum(run->statements);
	values[4] = TimestampTzGetDatum(run->started);
	values[5] = migrate_interval_datum(run->duration_us);
	values[6] = DirectFunctionCall1(namein,
									CStringGetDatum(migrate_current_user_name()));
	(void) migrate_store_exec(&record_seed_run_query, values, NULL, 0);
}

/*
 * seed() returns setof (name, duration, statements)
 *
 * Run every seed that never ran, and every repeatable seed whose text
 * changed since it last ran, in name order; seeds for other environments
 * are skipped.
 */
Datum
migrate_seed(PG_FUNCTION_ARGS)
{
	List	   *runs = NIL;
	ListCell   *lc;
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	uint64		i;

	migrate_call_begin();

	(void) migrate_store_exec(&seeds_to_run_query, NULL, NULL, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		SeedRun    *run = palloc0(sizeof(SeedRun));

		run->name = migrate_store_getstr(i, 1);
		run->sql = migrate_store_getstr(i, 2);
		run->checksum = migrate_store_getstr(i, 3);
		runs = lappend(runs, run);
	}
	migrate_store_done();

	foreach(lc, runs)
	{
		SeedRun    *run = (SeedRun *) lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		migrate_in_subtransaction(seed_work, run, true);
		ereport(NOTICE,
				(errmsg("ran seed \"%s\"", run->name),
				 migrate_errdetail_statements(run->statements, run->duration_us)));
	}
	if (runs == NIL)
		ereport(NOTICE, (errmsg("no seeds to run")));

	migrate_call_end();

	tupstore = migrate_materialize_srf(fcinfo, &tupdesc);
	foreach(lc, runs)
	{
		SeedRun    *run = (SeedRun *) lfirst(lc);
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(run->name);
		values[1] = migrate_interval_datum(run->duration_us);
		values[2] = Int32GetDatum(run->statements);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	return (Datum) 0;
}
