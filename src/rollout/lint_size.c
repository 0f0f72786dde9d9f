/*-------------------------------------------------------------------------
 *
 * lint_size.c
 *	  The size of what a statement touches, from the live catalog: rows,
 *	  bytes and activity of a table, and how much of an int sequence is
 *	  used.
 *
 * Lint never waits and never blocks: it reads pg_class (reltuples,
 * relpages) without a lock, and measures a table's file (as
 * pg_relation_size() does) only when it gets an ACCESS SHARE lock at
 * once; when a migration or another session holds a conflicting lock,
 * relpages is the size.  The TOAST table counts with its relpages.  A table never analyzed (reltuples -1) counts the live tuples
 * of the statistics collector instead.  Activity is what
 * pg_stat_user_tables counts: sequential and index scans, and rows
 * inserted, updated and deleted since the statistics were reset.
 *
 * IDENTIFICATION
 *	  src/rollout/lint_size.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/dependency.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "rollout/rollout.h"

/*
 * migrate.lint_rows_warning, migrate.lint_rows_error (rows) and
 * migrate.lint_bytes_warning, migrate.lint_bytes_error (kB), defined as
 * settings in lint.c.
 */
int			migrate_lint_rows_warning = 10000;
int			migrate_lint_rows_error = 1000000;
int			migrate_lint_bytes_warning = 10 * 1024;
int			migrate_lint_bytes_error = 1024 * 1024;

/*
 * A statistics counter of relation "relid" (one of pg_stat_get_*()).
 */
static int64
stat_counter(PGFunction counter, Oid relid)
{
	return DatumGetInt64(DirectFunctionCall1(counter, ObjectIdGetDatum(relid)));
}

/*
 * The pages of relation "relid" as pg_class last counted them (VACUUM,
 * ANALYZE, CREATE INDEX), or 0.
 */
static int64
catalog_pages(Oid relid)
{
	HeapTuple	tuple;
	int64		pages = 0;

	if (!OidIsValid(relid))
		return 0;
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tuple))
	{
		pages = ((Form_pg_class) GETSTRUCT(tuple))->relpages;
		ReleaseSysCache(tuple);
	}
	return pages;
}

/*
 * Size "t" from the catalog and the statistics, once, when a finding
 * needs it: most statements a script runs on a table have none, and
 * registration with migrate.lint_level must stay cheap.  The bytes are
 * the table's main fork, as pg_relation_size() counts it now, and its
 * TOAST table's pages as pg_class last counted them.
 */
void
migrate_lint_size(MigrateLintTable *t)
{
	HeapTuple	tuple;
	Form_pg_class classform;
	int64		relpages;
	Oid			toastid;

	if (t->sized)
		return;
	t->sized = true;
	t->rows = -1;
	t->bytes = -1;
	t->activity = 0;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(t->relid));
	if (!HeapTupleIsValid(tuple))
		return;
	classform = (Form_pg_class) GETSTRUCT(tuple);
	t->rows = classform->reltuples;
	relpages = classform->relpages;
	toastid = classform->reltoastrelid;
	ReleaseSysCache(tuple);

	t->activity = stat_counter(pg_stat_get_numscans, t->relid) +
		stat_counter(pg_stat_get_tuples_inserted, t->relid) +
		stat_counter(pg_stat_get_tuples_updated, t->relid) +
		stat_counter(pg_stat_get_tuples_deleted, t->relid);
	if (t->rows < 0)
		t->rows = (double) stat_counter(pg_stat_get_live_tuples, t->relid);

	/* the file's size, and the index scans, only without waiting */
	if (ConditionalLockRelationOid(t->relid, AccessShareLock))
	{
		Relation	rel = try_relation_open(t->relid, NoLock);

		if (rel != NULL)
		{
			List	   *indexes = RelationGetIndexList(rel);
			ListCell   *lc;

			foreach(lc, indexes)
				t->activity += stat_counter(pg_stat_get_numscans, lfirst_oid(lc));
			list_free(indexes);
			if (RELKIND_HAS_STORAGE(rel->rd_rel->relkind))
				t->bytes = (int64) RelationGetNumberOfBlocks(rel) * BLCKSZ;
			relation_close(rel, NoLock);
		}
		UnlockRelationOid(t->relid, AccessShareLock);
	}
	if (t->bytes < 0)
		t->bytes = relpages * BLCKSZ;
	t->bytes += catalog_pages(toastid) * BLCKSZ;
}

/*
 * The table "relid", from the list "tables" of those already seen in
 * this script, or added to it now, named but not sized yet
 * (migrate_lint_size()).
 */
MigrateLintTable *
migrate_lint_table(List **tables, Oid relid)
{
	ListCell   *lc;
	MigrateLintTable *t;
	HeapTuple	tuple;

	foreach(lc, *tables)
	{
		t = (MigrateLintTable *) lfirst(lc);
		if (t->relid == relid)
			return t;
	}
	t = palloc0(sizeof(MigrateLintTable));
	t->relid = relid;
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tuple))
	{
		Form_pg_class classform = (Form_pg_class) GETSTRUCT(tuple);

		t->relkind = classform->relkind;
		t->name = quote_qualified_identifier(get_namespace_name(classform->relnamespace),
											 NameStr(classform->relname));
		ReleaseSysCache(tuple);
	}
	t->rows = -1;
	t->bytes = -1;
	t->activity = -1;
	*tables = lappend(*tables, t);
	return t;
}

/*
 * The severity of a statement that holds its lock for as long as its work
 * on "t" lasts: from the size thresholds, migrate.lint_rows_* and
 * migrate.lint_bytes_* (kB).
 */
MigrateLintSeverity
migrate_lint_size_severity(MigrateLintTable *t)
{
	double		kb;

	migrate_lint_size(t);
	kb = t->bytes < 0 ? 0 : (double) t->bytes / 1024;

	if (t->rows >= migrate_lint_rows_error || kb >= migrate_lint_bytes_error)
		return MIGRATE_LINT_ERROR;
	if (t->rows >= migrate_lint_rows_warning || kb >= migrate_lint_bytes_warning)
		return MIGRATE_LINT_WARNING;
	return MIGRATE_LINT_INFO;
}

/*
 * "public.orders (12000 rows, 1024 kB)": a table and its size, for the
 * cost of a finding.
 */
char *
migrate_lint_size_text(MigrateLintTable *t)
{
	char	   *size;

	migrate_lint_size(t);
	size = text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
															  Int64GetDatum(t->bytes < 0 ? 0 : t->bytes))));
	return psprintf("%s (%.0f rows, %s)", t->name, t->rows < 0 ? 0 : t->rows,
					size);
}

/*
 * The last value of sequence "seqid", or false when it was never used or
 * the caller may not read it (lint needs no more privilege than the
 * migration's own statements).
 */
static bool
sequence_last_value(Oid seqid, int64 *value)
{
	LOCAL_FCINFO(fcinfo, 1);
	Datum		result;

	if (pg_class_aclcheck(seqid, GetUserId(), ACL_SELECT | ACL_USAGE) != ACLCHECK_OK)
		return false;
	InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = ObjectIdGetDatum(seqid);
	fcinfo->args[0].isnull = false;
	result = pg_sequence_last_value(fcinfo);
	if (fcinfo->isnull)
		return false;
	*value = DatumGetInt64(result);
	return true;
}

/*
 * The int2 or int4 column of table "relid" filled by a sequence (serial or
 * identity) whose values are the most used up: true, with the column, the
 * sequence and the fraction of the column type's range its last value has
 * reached; false if it has none.
 */
/*
 * True if table "relid" has an int2 or int4 column with a default or an
 * identity: only such a table can have a sequence this rule is about.
 * Its attributes are in the catalog cache, so this is much cheaper than
 * the scan of pg_depend that finds the sequences.
 */
static bool
has_int_sequence_column(Oid relid)
{
	HeapTuple	reltuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	int			natts;
	int			attnum;
	bool		found = false;

	if (!HeapTupleIsValid(reltuple))
		return false;
	natts = ((Form_pg_class) GETSTRUCT(reltuple))->relnatts;
	ReleaseSysCache(reltuple);

	for (attnum = 1; attnum <= natts && !found; attnum++)
	{
		HeapTuple	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid),
											Int16GetDatum(attnum));
		Form_pg_attribute att;

		if (!HeapTupleIsValid(tuple))
			continue;
		att = (Form_pg_attribute) GETSTRUCT(tuple);
		found = !att->attisdropped &&
			(att->atttypid == INT4OID || att->atttypid == INT2OID) &&
			(att->atthasdef || att->attidentity != '\0');
		ReleaseSysCache(tuple);
	}
	return found;
}

bool
migrate_lint_sequence_use(Oid relid, char **column, char **sequence,
						  double *used)
{
	List	   *seqs;
	ListCell   *lc;
	bool		found = false;

	*used = 0;
	if (!has_int_sequence_column(relid))
		return false;
	seqs = getOwnedSequences(relid);
	foreach(lc, seqs)
	{
		Oid			seqid = lfirst_oid(lc);
		Oid			tableid;
		int32		colid;
		Oid			coltype;
		double		limit;
		int64		last;

		if (!sequenceIsOwned(seqid, DEPENDENCY_AUTO, &tableid, &colid) &&
			!sequenceIsOwned(seqid, DEPENDENCY_INTERNAL, &tableid, &colid))
			continue;
		coltype = get_atttype(relid, (AttrNumber) colid);
		if (coltype == INT4OID)
			limit = (double) PG_INT32_MAX;
		else if (coltype == INT2OID)
			limit = (double) PG_INT16_MAX;
		else
			continue;
		if (!sequence_last_value(seqid, &last))
			continue;
		if (!found || (double) last / limit > *used)
		{
			found = true;
			*used = (double) last / limit;
			*column = get_attname(relid, (AttrNumber) colid, false);
			*sequence = quote_qualified_identifier(get_namespace_name(get_rel_namespace(seqid)),
												   get_rel_name(seqid));
		}
	}
	list_free(seqs);
	return found;
}
