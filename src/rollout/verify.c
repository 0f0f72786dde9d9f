/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  verify(): each pending migration's up, down and up again, run in a
 *	  subtransaction and rolled back, with the schema compared between
 *	  the steps.
 *
 * A down script is only worth what it restores.  verify() takes schema()
 * before a migration's up script, after it, after its down script and
 * after its up script run again: the schema after the down must be the
 * one before the up, and the schema after the second up the one after
 * the first.  Each migration is verified on top of the ups of the
 * migrations before it, in migrate's order, as latest() would apply
 * them: its down and its second up run in a subtransaction of their own
 * that is rolled back, so the next migration starts from exactly the
 * first up, whatever the down left behind.  Everything, the migrate lock
 * included, happens inside one subtransaction that is always rolled back:
 * the registry, the applied set, the history, the DDL history and the
 * caller's tables are as they were.  What remains is one row per
 * verified migration in migrate.verifications, written after that
 * rollback, and the rows returned.
 *
 * The scripts run as latest() runs them (exec.c): split into statements,
 * with the caller's privileges and search_path, errors naming the
 * migration, statement and line, each lock waited for at most
 * migrate.lock_timeout.  A migration without a down script, with an
 * incomplete one (capture()'s "-- no inverse known") or registered with
 * transactional => false is reported as such; an up script that fails
 * ends the verification, as it ends latest().  A row's detail is data,
 * kept in migrate.verifications, so it is not translated, as the
 * history's details are not; the errors it quotes are as the server
 * raised them.
 *
 * IDENTIFICATION
 *	  src/rollout/verify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "rollout/rollout.h"

PG_FUNCTION_INFO_V1(migrate_verify);

/* columns of verify() */
#define Natts_migrate_verify	4

/* the most differing lines a "schema differs" detail shows */
#define VERIFY_MAX_DIFF_LINES	60

static MigrateQuery fetch_query = {
	.sql =
		"SELECT name, up, down, transactional, checksum"
		"  FROM migrate.migrations WHERE version OPERATOR(pg_catalog.=) $1",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

/*
 * The last verification of each migration replaces the one before; the
 * role is the caller's, passed in, since the query runs as migrate's
 * owner (store.c).
 */
static MigrateQuery record_query = {
	.sql =
		"INSERT INTO migrate.verifications"
		"       (version, checksum, result, detail, verified_at, verified_by)"
		" VALUES ($1, $2, $3, $4, pg_catalog.now(), $5)"
		" ON CONFLICT (version) DO UPDATE"
		"   SET checksum = excluded.checksum, result = excluded.result,"
		"       detail = excluded.detail, verified_at = excluded.verified_at,"
		"       verified_by = excluded.verified_by",
	.nargs = 5,
	.argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, NAMEOID}
};

/*
 * One row of verify(): what was found for one migration.
 */
typedef struct VerifyRow
{
	char	   *version;
	char	   *name;
	char	   *checksum;
	const char *result;
	char	   *detail;
} VerifyRow;

/*
 * A registered migration about to be verified, loaded in the migration's
 * memory context.
 */
typedef struct VerifyMigration
{
	const char *version;
	char	   *name;
	char	   *up;
	char	   *down;
	bool		transactional;
	char	   *checksum;
} VerifyMigration;

/*
 * The state of one verify() call.
 */
typedef struct VerifyRun
{
	const char *version;		/* the argument, or NULL for every pending
								 * migration */
	MemoryContext resultcxt;	/* the rows: outlive the rollback */
	MemoryContext migcxt;		/* one migration's scripts and schemas */
	MemoryContext schemacxt;	/* the schema the next migration starts on */
	char	   *current;		/* that schema, or NULL when not taken */
	List	   *rows;
	int			unverified;		/* left after an up script failed */
	MigrateOwnSequence own[MIGRATE_OWN_SEQUENCES];
	int64		explained[MIGRATE_OWN_SEQUENCES];	/* values taken in
													 * subtransactions rolled
													 * back since */
} VerifyRun;

/*
 * The work of one script run in a subtransaction.
 */
typedef struct ScriptRun
{
	const VerifyMigration *m;
	const char *direction;
	const char *text;
} ScriptRun;

/*
 * The down script and the second up of one migration, compared with the
 * schemas around the first up.
 */
typedef struct DownRun
{
	VerifyRun  *vr;
	const VerifyMigration *m;
	const char *before;			/* schema before the first up */
	const char *after;			/* schema after it */
	const char *result;
	char	   *detail;
} DownRun;

/*
 * schema() of the database as it is now, in "cxt".  Through SQL, as the
 * caller: the schema subsystem is beside this one, not below it.  Not
 * read-only, so that it sees what the statements before it did.
 */
static char *
schema_now(MemoryContext cxt)
{
	MemoryContext old;
	Datum		d;
	bool		isnull;
	char	   *result;

	if (SPI_execute("SELECT migrate.schema()", false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not read migrate.schema()");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	old = MemoryContextSwitchTo(cxt);
	result = isnull ? pstrdup("") : TextDatumGetCString(d);
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
	return result;
}

/* one line of a schema, for the comparison */
typedef struct SchemaLine
{
	const char *text;
	int			len;
	int			pos;			/* its place in its schema */
	bool		matched;
} SchemaLine;

/* the order of two lines by their text */
static int
line_text_cmp(const SchemaLine *x, const SchemaLine *y)
{
	int			c = memcmp(x->text, y->text, Min(x->len, y->len));

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return 0;
}

/* qsort() comparator: by text, then place */
static int
line_cmp(const void *a, const void *b)
{
	const SchemaLine *x = *(const SchemaLine *const *) a;
	const SchemaLine *y = *(const SchemaLine *const *) b;
	int			c = line_text_cmp(x, y);

	return c != 0 ? c : x->pos - y->pos;
}

/*
 * The non-blank lines of "text".
 */
static SchemaLine *
split_lines(const char *text, int *nlines)
{
	int			max = 16;
	int			n = 0;
	SchemaLine *lines = palloc(sizeof(SchemaLine) * max);
	const char *p = text;

	while (*p)
	{
		const char *nl = strchr(p, '\n');
		int			len = nl ? nl - p : strlen(p);

		if (len > 0)
		{
			if (n == max)
			{
				max *= 2;
				lines = repalloc(lines, sizeof(SchemaLine) * max);
			}
			lines[n].text = p;
			lines[n].len = len;
			lines[n].pos = n;
			lines[n].matched = false;
			n++;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	*nlines = n;
	return lines;
}

/*
 * Mark the lines of "a" and "b" that the other has too, occurrence by
 * occurrence: what is left unmatched is what differs, whatever the
 * order.  Sorted copies are merged, so the cost is n log n in the size
 * of the schema.
 */
static void
match_lines(SchemaLine *a, int na, SchemaLine *b, int nb)
{
	SchemaLine **sa = palloc(sizeof(SchemaLine *) * Max(na, 1));
	SchemaLine **sb = palloc(sizeof(SchemaLine *) * Max(nb, 1));
	int			i = 0;
	int			j = 0;

	for (i = 0; i < na; i++)
		sa[i] = &a[i];
	for (j = 0; j < nb; j++)
		sb[j] = &b[j];
	qsort(sa, na, sizeof(SchemaLine *), line_cmp);
	qsort(sb, nb, sizeof(SchemaLine *), line_cmp);
	i = j = 0;
	while (i < na && j < nb)
	{
		int			c = line_text_cmp(sa[i], sb[j]);

		if (c == 0)
		{
			sa[i++]->matched = true;
			sb[j++]->matched = true;
		}
		else if (c < 0)
			i++;
		else
			j++;
	}
	pfree(sa);
	pfree(sb);
}

/*
 * The lines in which schema "a" and schema "b" differ, "- line" for a
 * line only "a" has and "+ line" for one only "b" has, each side in its
 * schema's order; NULL when they have the same lines.  At most
 * VERIFY_MAX_DIFF_LINES are shown, and the rest counted.
 */
static char *
schema_diff(const char *a, const char *b)
{
	SchemaLine *la;
	SchemaLine *lb;
	int			na;
	int			nb;
	int			shown = 0;
	int			left = 0;
	int			i;
	StringInfoData buf;

	if (strcmp(a, b) == 0)
		return NULL;
	la = split_lines(a, &na);
	lb = split_lines(b, &nb);
	match_lines(la, na, lb, nb);

	initStringInfo(&buf);
	for (i = 0; i < na; i++)
	{
		if (la[i].matched)
			continue;
		if (shown++ < VERIFY_MAX_DIFF_LINES)
			appendStringInfo(&buf, "%s- %.*s", buf.len > 0 ? "\n" : "",
							 la[i].len, la[i].text);
		else
			left++;
	}
	for (i = 0; i < nb; i++)
	{
		if (lb[i].matched)
			continue;
		if (shown++ < VERIFY_MAX_DIFF_LINES)
			appendStringInfo(&buf, "%s+ %.*s", buf.len > 0 ? "\n" : "",
							 lb[i].len, lb[i].text);
		else
			left++;
	}
	if (shown == 0)
	{
		/* the same lines in another order: dependencies changed */
		pfree(buf.data);
		return pstrdup("the same statements in another order");
	}
	if (left > 0)
		appendStringInfo(&buf, "\n(and %d more differing %s)", left,
						 left == 1 ? "line" : "lines");
	return buf.data;
}

/*
 * An error a script raised, as a row's detail: its SQLSTATE and message,
 * its detail and hint, and where it was (the migration, statement and
 * line, from the engine's error context).
 */
static char *
error_text(const ErrorData *edata)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s: %s", unpack_sql_state(edata->sqlerrcode),
					 edata->message ? edata->message : "");
	if (edata->detail)
		appendStringInfo(&buf, "\nDETAIL: %s", edata->detail);
	if (edata->hint)
		appendStringInfo(&buf, "\nHINT: %s", edata->hint);
	if (edata->context)
		appendStringInfo(&buf, "\nCONTEXT: %s", edata->context);
	return buf.data;
}

/*
 * Run one script, as latest() runs it: the engine splits it, names the
 * migration, statement and line in its errors and marks the migration as
 * running (DDL history links its DDL to it).
 */
static void
script_work(void *arg)
{
	ScriptRun  *sr = (ScriptRun *) arg;

	(void) migrate_exec_script(sr->m->version, sr->m->name, sr->direction,
							   sr->text, NULL);
}

/*
 * Run a script in a subtransaction that is kept when it succeeds; the
 * error it raised, rolled back, or NULL.
 */
static ErrorData *
run_script(const VerifyMigration *m, const char *direction, const char *text)
{
	ScriptRun	sr = {.m = m,.direction = direction,.text = text};

	return migrate_subtransaction_error(script_work, &sr);
}

/*
 * The down script, the schema after it, the up script again and the
 * schema after that.
 */
static void
down_steps(DownRun *dr)
{
	ErrorData  *edata;
	char	   *schema;
	char	   *diff;

	edata = run_script(dr->m, "down", dr->m->down);
	if (edata)
	{
		dr->result = MIGRATE_VERIFY_DOWN_FAILS;
		dr->detail = error_text(edata);
		return;
	}
	schema = schema_now(CurrentMemoryContext);
	diff = schema_diff(dr->before, schema);
	if (diff)
	{
		dr->result = MIGRATE_VERIFY_SCHEMA_DIFFERS;
		dr->detail = psprintf("%s\n%s",
							  "after the down script, the schema is not the one before the up script (- before the up script, + after the down script):",
							  diff);
		return;
	}

	edata = run_script(dr->m, "up", dr->m->up);
	if (edata)
	{
		dr->result = MIGRATE_VERIFY_NOT_REPEATABLE;
		dr->detail = psprintf("%s\n%s",
							  "after the down script, the up script fails:",
							  error_text(edata));
		return;
	}
	schema = schema_now(CurrentMemoryContext);
	diff = schema_diff(dr->after, schema);
	if (diff)
	{
		dr->result = MIGRATE_VERIFY_NOT_REPEATABLE;
		dr->detail = psprintf("%s\n%s",
							  "the up script run again gives another schema than the first time (- after the first up script, + after the second):",
							  diff);
		return;
	}
	dr->result = MIGRATE_VERIFY_OK;
}

/*
 * down_steps() inside the subtransaction that the caller rolls back.
 * The DDL history rows they wrote go with it: the values of migrate's
 * sequences that numbered them are counted first, so that the sequences
 * can be put back at the end (sequences.c).
 */
static void
down_work(void *arg)
{
	DownRun    *dr = (DownRun *) arg;
	VerifyRun  *vr = dr->vr;
	int64		since[MIGRATE_OWN_SEQUENCES];
	int			i;

	for (i = 0; i < MIGRATE_OWN_SEQUENCES; i++)
		since[i] = migrate_own_sequence_given(&vr->own[i]);
	down_steps(dr);
	for (i = 0; i < MIGRATE_OWN_SEQUENCES; i++)
	{
		int64		taken = migrate_own_sequence_given(&vr->own[i]) - since[i];

		if (taken > 0 && migrate_own_sequence_ours(&vr->own[i], since[i]) == taken)
			vr->explained[i] += taken;
	}
}

static VerifyRow *
new_row(VerifyRun *vr, const VerifyMigration *m, const char *result,
		const char *detail)
{
	MemoryContext old = MemoryContextSwitchTo(vr->resultcxt);
	VerifyRow  *row = palloc0(sizeof(VerifyRow));

	row->version = pstrdup(m->version);
	row->name = m->name ? pstrdup(m->name) : NULL;
	row->checksum = pstrdup(m->checksum);
	row->result = result;
	row->detail = detail ? pstrdup(detail) : NULL;
	vr->rows = lappend(vr->rows, row);
	MemoryContextSwitchTo(old);
	return row;
}

/*
 * Load registered migration "version" into the current memory context.
 */
static void
load_migration(VerifyMigration *m, const char *version)
{
	Datum		arg = CStringGetTextDatum(version);
	bool		isnull;

	(void) migrate_store_exec(&fetch_query, &arg, NULL, 1);
	if (SPI_processed != 1)
		elog(ERROR, "migration \"%s\" is not registered", version);
	m->version = version;
	m->name = migrate_store_getstr(0, 1);
	m->up = migrate_store_getstr(0, 2);
	m->down = migrate_store_getstr(0, 3);
	m->transactional = DatumGetBool(migrate_store_getdatum(0, 4, &isnull));
	m->checksum = migrate_store_getstr(0, 5);
	migrate_store_done();
}

/*
 * The schema the next migration starts on is "schema" (in the
 * migration's context): keep a copy past the context's reset.
 */
static void
keep_schema(VerifyRun *vr, const char *schema)
{
	MemoryContextReset(vr->schemacxt);
	vr->current = MemoryContextStrdup(vr->schemacxt, schema);
}

/*
 * Verify one migration on top of what ran before it.  Returns false when
 * its up script failed: the migrations after it cannot be verified.
 * With "verify" false (a pending migration before the one asked for),
 * only its up script runs, to be there for the next one.
 */
static bool
verify_migration(VerifyRun *vr, const MigratePlanEntry *e, bool verify)
{
	VerifyMigration m;
	ErrorData  *edata;
	char	   *before = NULL;
	char	   *after;
	DownRun		dr;

	load_migration(&m, e->version);
	if (!m.transactional)
	{
		if (verify)
			new_row(vr, &m, MIGRATE_VERIFY_NON_TRANSACTIONAL,
					"registered with transactional => false: its statements cannot run in verify()'s subtransaction, so nothing of it was run; the migrations after it were verified without it");
		else
			ereport(NOTICE,
					(errmsg("migration \"%s\" is not transactional and was not run", m.version),
					 errdetail("The migration being verified runs without it.")));
		return true;
	}

	if (verify)
	{
		if (vr->current == NULL)
			keep_schema(vr, schema_now(vr->migcxt));
		before = vr->current;
	}

	edata = run_script(&m, "up", m.up);
	if (edata)
	{
		new_row(vr, &m, MIGRATE_VERIFY_UP_FAILS, error_text(edata));
		return false;
	}
	/* what ran since the schema was taken: the schema is not known */
	vr->current = NULL;
	if (!verify)
		return true;

	after = schema_now(vr->migcxt);
	if (m.down == NULL)
	{
		new_row(vr, &m, MIGRATE_VERIFY_NOT_REVERSIBLE,
				"it has no down script: its up script ran, nothing undoes it");
		keep_schema(vr, after);
		return true;
	}
	if (strstr(m.down, MIGRATE_NO_INVERSE) != NULL)
	{
		new_row(vr, &m, MIGRATE_VERIFY_IRREVERSIBLE,
				"its down script is incomplete (\"" MIGRATE_NO_INVERSE "\"): its up script ran, the down script was not run");
		keep_schema(vr, after);
		return true;
	}

	/*
	 * The down and the second up are rolled back whatever they did, so that
	 * the next migration runs on the first up, as it would in a deploy.
	 */
	memset(&dr, 0, sizeof(dr));
	dr.vr = vr;
	dr.m = &m;
	dr.before = before;
	dr.after = after;
	migrate_in_subtransaction(down_work, &dr, false);
	new_row(vr, &m, dr.result, dr.detail);
	keep_schema(vr, after);
	return true;
}

/*
 * Refuse a version that verify() cannot verify: unknown, applied, or not
 * for this environment.
 */
static void
check_version(const char *version)
{
	MigrateVersionInfo info;

	migrate_check_version(version, "version");
	migrate_describe_version(version, &info);
	if (info.applied)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration \"%s\" is already applied", version),
				 errdetail("verify() runs pending migrations: their up script, their down script and their up script again."),
				 errhint("To verify it, revert it first (SELECT * FROM migrate.down('%s')), or check its down script with SELECT * FROM migrate.redo('%s').",
						 version, version)));
	if (!info.registered)
		migrate_refuse_unknown(version);
	if (migrate_skipped_in_environment(version))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration \"%s\" does not run in this environment", version),
				 errhint("Set migrate.environment to one of its environments to verify it.")));
}

/*
 * The work of verify() inside its subtransaction, which is rolled back.
 */
static void
verify_work(void *arg)
{
	VerifyRun  *vr = (VerifyRun *) arg;
	bytea	   *upto = NULL;
	bool		zero;
	List	   *entries;
	ListCell   *lc;
	int			i;

	migrate_lock_acquire();
	if (vr->version)
	{
		check_version(vr->version);
		upto = migrate_target_key(vr->version, &zero);
	}
	entries = migrate_plan_applies(upto, true);
	if (entries == NIL)
	{
		migrate_notice_nothing_pending(NULL);
		return;
	}

	migrate_own_sequences_save(vr->own);

	/* each lock is waited for as long as latest() waits for it, once */
	if (migrate_effective_lock_timeout(false) > 0)
	{
		char		value[32];

		snprintf(value, sizeof(value), "%d", migrate_effective_lock_timeout(false));
		(void) set_config_option("lock_timeout", value, PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	}

	foreach(lc, entries)
	{
		MigratePlanEntry *e = (MigratePlanEntry *) lfirst(lc);
		bool		verify = vr->version == NULL ||
			strcmp(e->version, vr->version) == 0;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(vr->migcxt);
		MemoryContextSwitchTo(vr->migcxt);
		if (!verify_migration(vr, e, verify))
		{
			vr->unverified = list_length(entries) - foreach_current_index(lc) - 1;
			break;
		}
	}
	MemoryContextSwitchTo(vr->resultcxt);

	/* values a rollback cannot take back */
	for (i = 0; i < MIGRATE_OWN_SEQUENCES; i++)
	{
		int64		lost = migrate_own_sequence_restore(&vr->own[i],
														vr->explained[i]);

		if (lost > 0)
			ereport(NOTICE,
					(errmsg("sequence %s advanced by " INT64_FORMAT " and was left so",
							vr->own[i].seqname, lost),
					 errdetail("A script that failed numbered rows that its rollback removed, or another session took values meanwhile.")));
	}
}

/*
 * Record each verified migration's result, replacing the last one.
 */
static void
record_rows(List *rows)
{
	Datum		role = DirectFunctionCall1(namein,
										   CStringGetDatum(migrate_current_user_name()));
	ListCell   *lc;

	foreach(lc, rows)
	{
		VerifyRow  *r = (VerifyRow *) lfirst(lc);
		Datum		values[5];
		char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

		values[0] = CStringGetTextDatum(r->version);
		values[1] = CStringGetTextDatum(r->checksum);
		values[2] = CStringGetTextDatum(r->result);
		values[3] = r->detail ? CStringGetTextDatum(r->detail) : (Datum) 0;
		nulls[3] = r->detail ? ' ' : 'n';
		values[4] = role;
		(void) migrate_store_exec(&record_query, values, nulls, 0);
	}
}

static void
return_rows(FunctionCallInfo fcinfo, List *rows)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = migrate_materialize_srf(fcinfo, &tupdesc);
	ListCell   *lc;

	foreach(lc, rows)
	{
		VerifyRow  *r = (VerifyRow *) lfirst(lc);
		Datum		values[Natts_migrate_verify];
		bool		nulls[Natts_migrate_verify];

		memset(nulls, false, sizeof(nulls));
		values[0] = CStringGetTextDatum(r->version);
		values[1] = r->name ? CStringGetTextDatum(r->name) : (Datum) 0;
		nulls[1] = r->name == NULL;
		values[2] = CStringGetTextDatum(r->result);
		values[3] = r->detail ? CStringGetTextDatum(r->detail) : (Datum) 0;
		nulls[3] = r->detail == NULL;
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
}

/*
 * verify(version text) returns setof (version, name, result, detail)
 */
Datum
migrate_verify(PG_FUNCTION_ARGS)
{
	VerifyRun	vr;
	ListCell   *lc;
	int			notok = 0;

	memset(&vr, 0, sizeof(VerifyRun));
	vr.version = migrate_text_arg(fcinfo, 0);
	vr.resultcxt = CurrentMemoryContext;

	migrate_refuse_in_migration();

	migrate_spi_connect();
	vr.migcxt = AllocSetContextCreate(vr.resultcxt, "migrate verify migration",
									  ALLOCSET_DEFAULT_SIZES);
	vr.schemacxt = AllocSetContextCreate(vr.resultcxt, "migrate verify schema",
										 ALLOCSET_DEFAULT_SIZES);

	/* everything runs in a subtransaction that is rolled back */
	migrate_in_subtransaction(verify_work, &vr, false);
	MemoryContextSwitchTo(vr.resultcxt);

	/* what was found outlives the rollback */
	record_rows(vr.rows);

	foreach(lc, vr.rows)
		if (strcmp(((VerifyRow *) lfirst(lc))->result, MIGRATE_VERIFY_OK) != 0)
			notok++;
	if (vr.unverified > 0)
		ereport(NOTICE,
				(errmsg_plural("verify: %d later migration was not verified",
							   "verify: %d later migrations were not verified",
							   vr.unverified, vr.unverified),
				 errdetail("They run on top of a migration whose up script fails."),
				 errhint("Fix that migration and run verify() again.")));
	if (vr.rows != NIL)
		ereport(NOTICE,
				(errmsg_plural("verify: %d migration verified and rolled back",
							   "verify: %d migrations verified and rolled back",
							   list_length(vr.rows), list_length(vr.rows)),
				 notok > 0 ?
				 errdetail_plural("%d result is not ok.", "%d results are not ok.",
								  notok, notok) : 0));

	MemoryContextDelete(vr.migcxt);
	MemoryContextDelete(vr.schemacxt);
	SPI_finish();
	if (debug_query_string)
		pgstat_report_activity(STATE_RUNNING, debug_query_string);
	return_rows(fcinfo, vr.rows);
	return (Datum) 0;
}
