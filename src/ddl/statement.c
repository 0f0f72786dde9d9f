/*-------------------------------------------------------------------------
 *
 * statement.c
 *	  The text of the DDL statement that is running: the statement's own
 *	  text, never the whole string the client sent.
 *
 * Event triggers get the running statement's parse tree, not its text,
 * and current_query() is the whole string the client sent, which may hold
 * many statements.  DDL also runs inside functions, DO blocks, procedures
 * and extension scripts, whose statements are not in the client's string
 * at all.  Two mechanisms find the exact text.
 *
 * A ProcessUtility hook, installed when the library is loaded, keeps a
 * stack of the utility statements that are running: for each, the query
 * string it came from and the statement's location and length in it, as
 * the parser recorded them.  The innermost entry is the statement whose
 * event trigger fires.  Each SQL statement of a PL/pgSQL function and
 * each EXECUTE is a query string of its own; extension scripts and SQL
 * functions pass their whole text with each statement's span; so the hook
 * sees every statement exactly.
 *
 * When the library is not preloaded (shared_preload_libraries or
 * session_preload_libraries), the first event trigger that fires in a
 * session loads it, inside the statement that fired it: the hook was not
 * there when that statement started, and the stack is empty.  For that
 * statement the text is found by parsing candidate query strings again
 * with the server's parser and matching the running parse tree: the query
 * SPI is running (a PL/pgSQL function, DO block or procedure: SPI's error
 * context callback reports it), the body of the SQL function that is
 * running (its error context callback names it), and the client's query
 * string.  Parse trees compare equal whatever the layout of their text,
 * since equal() ignores token locations.  A statement that parse analysis
 * has already rewritten (CREATE TABLE AS) is matched by its command tag
 * instead: it is the first statement of its string to fire an event
 * trigger, since an earlier one would have loaded the library.
 *
 * IDENTIFICATION
 *	  src/ddl/statement.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "tcop/cmdtag.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/syscache.h"

#include "ddl/ddl.h"

/*
 * A utility statement that is running, as the hook saw it start.  Frames
 * live on the C stack of the hook and are linked innermost first.
 */
typedef struct UtilityFrame
{
	PlannedStmt *pstmt;
	const char *query;			/* the string it came from, or NULL */
	bool		top_level;		/* sent by the client itself */
	struct UtilityFrame *outer;
} UtilityFrame;

static UtilityFrame *running_frame = NULL;

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/*
 * ProcessUtility hook: remember the statement while it runs.  It costs a
 * few pointer assignments per utility statement.
 */
static void
migrate_process_utility(PlannedStmt *pstmt, const char *queryString,
						bool readOnlyTree, ProcessUtilityContext context,
						ParamListInfo params, QueryEnvironment *queryEnv,
						DestReceiver *dest, QueryCompletion *qc)
{
	UtilityFrame frame;

	frame.pstmt = pstmt;
	frame.query = queryString;
	frame.top_level = (context == PROCESS_UTILITY_TOPLEVEL);
	frame.outer = running_frame;
	running_frame = &frame;

	PG_TRY();
	{
		if (prev_ProcessUtility)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		running_frame = frame.outer;
	}
	PG_END_TRY();
}

/*
 * Install the hook, after any hook installed before it.
 */
void
migrate_ddl_statement_init(void)
{
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = migrate_process_utility;
}

/*
 * True while a utility statement the hook saw is running.
 */
bool
migrate_ddl_statement_running(void)
{
	return running_frame != NULL;
}

/*
 * The statement at byte offset "location" of "query", "len" bytes long
 * (0: to the end), without the blanks and comments around it.  Only the
 * statement's own bytes are scanned: extension scripts are long and run
 * statement by statement.
 */
static char *
span_text(const char *query, int location, int len)
{
	int			textlen;
	int			start;
	int			end;

	location = Max(location, 0);
	if (len > 0)
		textlen = location + len;
	else
		textlen = location + strlen(query + location);
	migrate_statement_bounds(query, textlen, location, len, &start, &end);
	return pnstrdup(query + start, end - start);
}

/*
 * True if the hook saw the statement of "parsetree" start: then its text
 * is known exactly.  The innermost running statement is the one whose
 * event trigger fires; its tree may be a copy of the one the hook saw
 * (ProcessUtility copies trees it must not modify), so node tags are
 * compared, not pointers.
 */
bool
migrate_ddl_statement_hooked(Node *parsetree)
{
	return running_frame != NULL &&
		running_frame->pstmt->utilityStmt != NULL &&
		nodeTag(running_frame->pstmt->utilityStmt) == nodeTag(parsetree);
}

/*
 * A search for a statement in a query string (match_work).
 */
typedef struct StatementMatch
{
	const char *query;
	Node	   *parsetree;
	char	   *text;			/* result */
} StatementMatch;

static void
match_work(void *arg)
{
	StatementMatch *m = (StatementMatch *) arg;
	List	   *raws = raw_parser(m->query, RAW_PARSE_DEFAULT);
	CommandTag	tag = CreateCommandTag(m->parsetree);
	RawStmt    *found = NULL;
	RawStmt    *same_tag = NULL;
	ListCell   *lc;

	foreach(lc, raws)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);

		if (equal(raw->stmt, m->parsetree))
		{
			found = raw;
			break;
		}
		if (same_tag == NULL && CreateCommandTag(raw->stmt) == tag)
			same_tag = raw;
	}
	if (found == NULL)
		found = same_tag;
	if (found)
		m->text = span_text(m->query, found->stmt_location, found->stmt_len);
}

/*
 * Find the statement of "parsetree" in "query" by parsing it again.  A
 * string that no longer parses (a setting changed since) is only a failed
 * match.  Returns the statement's text, or NULL.
 */
static char *
match_statement(const char *query, Node *parsetree)
{
	StatementMatch m = {.query = query,.parsetree = parsetree,.text = NULL};

	if (!migrate_try_in_subtransaction(match_work, &m))
		return NULL;
	return m.text;
}

/*
 * The context line of the innermost error context callback, as an error
 * raised now would report it, or NULL.  Only that callback runs.
 */
static char *
innermost_context(void)
{
	ErrorContextCallback *volatile saved = error_context_stack;
	ErrorContextCallback innermost;
	char	   *volatile context = NULL;

	if (saved == NULL)
		return NULL;
	innermost.callback = saved->callback;
	innermost.arg = saved->arg;
	innermost.previous = NULL;

	/*
	 * PG_TRY() saves error_context_stack and PG_END_TRY() restores it, on
	 * every way out.  So the stack is switched to the local frame inside the
	 * PG_TRY() block, never before it: had it been switched before,
	 * PG_END_TRY() would put the local frame back, and the stack would point
	 * into this function's dead stack frame once it returns (the next error
	 * or notice would then call garbage).
	 */
	PG_TRY();
	{
		error_context_stack = &innermost;
		context = GetErrorContextStack();
	}
	PG_END_TRY();

	Assert(error_context_stack == saved);
	return context;
}

/*
 * If "line" is the server's message "msgid" (in the session's language),
 * return what fills its first %s, or NULL.  The %s is taken to end where
 * the literal text after it first appears, up to any other conversion.
 */
static char *
message_argument(const char *line, const char *msgid)
{
	const char *fmt = dgettext(PG_TEXTDOMAIN("postgres"), msgid);
	const char *hole = strstr(fmt, "%s");
	const char *after;
	const char *next;
	char	   *literal;
	const char *arg;
	const char *arg_end;
	int			prefixlen;

	if (line == NULL || hole == NULL)
		return NULL;
	prefixlen = hole - fmt;
	if (strncmp(line, fmt, prefixlen) != 0)
		return NULL;
	arg = line + prefixlen;

	after = hole + 2;
	next = strchr(after, '%');
	literal = next ? pnstrdup(after, next - after) : pstrdup(after);

	if (next == NULL)
	{
		/* the literal ends the line */
		int			linelen = strlen(line);
		int			litlen = strlen(literal);

		if (linelen - prefixlen < litlen ||
			strcmp(line + linelen - litlen, literal) != 0)
			return NULL;
		arg_end = line + linelen - litlen;
	}
	else
	{
		arg_end = strstr(arg, literal);
		if (arg_end == NULL)
			return NULL;
	}
	return pnstrdup(arg, arg_end - arg);
}

/*
 * Find the statement in the bodies of the SQL-language functions named
 * "fname": one of them is running it.
 */
static char *
match_in_sql_functions(const char *fname, Node *parsetree)
{
	CatCList   *catlist;
	char	   *result = NULL;
	int			i;

	catlist = SearchSysCacheList1(PROCNAMEARGSNSP, CStringGetDatum(fname));
	for (i = 0; i < catlist->n_members && result == NULL; i++)
	{
		HeapTuple	tuple = &catlist->members[i]->tuple;
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tuple);
		Datum		src;
		bool		isnull;

		if (proc->prolang != SQLlanguageId)
			continue;
		src = SysCacheGetAttr(PROCNAMEARGSNSP, tuple, Anum_pg_proc_prosrc,
							  &isnull);
		if (!isnull)
			result = match_statement(TextDatumGetCString(src), parsetree);
	}
	ReleaseSysCacheList(catlist);

	return result;
}

/*
 * The text of a statement the hook did not see start, found by parsing
 * its candidate query strings again.  NULL if none holds it.
 */
static char *
statement_by_reparse(Node *parsetree, bool *top_level)
{
	char	   *context = innermost_context();
	char	   *query;
	char	   *text = NULL;

	*top_level = false;

	query = message_argument(context, "SQL statement \"%s\"");
	if (query)
		text = match_statement(query, parsetree);
	if (text == NULL)
	{
		char	   *fname = message_argument(context,
											 "SQL function \"%s\" statement %d");

		if (fname)
			text = match_in_sql_functions(fname, parsetree);
	}
	if (text == NULL && debug_query_string)
	{
		text = match_statement(debug_query_string, parsetree);
		*top_level = (text != NULL);
	}
	return text;
}

/*
 * The text of the running DDL statement "parsetree", or NULL if no
 * candidate string holds it.  *top_level says whether the client sent it
 * itself, rather than a function, procedure or script running it.
 */
char *
migrate_ddl_statement_text(Node *parsetree, bool *top_level)
{
	if (migrate_ddl_statement_hooked(parsetree))
	{
		*top_level = running_frame->top_level;
		if (running_frame->query == NULL)
			return NULL;
		return span_text(running_frame->query,
						 running_frame->pstmt->stmt_location,
						 running_frame->pstmt->stmt_len);
	}
	return statement_by_reparse(parsetree, top_level);
}
