/*-------------------------------------------------------------------------
 *
 * script.c
 *	  Splitting migration scripts into statements with PostgreSQL's parser.
 *
 * A migration script is split by raw_parser(), the server's own grammar,
 * so dollar quotes, DO blocks, BEGIN ATOMIC bodies, nested comments and
 * empty statements (";;") are handled exactly as the server would handle
 * them.  Each RawStmt gives the statement's location and length; the
 * location points just after the previous semicolon, so leading blanks
 * and comments are skipped to find the statement's first token and line.
 *
 * The parse tree is also where registration-time checks look: psql
 * meta-commands and syntax errors, transaction control (a migration runs
 * inside the caller's transaction), COPY from or to the client, and
 * commands that cannot run inside a transaction block, which make a
 * migration non-transactional.
 *
 * Parsing depends on session settings such as standard_conforming_strings,
 * as it does for any query; migrations are parsed again when they run.
 *
 * IDENTIFICATION
 *	  src/engine/script.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/defrem.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "engine/engine.h"

PG_FUNCTION_INFO_V1(migrate_statements);

/* How much of a statement's first line messages show. */
#define FIRST_LINE_MAXLEN	100

static inline bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		c == '\v';
}

/*
 * Skip blanks, "--" comments and (nested) block comments from "pos", and
 * return the offset of the next token, or "end" if there is none.
 */
static int
skip_blanks_and_comments(const char *text, int pos, int end)
{
	while (pos < end)
	{
		if (is_blank(text[pos]))
			pos++;
		else if (text[pos] == '-' && pos + 1 < end && text[pos + 1] == '-')
		{
			while (pos < end && text[pos] != '\n')
				pos++;
		}
		else if (text[pos] == '/' && pos + 1 < end && text[pos + 1] == '*')
		{
			int			depth = 1;

			pos += 2;
			while (pos < end && depth > 0)
			{
				if (text[pos] == '/' && pos + 1 < end && text[pos + 1] == '*')
				{
					depth++;
					pos += 2;
				}
				else if (text[pos] == '*' && pos + 1 < end && text[pos + 1] == '/')
				{
					depth--;
					pos += 2;
				}
				else
					pos++;
			}
		}
		else
			break;
	}
	return pos;
}

/*
 * True if the script has no statement at all: empty, blanks or comments.
 */
bool
migrate_script_is_blank(const char *text)
{
	int			len = strlen(text);

	return skip_blanks_and_comments(text, 0, len) >= len;
}

/*
 * Count the lines from "from" up to (not including) byte offset "to".
 */
static int
count_newlines(const char *text, int from, int to)
{
	int			n = 0;

	for (; from < to; from++)
		if (text[from] == '\n')
			n++;
	return n;
}

/*
 * Byte offset of the 1-based character position "charpos" in "text", as
 * reported by errposition().
 */
static int
charpos_to_offset(const char *text, int charpos)
{
	int			offset = 0;
	int			len = strlen(text);

	while (--charpos > 0 && offset < len)
		offset += pg_mblen(text + offset);
	return Min(offset, len);
}

/*
 * The line of "text" that holds byte offset "offset", without its
 * newline, clipped to FIRST_LINE_MAXLEN bytes on a character boundary.
 */
static char *
line_at(const char *text, int offset)
{
	int			start = offset;
	int			end = offset;
	int			len;
	int			cliplen;

	while (start > 0 && text[start - 1] != '\n')
		start--;
	while (text[end] != '\0' && text[end] != '\n' && text[end] != '\r')
		end++;
	len = end - start;
	cliplen = pg_mbcliplen(text + start, len, FIRST_LINE_MAXLEN);
	if (cliplen < len)
		return psprintf("%.*s...", cliplen, text + start);
	return pnstrdup(text + start, len);
}

/*
 * True if byte offset "offset" is at the end of "text", on an empty last
 * line: a syntax error there has no line text to show.
 */
static bool
line_is_end(const char *text, int offset)
{
	return text[offset] == '\0' && (offset == 0 || text[offset - 1] == '\n');
}

/*
 * The psql meta-command or variable found at byte offset "offset", or
 * NULL if there is none; *is_variable says which it is.  psql interprets
 * these before the server sees a query, so the server's grammar fails on
 * them.
 */
static char *
psql_construct_at(const char *text, int offset, bool *is_variable)
{
	const char *p = text + offset;
	int			n = 1;

	*is_variable = false;
	if (*p == '\\')
	{
		while (p[n] != '\0' && !is_blank(p[n]) && p[n] != '\\' && n < 32)
			n++;
		return pnstrdup(p, n);
	}
	if (*p == ':' && (isalpha((unsigned char) p[1]) || p[1] == '_' ||
					  p[1] == '\'' || p[1] == '"' || p[1] == '{'))
	{
		while (p[n] != '\0' && !is_blank(p[n]) && p[n] != ';' && n < 64)
			n++;
		*is_variable = true;
		return pnstrdup(p, n);
	}
	return NULL;
}

/*
 * Which script is parsed, for messages: each kind has messages of its
 * own, so that each message is whole.
 */
typedef enum ScriptKind
{
	SCRIPT_PLAIN,				/* a script of no migration: statements() */
	SCRIPT_SEED,				/* a seed's */
	SCRIPT_UP,					/* a migration's up script */
	SCRIPT_DOWN					/* a migration's down script */
} ScriptKind;

/*
 * Context of a parse: what to say when the parser raises an error.
 */
typedef struct ParseContext
{
	ScriptKind	kind;
	const char *name;			/* the version or seed name, or NULL */
	bool		registering;	/* the error stops a registration */
	const char *text;
} ParseContext;

/*
 * The primary message of a syntax error, with the parser's message
 * "error".  These errmsg_ and errdetail_ helpers are for use inside
 * ereport(), as errdetail_relkind_not_supported() is.
 */
static int
errmsg_invalid_sql(const ParseContext *pc, const char *error)
{
	switch (pc->kind)
	{
		case SCRIPT_UP:
			return errmsg("up script of migration \"%s\" is not valid SQL: %s",
						  pc->name, error);
		case SCRIPT_DOWN:
			return errmsg("down script of migration \"%s\" is not valid SQL: %s",
						  pc->name, error);
		case SCRIPT_SEED:
			return errmsg("seed \"%s\" is not valid SQL: %s", pc->name, error);
		case SCRIPT_PLAIN:
			break;
	}
	return errmsg("script is not valid SQL: %s", error);
}

/*
 * The primary message of a psql meta-command ("\connect") in a script.
 */
static int
errmsg_meta_command(const ParseContext *pc, const char *command)
{
	switch (pc->kind)
	{
		case SCRIPT_UP:
			return errmsg("up script of migration \"%s\" contains a psql meta-command \"%s\"",
						  pc->name, command);
		case SCRIPT_DOWN:
			return errmsg("down script of migration \"%s\" contains a psql meta-command \"%s\"",
						  pc->name, command);
		case SCRIPT_SEED:
			return errmsg("seed \"%s\" contains a psql meta-command \"%s\"",
						  pc->name, command);
		case SCRIPT_PLAIN:
			break;
	}
	return errmsg("script contains a psql meta-command \"%s\"", command);
}

/*
 * The primary message of a psql variable (":name") in a script.
 */
static int
errmsg_variable(const ParseContext *pc, const char *variable)
{
	switch (pc->kind)
	{
		case SCRIPT_UP:
			return errmsg("up script of migration \"%s\" contains a psql variable \"%s\"",
						  pc->name, variable);
		case SCRIPT_DOWN:
			return errmsg("down script of migration \"%s\" contains a psql variable \"%s\"",
						  pc->name, variable);
		case SCRIPT_SEED:
			return errmsg("seed \"%s\" contains a psql variable \"%s\"",
						  pc->name, variable);
		case SCRIPT_PLAIN:
			break;
	}
	return errmsg("script contains a psql variable \"%s\"", variable);
}

/*
 * The primary message of a transaction control statement (command "tag")
 * in a script.
 */
static int
errmsg_transaction_control(const ParseContext *pc, const char *tag)
{
	switch (pc->kind)
	{
		case SCRIPT_UP:
			return errmsg("up script of migration \"%s\" contains transaction control statement %s",
						  pc->name, tag);
		case SCRIPT_DOWN:
			return errmsg("down script of migration \"%s\" contains transaction control statement %s",
						  pc->name, tag);
		case SCRIPT_SEED:
			return errmsg("seed \"%s\" contains transaction control statement %s",
						  pc->name, tag);
		case SCRIPT_PLAIN:
			break;
	}
	return errmsg("script contains transaction control statement %s", tag);
}

/*
 * The primary message of a COPY from or to the client in a script.
 */
static int
errmsg_copy_client(const ParseContext *pc)
{
	switch (pc->kind)
	{
		case SCRIPT_UP:
			return errmsg("up script of migration \"%s\" copies data from or to the client",
						  pc->name);
		case SCRIPT_DOWN:
			return errmsg("down script of migration \"%s\" copies data from or to the client",
						  pc->name);
		case SCRIPT_SEED:
			return errmsg("seed \"%s\" copies data from or to the client",
						  pc->name);
		case SCRIPT_PLAIN:
			break;
	}
	return errmsg("script copies data from or to the client");
}

/*
 * The detail of a syntax error: where it is ("linetext" is NULL at the
 * end of the script), and whether the registration stopped.
 */
static int
errdetail_syntax_error(const ParseContext *pc, int line, const char *linetext)
{
	if (linetext == NULL && pc->registering)
		return errdetail("The error is at the end of the script. Nothing was registered.");
	if (linetext == NULL)
		return errdetail("The error is at the end of the script.");
	if (pc->registering)
		return errdetail("The error is on line %d: \"%s\". Nothing was registered.",
						 line, linetext);
	return errdetail("The error is on line %d: \"%s\".", line, linetext);
}

/*
 * The detail of a psql meta-command or variable: where it is.
 */
static int
errdetail_construct(const ParseContext *pc, int line, const char *linetext)
{
	if (pc->registering)
		return errdetail("It is on line %d: \"%s\". Nothing was registered.",
						 line, linetext);
	return errdetail("It is on line %d: \"%s\".", line, linetext);
}

/*
 * The detail of a statement that can never run in a migration: which it
 * is (1-based "n") and where.
 */
static int
errdetail_statement(const ParseContext *pc, int n, int line,
					const char *linetext)
{
	if (pc->registering)
		return errdetail("It is statement %d, on line %d: \"%s\". Nothing was registered.",
						 n, line, linetext);
	return errdetail("It is statement %d, on line %d: \"%s\".",
					 n, line, linetext);
}

/*
 * Run raw_parser() over a whole script.  A parser error is raised again as
 * an error about the migration: the original SQLSTATE and message, the
 * migration and script named, and the line.  The client query is not
 * pointed at, since the position is inside the script, not in the query
 * that passed it.
 */
static List *
parse_or_explain(const ParseContext *pc)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	List	   *parsetrees = NIL;

	PG_TRY();
	{
		parsetrees = raw_parser(pc->text, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		int			offset;
		int			line;
		char	   *construct;
		bool		is_variable;
		bool		at_end;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();

		offset = edata->cursorpos > 0 ?
			charpos_to_offset(pc->text, edata->cursorpos) : 0;
		line = 1 + count_newlines(pc->text, 0, offset);
		construct = psql_construct_at(pc->text, offset, &is_variable);
		at_end = line_is_end(pc->text, offset);

		if (construct)
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 is_variable ? errmsg_variable(pc, construct) :
					 errmsg_meta_command(pc, construct),
					 errdetail_construct(pc, line, line_at(pc->text, offset)),
					 errhint("Migrations run inside the server, where psql meta-commands and variables do not exist; remove it.")));
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg_invalid_sql(pc, edata->message),
				 errdetail_syntax_error(pc, line,
										at_end ? NULL : line_at(pc->text, offset)),
				 errhint("Fix the script.")));
	}
	PG_END_TRY();

	return parsetrees;
}

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
static const char *
top_level_only_command(Node *stmt)
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

/*
 * Refuse statements that can never run in a migration, wherever it runs.
 */
static void
check_statement_allowed(const ParseContext *pc, const MigrateStatement *st,
						int n)
{
	Node	   *stmt = st->parsetree;

	if (IsA(stmt, TransactionStmt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
				 errmsg_transaction_control(pc, GetCommandTagName(CreateCommandTag(stmt))),
				 errdetail_statement(pc, n, st->line,
									 line_at(pc->text, st->location)),
				 errhint("Remove BEGIN, COMMIT, ROLLBACK and SAVEPOINT: migrate runs every migration in a subtransaction of its own and commits with the calling transaction.")));

	if (IsA(stmt, CopyStmt) && ((CopyStmt *) stmt)->filename == NULL &&
		!((CopyStmt *) stmt)->is_program)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg_copy_client(pc),
				 errdetail_statement(pc, n, st->line,
									 line_at(pc->text, st->location)),
				 errhint("COPY FROM STDIN and COPY TO STDOUT need a client connection; use INSERT statements or COPY from a file on the server.")));
}

/*
 * Split and check a migration script.  Raises an error naming the
 * migration ("version" may be NULL for a script of no migration; for a
 * seed, "direction" is MIGRATE_SEED_SCRIPT and "version" the seed's name),
 * the script and the line for anything that can never run; "registering"
 * says the error stops a registration.  The result and its parse trees live
 * in the current memory context.
 */
MigrateScript *
migrate_parse_script(const char *version, const char *direction,
					 const char *text, bool registering)
{
	ParseContext pc;
	MigrateScript *script;
	List	   *parsetrees;
	ListCell   *lc;
	int			textlen = strlen(text);
	int			line = 1;
	int			lineoffset = 0;
	int			n = 0;

	if (version == NULL)
		pc.kind = SCRIPT_PLAIN;
	else if (strcmp(direction, MIGRATE_SEED_SCRIPT) == 0)
		pc.kind = SCRIPT_SEED;
	else if (strcmp(direction, "up") == 0)
		pc.kind = SCRIPT_UP;
	else
	{
		Assert(strcmp(direction, "down") == 0);
		pc.kind = SCRIPT_DOWN;
	}
	pc.name = version;
	pc.registering = registering;
	pc.text = text;

	parsetrees = parse_or_explain(&pc);

	script = palloc0(sizeof(MigrateScript));
	script->version = version;
	script->direction = direction;
	script->text = text;
	script->first_top_level = -1;
	script->statements = palloc0(sizeof(MigrateStatement) *
								 Max(list_length(parsetrees), 1));

	foreach(lc, parsetrees)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);
		MigrateStatement *st = &script->statements[n];
		int			start;
		int			end;

		migrate_statement_bounds(text, textlen, raw->stmt_location,
								 raw->stmt_len, &start, &end);

		/* lines are counted incrementally: statements come in order */
		line += count_newlines(text, lineoffset, start);
		lineoffset = start;

		Assert(n < list_length(parsetrees));
		Assert(start >= 0 && end >= start && end <= textlen);
		st->location = start;
		st->len = end - start;
		st->line = line;
		st->parsetree = raw->stmt;
		st->top_level_only = top_level_only_command(raw->stmt);

		check_statement_allowed(&pc, st, n + 1);

		if (st->top_level_only && script->first_top_level < 0)
			script->first_top_level = n;
		n++;
	}
	script->nstatements = n;

	return script;
}

/*
 * Narrow a statement's span as the parser reports it (byte offset
 * "location", "len" bytes, 0 meaning to the end of "text") to its first
 * token and its last non-blank byte: the span starts just after the
 * previous semicolon, with the blanks and comments in between.
 */
void
migrate_statement_bounds(const char *text, int textlen, int location, int len,
						 int *start, int *end)
{
	int			s = Min(Max(location, 0), textlen);
	int			e = len > 0 ? Min(s + len, textlen) : textlen;

	s = skip_blanks_and_comments(text, s, e);
	while (e > s && is_blank(text[e - 1]))
		e--;
	*start = s;
	*end = e;
}

/*
 * The text of statement "i", from its first token to its end.
 */
char *
migrate_statement_text(const MigrateScript *script, int i)
{
	const MigrateStatement *st;

	Assert(i >= 0 && i < script->nstatements);
	st = &script->statements[i];
	Assert(st->location >= 0 && st->len >= 0);
	return pnstrdup(script->text + st->location, st->len);
}

/*
 * The first line of statement "i", clipped, for messages and activity.
 */
char *
migrate_statement_first_line(const MigrateScript *script, int i)
{
	Assert(i >= 0 && i < script->nstatements);
	return line_at(script->text, script->statements[i].location);
}

/*
 * statements(script text) returns table (statement int, line int,
 *		command text, top_level_only boolean, sql text)
 *
 * How migrate splits a script: one row per statement.  It lets a user see
 * in advance what migrate will run and which statements make a migration
 * non-transactional.
 */
Datum
migrate_statements(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	MigrateScript *script;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("script must not be NULL")));

	tupstore = migrate_materialize_srf(fcinfo, &tupdesc);

	script = migrate_parse_script(NULL, NULL,
								  text_to_cstring(PG_GETARG_TEXT_PP(0)),
								  false);
	for (i = 0; i < script->nstatements; i++)
	{
		MigrateStatement *st = &script->statements[i];
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = Int32GetDatum(st->line);
		values[2] = CStringGetTextDatum(GetCommandTagName(CreateCommandTag(st->parsetree)));
		values[3] = BoolGetDatum(st->top_level_only != NULL);
		values[4] = CStringGetTextDatum(migrate_statement_text(script, i));
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}

	return (Datum) 0;
}
