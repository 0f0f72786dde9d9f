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
 * migration non-transactional (classify.c says which).
 *
 * A large script is parsed a chunk at a time (parse_in_chunks()), and no
 * parse tree is kept once its statement is checked: what stays is each
 * statement's place, line and command, a few dozen bytes, so splitting
 * needs a few times the script's size however many statements it has.
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

#include "common/keywords.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "parser/scanner.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "engine/engine.h"

PG_FUNCTION_INFO_V1(migrate_statements);

/*
 * Scripts from twice this size up are parsed a chunk of this size at a
 * time (parse_in_chunks()).
 */
#define PARSE_CHUNK_BYTES	(64 * 1024)

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
 * Run raw_parser() over the script from byte offset "base" to its end.  A
 * parser error is raised again as an error about the migration: the
 * original SQLSTATE and message, the migration and script named, and the
 * line.  The client query is not pointed at, since the position is inside
 * the script, not in the query that passed it.
 */
static List *
parse_or_explain(const ParseContext *pc, int base)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	List	   *parsetrees = NIL;

	PG_TRY();
	{
		parsetrees = raw_parser(pc->text + base, RAW_PARSE_DEFAULT);
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

		offset = base + (edata->cursorpos > 0 ?
						 charpos_to_offset(pc->text + base, edata->cursorpos) : 0);
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
 * raw_parser() over bytes "start" to "end" of the script, which end with a
 * semicolon; NIL and no error if they do not parse.
 */
static List *
try_parse(const ParseContext *pc, int start, int end)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	char	   *chunk = pnstrdup(pc->text + start, end - start);
	List	   *parsetrees = NIL;

	PG_TRY();
	{
		parsetrees = raw_parser(chunk, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcontext);
		FlushErrorState();
		parsetrees = NIL;
	}
	PG_END_TRY();

	return parsetrees;
}

/*
 * Refuse statements that can never run in a migration, wherever it runs.
 */
static void
check_statement_allowed(const ParseContext *pc, const MigrateStatement *st,
						Node *stmt, int n)
{
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
 * A script being split: where its statements go, and where the line count
 * has got to.
 */
typedef struct ScriptBuilder
{
	const ParseContext *pc;
	MigrateScript *script;
	MemoryContext cxt;			/* where the script lives */
	int			textlen;
	int			allocated;		/* room in script->statements */
	int			line;			/* line of byte offset "lineoffset" */
	int			lineoffset;
} ScriptBuilder;

/*
 * Add the statements of one parse of bytes "base" to "end" of the script
 * (its raw parse trees, which live in a shorter-lived context than the
 * script), checking each.
 */
static void
add_statements(ScriptBuilder *b, List *parsetrees, int base, int end)
{
	MigrateScript *script = b->script;
	const char *text = b->pc->text;
	ListCell   *lc;

	foreach(lc, parsetrees)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);
		MigrateStatement *st;
		int			location = base + raw->stmt_location;
		int			start;
		int			stop;

		if (script->nstatements >= b->allocated)
		{
			b->allocated = Max(16, b->allocated * 2);
			script->statements = script->statements ?
				repalloc(script->statements, sizeof(MigrateStatement) * b->allocated) :
				MemoryContextAlloc(b->cxt, sizeof(MigrateStatement) * b->allocated);
		}
		st = &script->statements[script->nstatements];

		/* a length of 0 means "to the end of what was parsed" */
		migrate_statement_bounds(text, end, location,
								 raw->stmt_len > 0 ? raw->stmt_len : end - location,
								 &start, &stop);

		/* lines are counted incrementally: statements come in order */
		b->line += count_newlines(text, b->lineoffset, start);
		b->lineoffset = start;

		Assert(start >= 0 && stop >= start && stop <= b->textlen);
		st->location = start;
		st->len = stop - start;
		st->line = b->line;
		st->tag = CreateCommandTag(raw->stmt);
		st->top_level_only = migrate_statement_top_level_only(raw->stmt);

		check_statement_allowed(b->pc, st, raw->stmt, script->nstatements + 1);

		if (st->top_level_only && script->first_top_level < 0)
			script->first_top_level = script->nstatements;
		script->nstatements++;
	}
}

/*
 * Parse the script a chunk of about PARSE_CHUNK_BYTES at a time, so that
 * the parse trees of one chunk at a time are in memory, not those of the
 * whole script: they take about 20 times the text they come from, and a
 * script may be a data migration of 100 MB.
 *
 * The core scanner finds where a chunk can end: a semicolon outside
 * parentheses and outside a BEGIN ATOMIC body (counted as psql does, with
 * the CASE ... END inside it).  raw_parser() then parses the chunk.  If it
 * does not parse (a split the scanner could not see, or an error in the
 * script) the chunk is extended to twice its size and tried again, and
 * what is left at the end is parsed with its errors explained; so the
 * statements and errors are those of raw_parser() over the whole script.
 * The scanner's warnings are off: raw_parser() gives them, once.
 */
static void
parse_in_chunks(ScriptBuilder *b)
{
	const ParseContext *pc = b->pc;
	MemoryContext oldcontext = CurrentMemoryContext;
	MemoryContext scancxt;
	MemoryContext tokencxt;
	MemoryContext chunkcxt;
	core_yy_extra_type yyextra;
	core_yyscan_t scanner;
	int			begin_token = ScanKeywordTokens[ScanKeywordLookup("begin", &ScanKeywords)];
	int			atomic_token = ScanKeywordTokens[ScanKeywordLookup("atomic", &ScanKeywords)];
	int			case_token = ScanKeywordTokens[ScanKeywordLookup("case", &ScanKeywords)];
	int			end_token = ScanKeywordTokens[ScanKeywordLookup("end", &ScanKeywords)];
	int			chunk_start = 0;
	int			want = PARSE_CHUNK_BYTES;
	int			parens = 0;
	int			atomic = 0;
	int			previous = 0;
	volatile bool scanned = false;

	scancxt = AllocSetContextCreate(CurrentMemoryContext, "migrate script scan",
									ALLOCSET_DEFAULT_SIZES);
	tokencxt = AllocSetContextCreate(scancxt, "migrate script tokens",
									 ALLOCSET_DEFAULT_SIZES);
	chunkcxt = AllocSetContextCreate(scancxt, "migrate script chunk",
									 ALLOCSET_DEFAULT_SIZES);

	MemoryContextSwitchTo(scancxt);
	scanner = scanner_init(pc->text, &yyextra, &ScanKeywords, ScanKeywordTokens);
	yyextra.escape_string_warning = false;

	PG_TRY();
	{
		for (;;)
		{
			core_YYSTYPE lval;
			YYLTYPE		lloc;
			int			token;

			/* the values of tokens (identifiers, literals) go in tokencxt */
			MemoryContextSwitchTo(tokencxt);
			token = core_yylex(&lval, &lloc, scanner);
			MemoryContextSwitchTo(scancxt);
			if (token == 0)
				break;

			if (token == '(')
				parens++;
			else if (token == ')' && parens > 0)
				parens--;
			else if (token == atomic_token && previous == begin_token)
				atomic++;
			else if (token == case_token && atomic > 0)
				atomic++;
			else if (token == end_token && atomic > 0)
				atomic--;
			else if (token == ';' && parens == 0 && atomic == 0 &&
					 lloc + 1 - chunk_start >= want)
			{
				List	   *parsetrees;

				MemoryContextSwitchTo(chunkcxt);
				parsetrees = try_parse(pc, chunk_start, lloc + 1);
				if (parsetrees != NIL)
				{
					add_statements(b, parsetrees, chunk_start, lloc + 1);
					chunk_start = lloc + 1;
					want = PARSE_CHUNK_BYTES;
				}
				else
					want = 2 * (lloc + 1 - chunk_start);
				MemoryContextSwitchTo(scancxt);
				MemoryContextReset(chunkcxt);
				MemoryContextReset(tokencxt);
			}
			previous = token;
		}
		scanned = true;
	}
	PG_CATCH();
	{
		/* a scanner error: the parse of the rest below raises it, explained */
		MemoryContextSwitchTo(scancxt);
		FlushErrorState();
	}
	PG_END_TRY();

	MemoryContextSwitchTo(chunkcxt);
	add_statements(b, parse_or_explain(pc, chunk_start), chunk_start, b->textlen);
	/* parse_or_explain() raised the scanner's error if there was one */
	Assert(scanned);
	(void) scanned;

	MemoryContextSwitchTo(oldcontext);
	MemoryContextDelete(scancxt);
}

/*
 * Split and check a migration script.  Raises an error naming the
 * migration ("version" may be NULL for a script of no migration; for a
 * seed, "direction" is MIGRATE_SEED_SCRIPT and "version" the seed's name),
 * the script and the line for anything that can never run; "registering"
 * says the error stops a registration.  The result lives in the current
 * memory context; no parse tree is kept (migrate_statement_parsetree()
 * parses one statement again).
 */
MigrateScript *
migrate_parse_script(const char *version, const char *direction,
					 const char *text, bool registering)
{
	ParseContext pc;
	ScriptBuilder b;
	MigrateScript *script;

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

	script = palloc0(sizeof(MigrateScript));
	script->version = version;
	script->direction = direction;
	script->text = text;
	script->first_top_level = -1;

	b.pc = &pc;
	b.script = script;
	b.cxt = CurrentMemoryContext;
	b.textlen = strlen(text);
	b.allocated = 0;
	b.line = 1;
	b.lineoffset = 0;

	if (b.textlen < 2 * PARSE_CHUNK_BYTES)
	{
		MemoryContext parsecxt = AllocSetContextCreate(CurrentMemoryContext,
													   "migrate script parse",
													   ALLOCSET_DEFAULT_SIZES);
		MemoryContext oldcontext = MemoryContextSwitchTo(parsecxt);

		add_statements(&b, parse_or_explain(&pc, 0), 0, b.textlen);
		MemoryContextSwitchTo(oldcontext);
		MemoryContextDelete(parsecxt);
	}
	else
		parse_in_chunks(&b);

	if (script->statements == NULL)
		script->statements = palloc0(sizeof(MigrateStatement));

	return script;
}

/*
 * The raw parse tree of statement "i", parsed again from its text, in the
 * current memory context.
 */
Node *
migrate_statement_parsetree(const MigrateScript *script, int i)
{
	List	   *parsetrees;

	Assert(i >= 0 && i < script->nstatements);
	parsetrees = raw_parser(migrate_statement_text(script, i), RAW_PARSE_DEFAULT);
	if (list_length(parsetrees) != 1)
		elog(ERROR, "statement %d of the script parsed into %d statements",
			 i + 1, list_length(parsetrees));
	return linitial_node(RawStmt, parsetrees)->stmt;
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
	MemoryContext rowcxt;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("script must not be NULL")));

	tupstore = migrate_materialize_srf(fcinfo, &tupdesc);

	script = migrate_parse_script(NULL, NULL,
								  text_to_cstring(PG_GETARG_TEXT_PP(0)),
								  false);
	/* a row's values are copied into the tuplestore: free them per row */
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "migrate statements row",
								   ALLOCSET_SMALL_SIZES);
	for (i = 0; i < script->nstatements; i++)
	{
		MigrateStatement *st = &script->statements[i];
		MemoryContext oldcontext = MemoryContextSwitchTo(rowcxt);
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		const char *command = GetCommandTagName(st->tag);

		values[0] = Int32GetDatum(i + 1);
		values[1] = Int32GetDatum(st->line);
		values[2] = CStringGetTextDatum(command);
		values[3] = BoolGetDatum(st->top_level_only != NULL);
		values[4] = PointerGetDatum(cstring_to_text_with_len(script->text + st->location,
															 st->len));
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
		MemoryContextSwitchTo(oldcontext);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);

	return (Datum) 0;
}
