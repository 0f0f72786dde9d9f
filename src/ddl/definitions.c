/*-------------------------------------------------------------------------
 *
 * definitions.c
 *	  The definitions of the objects a DDL statement is about to drop or
 *	  replace, kept in the DDL history for capture()'s down scripts.
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
 *	  src/ddl/definitions.c
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
								RangeVar   *rv = migrate_ddl_owner_relation(names);
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
