/*-------------------------------------------------------------------------
 *
 * store.c
 *	  Access to migrate's own tables, as their owner, with a pinned
 *	  search_path.
 *
 * Migrations run with the caller's privileges and search_path: they are
 * the caller's SQL.  migrate's bookkeeping is not: the registry, applied
 * set and history are owned by the extension's owner and not writable by
 * other roles, so that a deploy role that may run migrate.latest() cannot
 * rewrite the history behind it.  Every query on those tables therefore
 * runs here, switched to the owner of schema "migrate" (as a
 * security-restricted operation, like VACUUM or REFRESH MATERIALIZED VIEW
 * on behalf of a table owner) and with search_path pinned to
 * "pg_catalog, pg_temp".  The queries are fixed strings, fully qualified;
 * values are always passed as typed parameters.
 *
 * Plans are prepared once per backend and kept (SPI_keepplan); the plan
 * cache re-plans them after DDL on the tables, including after the
 * extension was dropped and created again.
 *
 * The caller must be connected to SPI.
 *
 * One exception, for DDL history, which writes a row for every DDL
 * statement run in the database: migrate_store_append() appends a row
 * without SQL and without the executor, while the table is as the
 * extension made it.
 *
 * IDENTIFICATION
 *	  src/common/store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "common/common.h"

PG_FUNCTION_INFO_V1(migrate_history_guard);

/*
 * Saved identity and GUC level while in owner mode.
 */
typedef struct CatalogMode
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
} CatalogMode;

/*
 * The owner of schema "migrate": the role the bookkeeping runs as.
 */
Oid
migrate_owner(void)
{
	Oid			nspid = get_namespace_oid(MIGRATE_SCHEMA, true);
	HeapTuple	tuple;
	Oid			owner;

	if (!OidIsValid(nspid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" does not exist", MIGRATE_SCHEMA),
				 errhint("Run CREATE EXTENSION migrate in this database.")));

	tuple = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nspid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for namespace %u", nspid);
	owner = ((Form_pg_namespace) GETSTRUCT(tuple))->nspowner;
	ReleaseSysCache(tuple);

	return owner;
}

static void
enter_owner_mode(CatalogMode *mode)
{
	Oid			owner = migrate_owner();

	GetUserIdAndSecContext(&mode->save_userid, &mode->save_sec_context);
	SetUserIdAndSecContext(owner, mode->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	mode->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

static void
leave_owner_mode(CatalogMode *mode)
{
	AtEOXact_GUC(true, mode->save_nestlevel);
	SetUserIdAndSecContext(mode->save_userid, mode->save_sec_context);
}

/*
 * True if the extension's objects in this database are still 0.1.0's
 * (ALTER EXTENSION migrate UPDATE not run yet): the 0.2.0 library keeps
 * working there, with 0.1.0's drift.
 */
bool
migrate_schema_is_0_1(void)
{
	Oid			nspid = get_namespace_oid(MIGRATE_SCHEMA, true);

	return !OidIsValid(nspid) ||
		!OidIsValid(get_relname_relid("drift_settled", nspid));
}

/*
 * Run one of migrate's own queries as the extension owner.  On error the
 * (sub)transaction abort restores the identity and settings.  Returns the
 * SPI result code; the rows are in SPI_tuptable, which the caller frees.
 */
int
migrate_store_exec(MigrateQuery *query, Datum *values, const char *nulls,
					 long count)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	CatalogMode mode;
	bool		old_schema;
	const char *sql;
	SPIPlanPtr *plan;
	int			ret;

	enter_owner_mode(&mode);

	/* a database still at 0.1.0 has its own form of a few queries */
	old_schema = query->sql_0_1 && migrate_schema_is_0_1();
	sql = old_schema ? query->sql_0_1 : query->sql;
	plan = old_schema ? &query->plan_0_1 : &query->plan;

	if (*plan == NULL)
	{
		/*
		 * A generic plan: a custom plan would copy every argument into the
		 * plan as a constant, and an argument may be a 100 MB script.
		 * migrate's queries are by key, where a custom plan has nothing to
		 * win.
		 */
		SPIPlanPtr	prepared = SPI_prepare_cursor(sql, query->nargs,
												  query->argtypes,
												  CURSOR_OPT_GENERIC_PLAN);

		if (prepared == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s",
				 sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(prepared) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*plan = prepared;
	}

	ret = SPI_execute_plan(*plan, values, nulls, false, count);
	if (ret < 0)
		elog(ERROR, "SPI_execute_plan failed for \"%s\": %s",
			 sql, SPI_result_code_string(ret));

	leave_owner_mode(&mode);

	/* SPI leaves its procedure context current; go back to the caller's */
	MemoryContextSwitchTo(oldcontext);
	return ret;
}

/*
 * True if table "rel" is as the extension made it, with the "natts"
 * columns "columns", and a row with these nulls fits its NOT NULL
 * columns: nothing a direct append would skip (triggers, row security,
 * constraints, generated columns) was added to it.
 */
static bool
plain_table(Relation rel, int natts, const MigrateStoreColumn *columns,
			const bool *nulls)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	if (rel->rd_rel->relkind != RELKIND_RELATION || desc->natts != natts ||
		rel->trigdesc != NULL || rel->rd_rel->relrowsecurity)
		return false;
	if (desc->constr &&
		(desc->constr->num_check > 0 || desc->constr->has_generated_stored))
		return false;
	for (i = 0; i < natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || (att->attnotnull && nulls[i]))
			return false;

		/*
		 * A column a DBA renamed or gave another type would take a datum
		 * meant for another column or of another type.  The row then goes
		 * through the executor, by column name, which casts.  Say so once
		 * in the server log, since the fast path is lost: this is also how
		 * a test sees that the C layout matches the table.
		 */
		if (att->atttypid != columns[i].type ||
			strcmp(NameStr(att->attname), columns[i].name) != 0)
		{
			static bool logged = false;

			if (!logged)
				ereport(LOG,
						(errmsg("column %d of table \"%s.%s\" is \"%s\" of type %s instead of \"%s\" of type %s",
								i + 1, MIGRATE_SCHEMA,
								RelationGetRelationName(rel),
								NameStr(att->attname),
								format_type_be(att->atttypid),
								columns[i].name,
								format_type_be(columns[i].type)),
						 errdetail("Its rows are inserted through SQL instead of appended directly.")));
			logged = true;
			return false;
		}
	}
	return true;
}

/*
 * True if the table's indexes are plain: no expressions, predicates,
 * exclusion constraints or deferred uniqueness.
 */
static bool
plain_indexes(CatalogIndexState indstate)
{
	int			i;

	for (i = 0; i < indstate->ri_NumIndices; i++)
	{
		IndexInfo  *ii = indstate->ri_IndexRelationInfo[i];

		if (ii->ii_Expressions != NIL || ii->ii_Predicate != NIL ||
			ii->ii_ExclusionOps != NULL ||
			!indstate->ri_IndexRelationDescs[i]->rd_index->indimmediate)
			return false;
	}
	return true;
}

/*
 * Append a row to migrate's table "relname" without SQL: the hot path of
 * DDL history, where an INSERT through SPI would cost as much as the rest
 * of its work.  No name is looked up with the caller's search_path and no
 * privilege is checked, so it needs no owner mode.  "columns", "values"
 * and "nulls" are in the table's column order, "natts" columns.
 *
 * It writes only while the table is as the extension made it.  If a DBA
 * gave it triggers, row security, constraints, or indexes that are not
 * plain, it returns false without writing, and the caller writes through
 * migrate_store_exec() so that they apply.
 */
bool
migrate_store_append(const char *relname, int natts,
					   const MigrateStoreColumn *columns, Datum *values,
					   bool *nulls)
{
	Oid			nspid = get_namespace_oid(MIGRATE_SCHEMA, false);
	Relation	rel;
	bool		appended = false;

	Assert(natts > 0 && columns != NULL);
	rel = table_open(get_relname_relid(relname, nspid), RowExclusiveLock);
	if (plain_table(rel, natts, columns, nulls))
	{
		CatalogIndexState indstate = CatalogOpenIndexes(rel);

		if (plain_indexes(indstate))
		{
			HeapTuple	tuple = heap_form_tuple(RelationGetDescr(rel),
												values, nulls);

			CatalogTupleInsertWithInfo(rel, tuple, indstate);
			heap_freetuple(tuple);
			appended = true;
		}
		CatalogCloseIndexes(indstate);
	}
	table_close(rel, RowExclusiveLock);
	return appended;
}

/*
 * Column "col" (1-based) of row "row" of SPI_tuptable as a C string in
 * the current memory context, or NULL.
 */
char *
migrate_store_getstr(int row, int col)
{
	bool		isnull;
	Datum		d;

	Assert(SPI_tuptable != NULL);
	Assert(row >= 0 && (uint64) row < SPI_processed);
	Assert(col >= 1 && col <= SPI_tuptable->tupdesc->natts);
	d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col,
					  &isnull);
	if (isnull)
		return NULL;
	return TextDatumGetCString(d);
}

/*
 * Column "col" of row "row" of SPI_tuptable as a Datum; *isnull is set.
 * Pass-by-reference values point into the tuple table.
 */
Datum
migrate_store_getdatum(int row, int col, bool *isnull)
{
	Assert(SPI_tuptable != NULL);
	Assert(row >= 0 && (uint64) row < SPI_processed);
	Assert(col >= 1 && col <= SPI_tuptable->tupdesc->natts);
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col,
						 isnull);
}

/*
 * Free the rows of the last query, so that long runs do not accumulate
 * them in SPI's memory.
 */
void
migrate_store_done(void)
{
	if (SPI_tuptable)
		SPI_freetuptable(SPI_tuptable);
	SPI_tuptable = NULL;
}

/*
 * history_guard() returns trigger
 *
 * Keeps migrate.history and migrate.seed_runs append-only: rows are
 * inserted by migrate and never changed or removed, so they can be trusted
 * as an audit trail.  A superuser who must prune them can disable the
 * trigger, a step that itself shows in DDL history.
 */
Datum
migrate_history_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "history_guard: not called by trigger manager");

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("migrate.%s is append-only",
					RelationGetRelationName(trigdata->tg_relation)),
			 errdetail("It records what migrate did: %s of its rows is not allowed.",
					   TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? "UPDATE" :
					   TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ? "DELETE" :
					   "TRUNCATE"),
			 errhint("To undo a migration, revert it with migrate.down() or migrate.rollback().")));

	PG_RETURN_NULL();
}
