/*-------------------------------------------------------------------------
 *
 * tablestate.c
 *	  What an ALTER TABLE changed: the table's columns and constraints
 *	  before and after it, for the DDL history and capture()'s net downs.
 *
 * ORMs re-issue ALTER TABLE at every start (Sequelize's sync({alter:
 * true}) sets every column's type, nullability and default to what they
 * already are, and drops and re-adds each foreign key).  Such a statement
 * changed nothing, and its inverse is nothing; a drop and a re-add of the
 * same constraint cancel out.  To know that, and to write the inverse of
 * ALTER COLUMN ... TYPE, SET/DROP NOT NULL and SET/DROP DEFAULT, which
 * the statement alone cannot give, the table's state (the columns the
 * statement names, which are all it can change, and every constraint) is
 * read at ddl_command_start and again at ddl_command_end, and the
 * difference is recorded with the table in the command's objects:
 *   "unchanged": true or false, and "columns_changed";
 *   "columns_before": the columns the statement names, as they were;
 *   "constraints_added", "constraints_dropped": each with the command that
 *     adds it (pg_get_constraintdef_command(), names schema-qualified).
 * Only statements whose every subcommand the state covers are tracked
 * (ADD/DROP COLUMN, ALTER COLUMN TYPE, SET/DROP NOT NULL, SET/DROP
 * DEFAULT, ADD/DROP CONSTRAINT): for the others "unchanged" could hide a
 * change, so nothing is recorded and capture() falls back to what the
 * statement says.
 *
 * The state is read as definitions.c reads definitions: in a
 * subtransaction that is rolled back, with an empty search_path, so that
 * it never changes what the statement does.  NOT NULL constraints, which
 * PostgreSQL 18 keeps in pg_constraint, are the columns' not_null.
 *
 * IDENTIFICATION
 *	  src/ddl/tablestate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_constraint.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "ddl/ddl.h"

/*
 * The work of reading one table's state, run by
 * migrate_try_in_subtransaction().
 */
typedef struct StateWork
{
	Oid			relid;
	List	   *names;			/* the columns to read */
	MemoryContext resultcxt;
	TableState *state;
} StateWork;

/*
 * True if every subcommand of "at" changes only what a TableState holds.
 */
static bool
tracked_statement(AlterTableStmt *at)
{
	ListCell   *lc;

	if (at->objtype != OBJECT_TABLE || at->cmds == NIL)
		return false;
	foreach(lc, at->cmds)
	{
		switch (lfirst_node(AlterTableCmd, lc)->subtype)
		{
			case AT_AddColumn:
			case AT_DropColumn:
			case AT_ColumnDefault:
			case AT_DropNotNull:
			case AT_SetNotNull:
			case AT_AlterColumnType:
			case AT_AddConstraint:
			case AT_DropConstraint:
				break;
			default:
				return false;
		}
	}
	return true;
}

/*
 * The columns a tracked statement names: only they can change.
 */
static List *
statement_columns(AlterTableStmt *at)
{
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, at->cmds)
	{
		AlterTableCmd *sub = lfirst_node(AlterTableCmd, lc);

		if (sub->subtype == AT_AddColumn)
			names = lappend(names, castNode(ColumnDef, sub->def)->colname);
		else if (sub->subtype != AT_AddConstraint &&
				 sub->subtype != AT_DropConstraint && sub->name)
			names = lappend(names, sub->name);
	}
	return names;
}

static bool
name_listed(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	return false;
}

/*
 * The default expression of column "attnum" of "rel", deparsed, or NULL.
 */
static char *
column_default(Relation rel, AttrNumber attnum)
{
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	int			i;

	if (constr == NULL)
		return NULL;
	for (i = 0; i < constr->num_defval; i++)
	{
		if (constr->defval[i].adnum != attnum)
			continue;
		return deparse_expression(stringToNode(constr->defval[i].adbin),
								  deparse_context_for(RelationGetRelationName(rel),
													  RelationGetRelid(rel)),
								  false, false);
	}
	return NULL;
}

static void
state_work(void *arg)
{
	StateWork  *sw = (StateWork *) arg;
	Relation	rel;
	TupleDesc	tupdesc;
	Relation	conrel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	List	   *columns = NIL;
	List	   *constraints = NIL;
	MemoryContext old;
	TableState *state;
	ListCell   *lc;
	int			i;

	(void) NewGUCNestLevel();
	(void) set_config_option("search_path", "", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	rel = table_open(sw->relid, AccessShareLock);
	tupdesc = RelationGetDescr(rel);
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		TableColumn *col;

		if (att->attisdropped || !name_listed(sw->names, NameStr(att->attname)))
			continue;
		col = palloc0(sizeof(TableColumn));
		col->name = pstrdup(NameStr(att->attname));
		col->type = format_type_with_typemod(att->atttypid, att->atttypmod);
		if (OidIsValid(att->attcollation) &&
			att->attcollation != get_typcollation(att->atttypid))
			col->collation = generate_collation_name(att->attcollation);
		col->not_null = att->attnotnull;
		if (att->atthasdef)
			col->default_sql = column_default(rel, att->attnum);
		columns = lappend(columns, col);
	}

	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(sw->relid));
	scan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true,
							  NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		TableConstraint *c;

		/* PostgreSQL 18's NOT NULL constraints: the columns' not_null */
		if (con->contype == 'n')
			continue;
		c = palloc0(sizeof(TableConstraint));
		c->name = pstrdup(NameStr(con->conname));
		c->definition = pg_get_constraintdef_command(con->oid);
		constraints = lappend(constraints, c);
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
	table_close(rel, AccessShareLock);

	/* copy out of the subtransaction, which is rolled back */
	old = MemoryContextSwitchTo(sw->resultcxt);
	state = palloc0(sizeof(TableState));
	state->relid = sw->relid;
	foreach(lc, columns)
	{
		TableColumn *src = (TableColumn *) lfirst(lc);
		TableColumn *col = palloc0(sizeof(TableColumn));

		col->name = pstrdup(src->name);
		col->type = pstrdup(src->type);
		col->collation = src->collation ? pstrdup(src->collation) : NULL;
		col->not_null = src->not_null;
		col->default_sql = src->default_sql ? pstrdup(src->default_sql) : NULL;
		state->columns = lappend(state->columns, col);
	}
	foreach(lc, constraints)
	{
		TableConstraint *src = (TableConstraint *) lfirst(lc);
		TableConstraint *c = palloc0(sizeof(TableConstraint));

		c->name = pstrdup(src->name);
		c->definition = pstrdup(src->definition);
		state->constraints = lappend(state->constraints, c);
	}
	sw->state = state;
	MemoryContextSwitchTo(old);
}

/*
 * The state of table "relid" now, in "resultcxt", or NULL if it cannot be
 * read.
 */
static TableState *
read_state(Oid relid, List *names, MemoryContext resultcxt)
{
	StateWork	sw = {.relid = relid,.names = names,.resultcxt = resultcxt};

	if (!OidIsValid(relid) || get_rel_relkind(relid) == '\0')
		return NULL;
	if (!migrate_try_in_subtransaction(state_work, &sw))
		return NULL;
	return sw.state;
}

/*
 * The state, in "resultcxt", of the table an ALTER TABLE is about to
 * change, or NULL if the statement is not one whose change is tracked.
 * Called at ddl_command_start.
 */
TableState *
migrate_ddl_table_state_before(Node *parsetree, MemoryContext resultcxt)
{
	AlterTableStmt *at;
	Oid			relid;
	MemoryContext cxt;
	TableState *state;

	if (!IsA(parsetree, AlterTableStmt))
		return NULL;
	at = (AlterTableStmt *) parsetree;
	if (!tracked_statement(at))
		return NULL;
	relid = RangeVarGetRelid(at->relation, NoLock, true);
	if (!OidIsValid(relid))
		return NULL;

	/* its own context, freed with the pending command */
	cxt = AllocSetContextCreate(resultcxt, "migrate table state",
								ALLOCSET_SMALL_SIZES);
	state = read_state(relid, statement_columns(at), cxt);
	if (state == NULL)
	{
		MemoryContextDelete(cxt);
		return NULL;
	}
	state->cxt = cxt;
	return state;
}

/*
 * Free a state migrate_ddl_table_state_before() returned.
 */
void
migrate_ddl_table_state_free(TableState *state)
{
	if (state && state->cxt)
		MemoryContextDelete(state->cxt);
}

static TableColumn *
find_column(List *columns, const char *name)
{
	ListCell   *lc;

	foreach(lc, columns)
		if (strcmp(((TableColumn *) lfirst(lc))->name, name) == 0)
			return (TableColumn *) lfirst(lc);
	return NULL;
}

static bool
same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool
same_column(TableColumn *a, TableColumn *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->type, b->type) == 0 &&
		same_text(a->collation, b->collation) && a->not_null == b->not_null &&
		same_text(a->default_sql, b->default_sql);
}

/*
 * The constraints of "a" that "b" does not have, by name and definition.
 */
static List *
constraints_minus(List *a, List *b)
{
	List	   *result = NIL;
	ListCell   *la;

	foreach(la, a)
	{
		TableConstraint *ca = (TableConstraint *) lfirst(la);
		bool		found = false;
		ListCell   *lb;

		foreach(lb, b)
		{
			TableConstraint *cb = (TableConstraint *) lfirst(lb);

			if (strcmp(ca->name, cb->name) == 0 &&
				strcmp(ca->definition, cb->definition) == 0)
			{
				found = true;
				break;
			}
		}
		if (!found)
			result = lappend(result, ca);
	}
	return result;
}

/*
 * Record in "object" (the table of an ALTER TABLE, at ddl_command_end)
 * what the statement changed, against the state "before" it.
 */
void
migrate_ddl_table_change(TableState *before, Node *parsetree, LogObject *object)
{
	AlterTableStmt *at = (AlterTableStmt *) parsetree;
	TableState *after = read_state(before->relid, statement_columns(at),
								   CurrentMemoryContext);
	bool		unchanged;
	ListCell   *lc;
	ListCell   *lc2;

	if (after == NULL)
		return;

	unchanged = list_length(before->columns) == list_length(after->columns);
	if (unchanged)
	{
		forboth(lc, before->columns, lc2, after->columns)
		{
			if (!same_column((TableColumn *) lfirst(lc), (TableColumn *) lfirst(lc2)))
			{
				unchanged = false;
				break;
			}
		}
	}
	object->columns_changed = !unchanged;
	object->constraints_added = constraints_minus(after->constraints,
												  before->constraints);
	object->constraints_dropped = constraints_minus(before->constraints,
													after->constraints);
	if (object->constraints_added || object->constraints_dropped)
		unchanged = false;

	/* the columns the statement names, as they were */
	foreach(lc, at->cmds)
	{
		AlterTableCmd *sub = lfirst_node(AlterTableCmd, lc);
		const char *name = sub->name;
		TableColumn *col;

		if (sub->subtype == AT_AddColumn)
			name = castNode(ColumnDef, sub->def)->colname;
		if (name == NULL || sub->subtype == AT_AddConstraint ||
			sub->subtype == AT_DropConstraint)
			continue;
		col = find_column(before->columns, name);
		if (col && !list_member_ptr(object->columns_before, col))
			object->columns_before = lappend(object->columns_before, col);
	}
	object->tracked = true;
	object->unchanged = unchanged;
}

/*
 * Push the change recorded in "object" into the jsonb object of it being
 * built (logrow.c).
 */
void
migrate_ddl_push_table_change(JsonbParseState **state, LogObject *object)
{
	ListCell   *lc;
	int			i;

	if (!object->tracked)
		return;

	migrate_ddl_push_bool(state, "unchanged", object->unchanged);
	migrate_ddl_push_bool(state, "columns_changed", object->columns_changed);

	if (object->columns_before)
	{
		migrate_ddl_push_key(state, "columns_before");
		(void) pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
		foreach(lc, object->columns_before)
		{
			TableColumn *col = (TableColumn *) lfirst(lc);

			(void) pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
			migrate_ddl_push_field(state, "name", col->name);
			migrate_ddl_push_field(state, "type", col->type);
			migrate_ddl_push_field(state, "collation", col->collation);
			migrate_ddl_push_bool(state, "not_null", col->not_null);
			migrate_ddl_push_field(state, "default", col->default_sql);
			(void) pushJsonbValue(state, WJB_END_OBJECT, NULL);
		}
		(void) pushJsonbValue(state, WJB_END_ARRAY, NULL);
	}

	for (i = 0; i < 2; i++)
	{
		List	   *list = i == 0 ? object->constraints_added : object->constraints_dropped;

		if (list == NIL)
			continue;
		migrate_ddl_push_key(state, i == 0 ? "constraints_added" : "constraints_dropped");
		(void) pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
		foreach(lc, list)
		{
			TableConstraint *c = (TableConstraint *) lfirst(lc);

			(void) pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
			migrate_ddl_push_field(state, "name", c->name);
			migrate_ddl_push_field(state, "definition", c->definition);
			(void) pushJsonbValue(state, WJB_END_OBJECT, NULL);
		}
		(void) pushJsonbValue(state, WJB_END_ARRAY, NULL);
	}
}

/*
 * The columns of a "columns_before" array (capture(), from the log).
 */
List *
migrate_ddl_columns_from_jsonb(Jsonb *array)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, migrate_ddl_json_objects(array))
	{
		JsonbContainer *o = (JsonbContainer *) lfirst(lc);
		TableColumn *col = palloc0(sizeof(TableColumn));

		col->name = migrate_ddl_json_string(o, "name");
		col->type = migrate_ddl_json_string(o, "type");
		col->collation = migrate_ddl_json_string(o, "collation");
		col->not_null = migrate_ddl_json_bool(o, "not_null");
		col->default_sql = migrate_ddl_json_string(o, "default");
		if (col->name && col->type)
			result = lappend(result, col);
	}
	return result;
}

/*
 * The constraints of a "constraints_added" or "constraints_dropped" array.
 */
List *
migrate_ddl_constraints_from_jsonb(Jsonb *array)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, migrate_ddl_json_objects(array))
	{
		JsonbContainer *o = (JsonbContainer *) lfirst(lc);
		TableConstraint *c = palloc0(sizeof(TableConstraint));

		c->name = migrate_ddl_json_string(o, "name");
		c->definition = migrate_ddl_json_string(o, "definition");
		if (c->name && c->definition)
			result = lappend(result, c);
	}
	return result;
}
