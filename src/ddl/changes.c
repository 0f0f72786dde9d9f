/*-------------------------------------------------------------------------
 *
 * changes.c
 *	  changes(): what the DDL history changed since a point in time, net
 *	  of what changed nothing and what cancels out.
 *
 * The log keeps every DDL statement, which is what an audit needs; a
 * person asking "what changed since Tuesday" in a database an ORM
 * alters at every start does not want the hundreds of statements that
 * set a column to the type it has, or drop a foreign key to add it back
 * the same.  changes() shows the log's rows, in order, without:
 *   - statements that reported no object (IF [NOT] EXISTS that found
 *     nothing to do) and ALTER TABLEs that left the table as it was
 *     (tablestate.c);
 *   - a constraint dropped and added back the same, or added and dropped
 *     again, and a table created and dropped again (netchange.c).
 * Rows recorded before migrate tracked ALTER TABLE are shown as they are.
 *
 * IDENTIFICATION
 *	  src/ddl/changes.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "ddl/ddl.h"

PG_FUNCTION_INFO_V1(migrate_changes);

static MigrateQuery changes_rows_query = {
	.sql = MIGRATE_COMMAND_ROWS_SQL("($1 IS NULL OR l.at OPERATOR(pg_catalog.>=) $1)"),
	.nargs = 1,
	.argtypes = {TIMESTAMPTZOID}
};

static MigrateQuery changes_out_query = {
	.sql =
		"SELECT l.* FROM migrate.ddl_log l"
		" WHERE l.id OPERATOR(pg_catalog.=) ANY ($1) ORDER BY l.id",
	.nargs = 1,
	.argtypes = {INT8ARRAYOID}
};

/*
 * Parse one logged statement; a text that does not parse (it ran, so it
 * should) leaves the command without a parse tree, shown as it is.
 */
typedef struct ParseWork
{
	const char *statement;
	MemoryContext resultcxt;
	Node	   *stmt;
} ParseWork;

static void
parse_work(void *arg)
{
	ParseWork  *pw = (ParseWork *) arg;
	List	   *trees = raw_parser(pw->statement, RAW_PARSE_DEFAULT);
	MemoryContext old;

	if (list_length(trees) != 1)
		return;
	old = MemoryContextSwitchTo(pw->resultcxt);
	pw->stmt = copyObject(linitial_node(RawStmt, trees)->stmt);
	MemoryContextSwitchTo(old);
}

/*
 * True if the command's tag (that of its first object) starts with
 * "prefix".
 */
static bool
command_tag_is(CapturedCommand *cmd, const char *prefix)
{
	CapturedRow *row = (CapturedRow *) linitial(cmd->rows);

	return row->command_tag && strncmp(row->command_tag, prefix, strlen(prefix)) == 0;
}

/*
 * True if the command's change is left in the net change.
 */
static bool
changed_something(CapturedCommand *cmd)
{
	ListCell   *lc;

	if (cmd->rows == NIL || cmd->settled)
		return false;
	foreach(lc, cmd->rows)
	{
		CapturedRow *row = (CapturedRow *) lfirst(lc);

		if (!row->tracked || row->dropped)
			continue;
		if (row->unchanged ||
			(!row->columns_changed && row->constraints_added == NIL &&
			 row->constraints_dropped == NIL))
			return false;
	}
	return true;
}

/*
 * changes(since timestamptz) returns setof migrate.ddl_log
 */
Datum
migrate_changes(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	Datum		arg = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	List	   *commands;
	int64		last_id;
	Datum	   *ids;
	int			nids = 0;
	ListCell   *lc;
	uint64		i;

	migrate_ddl_require_log_privilege(ACL_SELECT, "changes");
	tupstore = migrate_materialize_srf(fcinfo, &tupdesc);
	migrate_spi_connect();

	commands = migrate_ddl_read_commands(&changes_rows_query, &arg,
										 PG_ARGISNULL(0) ? "n" : NULL, &last_id);
	foreach(lc, commands)
	{
		CapturedCommand *cmd = (CapturedCommand *) lfirst(lc);
		ParseWork	pw = {.statement = cmd->statement,
		.resultcxt = CurrentMemoryContext};

		/*
		 * Only renames and drops need their parse tree here (what the
		 * net change of changes() cancels); the rest is known by the
		 * objects the log recorded, and parsing a long history costs.
		 */
		if (cmd->statement && cmd->rows != NIL &&
			(command_tag_is(cmd, "ALTER ") || command_tag_is(cmd, "DROP ")) &&
			migrate_try_in_subtransaction(parse_work, &pw))
			cmd->stmt = pw.stmt;
	}
	migrate_ddl_net_change(commands, false);

	ids = palloc(sizeof(Datum) * Max(list_length(commands), 1));
	foreach(lc, commands)
	{
		CapturedCommand *cmd = (CapturedCommand *) lfirst(lc);

		if (changed_something(cmd))
			ids[nids++] = Int64GetDatum(cmd->id);
	}

	if (nids > 0)
	{
		arg = PointerGetDatum(construct_array(ids, nids, INT8OID, sizeof(int64),
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		(void) migrate_store_exec(&changes_out_query, &arg, NULL, 0);
		for (i = 0; i < SPI_processed; i++)
			tuplestore_puttuple(tupstore, SPI_tuptable->vals[i]);
		migrate_store_done();
	}
	SPI_finish();

	return (Datum) 0;
}
