/*-------------------------------------------------------------------------
 *
 * release.c
 *	  Release windows: release() schedules an approved rollout, which
 *	  run_release() runs at its time as CALL migrate.run(target) would;
 *	  cancel_release() cancels it.
 *
 * A release records the pending migrations it is for, with the checksums
 * approved when it was scheduled (every one must have a valid approval
 * then).  When it runs, it refuses if the pending migrations up to its
 * target are not exactly those, with those checksums and their approvals
 * standing: before it starts, and again inside run(), under the migrate
 * lock, through the engine's pending check (init.c calls
 * migrate_check_release()), so that nothing registered, changed or
 * revoked in between slips through.
 *
 * The scheduler is pg_cron, which DBAs already run, when it is installed
 * in the database: a job at the release's minute (cron has minute
 * granularity and pg_cron 1.4 reads schedules in GMT, so the time is
 * rounded up to the minute, in UTC) runs CALL migrate.run_release(id) as
 * the release's role, and the release removes its job when it starts.
 * Without pg_cron the release is recorded and release() shows the
 * crontab line that runs it instead.
 *
 * run_release() records the outcome whatever it is.  run() commits after
 * each migration and raises the error of the one that fails; run_release()
 * catches it at top level, where no subtransaction can hold it, aborts
 * the failed transaction as a ROLLBACK in a procedure would, records the
 * whole error (SQLSTATE, message, detail, hint, context) in a new one,
 * commits that, and raises the error again so that the job fails.
 *
 * IDENTIFICATION
 *	  src/rollout/release.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "rollout/rollout.h"

PG_FUNCTION_INFO_V1(migrate_release);
PG_FUNCTION_INFO_V1(migrate_run_release);
PG_FUNCTION_INFO_V1(migrate_cancel_release);

/*
 * A release being run: what was approved for it.
 */
typedef struct MigrateRelease
{
	int64		id;
	char	   *target;
	char	   *approved;		/* jsonb text: [{version, checksum}] */
	char	   *role;
	char	   *state;
	TimestampTz at;
	int64		cron_job;		/* 0: none */
} MigrateRelease;

/* the release run_release() is running, for migrate_check_release() */
static MigrateRelease *running_release = NULL;

/*
 * How far run_release() got before an error: the release passed the
 * checks that leave it untouched (it exists, is scheduled, is due, runs
 * as its role), and its outcome is recorded already.
 */
static bool release_checked = false;
static bool release_recorded = false;

static MigrateQuery cron_installed_query = {
	.sql =
		"SELECT 1 FROM pg_catalog.pg_extension"
		" WHERE extname OPERATOR(pg_catalog.=) 'pg_cron'",
	.nargs = 0
};

/* the time rounded up to the minute (never now's), and its cron schedule */
static MigrateQuery schedule_query = {
	.sql =
		"SELECT t, pg_catalog.to_char(t AT TIME ZONE 'UTC', 'FMMI FMHH24 FMDD FMMM')"
		"          OPERATOR(pg_catalog.||) ' *'"
		"  FROM (SELECT CASE WHEN r OPERATOR(pg_catalog.>) pg_catalog.now() THEN r"
		"                    ELSE r OPERATOR(pg_catalog.+) '1 minute'::pg_catalog.interval END AS t"
		"          FROM (SELECT pg_catalog.date_trunc('minute', x)"
		"                       OPERATOR(pg_catalog.+) CASE WHEN pg_catalog.date_trunc('minute', x)"
		"                                                        OPERATOR(pg_catalog.<) x"
		"                                                   THEN '1 minute'::pg_catalog.interval"
		"                                                   ELSE '0'::pg_catalog.interval END AS r"
		"                  FROM (SELECT GREATEST($1, pg_catalog.now()) AS x) a) b) c",
	.nargs = 1,
	.argtypes = {TIMESTAMPTZOID}
};

static MigrateQuery insert_release_query = {
	.sql =
		"INSERT INTO migrate.releases (target, at, role, approved, note, scheduled_by)"
		" SELECT $1, $2, $3,"
		"        (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
		"                    'version', m.version, 'checksum', m.checksum) ORDER BY u.n)"
		"           FROM pg_catalog.unnest($4) WITH ORDINALITY u(version, n)"
		"           JOIN migrate.migrations m ON m.version OPERATOR(pg_catalog.=) u.version),"
		"        $5, $6"
		" RETURNING id",
	.nargs = 6,
	.argtypes = {TEXTOID, TIMESTAMPTZOID, NAMEOID, TEXTARRAYOID, TEXTOID, NAMEOID}
};

static MigrateQuery set_cron_query = {
	.sql =
		"UPDATE migrate.releases SET cron_job = $2, cron_line = $3"
		" WHERE id OPERATOR(pg_catalog.=) $1",
	.nargs = 3,
	.argtypes = {INT8OID, INT8OID, TEXTOID}
};

static MigrateQuery load_release_query = {
	.sql =
		"SELECT target, approved::pg_catalog.text, role::pg_catalog.text, state, at, cron_job"
		"  FROM migrate.releases WHERE id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
	.nargs = 1,
	.argtypes = {INT8OID}
};

static MigrateQuery start_release_query = {
	.sql =
		"UPDATE migrate.releases"
		"   SET state = 'running', started_at = pg_catalog.clock_timestamp(), run_by = $2"
		" WHERE id OPERATOR(pg_catalog.=) $1",
	.nargs = 2,
	.argtypes = {INT8OID, NAMEOID}
};

static MigrateQuery finish_release_query = {
	.sql =
		"UPDATE migrate.releases"
		"   SET state = $2, finished_at = pg_catalog.clock_timestamp(),"
		"       started_at = COALESCE(started_at, pg_catalog.clock_timestamp()),"
		"       run_by = COALESCE(run_by, $8),"
		"       sqlstate = $3, message = $4, detail = $5, hint = $6, context = $7"
		" WHERE id OPERATOR(pg_catalog.=) $1",
	.nargs = 8,
	.argtypes = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	NAMEOID}
};

static MigrateQuery cancel_release_query = {
	.sql =
		"UPDATE migrate.releases"
		"   SET state = 'cancelled', finished_at = pg_catalog.clock_timestamp(),"
		"       cancelled_by = $2"
		" WHERE id OPERATOR(pg_catalog.=) $1",
	.nargs = 2,
	.argtypes = {INT8OID, NAMEOID}
};

/*
 * What differs between the approved snapshot ($1) and the migrations
 * about to be applied ($2): one row per difference, in the order of the
 * release, then of the plan.
 */
static MigrateQuery differences_query = {
	.sql =
		"SELECT COALESCE(s.version, u.version), m.name, COALESCE(m.checksum, s.checksum),"
		"       CASE WHEN s.version IS NULL THEN 'not approved for this release'"
		"            WHEN u.version IS NULL THEN 'approved for this release but no longer pending'"
		"            ELSE 'text changed since it was approved' END"
		"  FROM (SELECT e.j OPERATOR(pg_catalog.->>) 'version' AS version,"
		"               e.j OPERATOR(pg_catalog.->>) 'checksum' AS checksum, e.n"
		"          FROM pg_catalog.jsonb_array_elements($1::pg_catalog.jsonb)"
		"               WITH ORDINALITY e(j, n)) s"
		"  FULL JOIN pg_catalog.unnest($2) WITH ORDINALITY u(version, n)"
		"    ON u.version OPERATOR(pg_catalog.=) s.version"
		"  LEFT JOIN migrate.migrations m"
		"    ON m.version OPERATOR(pg_catalog.=) COALESCE(s.version, u.version)"
		" WHERE s.version IS NULL OR u.version IS NULL"
		"    OR m.checksum IS DISTINCT FROM s.checksum"
		" ORDER BY s.n, u.n",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTARRAYOID}
};

/* a text[] of the versions of a list of MigratePlanEntry */
static Datum
versions_array(const List *entries)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(entries), 1));
	int			n = 0;
	const ListCell *lc;

	foreach(lc, entries)
		elems[n++] = CStringGetTextDatum(((const MigratePlanEntry *) lfirst(lc))->version);
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/* "s" as one word of a shell command line: in single quotes */
static char *
shell_quote(const char *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '\'');
	for (; *s; s++)
	{
		if (*s == '\'')
			appendStringInfoString(&buf, "'\\''");
		else
			appendStringInfoChar(&buf, *s);
	}
	appendStringInfoChar(&buf, '\'');
	return buf.data;
}

static bool
cron_installed(void)
{
	bool		installed;

	(void) migrate_store_exec(&cron_installed_query, NULL, NULL, 1);
	installed = SPI_processed > 0;
	migrate_store_done();
	return installed;
}

/*
 * Refuse a caller who may not schedule or cancel releases: those who may
 * approve may (approve.c).
 */
static void
check_releaser(bool scheduling)
{
	if (migrate_may_approve())
		return;
	if (scheduling)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" may not schedule a release", migrate_current_user_name()),
				 errdetail("Only %s may schedule or cancel releases. Nothing was changed.",
						   migrate_approvers_text())));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("role \"%s\" may not cancel a release", migrate_current_user_name()),
			 errdetail("Only %s may schedule or cancel releases. Nothing was changed.",
					   migrate_approvers_text())));
}

/*
 * The differences between what was approved for "rel" and "entries", as
 * MigrateUnapproved (their "state" says what differs), then the
 * migrations whose approval no longer stands.
 */
static List *
release_differences(const MigrateRelease *rel, const List *entries)
{
	Datum		args[2];
	List	   *result = NIL;
	uint64		i;

	args[0] = CStringGetTextDatum(rel->approved);
	args[1] = versions_array(entries);
	(void) migrate_store_exec(&differences_query, args, NULL, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		MigrateUnapproved *u = palloc0(sizeof(MigrateUnapproved));

		u->version = migrate_store_getstr(i, 1);
		u->name = migrate_store_getstr(i, 2);
		u->checksum = migrate_store_getstr(i, 3);
		u->state = migrate_store_getstr(i, 4);
		result = lappend(result, u);
	}
	migrate_store_done();
	if (result == NIL)
		result = migrate_unapproved(entries);
	return result;
}

/*
 * Record the refusal of the differing migrations in the history, and
 * raise it.
 */
static void
refuse_release(const MigrateRelease *rel, const List *differences,
			   bool commit)
{
	StringInfoData detail;
	const ListCell *lc;
	int			n = list_length(differences);

	initStringInfo(&detail);
	foreach(lc, differences)
	{
		const MigrateUnapproved *u = lfirst(lc);

		appendStringInfo(&detail, "%s\"%s\": %s", detail.len ? "; " : "",
						 u->version, u->state);
		if (u->checksum)
			migrate_record_approval_event(u->version, u->name, u->checksum,
										  "refuse",
										  psprintf("release " INT64_FORMAT ": %s",
												   rel->id, u->state));
	}
	if (commit)
		SPI_commit();
	ereport(ERROR,
			(errcode(MIGRATE_ERRCODE_RELEASE_CHANGED),
			 errmsg("release " INT64_FORMAT " differs from what was approved", rel->id),
			 errdetail_plural("%d migration differs (%s). Nothing was applied.",
							  "%d migrations differ (%s). Nothing was applied.",
							  n, n, detail.data),
			 errhint("Review the pending migrations in migrate.review, approve them, and schedule a new release with SELECT migrate.release(...).")));
}

/*
 * The engine's pending check while run_release() runs: the migrations
 * run() is about to apply, under the migrate lock, must be what was
 * approved for the release.
 */
void
migrate_check_release(const List *entries, bool can_commit)
{
	List	   *differences;

	if (running_release == NULL)
		return;
	differences = release_differences(running_release, entries);
	if (differences != NIL)
		refuse_release(running_release, differences, can_commit);
}

/*
 * release(target text, at timestamptz, role name, note text) returns bigint
 */
Datum
migrate_release(PG_FUNCTION_ARGS)
{
	char	   *target = migrate_text_arg(fcinfo, 0);
	TimestampTz at = PG_ARGISNULL(1) ? GetCurrentTransactionStartTimestamp() :
		PG_GETARG_TIMESTAMPTZ(1);
	char	   *role = PG_ARGISNULL(2) ? migrate_current_user_name() :
		pstrdup(NameStr(*PG_GETARG_NAME(2)));
	char	   *note = migrate_text_arg(fcinfo, 3);
	char	   *me;
	Oid			roleid;
	bytea	   *upto;
	bool		zero;
	List	   *entries;
	List	   *unapproved;
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	char	   *schedule;
	bool		isnull;
	int64		id;

	roleid = get_role_oid(role, true);
	if (!OidIsValid(roleid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" of the release does not exist", role),
				 errhint("Pass the role the release runs as, or leave \"role\" out to run it as yourself.")));
	if (!is_member_of_role(GetUserId(), roleid))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" may not schedule a release as role \"%s\"",
						migrate_current_user_name(), role),
				 errdetail("A release runs as its role: only its members schedule one. Nothing was changed.")));
	if (target && strcmp(target, "zero") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a release cannot have target \"zero\""),
				 errdetail("A release applies approved pending migrations. Nothing was scheduled."),
				 errhint("Revert with CALL migrate.run(target => 'zero') yourself.")));
	migrate_call_begin();
	check_releaser(true);
	me = migrate_current_user_name();
	migrate_check_not_modified();
	upto = migrate_target_key(target, &zero);
	entries = migrate_plan_applies(upto, true);
	if (entries == NIL && target)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no pending migrations up to migration \"%s\" to release", target),
				 errdetail("Nothing was scheduled."),
				 errhint("SELECT * FROM migrate.review lists the pending migrations.")));
	if (entries == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no pending migrations to release"),
				 errdetail("Nothing was scheduled."),
				 errhint("SELECT * FROM migrate.review lists the pending migrations.")));
	unapproved = migrate_unapproved(entries);
	if (unapproved != NIL)
		migrate_refuse_unapproved(unapproved, true);

	/* cron has minute granularity: the release runs at the next minute */
	values[0] = TimestampTzGetDatum(at);
	(void) migrate_store_exec(&schedule_query, values, NULL, 1);
	at = DatumGetTimestampTz(migrate_store_getdatum(0, 1, &isnull));
	schedule = migrate_store_getstr(0, 2);
	migrate_store_done();

	values[0] = migrate_text_or_null(target, &nulls[0]);
	values[1] = TimestampTzGetDatum(at);
	values[2] = migrate_name_datum(role);
	values[3] = versions_array(entries);
	values[4] = migrate_text_or_null(note, &nulls[4]);
	values[5] = migrate_name_datum(me);
	(void) migrate_store_exec(&insert_release_query, values, nulls, 1);
	id = DatumGetInt64(migrate_store_getdatum(0, 1, &isnull));
	migrate_store_done();

	if (cron_installed())
	{
		Datum		args[4];
		Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
		int64		job;
		char		nulls3[3] = {' ', ' ', 'n'};

		/* as the caller: pg_cron checks who may schedule as whom */
		args[0] = CStringGetTextDatum(psprintf("migrate release " INT64_FORMAT, id));
		args[1] = CStringGetTextDatum(schedule);
		args[2] = CStringGetTextDatum(psprintf("CALL migrate.run_release(" INT64_FORMAT ")", id));
		args[3] = CStringGetTextDatum(role);
		if (SPI_execute_with_args("SELECT cron.schedule_in_database($1, $2, $3,"
								  " pg_catalog.current_database(), $4)",
								  4, argtypes, args, NULL, false, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "cron.schedule_in_database() failed");
		job = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull));
		values[0] = Int64GetDatum(id);
		values[1] = Int64GetDatum(job);
		(void) migrate_store_exec(&set_cron_query, values, nulls3, 0);
		ereport(NOTICE,
				(errmsg("release " INT64_FORMAT " is scheduled for %s as pg_cron job " INT64_FORMAT,
						id, timestamptz_to_str(at), job),
				 errdetail_plural("It applies %d migration as role \"%s\".",
								  "It applies %d migrations as role \"%s\".",
								  list_length(entries), list_length(entries), role)));
	}
	else
	{
		char	   *line;
		char		nulls2[3] = {' ', 'n', ' '};

		line = psprintf("%s psql -X -d %s -U %s -c 'CALL migrate.run_release(" INT64_FORMAT ")'",
						schedule,
						shell_quote(get_database_name(MyDatabaseId)),
						shell_quote(role), id);
		values[0] = Int64GetDatum(id);
		values[1] = (Datum) 0;
		values[2] = CStringGetTextDatum(line);
		(void) migrate_store_exec(&set_cron_query, values, nulls2, 0);
		ereport(NOTICE,
				(errmsg("release " INT64_FORMAT " is recorded for %s, but pg_cron is not installed in this database",
						id, timestamptz_to_str(at)),
				 errdetail("Nothing will run it unless this line (UTC) is installed in a crontab:\n%s",
						   line),
				 errhint("Or CREATE EXTENSION pg_cron, cancel this release with SELECT migrate.cancel_release(" INT64_FORMAT "), and schedule it again.",
						 id)));
	}
	migrate_call_end();
	PG_RETURN_INT64(id);
}

/*
 * Load release "id" for update into "rel" (in the current memory context).
 */
static void
load_release(int64 id, MigrateRelease *rel)
{
	Datum		arg = Int64GetDatum(id);
	bool		isnull;
	Datum		d;

	(void) migrate_store_exec(&load_release_query, &arg, NULL, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("release " INT64_FORMAT " does not exist", id),
				 errhint("SELECT * FROM migrate.release_status lists the releases.")));
	rel->id = id;
	rel->target = migrate_store_getstr(0, 1);
	rel->approved = migrate_store_getstr(0, 2);
	rel->role = migrate_store_getstr(0, 3);
	rel->state = migrate_store_getstr(0, 4);
	rel->at = DatumGetTimestampTz(migrate_store_getdatum(0, 5, &isnull));
	d = migrate_store_getdatum(0, 6, &isnull);
	rel->cron_job = isnull ? 0 : DatumGetInt64(d);
	migrate_store_done();
}

static void
refuse_not_scheduled(const MigrateRelease *rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("release " INT64_FORMAT " is %s, not scheduled", rel->id, rel->state),
			 errdetail("Nothing was changed."),
			 errhint("SELECT * FROM migrate.release_status shows its outcome; schedule a new release with SELECT migrate.release(...).")));
}

/* remove the pg_cron job of a release, if pg_cron and the job are there */
typedef struct UnscheduleArgs
{
	int64		job;
} UnscheduleArgs;

static void
unschedule_work(void *arg)
{
	UnscheduleArgs *ua = (UnscheduleArgs *) arg;
	Datum		job = Int64GetDatum(ua->job);
	Oid			argtype = INT8OID;

	(void) SPI_execute_with_args("SELECT cron.unschedule($1)", 1, &argtype,
								 &job, NULL, false, 0);
}

static void
unschedule(const MigrateRelease *rel)
{
	UnscheduleArgs ua;
	ErrorData  *edata;

	if (rel->cron_job == 0 || !cron_installed())
		return;
	ua.job = rel->cron_job;
	/* a job removed by hand is no reason to fail */
	edata = migrate_subtransaction_error(unschedule_work, &ua);
	if (edata)
		ereport(WARNING,
				(errmsg("could not remove pg_cron job " INT64_FORMAT " of release " INT64_FORMAT,
						rel->cron_job, rel->id),
				 errdetail("%s", edata->message),
				 errhint("The release runs only once whatever the job does; remove the job with SELECT cron.unschedule(" INT64_FORMAT ").",
						 rel->cron_job)));
}

/*
 * Record the outcome of a release, with the error if there is one, in a
 * transaction of its own, and commit it.
 */
static void
record_outcome(const MigrateRelease *rel, const char *state, ErrorData *edata)
{
	Datum		values[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = Int64GetDatum(rel->id);
	values[1] = CStringGetTextDatum(state);
	values[2] = migrate_text_or_null(edata ? unpack_sql_state(edata->sqlerrcode) : NULL, &nulls[2]);
	values[3] = migrate_text_or_null(edata ? edata->message : NULL, &nulls[3]);
	values[4] = migrate_text_or_null(edata ? edata->detail : NULL, &nulls[4]);
	values[5] = migrate_text_or_null(edata ? edata->hint : NULL, &nulls[5]);
	values[6] = migrate_text_or_null(edata ? edata->context : NULL, &nulls[6]);
	values[7] = migrate_name_datum(migrate_current_user_name());
	(void) migrate_store_exec(&finish_release_query, values, nulls, 0);
}

/*
 * Check that release "id" may start now and start it: refused (and
 * recorded so) when what it would run differs from what was approved.
 * Commits.
 */
static void
start_release(MigrateRelease *rel)
{
	bytea	   *upto;
	bool		zero;
	List	   *entries;
	List	   *differences;
	char	   *me = migrate_current_user_name();

	load_release(rel->id, rel);
	if (strcmp(rel->state, "scheduled") != 0)
		refuse_not_scheduled(rel);
	if (rel->at > GetCurrentTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("release " INT64_FORMAT " is scheduled for %s", rel->id,
						timestamptz_to_str(rel->at)),
				 errdetail("It does not run before its time. Nothing was changed."),
				 errhint("To run it now, cancel it with SELECT migrate.cancel_release(" INT64_FORMAT ") and schedule it again with at => now().",
						 rel->id)));
	if (strcmp(rel->role, me) != 0 && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("release " INT64_FORMAT " runs as role \"%s\", not as role \"%s\"",
						rel->id, rel->role, me),
				 errdetail("Nothing was changed."),
				 errhint("Run it connected as role \"%s\", as its pg_cron job does.", rel->role)));
	release_checked = true;
	unschedule(rel);

	migrate_check_not_modified();
	upto = migrate_target_key(rel->target, &zero);
	entries = migrate_plan_applies(upto, true);
	differences = release_differences(rel, entries);
	if (differences != NIL)
	{
		MemoryContext cxt = CurrentMemoryContext;
		ErrorData  *edata = NULL;

		PG_TRY();
		{
			refuse_release(rel, differences, false);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
		}
		PG_END_TRY();
		/* the refusal and its history rows are one transaction */
		record_outcome(rel, "refused", edata);
		SPI_commit();
		release_recorded = true;
		ReThrowError(edata);
	}

	{
		Datum		values[2];

		values[0] = Int64GetDatum(rel->id);
		values[1] = migrate_name_datum(me);
		(void) migrate_store_exec(&start_release_query, values, NULL, 0);
	}
	SPI_commit();
}

/*
 * CALL migrate.run_release(id bigint)
 */
Datum
migrate_run_release(PG_FUNCTION_ARGS)
{
	MigrateRelease *rel;
	volatile bool started = false;
	MemoryContext oldcontext = CurrentMemoryContext;
	MemoryContext runcxt;
	ErrorData  *volatile edata = NULL;
	bool		nonatomic;

	nonatomic = fcinfo->context && IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;
	if (!nonatomic)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("CALL migrate.run_release() cannot run inside a transaction block"),
				 errdetail("It commits after each migration, as CALL migrate.run() does. Nothing was run."),
				 errhint("Call it on its own, outside BEGIN ... COMMIT, as its pg_cron job does.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"id\" of migrate.run_release() must not be NULL"),
				 errhint("SELECT * FROM migrate.release_status lists the releases.")));
	migrate_refuse_in_migration();

	/*
	 * A context that outlives the commits and the abort; the release lives
	 * in it, not in a local that setjmp could not keep.
	 */
	runcxt = AllocSetContextCreate(TopMemoryContext, "migrate release",
								   ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(runcxt);
	rel = palloc0(sizeof(MigrateRelease));
	rel->id = PG_GETARG_INT64(0);
	release_checked = false;
	release_recorded = false;
	PG_TRY();
	{
		if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect_ext failed");
		MemoryContextSwitchTo(runcxt);
		start_release(rel);
		SPI_finish();
		MemoryContextSwitchTo(runcxt);
	}
	PG_CATCH();
	{
		/*
		 * Refused before it started: nothing of the release changed, or
		 * the refusal is recorded.  Any other error of a due release is
		 * its outcome.
		 */
		if (!release_checked || release_recorded)
		{
			MemoryContextSwitchTo(oldcontext);
			MemoryContextDelete(runcxt);
			PG_RE_THROW();
		}
		MemoryContextSwitchTo(runcxt);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();

	if (edata == NULL)
	{
		started = true;
		running_release = rel;
		PG_TRY();
		{
			migrate_run_procedure(rel->target);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(runcxt);
			edata = CopyErrorData();
			FlushErrorState();
		}
		PG_END_TRY();
		running_release = NULL;
	}
	MemoryContextSwitchTo(runcxt);

	if (edata)
	{
		/*
		 * run() has rolled back the failed migration's subtransaction and
		 * released its lock; what is left is its failed transaction.
		 * Abort it as ROLLBACK in a procedure does (and as the error would
		 * at top level), then go on in a new one.
		 */
		if (IsSubTransaction())
			ReThrowError(edata);
		HOLD_INTERRUPTS();
		ForgetPortalSnapshots();
		AbortCurrentTransaction();
		StartTransactionCommand();
		RESUME_INTERRUPTS();
		MemoryContextSwitchTo(runcxt);
	}

	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect_ext failed");
	MemoryContextSwitchTo(runcxt);
	/* a release that failed before it started lost its job's removal */
	if (edata && !started)
		unschedule(rel);
	record_outcome(rel,
				   edata == NULL ? "succeeded" :
				   (edata->sqlerrcode == MIGRATE_ERRCODE_RELEASE_CHANGED ||
					edata->sqlerrcode == MIGRATE_ERRCODE_UNAPPROVED) ?
				   "refused" : "failed",
				   edata);
	SPI_commit();
	SPI_finish();
	if (debug_query_string)
		pgstat_report_activity(STATE_RUNNING, debug_query_string);
	MemoryContextSwitchTo(oldcontext);

	if (edata)
	{
		/* ReThrowError copies it: the context can go first */
		ErrorData  *copy = palloc(sizeof(ErrorData));

		memcpy(copy, edata, sizeof(ErrorData));
		copy->message = pstrdup(edata->message);
		copy->detail = edata->detail ? pstrdup(edata->detail) : NULL;
		copy->hint = edata->hint ? pstrdup(edata->hint) : NULL;
		copy->context = edata->context ? pstrdup(edata->context) : NULL;
		copy->detail_log = NULL;
		copy->internalquery = NULL;
		copy->backtrace = NULL;
		copy->context_domain = NULL;
		MemoryContextDelete(runcxt);
		ReThrowError(copy);
	}
	ereport(NOTICE,
			(errmsg("release " INT64_FORMAT " succeeded", rel->id)));
	MemoryContextDelete(runcxt);
	PG_RETURN_VOID();
}

/*
 * cancel_release(id bigint) returns void
 */
Datum
migrate_cancel_release(PG_FUNCTION_ARGS)
{
	MigrateRelease rel;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"id\" of migrate.cancel_release() must not be NULL"),
				 errhint("SELECT * FROM migrate.release_status lists the releases.")));
	memset(&rel, 0, sizeof(rel));
	migrate_spi_connect();
	check_releaser(false);
	load_release(PG_GETARG_INT64(0), &rel);
	if (strcmp(rel.state, "scheduled") != 0)
		refuse_not_scheduled(&rel);
	{
		Datum		values[2];

		values[0] = Int64GetDatum(rel.id);
		values[1] = migrate_name_datum(migrate_current_user_name());
		(void) migrate_store_exec(&cancel_release_query, values, NULL, 0);
	}
	unschedule(&rel);
	SPI_finish();
	PG_RETURN_VOID();
}
