/*-------------------------------------------------------------------------
 *
 * classify.c
 *	  What kind of statement a raw parse tree is: a command that cannot run
 *	  in a transaction block, and the relation a command works on.
 *
 * Only the raw parse tree is looked at, as the server's own
 * PreventInTransactionBlock() callers would see it; script.c asks when it
 * splits a script, step.c and worker.c when a statement failed.
 *
 * IDENTIFICATION
 *	  src/engine/classify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/defrem.h"
#include "nodes/parsenodes.h"

#include "engine/engine.h"

/*
 * Find a DefElem option by name in a list of DefElem.
 */
static DefElem *
find_option(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, name) == 0)
			return def;
	}
	return NULL;
}

/*
 * A boolean option's value, or "dflt" when it is absent.
 */
static bool
bool_option(List *options, const char *name, bool dflt)
{
	DefElem    *def = find_option(options, name);

	return def ? defGetBoolean(def) : dflt;
}

/*
 * If a raw statement cannot run inside a transaction block (the server
 * calls PreventInTransactionBlock() for it), return the command's name.
 * Only the parse tree is looked at: commands whose restriction depends on
 * the catalogs (REINDEX or CLUSTER of a partitioned table) are found when
 * they run.
 */
const char *
migrate_statement_top_level_only(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_IndexStmt:
			if (((IndexStmt *) stmt)->concurrent)
				return "CREATE INDEX CONCURRENTLY";
			break;
		case T_DropStmt:
			if (((DropStmt *) stmt)->removeType == OBJECT_INDEX &&
				((DropStmt *) stmt)->concurrent)
				return "DROP INDEX CONCURRENTLY";
			break;
		case T_ReindexStmt:
			{
				ReindexStmt *rs = (ReindexStmt *) stmt;

				if (rs->kind == REINDEX_OBJECT_SCHEMA)
					return "REINDEX SCHEMA";
				if (rs->kind == REINDEX_OBJECT_SYSTEM)
					return "REINDEX SYSTEM";
				if (rs->kind == REINDEX_OBJECT_DATABASE)
					return "REINDEX DATABASE";
				if (bool_option(rs->params, "concurrently", false))
					return "REINDEX CONCURRENTLY";
			}
			break;
		case T_VacuumStmt:
			if (((VacuumStmt *) stmt)->is_vacuumcmd)
				return "VACUUM";
			break;
		case T_ClusterStmt:
			if (((ClusterStmt *) stmt)->relation == NULL)
				return "CLUSTER";
			break;
		case T_AlterSystemStmt:
			return "ALTER SYSTEM";
		case T_CreatedbStmt:
			return "CREATE DATABASE";
		case T_DropdbStmt:
			return "DROP DATABASE";
		case T_AlterDatabaseStmt:
			if (find_option(((AlterDatabaseStmt *) stmt)->options, "tablespace"))
				return "ALTER DATABASE SET TABLESPACE";
			break;
		case T_CreateTableSpaceStmt:
			return "CREATE TABLESPACE";
		case T_DropTableSpaceStmt:
			return "DROP TABLESPACE";
		case T_CreateSubscriptionStmt:
			{
				List	   *options = ((CreateSubscriptionStmt *) stmt)->options;

				if (bool_option(options, "connect", true) &&
					bool_option(options, "create_slot", true))
					return "CREATE SUBSCRIPTION ... WITH (create_slot = true)";
			}
			break;
		case T_AlterSubscriptionStmt:
			{
				AlterSubscriptionStmt *as = (AlterSubscriptionStmt *) stmt;

				if (as->kind == ALTER_SUBSCRIPTION_REFRESH)
					return "ALTER SUBSCRIPTION ... REFRESH";
				if ((as->kind == ALTER_SUBSCRIPTION_SET_PUBLICATION ||
					 as->kind == ALTER_SUBSCRIPTION_ADD_PUBLICATION ||
					 as->kind == ALTER_SUBSCRIPTION_DROP_PUBLICATION) &&
					bool_option(as->options, "refresh", true))
					return "ALTER SUBSCRIPTION with refresh";
			}
			break;
		case T_DropSubscriptionStmt:
			return "DROP SUBSCRIPTION";
		case T_DiscardStmt:
			if (((DiscardStmt *) stmt)->target == DISCARD_ALL)
				return "DISCARD ALL";
			break;
		case T_AlterTableStmt:
			{
				ListCell   *lc;

				foreach(lc, ((AlterTableStmt *) stmt)->cmds)
				{
					AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

					if (cmd->subtype == AT_DetachPartition &&
						((PartitionCmd *) cmd->def)->concurrent)
						return "ALTER TABLE ... DETACH PARTITION CONCURRENTLY";
				}
			}
			break;
		default:
			break;
	}
	return NULL;
}

/*
 * The relation a statement works on, for the commands whose target is a
 * relation named in the statement (most DDL and DML), or NULL.  It is
 * what a lock timeout of the statement most likely waited for.
 */
RangeVar *
migrate_statement_relation(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_AlterTableStmt:
			return ((AlterTableStmt *) stmt)->relation;
		case T_IndexStmt:
			return ((IndexStmt *) stmt)->relation;
		case T_CreateTrigStmt:
			return ((CreateTrigStmt *) stmt)->relation;
		case T_RenameStmt:
			return ((RenameStmt *) stmt)->relation;
		case T_RuleStmt:
			return ((RuleStmt *) stmt)->relation;
		case T_CreatePolicyStmt:
			return ((CreatePolicyStmt *) stmt)->table;
		case T_AlterPolicyStmt:
			return ((AlterPolicyStmt *) stmt)->table;
		case T_AlterObjectSchemaStmt:
			return ((AlterObjectSchemaStmt *) stmt)->relation;
		case T_RefreshMatViewStmt:
			return ((RefreshMatViewStmt *) stmt)->relation;
		case T_ClusterStmt:
			return ((ClusterStmt *) stmt)->relation;
		case T_ReindexStmt:
			return ((ReindexStmt *) stmt)->relation;
		case T_InsertStmt:
			return ((InsertStmt *) stmt)->relation;
		case T_UpdateStmt:
			return ((UpdateStmt *) stmt)->relation;
		case T_DeleteStmt:
			return ((DeleteStmt *) stmt)->relation;
		case T_TruncateStmt:
			return linitial_node(RangeVar, ((TruncateStmt *) stmt)->relations);
		case T_LockStmt:
			return linitial_node(RangeVar, ((LockStmt *) stmt)->relations);
		case T_VacuumStmt:
			{
				List	   *rels = ((VacuumStmt *) stmt)->rels;

				return rels ? linitial_node(VacuumRelation, rels)->relation : NULL;
			}
		case T_DropStmt:
			{
				DropStmt   *ds = (DropStmt *) stmt;

				if (ds->objects &&
					(ds->removeType == OBJECT_TABLE || ds->removeType == OBJECT_INDEX ||
					 ds->removeType == OBJECT_VIEW || ds->removeType == OBJECT_MATVIEW ||
					 ds->removeType == OBJECT_SEQUENCE ||
					 ds->removeType == OBJECT_FOREIGN_TABLE))
					return makeRangeVarFromNameList(linitial(ds->objects));
				return NULL;
			}
		default:
			return NULL;
	}
}
