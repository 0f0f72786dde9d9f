/*-------------------------------------------------------------------------
 *
 * lint.c
 *	  lint() and lint_sql(): findings from the parse tree, sized by the
 *	  live catalog; the lint settings, and lint at registration
 *	  (migrate.lint_level).
 *
 * The rules are in lint_rules.c, the sizes in lint_size.c.  lint() reads
 * the registry (as its owner, store.c) and is not for PUBLIC, as export()
 * is not; lint_sql() reads only what the caller passes and the catalog
 * and is.  Both are read-only and take no lock but ACCESS SHARE, and that
 * only when it is free (lint_size.c).  They pin search_path, as every
 * function that runs no migration does; the relations of the script are
 * named with the caller's search_path, as the migration's statements
 * will be when they run (caller_search_path()).
 *
 * At registration, the engine calls the check hook set here
 * (migrate_register_check_hook, engine/registry.c) with the parsed up
 * script: with migrate.lint_level = warn one NOTICE sums up the
 * findings; with error, a finding of severity error refuses the
 * migration (nothing is registered) unless its statement carries the
 * comment "-- migrate:lint-ok RULE: reason", which stays in the
 * registered script as the record of who accepted what and why.
 *
 * IDENTIFICATION
 *	  src/rollout/lint.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"

#include "rollout/rollout.h"

PG_FUNCTION_INFO_V1(migrate_lint);
PG_FUNCTION_INFO_V1(migrate_lint_sql);

/* SQLSTATE of a migration refused by lint at registration */
#define MIGRATE_ERRCODE_LINT	MAKE_SQLSTATE('M', 'G', '0', '0', '2')

/* Values of migrate.lint_level. */
typedef enum MigrateLintLevel
{
	MIGRATE_LINT_LEVEL_OFF,
	MIGRATE_LINT_LEVEL_WARN,
	MIGRATE_LINT_LEVEL_ERROR
} MigrateLintLevel;

static const struct config_enum_entry lint_level_options[] = {
	{"off", MIGRATE_LINT_LEVEL_OFF, false},
	{"warn", MIGRATE_LINT_LEVEL_WARN, false},
	{"error", MIGRATE_LINT_LEVEL_ERROR, false},
	{NULL, 0, false}
};

/* migrate.lint_level: lint at registration (MigrateLintLevel) */
int			migrate_lint_level = MIGRATE_LINT_LEVEL_OFF;

/* the size thresholds are in lint_size.c, which judges by them */

/* How many findings the NOTICE and the ERROR at registration detail. */
#define LINT_SUMMARY_FINDINGS	3

/* The columns of lint() and lint_sql(). */
#define LINT_COLS	14

/* pending migrations, or the one named, in order */
static MigrateQuery lint_query = {
	.sql =
		"SELECT m.version, m.up, m.transactional"
		"  FROM migrate.migrations m"
		" WHERE CASE WHEN $1 IS NULL"
		"            THEN NOT EXISTS (SELECT FROM migrate.applied a"
		"                              WHERE a.version OPERATOR(pg_catalog.=) m.version)"
		"            ELSE m.version OPERATOR(pg_catalog.=) $1 END"
		" ORDER BY m.sort_key",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

/* A migration to lint, copied out of SPI. */
typedef struct LintMigration
{
	char	   *version;
	char	   *up;
	bool		transactional;
} LintMigration;

const char *
migrate_lint_severity_name(MigrateLintSeverity severity)
{
	switch (severity)
	{
		case MIGRATE_LINT_ERROR:
			return "error";
		case MIGRATE_LINT_WARNING:
			return "warning";
		case MIGRATE_LINT_INFO:
			break;
	}
	return "info";
}

static int	enter_caller_search_path(void);
static void leave_caller_search_path(int nestlevel);

/*
 * Append the rows of "findings" (of migration "version", or NULL) to the
 * result.
 */
static void
put_findings(Tuplestorestate *tupstore, TupleDesc tupdesc,
			 const char *version, List *findings)
{
	ListCell   *lc;

	foreach(lc, findings)
	{
		MigrateLintFinding *f = (MigrateLintFinding *) lfirst(lc);
		Datum		values[LINT_COLS];
		bool		nulls[LINT_COLS];
		int			i = 0;

		memset(nulls, 0, sizeof(nulls));
		values[i++] = CStringGetTextDatum(f->rule);
		values[i++] = CStringGetTextDatum(migrate_lint_severity_name(f->severity));
		nulls[i] = version == NULL;
		values[i++] = version ? CStringGetTextDatum(version) : (Datum) 0;
		values[i++] = Int32GetDatum(f->statement);
		values[i++] = Int32GetDatum(f->line);
		nulls[i] = f->relation == NULL;
		values[i++] = f->relation ? CStringGetTextDatum(f->relation) : (Datum) 0;
		nulls[i] = f->lockmode == NULL;
		values[i++] = f->lockmode ? CStringGetTextDatum(f->lockmode) : (Datum) 0;
		nulls[i] = f->rows < 0;
		values[i++] = Int64GetDatum((int64) f->rows);
		nulls[i] = f->bytes < 0;
		values[i++] = Int64GetDatum(f->bytes);
		nulls[i] = f->activity < 0;
		values[i++] = Int64GetDatum(f->activity);
		nulls[i] = f->cost == NULL;
		values[i++] = f->cost ? CStringGetTextDatum(f->cost) : (Datum) 0;
		values[i++] = CStringGetTextDatum(f->message);
		nulls[i] = f->safer == NULL;
		values[i++] = f->safer ? CStringGetTextDatum(f->safer) : (Datum) 0;
		nulls[i] = f->acknowledged == NULL;
		values[i++] = f->acknowledged ? CStringGetTextDatum(f->acknowledged) : (Datum) 0;
		Assert(i == LINT_COLS);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
}

/*
 * lint(version text DEFAULT NULL) returns setof record
 *
 * The findings of a registered migration's up script, or of every
 * pending one (those this environment runs) in order.
 */
Datum
migrate_lint(PG_FUNCTION_ARGS)
{
	char	   *version = migrate_text_arg(fcinfo, 0);
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	MemoryContext lintcxt;
	List	   *migrations = NIL;
	Datum		arg;
	char		nulls[1];
	uint64		i;
	ListCell   *lc;
	int			nestlevel;

	if (version)
		migrate_check_version(version, "version");
	tupstore = migrate_materialize_srf(fcinfo, &tupdesc);

	migrate_spi_connect();
	arg = version ? CStringGetTextDatum(version) : (Datum) 0;
	nulls[0] = version ? ' ' : 'n';
	(void) migrate_store_exec(&lint_query, &arg, nulls, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		LintMigration *m = palloc(sizeof(LintMigration));
		bool		isnull;

		m->version = migrate_store_getstr(i, 1);
		m->up = migrate_store_getstr(i, 2);
		m->transactional = DatumGetBool(migrate_store_getdatum(i, 3, &isnull));
		migrations = lappend(migrations, m);
	}
	migrate_store_done();
	if (version && migrations == NIL)
		migrate_refuse_unknown(version);

	/* each migration's parse trees and findings are freed after its rows */
	lintcxt = AllocSetContextCreate(CurrentMemoryContext, "migrate lint",
									ALLOCSET_DEFAULT_SIZES);
	nestlevel = enter_caller_search_path();
	foreach(lc, migrations)
	{
		LintMigration *m = (LintMigration *) lfirst(lc);
		MemoryContext oldcontext;
		MigrateScript *script;

		if (version == NULL && migrate_skipped_in_environment(m->version))
			continue;
		oldcontext = MemoryContextSwitchTo(lintcxt);
		script = migrate_parse_script(m->version, "up", m->up, false);
		put_findings(tupstore, tupdesc, m->version,
					 migrate_lint_script(script, m->transactional));
		MemoryContextSwitchTo(oldcontext);
		MemoryContextReset(lintcxt);
	}
	leave_caller_search_path(nestlevel);
	MemoryContextDelete(lintcxt);
	SPI_finish();

	return (Datum) 0;
}

/*
 * The findings of up script "up" of migration "version", one line each
 * ("severity rule (statement n): message"), as view migrate.review shows
 * them: what approve() records as the approver saw it.
 */
List *
migrate_lint_lines(const char *version, const char *up, bool transactional)
{
	MigrateScript *script;
	List	   *findings;
	List	   *lines = NIL;
	ListCell   *lc;
	int			nestlevel;

	script = migrate_parse_script(version, "up", up, false);
	nestlevel = enter_caller_search_path();
	findings = migrate_lint_script(script, transactional);
	leave_caller_search_path(nestlevel);
	foreach(lc, findings)
	{
		MigrateLintFinding *f = (MigrateLintFinding *) lfirst(lc);

		lines = lappend(lines, psprintf("%s %s (statement %d): %s",
										migrate_lint_severity_name(f->severity),
										f->rule, f->statement, f->message));
	}
	return lines;
}

/*
 * lint_sql(script text) returns setof record
 *
 * The findings of a script, as it would be registered: in one
 * transaction, unless a statement cannot run in one.
 */
Datum
migrate_lint_sql(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	MigrateScript *script;
	List	   *findings;
	int			nestlevel;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("script must not be NULL"),
				 errhint("Pass the SQL of the migration to lint.")));

	tupstore = migrate_materialize_srf(fcinfo, &tupdesc);
	script = migrate_parse_script(NULL, NULL,
								  text_to_cstring(PG_GETARG_TEXT_PP(0)), false);
	nestlevel = enter_caller_search_path();
	findings = migrate_lint_script(script, script->first_top_level < 0);
	leave_caller_search_path(nestlevel);
	put_findings(tupstore, tupdesc, NULL, findings);
	return (Datum) 0;
}

/*
 * One finding on one line, for the NOTICE and ERROR at registration.
 */
static char *
finding_line(const MigrateLintFinding *f)
{
	return psprintf("Statement %d (line %d), %s %s%s%s: %s.", f->statement,
					f->line, migrate_lint_severity_name(f->severity), f->rule,
					f->relation ? " on " : "", f->relation ? f->relation : "",
					f->message);
}

/*
 * The search_path the caller had.  add(), load(), lint() and lint_sql()
 * pin search_path = pg_catalog, pg_temp in their definitions, as every
 * function that runs no migration does, so the names in a migration
 * would not be found; the SET of the function call saved the caller's
 * value on the setting's stack, and that is the value latest() will run
 * the migration with in the same session.  NULL when the call did not pin
 * it (apply()).
 */
static char *
caller_search_path(void)
{
	/* a built-in setting's struct never moves: found once per backend */
	static struct config_generic *search_path_guc = NULL;

	if (strcmp(namespace_search_path, "pg_catalog, pg_temp") != 0)
		return NULL;
	if (search_path_guc == NULL)
	{
		struct config_generic **vars;
		int			nvars;
		int			i;

		vars = migrate_guc_variables(&nvars);
		for (i = 0; i < nvars; i++)
			if (strcmp(vars[i]->name, "search_path") == 0)
				search_path_guc = vars[i];
		if (search_path_guc == NULL)
			return NULL;
	}
	if (search_path_guc->stack && search_path_guc->stack->prior.val.stringval)
		return pstrdup(search_path_guc->stack->prior.val.stringval);
	return NULL;
}

/*
 * Look names up as the migration's statements will when they run: with
 * the caller's search_path, not the pinned one of the function called.
 * Returns the GUC nest level to pass to leave_caller_search_path(), or 0
 * when nothing was changed.
 */
static int
enter_caller_search_path(void)
{
	char	   *search_path = caller_search_path();
	int			nestlevel;

	if (search_path == NULL)
		return 0;
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", search_path,
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

static void
leave_caller_search_path(int nestlevel)
{
	if (nestlevel > 0)
		AtEOXact_GUC(true, nestlevel);
}

/*
 * The check hook of registration: lint the up script of "version" as
 * migrate.lint_level says.  Only findings of severity warning and error
 * that no comment acknowledges count; info never does.
 */
static void
lint_at_registration(const char *version, const char *name,
					 const MigrateScript *up, bool transactional)
{
	MemoryContext lintcxt;
	MemoryContext oldcontext;
	List	   *findings;
	MigrateLintFinding *worst[LINT_SUMMARY_FINDINGS];
	MigrateLintFinding *refusing = NULL;
	int			nworst = 0;
	int			count = 0;
	int			nerrors = 0;
	int			sev;
	ListCell   *lc;
	StringInfoData detail;
	int			nestlevel;

	if (migrate_lint_level == MIGRATE_LINT_LEVEL_OFF)
		return;

	lintcxt = AllocSetContextCreate(CurrentMemoryContext, "migrate lint at registration",
									ALLOCSET_DEFAULT_SIZES);
	oldcontext = MemoryContextSwitchTo(lintcxt);

	nestlevel = enter_caller_search_path();
	findings = migrate_lint_script(up, transactional);
	leave_caller_search_path(nestlevel);

	/* the worst first, in statement order within a severity */
	for (sev = MIGRATE_LINT_ERROR; sev >= MIGRATE_LINT_WARNING; sev--)
	{
		foreach(lc, findings)
		{
			MigrateLintFinding *f = (MigrateLintFinding *) lfirst(lc);

			if ((int) f->severity != sev || f->acknowledged)
				continue;
			count++;
			if (sev == MIGRATE_LINT_ERROR)
			{
				nerrors++;
				if (refusing == NULL)
					refusing = f;
			}
			if (nworst < LINT_SUMMARY_FINDINGS)
				worst[nworst++] = f;
		}
	}

	if (count == 0)
	{
		MemoryContextSwitchTo(oldcontext);
		MemoryContextDelete(lintcxt);
		return;
	}

	initStringInfo(&detail);
	for (sev = 0; sev < nworst; sev++)
		appendStringInfo(&detail, "%s%s", sev ? "\n" : "", finding_line(worst[sev]));
	if (count > nworst)
		appendStringInfo(&detail, "\nAnd %d more.", count - nworst);

	if (migrate_lint_level == MIGRATE_LINT_LEVEL_ERROR && refusing)
		ereport(ERROR,
				(errcode(MIGRATE_ERRCODE_LINT),
				 errmsg("migration \"%s\" is refused by lint rule \"%s\"",
						version, refusing->rule),
				 errdetail_plural("%s\nCost: %s.\nIt has %d finding of severity error. Nothing was registered.",
								  "%s\nCost: %s.\nIt has %d findings of severity error. Nothing was registered.",
								  nerrors, detail.data,
								  refusing->cost ? refusing->cost : refusing->message,
								  nerrors),
				 errhint("The safer way:\n%s\nOr, if it is safe here, acknowledge it on the statement with a comment \"-- migrate:lint-ok %s: <reason>\".",
						 refusing->safer ? refusing->safer : "(none known)",
						 refusing->rule)));

	ereport(NOTICE,
			(errmsg_plural("lint found %d problem in migration \"%s\"",
						   "lint found %d problems in migration \"%s\"",
						   count, count, version),
			 errdetail_internal("%s", detail.data),
			 errhint("SELECT * FROM migrate.lint('%s') shows their cost and the safer way.",
					 version)));

	MemoryContextSwitchTo(oldcontext);
	MemoryContextDelete(lintcxt);
}

/*
 * The settings of lint, and its check at registration.  Every lint
 * setting is PGC_SUSET: lint_level = error is a gate a DBA sets for a
 * database or role, and the thresholds decide what it lets through, so
 * a deploy role may neither turn it off nor raise them.
 */
void
migrate_lint_init(void)
{
	DefineCustomEnumVariable("migrate.lint_level",
							 "Lints migrations as they are registered: off, warn, or error.",
							 "warn: add(), apply() and load() print one NOTICE that sums up "
							 "the findings of severity warning and error. error: a finding of "
							 "severity error refuses the migration, and nothing is registered, "
							 "unless its statement carries a comment "
							 "\"-- migrate:lint-ok RULE: reason\". Only a superuser changes it.",
							 &migrate_lint_level,
							 MIGRATE_LINT_LEVEL_OFF,
							 lint_level_options,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.lint_rows_warning",
							"Sets the table size, in rows, from which a lint finding that grows with the table is a warning.",
							"Below it (and below migrate.lint_bytes_warning) such a finding is info.",
							&migrate_lint_rows_warning,
							10000, 0, INT_MAX,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.lint_rows_error",
							"Sets the table size, in rows, from which a lint finding that grows with the table is an error.",
							"With migrate.lint_level = error, such a finding refuses the migration.",
							&migrate_lint_rows_error,
							1000000, 0, INT_MAX,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.lint_bytes_warning",
							"Sets the table size, in bytes, from which a lint finding that grows with the table is a warning.",
							"The size is the table's main fork, as pg_relation_size() counts it, and its TOAST table, without indexes.",
							&migrate_lint_bytes_warning,
							10 * 1024, 0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.lint_bytes_error",
							"Sets the table size, in bytes, from which a lint finding that grows with the table is an error.",
							"The size is the table's main fork, as pg_relation_size() counts it, and its TOAST table, without indexes.",
							&migrate_lint_bytes_error,
							1024 * 1024, 0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	migrate_register_check_hook = lint_at_registration;
}
