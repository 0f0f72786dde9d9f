/*-------------------------------------------------------------------------
 *
 * drizzle.c
 *	  Drizzle's migration folders: its journal, and the statement
 *	  breakpoints of its files.
 *
 * drizzle-kit writes a migration as <idx>_<name>.sql and lists it in
 * meta/_journal.json, whose "entries" array is the order in which
 * Drizzle's migrator applies the files, whatever their names say; a file
 * the journal does not list is not run.  The journal is parsed with the
 * server's jsonb parser.  Like formats.c, this file reads no files
 * itself (scan.c does) and touches no table.
 *
 * IDENTIFICATION
 *	  src/files/drizzle.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/keywords.h"
#include "lib/stringinfo.h"
#include "parser/scanner.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "files/files.h"

/*
 * The journal's text as jsonb.  The parser's error is raised again as one
 * that names the journal, the parser's message as its detail: a parse
 * error leaves nothing to clean up, as with the scanner in script.c.
 */
static Jsonb *
parse_journal(const char *text, const char *path)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	Jsonb	   *volatile jb = NULL;
	ErrorData  *volatile edata = NULL;

	PG_TRY();
	{
		jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();

	if (edata)
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("migration journal \"%s\" is not valid JSON", path),
				 edata->detail ?
				 errdetail("The JSON parser says: %s (%s) Nothing was registered.",
						   edata->message, edata->detail) :
				 errdetail("The JSON parser says: %s. Nothing was registered.",
						   edata->message),
				 errhint("drizzle-kit writes the journal with every migration it generates: restore it from version control.")));
	return jb;
}

/* what every error about a Drizzle journal says */
#define JOURNAL_DETAIL "Drizzle applies the files its journal lists, in its order: an object with an \"entries\" array of objects with \"idx\", \"tag\" (the file name without .sql) and \"when\". Nothing was registered."
#define JOURNAL_HINT "Check the journal against the .sql files of the directory: drizzle-kit writes it with every migration it generates."

/*
 * The string value of "key" in a JSON object, or NULL when it has none
 * that is a string.
 */
static char *
json_string(JsonbContainer *object, const char *key)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(object, key, strlen(key), &v) == NULL ||
		v.type != jbvString)
		return NULL;
	return pnstrdup(v.val.string.val, v.val.string.len);
}

/*
 * Parse the text of a Drizzle journal (meta/_journal.json) with the
 * server's jsonb parser, and return its entries, in its order.  "path"
 * names it in messages.  A journal of another SQL dialect, entries
 * without a tag, a tag that is no plain file name and a tag listed twice
 * are errors: the journal is the history, so it must be whole.
 */
List *
migrate_drizzle_journal(const char *text, const char *path)
{
	Jsonb	   *jb;
	JsonbValue	v;
	JsonbContainer *entries;
	char	   *dialect;
	List	   *result = NIL;
	int			n;
	int			i;

	jb = parse_journal(text, path);

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration journal \"%s\" is not a JSON object", path),
				 errdetail(JOURNAL_DETAIL), errhint(JOURNAL_HINT)));

	/* older drizzle-kit wrote "pg", newer "postgresql" */
	dialect = json_string(&jb->root, "dialect");
	if (dialect && strcmp(dialect, "postgresql") != 0 && strcmp(dialect, "pg") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration journal \"%s\" is for dialect \"%s\"", path, dialect),
				 errdetail("Its migrations are written for another database system than PostgreSQL. Nothing was registered."),
				 errhint("Load the migrations drizzle-kit generated with dialect \"postgresql\".")));

	if (getKeyJsonValueFromContainer(&jb->root, "entries", 7, &v) == NULL ||
		v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration journal \"%s\" has no \"entries\" array", path),
				 errdetail(JOURNAL_DETAIL), errhint(JOURNAL_HINT)));
	entries = v.val.binary.data;
	n = JsonContainerSize(entries);
	for (i = 0; i < n; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(entries, i);
		MigrateJournalEntry *je;
		JsonbValue	idx;
		ListCell   *lc;

		if (elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("entry %d of migration journal \"%s\" is not a JSON object",
							i + 1, path),
					 errdetail(JOURNAL_DETAIL), errhint(JOURNAL_HINT)));
		je = palloc0(sizeof(MigrateJournalEntry));
		je->tag = json_string(elem->val.binary.data, "tag");
		if (je->tag == NULL || je->tag[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("entry %d of migration journal \"%s\" has no \"tag\"",
							i + 1, path),
					 errdetail(JOURNAL_DETAIL), errhint(JOURNAL_HINT)));
		if (je->tag[0] == '.' || strchr(je->tag, '/') || strchr(je->tag, '\\'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("entry %d of migration journal \"%s\" has tag \"%s\", which is not the name of a file in the directory",
							i + 1, path, je->tag),
					 errdetail(JOURNAL_DETAIL), errhint(JOURNAL_HINT)));
		je->idx = -1;
		if (getKeyJsonValueFromContainer(elem->val.binary.data, "idx", 3, &idx) &&
			idx.type == jbvNumeric)
			je->idx = DatumGetInt32(DirectFunctionCall1(numeric_int4,
														NumericGetDatum(idx.val.numeric)));
		foreach(lc, result)
			if (strcmp(((MigrateJournalEntry *) lfirst(lc))->tag, je->tag) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_OBJECT),
						 errmsg("migration journal \"%s\" lists tag \"%s\" twice",
								path, je->tag),
						 errdetail("Drizzle would run the file twice. Nothing was registered."),
						 errhint("Remove one of the entries.")));
		result = lappend(result, je);
	}
	return result;
}

/*
 * The last token of "text": ';', another token (1), or 0 when it has
 * none.  Raises the scanner's error (an unterminated literal or comment).
 */
static int
last_token(const char *text)
{
	core_yy_extra_type yyextra;
	core_yyscan_t scanner;
	int			last = 0;

	scanner = scanner_init(text, &yyextra, &ScanKeywords, ScanKeywordTokens);
	yyextra.escape_string_warning = false;
	for (;;)
	{
		core_YYSTYPE lval;
		YYLTYPE		lloc;
		int			token = core_yylex(&lval, &lloc, scanner);

		if (token == 0)
			break;
		last = token == ';' ? ';' : 1;
	}
	scanner_finish(scanner);
	return last;
}

/*
 * last_token() of "piece" in *last; false, with the error discarded, when
 * the piece does not scan.  Allocations go in "scancxt".
 */
static bool
try_last_token(const char *piece, MemoryContext scancxt, int *last)
{
	MemoryContext oldcontext = MemoryContextSwitchTo(scancxt);
	volatile bool scanned = true;

	PG_TRY();
	{
		*last = last_token(piece);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(scancxt);
		FlushErrorState();
		scanned = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcontext);
	MemoryContextReset(scancxt);
	return scanned;
}

/*
 * drizzle-kit ends each statement of a migration with a
 * "--> statement-breakpoint" marker, and Drizzle cuts the file at the
 * markers and runs the pieces one by one, so a statement before a marker
 * needs no semicolon.  PostgreSQL's parser reads the marker as the
 * comment it is, and reads two statements without a semicolon between
 * them as a syntax error.  Returns the text with a semicolon added before
 * each marker that follows a statement without one, and sets *added to
 * how many were added; the text itself when none is needed, or when a
 * piece does not scan (a marker inside a literal or a comment, which cuts
 * it for Drizzle): the parse of the whole text then says what is wrong.
 */
char *
migrate_drizzle_breakpoints(const char *text, int *added)
{
	static const char marker[] = "--> statement-breakpoint";
	MemoryContext scancxt;
	StringInfoData buf;
	const char *from = text;
	const char *m;
	bool		scanned = true;

	*added = 0;
	if (strstr(text, marker) == NULL)
		return (char *) text;

	initStringInfo(&buf);
	scancxt = AllocSetContextCreate(CurrentMemoryContext, "migrate drizzle scan",
									ALLOCSET_DEFAULT_SIZES);
	while ((m = strstr(from, marker)) != NULL)
	{
		char	   *piece = pnstrdup(from, m - from);
		int			last = 0;

		if (!(scanned = try_last_token(piece, scancxt, &last)))
			break;
		appendStringInfoString(&buf, piece);
		if (last == 1)
		{
			appendStringInfoChar(&buf, ';');
			(*added)++;
		}
		appendStringInfoString(&buf, marker);
		from = m + strlen(marker);
	}
	MemoryContextDelete(scancxt);
	if (!scanned || *added == 0)
	{
		*added = 0;
		return (char *) text;
	}
	appendStringInfoString(&buf, from);
	return buf.data;
}
