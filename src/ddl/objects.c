/*-------------------------------------------------------------------------
 *
 * objects.c
 *	  What the DDL history needs to know about the objects of a DDL
 *	  statement: whether they are temporary, and the definitions of the
 *	  ones it is about to drop or replace.
 *
 * Temporary objects are neither recorded nor refused by strict mode.
 * Once a command has run, the objects it reports say exactly whether they
 * were temporary.  Before it runs, when strict mode must decide whether to
 * refuse it, there is only its parse tree: the names in it are looked up
 * without locks, and a statement that may concern temporary objects is
 * let through, to be judged by the objects it reports.
 *
 * A captured migration's down script recreates what its up script dropped
 * or replaced, where PostgreSQL can give the definition: indexes, views,
 * materialized views, functions and procedures, triggers, and table and
 * domain constraints.  The definitions are read at ddl_command_start,
 * while the objects still exist, with an empty search_path so that every
 * name in them is schema-qualified, as in pg_dump's output.  The reading
 * runs in a subtransaction that is always rolled back (migrate_try_in_subtransaction):
 * the locks it takes are released, so that the statement takes its own
 * locks in its own order as it would without migrate, and an error is
 * only a definition not kept, never an error of the statement.
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
#include "catalog/pg_constraint.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
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
 * True if GRANT or REVOKE on "objects" (OIDs of kind "objtype") concerns
 * temporary objects only.
 */
bool
migrate_ddl_grant_temporary(ObjectType objtype, List *objects)
{
	Oid			classid;
	ListCell   *lc;

	switch (objtype)
	{
		case OBJECT_TABLE:
		case OBJECT_SEQUENCE:
			classid = RelationRelationId;
			break;
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
			classid = ProcedureRelationId;
			break;
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			classid = TypeRelationId;
			break;
		default:
			return false;
	}
	if (objects == NIL)
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
static RangeVar *
owner_relation(List *names)
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
			return relation_temporary(owner_relation(castNode(List, object)),
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
		if (!relation_temporary(owner_relation(owned_by), false))
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

/*
 * What kind of definition to keep for an object.
 */
typedef enum DefinitionKind
{
	DEF_INDEX,
	DEF_VIEW,
	DEF_REPLACED_VIEW,
	DEF_MATVIEW,
	DEF_FUNCTION,
	DEF_TRIGGER,
	DEF_REPLACED_TRIGGER,
	DEF_CONSTRAINT
} DefinitionKind;

/*
 * An object whose definition to keep, found by name before the statement
 * runs.
 */
typedef struct DefinitionTarget
{
	DefinitionKind kind;
	Oid			classid;
	Oid			objid;
} DefinitionTarget;

/*
 * The work of migrate_ddl_definitions_before(), run by migrate_try_in_subtransaction().
 */
typedef struct DefinitionWork
{
	Node	   *parsetree;
	MemoryContext resultcxt;
	List	   *targets;
	List	   *definitions;
} DefinitionWork;

static void
add_target(DefinitionWork *dw, DefinitionKind kind, Oid classid, Oid objid)
{
	DefinitionTarget *t;

	if (!OidIsValid(objid))
		return;
	t = palloc(sizeof(DefinitionTarget));
	t->kind = kind;
	t->classid = classid;
	t->objid = objid;
	dw->targets = lappend(dw->targets, t);
}

/*
 * A relation named by "names" if it is of kind "relkind" (for indexes,
 * also a partitioned index), or InvalidOid.
 */
static Oid
relation_of_kind(RangeVar *rv, char relkind)
{
	Oid			relid;
	char		actual;

	if (rv == NULL)
		return InvalidOid;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		return InvalidOid;
	actual = get_rel_relkind(relid);
	if (actual == relkind ||
		(relkind == RELKIND_INDEX && actual == RELKIND_PARTITIONED_INDEX))
		return relid;
	return InvalidOid;
}

/*
 * The signature under which CREATE OR REPLACE FUNCTION finds the function
 * it replaces: its name and input argument types.
 */
static ObjectWithArgs *
function_signature(CreateFunctionStmt *cf)
{
	ObjectWithArgs *owa = makeNode(ObjectWithArgs);
	ListCell   *lc;

	owa->objname = cf->funcname;
	foreach(lc, cf->parameters)
	{
		FunctionParameter *fp = lfirst_node(FunctionParameter, lc);

		if (fp->mode == FUNC_PARAM_OUT || fp->mode == FUNC_PARAM_TABLE)
			continue;
		owa->objargs = lappend(owa->objargs, fp->argType);
	}
	return owa;
}

/*
 * Find, with the caller's search_path, the objects whose definitions the
 * statement is about to drop or replace.
 */
static void
find_targets(DefinitionWork *dw)
{
	Node	   *parsetree = dw->parsetree;
	ListCell   *lc;

	switch (nodeTag(parsetree))
	{
		case T_DropStmt:
			{
				DropStmt   *ds = (DropStmt *) parsetree;

				foreach(lc, ds->objects)
				{
					Node	   *object = lfirst(lc);

					switch (ds->removeType)
					{
						case OBJECT_INDEX:
							add_target(dw, DEF_INDEX, RelationRelationId,
									   relation_of_kind(makeRangeVarFromNameList(castNode(List, object)),
														RELKIND_INDEX));
							break;
						case OBJECT_VIEW:
							add_target(dw, DEF_VIEW, RelationRelationId,
									   relation_of_kind(makeRangeVarFromNameList(castNode(List, object)),
														RELKIND_VIEW));
							break;
						case OBJECT_MATVIEW:
							add_target(dw, DEF_MATVIEW, RelationRelationId,
									   relation_of_kind(makeRangeVarFromNameList(castNode(List, object)),
														RELKIND_MATVIEW));
							break;
						case OBJECT_FUNCTION:
						case OBJECT_PROCEDURE:
						case OBJECT_ROUTINE:
							{
								Oid			funcid;

								funcid = LookupFuncWithArgs(ds->removeType,
															castNode(ObjectWithArgs, object),
															true);
								if (OidIsValid(funcid) &&
									get_func_prokind(funcid) != PROKIND_AGGREGATE)
									add_target(dw, DEF_FUNCTION,
											   ProcedureRelationId, funcid);
							}
							break;
						case OBJECT_TRIGGER:
							{
								List	   *names = castNode(List, object);
								RangeVar   *rv = owner_relation(names);
								Oid			relid;

								relid = rv ? RangeVarGetRelid(rv, NoLock, true) :
									InvalidOid;
								if (OidIsValid(relid))
									add_target(dw, DEF_TRIGGER, TriggerRelationId,
											   get_trigger_oid(relid,
															   strVal(llast(names)),
															   true));
							}
							break;
						default:
							break;
					}
				}
			}
			break;
		case T_AlterTableStmt:
			{
				AlterTableStmt *at = (AlterTableStmt *) parsetree;
				Oid			relid = RangeVarGetRelid(at->relation, NoLock, true);

				if (!OidIsValid(relid))
					break;
				foreach(lc, at->cmds)
				{
					AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

					if (cmd->subtype == AT_DropConstraint)
						add_target(dw, DEF_CONSTRAINT, ConstraintRelationId,
								   get_relation_constraint_oid(relid, cmd->name,
															   true));
				}
			}
			break;
		case T_AlterDomainStmt:
			{
				AlterDomainStmt *ad = (AlterDomainStmt *) parsetree;
				Oid			typid;

				if (ad->subtype != 'X')
					break;
				typid = LookupTypeNameOid(NULL,
										  makeTypeNameFromNameList(ad->typeName),
										  true);
				if (OidIsValid(typid))
					add_target(dw, DEF_CONSTRAINT, ConstraintRelationId,
							   get_domain_constraint_oid(typid, ad->name, true));
			}
			break;
		case T_ViewStmt:
			if (((ViewStmt *) parsetree)->replace)
				add_target(dw, DEF_REPLACED_VIEW, RelationRelationId,
						   relation_of_kind(((ViewStmt *) parsetree)->view,
											RELKIND_VIEW));
			break;
		case T_CreateFunctionStmt:
			{
				CreateFunctionStmt *cf = (CreateFunctionStmt *) parsetree;

				if (cf->replace)
					add_target(dw, DEF_FUNCTION, ProcedureRelationId,
							   LookupFuncWithArgs(cf->is_procedure ?
												  OBJECT_PROCEDURE : OBJECT_FUNCTION,
												  function_signature(cf), true));
			}
			break;
		case T_CreateTrigStmt:
			{
				CreateTrigStmt *ct = (CreateTrigStmt *) parsetree;
				Oid			relid;

				if (!ct->replace)
					break;
				relid = RangeVarGetRelid(ct->relation, NoLock, true);
				if (OidIsValid(relid))
					add_target(dw, DEF_REPLACED_TRIGGER, TriggerRelationId,
							   get_trigger_oid(relid, ct->trigname, true));
			}
			break;
		default:
			break;
	}
}

/*
 * The text of a text datum with trailing blanks and semicolons removed:
 * the definitions are statements that capture() joins with semicolons.
 */
static char *
trimmed_text(Datum d)
{
	char	   *s = TextDatumGetCString(d);
	int			len = strlen(s);

	while (len > 0 && (s[len - 1] == ';' || isspace((unsigned char) s[len - 1])))
		len--;
	s[len] = '\0';
	return s;
}

/*
 * A view's options (security_barrier, check_option, ...) as a WITH
 * clause, or "".
 */
static char *
view_options(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	StringInfoData buf;
	Datum		reloptions;
	bool		isnull;

	initStringInfo(&buf);
	if (!HeapTupleIsValid(tuple))
		return buf.data;
	reloptions = SysCacheGetAttr(RELOID, tuple, Anum_pg_class_reloptions, &isnull);
	if (!isnull)
	{
		Datum	   *options;
		int			noptions;
		int			i;

		deconstruct_array(DatumGetArrayTypeP(reloptions), TEXTOID, -1, false,
						  TYPALIGN_INT, &options, NULL, &noptions);
		for (i = 0; i < noptions; i++)
			appendStringInfo(&buf, "%s%s", i == 0 ? " WITH (" : ", ",
							 TextDatumGetCString(options[i]));
		if (noptions > 0)
			appendStringInfoChar(&buf, ')');
	}
	ReleaseSysCache(tuple);
	return buf.data;
}

/*
 * The number of columns of relation "relid" (0 if it is gone).
 */
int
migrate_ddl_relation_columns(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	int			natts = 0;

	if (HeapTupleIsValid(tuple))
	{
		natts = ((Form_pg_class) GETSTRUCT(tuple))->relnatts;
		ReleaseSysCache(tuple);
	}
	return natts;
}

/*
 * The SQL that recreates a view or materialized view as it is now.
 */
static char *
view_sql(Oid relid, const char *create)
{
	char	   *name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												  get_rel_name(relid));
	char	   *def = trimmed_text(DirectFunctionCall1(pg_get_viewdef,
													   ObjectIdGetDatum(relid)));

	if (get_rel_relkind(relid) == RELKIND_MATVIEW)
		return psprintf("%s %s AS\n%s", create, name, def);
	return psprintf("%s %s%s AS\n%s", create, name, view_options(relid), def);
}

/*
 * Fill "def" with the SQL that recreates target "t" as it is now.  A view
 * that CREATE OR REPLACE VIEW replaces can be put back the same way,
 * unless the new definition adds columns: then only by dropping it first
 * (trigger.c chooses, once the statement has run).
 */
static void
definition_sql(const DefinitionTarget *t, MigrateDefinition *def)
{
	switch (t->kind)
	{
		case DEF_INDEX:
			def->sql = pg_get_indexdef_string(t->objid);
			break;
		case DEF_VIEW:
			def->sql = view_sql(t->objid, "CREATE VIEW");
			break;
		case DEF_MATVIEW:
			def->sql = view_sql(t->objid, "CREATE MATERIALIZED VIEW");
			break;
		case DEF_REPLACED_VIEW:
			def->sql = view_sql(t->objid, "CREATE OR REPLACE VIEW");
			def->natts = migrate_ddl_relation_columns(t->objid);
			def->sql_if_grown =
				psprintf("DROP VIEW %s;\n%s",
						 quote_qualified_identifier(get_namespace_name(get_rel_namespace(t->objid)),
													get_rel_name(t->objid)),
						 view_sql(t->objid, "CREATE VIEW"));
			break;
		case DEF_FUNCTION:
			def->sql = trimmed_text(DirectFunctionCall1(pg_get_functiondef,
														ObjectIdGetDatum(t->objid)));
			break;
		case DEF_TRIGGER:
		case DEF_REPLACED_TRIGGER:
			def->sql = trimmed_text(DirectFunctionCall1(pg_get_triggerdef,
														ObjectIdGetDatum(t->objid)));
			if (t->kind == DEF_REPLACED_TRIGGER &&
				strncmp(def->sql, "CREATE TRIGGER ", 15) == 0)
				def->sql = psprintf("CREATE OR REPLACE TRIGGER %s", def->sql + 15);
			break;
		case DEF_CONSTRAINT:
			def->sql = pg_get_constraintdef_command(t->objid);
			break;
	}
}

static void
definitions_work(void *arg)
{
	DefinitionWork *dw = (DefinitionWork *) arg;
	ListCell   *lc;

	find_targets(dw);
	if (dw->targets == NIL)
		return;

	/* qualify every name, as pg_dump does; the rollback restores it */
	(void) NewGUCNestLevel();
	(void) set_config_option("search_path", "", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	foreach(lc, dw->targets)
	{
		DefinitionTarget *t = (DefinitionTarget *) lfirst(lc);
		MigrateDefinition def = {.classid = t->classid,.objid = t->objid};
		MigrateDefinition *copy;
		MemoryContext old;

		definition_sql(t, &def);

		old = MemoryContextSwitchTo(dw->resultcxt);
		copy = palloc(sizeof(MigrateDefinition));
		*copy = def;
		copy->sql = pstrdup(def.sql);
		if (def.sql_if_grown)
			copy->sql_if_grown = pstrdup(def.sql_if_grown);
		dw->definitions = lappend(dw->definitions, copy);
		MemoryContextSwitchTo(old);
	}
}

/*
 * True if the statement may drop or replace an object whose definition
 * can be kept: the quick test before any catalog access.
 */
static bool
may_drop_or_replace(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_DropStmt:
			switch (((DropStmt *) parsetree)->removeType)
			{
				case OBJECT_INDEX:
				case OBJECT_VIEW:
				case OBJECT_MATVIEW:
				case OBJECT_FUNCTION:
				case OBJECT_PROCEDURE:
				case OBJECT_ROUTINE:
				case OBJECT_TRIGGER:
					return true;
				default:
					return false;
			}
		case T_AlterTableStmt:
			{
				ListCell   *lc;

				foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
					if (lfirst_node(AlterTableCmd, lc)->subtype == AT_DropConstraint)
						return true;
				return false;
			}
		case T_AlterDomainStmt:
			return ((AlterDomainStmt *) parsetree)->subtype == 'X';
		case T_ViewStmt:
			return ((ViewStmt *) parsetree)->replace;
		case T_CreateFunctionStmt:
			return ((CreateFunctionStmt *) parsetree)->replace;
		case T_CreateTrigStmt:
			return ((CreateTrigStmt *) parsetree)->replace;
		default:
			return false;
	}
}

/*
 * The definitions (MigrateDefinition, in "resultcxt") of the objects DDL
 * statement "parsetree" is about to drop or replace, as far as PostgreSQL
 * can give them.  Called at ddl_command_start.
 */
List *
migrate_ddl_definitions_before(Node *parsetree, MemoryContext resultcxt)
{
	DefinitionWork dw = {.parsetree = parsetree,.resultcxt = resultcxt};

	if (!may_drop_or_replace(parsetree))
		return NIL;
	if (!migrate_try_in_subtransaction(definitions_work, &dw))
		return NIL;
	return dw.definitions;
}
