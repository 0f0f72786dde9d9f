/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  Planning a call: which migrations to apply or revert, in which
 *	  order, and every reason to refuse, found before anything runs.
 *
 * latest(), rollback(), up(), down() and CALL migrate.run() all plan the
 * same way: pending migrations are applied in natural version order, up
 * to a target version when one is given; applied migrations are reverted
 * newest first (in the reverse of the order they were applied), the last
 * batch, all of them, or those above a target version.  A call refuses to
 * apply while an applied migration is modified, and refuses to revert an
 * irreversible migration, before it runs anything.
 *
 * The target "zero" means no migration at all: run(to => 'zero') and
 * rollback(to => 'zero') revert everything.
 *
 * IDENTIFICATION
 *	  src/engine/plan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/varlena.h"

#include "engine/engine.h"

static MigrateQuery modified_query = {
	.sql =
		"SELECT pg_catalog.string_agg(pg_catalog.format('\"%s\"', a.version), ', '"
		"                             ORDER BY a.sort_key),"
		"       pg_catalog.count(*)::pg_catalog.int4"
		"  FROM migrate.applied a"
		"  JOIN migrate.migrations m ON m.version OPERATOR(pg_catalog.=) a.version"
		" WHERE m.checksum OPERATOR(pg_catalog.<>) a.checksum",
	.nargs = 0
};

static MigrateQuery pending_query = {
	.sql =
		"SELECT m.version, m.transactional, m.sort_key"
		"  FROM migrate.migrations m"
		" WHERE NOT EXISTS (SELECT FROM migrate.applied a"
		"                    WHERE a.version OPERATOR(pg_catalog.=) m.version)"
		"   AND ($1 IS NULL OR m.sort_key OPERATOR(pg_catalog.<=) $1)"
		"   AND (m.environments IS NULL"
		"        OR COALESCE(pg_catalog.current_setting('migrate.environment', true), '')"
		"           OPERATOR(pg_catalog.=) ANY (m.environments))"
		" ORDER BY m.sort_key",
	.nargs = 1,
	.argtypes = {BYTEAOID}
};

static MigrateQuery reverts_query = {
	.sql =
		"SELECT a.version, " MIGRATE_IRREVERSIBLE("a.down") ", a.transactional"
		"  FROM migrate.applied a"
		" WHERE CASE WHEN $2 IS NOT NULL THEN a.sort_key OPERATOR(pg_catalog.>) $2"
		"            WHEN $1 THEN true"
		"            ELSE a.batch OPERATOR(pg_catalog.=)"
		"                 (SELECT pg_catalog.max(batch) FROM migrate.applied)"
		"       END"
		" ORDER BY a.history_id DESC",
	.nargs = 2,
	.argtypes = {BOOLOID, BYTEAOID}
};

static MigrateQuery highest_applied_query = {
	.sql =
		"SELECT a.version, a.sort_key FROM migrate.applied a"
		" ORDER BY a.sort_key DESC LIMIT 1",
	.nargs = 0
};

static MigrateQuery target_key_query = {
	.sql =
		"SELECT COALESCE((SELECT m.sort_key FROM migrate.migrations m"
		"                  WHERE m.version OPERATOR(pg_catalog.=) $1),"
		"                (SELECT a.sort_key FROM migrate.applied a"
		"                  WHERE a.version OPERATOR(pg_catalog.=) $1))",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

static MigrateQuery next_batch_query = {
	.sql =
		"SELECT COALESCE(pg_catalog.max(batch), 0) OPERATOR(pg_catalog.+) 1"
		"  FROM migrate.applied",
	.nargs = 0
};

static MigrateQuery describe_query = {
	.sql =
		"SELECT m.version IS NOT NULL, a.version IS NOT NULL,"
		"       COALESCE(a.transactional, m.transactional),"
		"       " MIGRATE_IRREVERSIBLE("a.down") ","
		"       (SELECT pg_catalog.string_agg(pg_catalog.format('\"%s\"', l.version),"
		"                                     ', ' ORDER BY l.history_id)"
		"          FROM migrate.applied l"
		"         WHERE l.history_id OPERATOR(pg_catalog.>) a.history_id),"
		"       COALESCE(a.name, m.name),"
		"       (SELECT pg_catalog.count(*)::pg_catalog.int4"
		"          FROM migrate.applied l"
		"         WHERE l.history_id OPERATOR(pg_catalog.>) a.history_id)"
		"  FROM (SELECT $1::pg_catalog.text AS version) v"
		"  LEFT JOIN migrate.migrations m ON m.version OPERATOR(pg_catalog.=) v.version"
		"  LEFT JOIN migrate.applied a ON a.version OPERATOR(pg_catalog.=) v.version",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

/*
 * Refuse to apply anything while an applied migration's registered text
 * differs from what was applied.
 */
void
migrate_check_not_modified(void)
{
	char	   *modified;
	int			n;
	bool		isnull;

	(void) migrate_store_exec(&modified_query, NULL, NULL, 1);
	modified = migrate_store_getstr(0, 1);
	n = DatumGetInt32(migrate_store_getdatum(0, 2, &isnull));
	migrate_store_done();

	if (modified)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("applied migration %s was modified after it was applied",
							   "applied migrations %s were modified after they were applied",
							   n, modified),
				 errdetail_plural("Its registered text no longer matches the checksum recorded when it was applied. Nothing was applied.",
								  "Their registered text no longer matches the checksum recorded when they were applied. Nothing was applied.",
								  n),
				 errhint_plural("Register the applied text again (migrate.history has it) or revert it before changing it; put new changes in a new migration.",
								"Register the applied text again (migrate.history has it) or revert them before changing them; put new changes in a new migration.",
								n)));
}

/*
 * A copy of a bytea column of the last query's row "row".
 */
static bytea *
getkey(int row, int col)
{
	bool		isnull;
	Datum		d = migrate_store_getdatum(row, col, &isnull);

	return isnull ? NULL : DatumGetByteaPCopy(d);
}

/*
 * The applied migration that sorts last, as a plan entry (version and
 * sort key), or NULL when none is applied.
 */
MigratePlanEntry *
migrate_highest_applied_entry(void)
{
	MigratePlanEntry *e = NULL;

	(void) migrate_store_exec(&highest_applied_query, NULL, NULL, 1);
	if (SPI_processed == 1)
	{
		e = palloc0(sizeof(MigratePlanEntry));
		e->version = migrate_store_getstr(0, 1);
		e->sort_key = getkey(0, 2);
	}
	migrate_store_done();
	return e;
}

/*
 * The applied version that sorts last, or NULL.
 */
char *
migrate_highest_applied(void)
{
	MigratePlanEntry *e = migrate_highest_applied_entry();

	return e ? e->version : NULL;
}

/*
 * The NOTICE of a call that finds nothing to apply (up to "target", when
 * not NULL), with the highest applied version.
 */
void
migrate_notice_nothing_pending(const char *target)
{
	char	   *current = migrate_highest_applied();

	ereport(NOTICE,
			(target ?
			 errmsg("no pending migrations up to migration \"%s\"", target) :
			 errmsg("no pending migrations"),
			 current ?
			 errdetail("The highest applied migration is \"%s\".", current) :
			 errdetail("No migration is applied.")));
}

/*
 * The number of a new batch: one more than the highest batch applied.
 */
int
migrate_next_batch(void)
{
	bool		isnull;
	int			batch;

	(void) migrate_store_exec(&next_batch_query, NULL, NULL, 1);
	batch = DatumGetInt32(migrate_store_getdatum(0, 1, &isnull));
	migrate_store_done();
	return batch;
}

/*
 * What is known of one version.
 */
void
migrate_describe_version(const char *version, MigrateVersionInfo *info)
{
	Datum		arg = CStringGetTextDatum(version);
	bool		isnull;

	(void) migrate_store_exec(&describe_query, &arg, NULL, 1);
	info->registered = DatumGetBool(migrate_store_getdatum(0, 1, &isnull));
	info->applied = DatumGetBool(migrate_store_getdatum(0, 2, &isnull));
	info->transactional = DatumGetBool(migrate_store_getdatum(0, 3, &isnull));
	if (isnull)
		info->transactional = true;
	info->irreversible = DatumGetBool(migrate_store_getdatum(0, 4, &isnull));
	info->applied_after = migrate_store_getstr(0, 5);
	info->name = migrate_store_getstr(0, 6);
	info->napplied_after = DatumGetInt32(migrate_store_getdatum(0, 7, &isnull));
	migrate_store_done();
}

/*
 * Every registered or applied version, in migrate's order, and whether it
 * sorts before $1.
 */
static MigrateQuery versions_query = {
	.sql =
		"SELECT v.version, v.sort_key OPERATOR(pg_catalog.<) migrate.version_key($1)"
		"  FROM (SELECT version, sort_key FROM migrate.migrations"
		"        UNION"
		"        SELECT version, sort_key FROM migrate.applied) v"
		" ORDER BY v.sort_key",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

/*
 * The applied version just below applied version $1, if any.
 */
static MigrateQuery applied_below_query = {
	.sql =
		"SELECT a.version FROM migrate.applied a"
		" WHERE a.sort_key OPERATOR(pg_catalog.<)"
		"       (SELECT b.sort_key FROM migrate.applied b WHERE b.version OPERATOR(pg_catalog.=) $1)"
		" ORDER BY a.sort_key DESC LIMIT 1",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

/*
 * How many DDL statements are drift: uncaptured, undismissed.
 */
static MigrateQuery drift_count_query = {
	.sql =
		"SELECT pg_catalog.count(*) FROM migrate.ddl_log l WHERE " MIGRATE_DRIFT_CONDITION,
	.nargs = 0,
	.sql_0_1 =
		"SELECT pg_catalog.count(*) FROM migrate.ddl_log l WHERE " MIGRATE_DRIFT_CONDITION_0_1
};

/*
 * How many statements drift() shows, a number only (drift_count() and
 * view summary show it to anyone).  The caller is connected to SPI.
 */
int64
migrate_drift_statements(void)
{
	bool		isnull;
	int64		n;

	(void) migrate_store_exec(&drift_count_query, NULL, NULL, 1);
	n = DatumGetInt64(migrate_store_getdatum(0, 1, &isnull));
	migrate_store_done();
	return n;
}

/*
 * Warn before a deploy when DDL ran outside migrations and nobody has
 * captured or dismissed it: the deploy's migrations are written against
 * a schema that is not the one in the database.
 */
void
migrate_warn_drift(void)
{
	int64		n = migrate_drift_statements();

	if (n > 0)
		ereport(WARNING,
				(errmsg_plural("%lld DDL statement ran outside migrations and is not captured",
							   "%lld DDL statements ran outside migrations and are not captured",
							   n, (long long) n),
				 errdetail("The migrations being applied were written against a schema without them."),
				 errhint("SELECT * FROM migrate.drift() lists them; turn them into a migration with migrate.capture(version), or acknowledge them with migrate.dismiss_drift(reason).")));
}

/*
 * How many versions a typo hint names at most.
 */
#define MAX_TYPO_VERSIONS	3

/*
 * Find the names that "query" returns nearest to unknown "version", for
 * the messages that refuse it: those a typo away from it (within one
 * edit, two for names of six characters or more; none for names of one
 * or two characters, where every other short name is one edit away), or
 * else the names just before and after it in migrate's order.  "query"
 * takes the unknown name as $1 and returns every known name with whether
 * it sorts before $1, in migrate's order: versions here, seed names in
 * seed.c.  The caller is connected to SPI.
 */
void
migrate_nearest_names(MigrateQuery *query, const char *version,
					  MigrateNearest *nearest)
{
	Datum		arg = CStringGetTextDatum(version);
	int			len = strlen(version);
	/* no typo is guessed in a name of one or two characters */
	int			max_edits = len < 3 ? -1 : len < 6 ? 1 : 2;
	int			best = max_edits + 1;
	int			ntypos = 0;
	const char *typos[MAX_TYPO_VERSIONS];
	uint64		i;

	memset(nearest, 0, sizeof(MigrateNearest));
	(void) migrate_store_exec(query, &arg, NULL, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *v = migrate_store_getstr(i, 1);
		bool		isnull;
		bool		before = DatumGetBool(migrate_store_getdatum(i, 2, &isnull));
		int			d = max_edits < 0 ? 0 :
			varstr_levenshtein_less_equal(version, len, v, strlen(v),
										  1, 1, 1, max_edits, true);

		if (d < best)
		{
			best = d;
			ntypos = 0;
		}
		if (d == best && ntypos < MAX_TYPO_VERSIONS)
			typos[ntypos++] = v;
		if (before)
			nearest->before = v;
		else if (nearest->after == NULL)
			nearest->after = v;
	}
	migrate_store_done();

	if (ntypos > 0 && max_edits >= 0 && best <= max_edits)
	{
		StringInfoData buf;
		int			j;

		initStringInfo(&buf);
		for (j = 0; j < ntypos; j++)
			appendStringInfo(&buf, "%s\"%s\"", j == 0 ? "" : ", ", typos[j]);
		nearest->typos = buf.data;
		nearest->ntypos = ntypos;
	}
}

/*
 * Find the registered or applied versions nearest to unknown "version".
 */
void
migrate_nearest_versions(const char *version, MigrateNearest *nearest)
{
	migrate_nearest_names(&versions_query, version, nearest);
}

/*
 * The detail of an error about an unknown version: the versions nearest
 * to it in migrate's order.  For use inside ereport().
 */
int
migrate_errdetail_nearest(const MigrateNearest *nearest)
{
	if (nearest->before && nearest->after)
		return errdetail("The registered versions nearest to it are \"%s\" and \"%s\".",
						 nearest->before, nearest->after);
	if (nearest->before)
		return errdetail("The highest registered version is \"%s\".", nearest->before);
	if (nearest->after)
		return errdetail("The lowest registered version is \"%s\".", nearest->after);
	return errdetail("No migration is registered.");
}

/*
 * The hint of an error about an unknown version: the versions a typo away
 * from it, or "otherwise".  For use inside ereport().
 */
int
migrate_errhint_nearest(const MigrateNearest *nearest, const char *otherwise)
{
	if (nearest->ntypos > 0)
		return errhint_plural("Perhaps you meant migration %s.",
							  "Perhaps you meant one of migrations %s.",
							  nearest->ntypos, nearest->typos);
	return errhint("%s", otherwise);
}

/*
 * Refuse a version that is neither registered nor applied.
 */
void
migrate_refuse_unknown(const char *version)
{
	MigrateNearest nearest;

	migrate_nearest_versions(version, &nearest);
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("migration \"%s\" is not registered", version),
			 migrate_errdetail_nearest(&nearest),
			 migrate_errhint_nearest(&nearest,
									 _("SELECT * FROM migrate.status lists the registered migrations."))));
}

/*
 * Refuse to apply ("up") or revert a non-transactional migration inside a
 * transaction: only CALL migrate.run() can run it, at top level.
 */
void
migrate_refuse_non_transactional(const char *version, bool up)
{
	if (up)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("migration \"%s\" is not transactional and cannot be applied inside a transaction",
						version),
				 errdetail("It was registered with transactional => false: its statements must run at top level. Nothing was applied."),
				 errhint("Run CALL migrate.run() outside a transaction block: it commits after each migration and runs this one at top level.")));
	{
		/* run() reverts down to a target: the applied version below it */
		Datum		arg = CStringGetTextDatum(version);
		char	   *below;

		(void) migrate_store_exec(&applied_below_query, &arg, NULL, 1);
		below = SPI_processed == 1 ? migrate_store_getstr(0, 1) : NULL;
		migrate_store_done();
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("migration \"%s\" is not transactional and cannot be reverted inside a transaction",
						version),
				 errdetail("It was registered with transactional => false: its statements must run at top level. Nothing was reverted."),
				 errhint("Revert it with CALL migrate.run(target => '%s') outside a transaction block: it reverts every migration above that version, newest first, committing after each, and runs this one at top level.",
						 below ? below : "zero")));
	}
}

/*
 * Warn before applying "e" when a migration that sorts after it is
 * already applied ("highest", or NULL).
 */
void
migrate_warn_out_of_order(const MigratePlanEntry *e,
						  const MigratePlanEntry *highest)
{
	if (highest && migrate_sort_key_compare(e->sort_key, highest->sort_key) < 0)
		ereport(WARNING,
				(errmsg("applying migration \"%s\" out of order", e->version),
				 errdetail("Migration \"%s\", a later version, is already applied.",
						   highest->version)));
}

/*
 * The sort key of a target version given as "to", or NULL for no target.
 * "zero" stands before every version; any other target must be a
 * registered or applied version, and its key is where it sorts.
 */
bytea *
migrate_target_key(const char *to, bool *zero)
{
	Datum		arg;
	bytea	   *key;

	*zero = false;
	if (to == NULL)
		return NULL;
	if (strcmp(to, "zero") == 0)
	{
		bytea	   *empty = palloc(VARHDRSZ);

		/* the empty key sorts before every version's key */
		*zero = true;
		SET_VARSIZE(empty, VARHDRSZ);
		return empty;
	}
	migrate_check_version(to, "target");
	arg = CStringGetTextDatum(to);
	(void) migrate_store_exec(&target_key_query, &arg, NULL, 1);
	key = getkey(0, 1);
	migrate_store_done();
	if (key == NULL)
	{
		MigrateNearest nearest;

		migrate_nearest_versions(to, &nearest);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("target migration \"%s\" is not registered", to),
				 migrate_errdetail_nearest(&nearest),
				 migrate_errhint_nearest(&nearest,
										 _("Pass a registered version, or 'zero' for no migration at all."))));
	}
	return key;
}

/* set by the rollout subsystem (migrate.require_approval) */
migrate_pending_check_hook_type migrate_pending_check_hook = NULL;

/*
 * Let the hook refuse the pending migrations "entries" before any of
 * them is applied.
 */
void
migrate_check_pending(const List *entries, bool can_commit)
{
	if (entries != NIL && migrate_pending_check_hook)
		migrate_pending_check_hook(entries, can_commit);
}

/*
 * The pending migrations to apply, in order: all, or those up to and
 * including "upto" (a sort key).  Refuses if any of them is not
 * transactional, unless "allow_non_transactional".
 */
List *
migrate_plan_applies(const bytea *upto, bool allow_non_transactional)
{
	List	   *entries = NIL;
	Datum		arg = PointerGetDatum(upto);
	char		null = upto ? ' ' : 'n';
	uint64		i;

	(void) migrate_store_exec(&pending_query, &arg, &null, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		MigratePlanEntry *e = palloc0(sizeof(MigratePlanEntry));
		bool		isnull;

		e->version = migrate_store_getstr(i, 1);
		e->up = true;
		e->transactional = DatumGetBool(migrate_store_getdatum(i, 2, &isnull));
		e->sort_key = getkey(i, 3);
		entries = lappend(entries, e);
	}
	migrate_store_done();

	if (!allow_non_transactional)
	{
		ListCell   *lc;

		foreach(lc, entries)
		{
			MigratePlanEntry *e = (MigratePlanEntry *) lfirst(lc);

			if (!e->transactional)
				migrate_refuse_non_transactional(e->version, true);
		}
	}
	return entries;
}

/*
 * The applied migrations to revert, newest first: those above "above" (a
 * sort key) when it is given, else every one with "all", else the last
 * batch.  Refuses, before anything runs, if one is irreversible, or not
 * transactional unless "allow_non_transactional".
 */
List *
migrate_plan_reverts(bool all, const bytea *above, bool allow_non_transactional)
{
	List	   *entries = NIL;
	Datum		args[2];
	char		nulls[2] = {' ', above ? ' ' : 'n'};
	StringInfoData irreversible;
	const char *first_irreversible = NULL;
	int			nirreversible = 0;
	uint64		i;
	ListCell   *lc;

	args[0] = BoolGetDatum(all);
	args[1] = PointerGetDatum(above);
	(void) migrate_store_exec(&reverts_query, args, nulls, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		MigratePlanEntry *e = palloc0(sizeof(MigratePlanEntry));
		bool		isnull;

		e->version = migrate_store_getstr(i, 1);
		e->up = false;
		e->irreversible = DatumGetBool(migrate_store_getdatum(i, 2, &isnull));
		e->transactional = DatumGetBool(migrate_store_getdatum(i, 3, &isnull));
		entries = lappend(entries, e);
	}
	migrate_store_done();

	initStringInfo(&irreversible);
	foreach(lc, entries)
	{
		MigratePlanEntry *e = (MigratePlanEntry *) lfirst(lc);

		if (!e->irreversible)
			continue;
		if (first_irreversible == NULL)
			first_irreversible = e->version;
		appendStringInfo(&irreversible, "%s\"%s\"",
						 nirreversible++ > 0 ? ", " : "", e->version);
	}
	if (nirreversible == 1)
		migrate_refuse_irreversible(first_irreversible);
	if (nirreversible > 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("migration %s is irreversible",
							   "migrations %s are irreversible",
							   nirreversible, irreversible.data),
				 errdetail_plural("It was applied without a complete down script. Nothing was reverted.",
								  "They were applied without a complete down script. Nothing was reverted.",
								  nirreversible),
				 errhint_plural("Revert its changes by hand, then record that with SELECT migrate.mark_reverted(version, reason => ...).",
								"Revert their changes by hand, then record that with SELECT migrate.mark_reverted(version, reason => ...) for each of them.",
								nirreversible)));

	if (!allow_non_transactional)
	{
		foreach(lc, entries)
		{
			MigratePlanEntry *e = (MigratePlanEntry *) lfirst(lc);

			if (!e->transactional)
				migrate_refuse_non_transactional(e->version, false);
		}
	}
	return entries;
}

/*
 * Refuse to revert applied migration "version", which has no down script.
 * (migrate_plan_reverts() names several at once in a message of its own.)
 */
void
migrate_refuse_irreversible(const char *version)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("migration \"%s\" is irreversible", version),
			 errdetail("It was applied without a complete down script. Nothing was reverted."),
			 errhint("Revert its changes by hand, then record that with SELECT migrate.mark_reverted('%s', reason => ...).",
					 version)));
}
