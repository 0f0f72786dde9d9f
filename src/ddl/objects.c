/*-------------------------------------------------------------------------
 *
 * objects.c
 *	  Whether the objects of a DDL statement are temporary, or all
 *	  members of one extension (definitions.c keeps the definitions of
 *	  those it is about to drop or replace).
 *
 * Temporary objects are neither recorded nor refused by strict mode.
 * Once a command has run, the objects it reports say exactly whether they
 * were temporary.  Before it runs, when strict mode must decide whether to
 * refuse it, there is only its parse tree: the names in it are looked up
 * without locks, and a statement that may concern temporary objects is
 * let through, to be judged by the objects it reports.
 *
 * IDENTIFICATION
 *	  src/ddl/objects.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_func.h"
#include "parser/parse_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "ddl/ddl.h"

/*
 * An OID column of catalog object (classid, objid), or InvalidOid when the
 * object is gone.
 */
static Oid
catalog_oid_column(Oid classid, Oid objid, AttrNumber attnum)
{
	Relation	catalog = table_open(classid, AccessShareLock);
	HeapTuple	tuple;
	Oid			result = InvalidOid;

	tuple = get_catalog_object_by_oid(catalog, get_object_attnum_oid(classid),
									  objid);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		d = heap_getattr(tuple, attnum, RelationGetDescr(catalog),
									 &isnull);

		if (!isnull)
			result = DatumGetObjectId(d);
	}
	table_close(catalog, AccessShareLock);
	return result;
}

static bool
relation_oid_temporary(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		result = false;

	if (HeapTupleIsValid(tuple))
	{
		result = ((Form_pg_class) GETSTRUCT(tuple))->relpersistence ==
			RELPERSISTENCE_TEMP;
		ReleaseSysCache(tuple);
	}
	return result;
}

/*
 * True if catalog object (classid, objid) is temporary: a temporary
 * relation, an object in a temporary schema, or a trigger, policy or rule
 * of a temporary table.  False for objects that are gone.
 */
bool
migrate_ddl_object_temporary(Oid classid, Oid objid)
{
	AttrNumber	nspattnum;
	Oid			nspid;

	switch (classid)
	{
		case RelationRelationId:
			return relation_oid_temporary(objid);
		case TriggerRelationId:
			return relation_oid_temporary(catalog_oid_column(classid, objid,
															 Anum_pg_trigger_tgrelid));
		case PolicyRelationId:
			return relation_oid_temporary(catalog_oid_column(classid, objid,
															 Anum_pg_policy_polrelid));
		case RewriteRelationId:
			return relation_oid_temporary(catalog_oid_column(classid, objid,
															 Anum_pg_rewrite_ev_class));
		case NamespaceRelationId:
			return isAnyTempNamespace(objid);
		default:
			break;
	}
	if (!is_objectclass_supported(classid))
		return false;
	nspattnum = get_object_attnum_namespace(classid);
	if (nspattnum == InvalidAttrNumber)
		return false;
	nspid = catalog_oid_column(classid, objid, nspattnum);
	return OidIsValid(nspid) && isAnyTempNamespace(nspid);
}

/*
 * The catalog of the objects of a GRANT or REVOKE of kind "objtype", or
 * InvalidOid for kinds whose objects are never temporary or members.
 */
static Oid
grant_classid(ObjectType objtype)
{
	switch (objtype)
	{
		case OBJECT_TABLE:
		case OBJECT_SEQUENCE:
			return RelationRelationId;
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
			return ProcedureRelationId;
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			return TypeRelationId;
		case OBJECT_SCHEMA:
			return NamespaceRelationId;
		default:
			return InvalidOid;
	}
}

/*
 * The extension object (classid, objid) is a member of, or InvalidOid.
 * migrate's schema is not a member (CREATE EXTENSION made it for the
 * control file's schema), but it is migrate's all the same: the README's
 * GRANT USAGE ON SCHEMA migrate TO a deploy role is about migrate.
 */
static Oid
extension_of(Oid classid, Oid objid)
{
	Oid			ext = getExtensionOfObject(classid, objid);

	if (!OidIsValid(ext) && classid == NamespaceRelationId &&
		objid == get_namespace_oid(MIGRATE_SCHEMA, true))
		ext = get_extension_oid("migrate", true);
	return ext;
}

/*
 * The extension every object of a GRANT or REVOKE on "objects" (OIDs of
 * kind "objtype") is a member of, or InvalidOid.
 */
Oid
migrate_ddl_grant_extension(ObjectType objtype, List *objects)
{
	Oid			classid = grant_classid(objtype);
	Oid			ext = InvalidOid;
	ListCell   *lc;

	if (!OidIsValid(classid) || objects == NIL)
		return InvalidOid;
	foreach(lc, objects)
	{
		Oid			e = extension_of(classid, lfirst_oid(lc));

		if (!OidIsValid(e) || (OidIsValid(ext) && e != ext))
			return InvalidOid;
		ext = e;
	}
	return ext;
}

/*
 * True if GRANT or REVOKE on "objects" (OIDs of kind "objtype") concerns
 * temporary objects only.
 */
bool
migrate_ddl_grant_temporary(ObjectType objtype, List *objects)
{
	Oid			classid = grant_classid(objtype);
	ListCell   *lc;

	if (!OidIsValid(classid) || objects == NIL)
		return false;
	foreach(lc, objects)
		if (!migrate_ddl_object_temporary(classid, lfirst_oid(lc)))
			return false;
	return true;
}

static bool
schema_name_temporary(const char *schemaname)
{
	Oid			nspid;

	if (strcmp(schemaname, "pg_temp") == 0)
		return true;
	nspid = get_namespace_oid(schemaname, true);
	return OidIsValid(nspid) && isAnyTempNamespace(nspid);
}

/*
 * True if an unqualified new relation goes to pg_temp: when pg_temp comes
 * first among the schemas of search_path that exist.
 */
static bool
creates_in_pg_temp(void)
{
	char	   *rawpath = pstrdup(namespace_search_path);
	List	   *names;
	ListCell   *lc;

	if (!SplitIdentifierString(rawpath, ',', &names))
		return false;
	foreach(lc, names)
	{
		const char *name = (const char *) lfirst(lc);

		if (strcmp(name, "pg_temp") == 0)
			return true;
		if (strcmp(name, "$user") == 0)
		{
			name = GetUserNameFromId(GetUserId(), true);
			if (name == NULL)
				continue;
		}
		if (OidIsValid(get_namespace_oid(name, true)))
			return false;
	}
	return false;
}

/*
 * True if "rv" names a temporary relation, or, "creating" one, if the new
 * relation will be temporary.
 */
static bool
relation_temporary(RangeVar *rv, bool creating)
{
	Oid			relid;

	if (rv == NULL)
		return false;
	if (rv->relpersistence == RELPERSISTENCE_TEMP)
		return true;
	if (rv->schemaname)
		return schema_name_temporary(rv->schemaname);
	if (creating)
		return creates_in_pg_temp();
	relid = RangeVarGetRelid(rv, NoLock, true);
	return OidIsValid(relid) && relation_oid_temporary(relid);
}

/*
 * True if a qualified name (schema.name, or catalog.schema.name) is in a
 * temporary schema.  Functions and operators are never looked up in
 * pg_temp unless it is named.
 */
static bool
qualified_name_temporary(List *names)
{
	int			n = list_length(names);

	return n >= 2 && schema_name_temporary(strVal(list_nth(names, n - 2)));
}

/*
 * The relation of a sub-object's name (schema.table.trigger): all but the
 * last name.
 */
RangeVar *
migrate_ddl_owner_relation(List *names)
{
	if (list_length(names) < 2)
		return NULL;
	return makeRangeVarFromNameList(list_truncate(list_copy(names),
												  list_length(names) - 1));
}

/*
 * True if object "object" of kind "objtype", as a DROP, COMMENT or ALTER
 * names it, may be temporary.
 */
static bool
object_name_temporary(ObjectType objtype, Node *object)
{
	switch (objtype)
	{
		case OBJECT_TABLE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_INDEX:
		case OBJECT_SEQUENCE:
			return relation_temporary(makeRangeVarFromNameList(castNode(List, object)),
									  false);
		case OBJECT_COLUMN:
		case OBJECT_TABCONSTRAINT:
		case OBJECT_TRIGGER:
		case OBJECT_POLICY:
		case OBJECT_RULE:
			return relation_temporary(migrate_ddl_owner_relation(castNode(List, object)),
									  false);
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			{
				Oid			typid = LookupTypeNameOid(NULL,
													  castNode(TypeName, object),
													  true);

				return OidIsValid(typid) &&
					migrate_ddl_object_temporary(TypeRelationId, typid);
			}
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
		case OBJECT_AGGREGATE:
		case OBJECT_OPERATOR:
			return qualified_name_temporary(castNode(ObjectWithArgs, object)->objname);
		default:
			return false;
	}
}

/*
 * The target of an ALTER ... RENAME, SET SCHEMA or OWNER TO: a relation,
 * or an object named otherwise.
 */
static bool
target_temporary(RangeVar *relation, ObjectType objtype, Node *object)
{
	if (relation)
		return relation_temporary(relation, false);
	return object_name_temporary(objtype, object);
}

/*
 * Raw tree walker: true at the first temporary relation a query reads (a
 * view on one is a temporary view).
 */
static bool
reads_temporary_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeVar))
		return relation_temporary((RangeVar *) node, false);
	return raw_expression_tree_walker(node, reads_temporary_walker, context);
}

static bool
any_relation_temporary(List *rangevars)
{
	ListCell   *lc;

	foreach(lc, rangevars)
		if (IsA(lfirst(lc), RangeVar) &&
			relation_temporary((RangeVar *) lfirst(lc), false))
			return true;
	return false;
}

/*
 * True if every relation of "rangevars" is temporary: the parents a
 * temporary table inherits from.  A temporary table that inherits from a
 * permanent one changes the permanent table too (its children, which its
 * scans read in this session), so it is not a temporary matter.
 */
static bool
all_relations_temporary(List *rangevars)
{
	ListCell   *lc;

	foreach(lc, rangevars)
		if (!IsA(lfirst(lc), RangeVar) ||
			!relation_temporary((RangeVar *) lfirst(lc), false))
			return false;
	return true;
}

/*
 * True if the subcommands of an ALTER TABLE of a temporary table leave
 * permanent relations alone: INHERIT and NO INHERIT name a parent,
 * ATTACH and DETACH PARTITION a partition.
 */
static bool
alter_cmds_temporary(List *cmds)
{
	ListCell   *lc;

	foreach(lc, cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		switch (cmd->subtype)
		{
			case AT_AddInherit:
			case AT_DropInherit:
				if (!relation_temporary((RangeVar *) cmd->def, false))
					return false;
				break;
			case AT_AttachPartition:
			case AT_DetachPartition:
				if (!relation_temporary(((PartitionCmd *) cmd->def)->name, false))
					return false;
				break;
			default:
				break;
		}
	}
	return true;
}

/*
 * True if a sequence's options link it to temporary tables only: OWNED BY
 * a permanent table's column makes the permanent table own it.
 */
static bool
sequence_options_temporary(List *options)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);
		List	   *owned_by;

		if (strcmp(opt->defname, "owned_by") != 0)
			continue;
		owned_by = castNode(List, opt->arg);
		/* OWNED BY NONE */
		if (list_length(owned_by) == 1 &&
			strcmp(strVal(linitial(owned_by)), "none") == 0)
			continue;
		if (!relation_temporary(migrate_ddl_owner_relation(owned_by), false))
			return false;
	}
	return true;
}

/*
 * True if DDL statement "parsetree" may concern temporary objects only,
 * judged from the names in it before it runs.
 */
bool
migrate_ddl_names_temporary(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_CreateStmt:
			return relation_temporary(((CreateStmt *) parsetree)->relation, true) &&
				all_relations_temporary(((CreateStmt *) parsetree)->inhRelations);
		case T_CreateTableAsStmt:
			return relation_temporary(((CreateTableAsStmt *) parsetree)->into->rel,
									  true);
		case T_ViewStmt:
			return relation_temporary(((ViewStmt *) parsetree)->view, true) ||
				reads_temporary_walker(((ViewStmt *) parsetree)->query, NULL);
		case T_CreateSeqStmt:
			return relation_temporary(((CreateSeqStmt *) parsetree)->sequence, true) &&
				sequence_options_temporary(((CreateSeqStmt *) parsetree)->options);
		case T_CompositeTypeStmt:
			return relation_temporary(((CompositeTypeStmt *) parsetree)->typevar,
									  true);
		case T_IndexStmt:
			return relation_temporary(((IndexStmt *) parsetree)->relation, false);
		case T_AlterTableStmt:
			return relation_temporary(((AlterTableStmt *) parsetree)->relation,
									  false) &&
				alter_cmds_temporary(((AlterTableStmt *) parsetree)->cmds);
		case T_AlterSeqStmt:
			return relation_temporary(((AlterSeqStmt *) parsetree)->sequence, false) &&
				sequence_options_temporary(((AlterSeqStmt *) parsetree)->options);
		case T_CreateTrigStmt:
			return relation_temporary(((CreateTrigStmt *) parsetree)->relation,
									  false);
		case T_CreatePolicyStmt:
			return relation_temporary(((CreatePolicyStmt *) parsetree)->table, false);
		case T_AlterPolicyStmt:
			return relation_temporary(((AlterPolicyStmt *) parsetree)->table, false);
		case T_RuleStmt:
			return relation_temporary(((RuleStmt *) parsetree)->relation, false);
		case T_CreateStatsStmt:
			return any_relation_temporary(((CreateStatsStmt *) parsetree)->relations);
		case T_RenameStmt:
			return target_temporary(((RenameStmt *) parsetree)->relation,
									((RenameStmt *) parsetree)->renameType,
									((RenameStmt *) parsetree)->object);
		case T_AlterObjectSchemaStmt:
			return target_temporary(((AlterObjectSchemaStmt *) parsetree)->relation,
									((AlterObjectSchemaStmt *) parsetree)->objectType,
									((AlterObjectSchemaStmt *) parsetree)->object);
		case T_AlterOwnerStmt:
			return target_temporary(((AlterOwnerStmt *) parsetree)->relation,
									((AlterOwnerStmt *) parsetree)->objectType,
									((AlterOwnerStmt *) parsetree)->object);
		case T_CommentStmt:
			return object_name_temporary(((CommentStmt *) parsetree)->objtype,
										 ((CommentStmt *) parsetree)->object);
		case T_GrantStmt:
			{
				GrantStmt  *gs = (GrantStmt *) parsetree;

				return gs->targtype == ACL_TARGET_OBJECT &&
					(gs->objtype == OBJECT_TABLE ||
					 gs->objtype == OBJECT_SEQUENCE) &&
					any_relation_temporary(gs->objects);
			}
		case T_DropStmt:
			{
				DropStmt   *ds = (DropStmt *) parsetree;
				ListCell   *lc;

				foreach(lc, ds->objects)
					if (object_name_temporary(ds->removeType, lfirst(lc)))
						return true;
				return false;
			}
		case T_CreateFunctionStmt:
			return qualified_name_temporary(((CreateFunctionStmt *) parsetree)->funcname);
		case T_DefineStmt:
			return qualified_name_temporary(((DefineStmt *) parsetree)->defnames);
		case T_CreateEnumStmt:
			return qualified_name_temporary(((CreateEnumStmt *) parsetree)->typeName);
		case T_CreateRangeStmt:
			return qualified_name_temporary(((CreateRangeStmt *) parsetree)->typeName);
		case T_CreateDomainStmt:
			return qualified_name_temporary(((CreateDomainStmt *) parsetree)->domainname);
		default:
			return false;
	}
}
