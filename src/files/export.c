/*-------------------------------------------------------------------------
 *
 * export.c
 *	  export() and export_all(): registered migrations as files for a
 *	  team's repository, in dbmate's SQL format or as knex modules.
 *
 * Format "sql" (file VERSION_name.sql), the format load() reads back:
 *
 *		-- migrate:up[ transaction:false]
 *		<up script>
 *		-- migrate:down
 *		<down script>
 *
 * Each script is written as registered.  The marker of the down section
 * must start a line, so an up script that does not end with a newline
 * gets one before it; the last section is written as it is, so the file
 * may end without a newline.  An irreversible migration (down NULL) has
 * no "-- migrate:down" line at all; a "-- migrate:down" line followed by
 * nothing is a down script that does nothing.  A script with a line that
 * starts with "-- migrate:" cannot be written: a reader would take it for
 * a section marker.
 *
 * Format "knex" (file VERSION_name.js): a knex migration module,
 *
 *		exports.up = async (knex) => {
 *		  await knex.raw(`<statement>`);
 *		  ...
 *		};
 *		exports.down = async (knex) => { ... };
 *
 * with one knex.raw() call per statement, as migrate splits the script
 * (the statement's text, without the semicolon or the comments between
 * statements), and exports.config = { transaction: false } for a
 * non-transactional migration.  An irreversible migration's down throws.
 * Statements are JavaScript template literals: \, ` and ${ are escaped,
 * carriage returns are written as \r (template literals would turn them
 * into line feeds), and each ? is written as \\? because knex reads a
 * ? in raw SQL as a binding and \? as a question mark.  knex drops the
 * backslashes in front of a ?, so a statement with a backslash right
 * before a ? cannot be written for it.
 *
 * File names are the version, then "_" and the name with every run of
 * characters other than ASCII letters and digits replaced by "_".
 *
 * Seeds: export_seed(), and export_all() with seeds => true, which puts
 * them after the migrations, in migrate's order (natural name order), as
 * "seeds/NNNN_name.sql" or "seeds/NNNN_name.js": knex reads ./seeds and
 * runs seed files in file-name order, so NNNN, the seed's position in
 * migrate's order (at least four digits, all of one width), keeps "2_x"
 * before "10_x".  Both formats open with the same comments, naming the
 * seed and saying what migrate does with it:
 *
 *		-- seed NAME, exported by migrate
 *		-- repeatable: false (migrate.seed() runs it once)
 *		-- environments: all
 *
 * (or "repeatable: true (...)", "environments: "a", "b" (...)").  An
 * environment name is written as a JSON string, which is a JavaScript
 * string literal too and stays on one line whatever the name holds, so
 * it cannot end a comment early.  Format "sql" is those lines and the
 * seed's SQL as registered; nothing in the file checks the environment.
 * Format "knex" is a knex seed module:
 *
 *		exports.seed = async (knex) => {
 *		  await knex.transaction(async (trx) => {
 *		    await trx.raw(`<statement>`);
 *		    ...
 *		  });
 *		};
 *
 * with the statements escaped as for a migration.  The seed runs in one
 * transaction, as migrate runs a seed in a subtransaction of its own:
 * knex wraps no seed file in a transaction, and a seed that stops half
 * way would stay half applied.  A seed for some environments first reads
 * migrate.environment in the database it seeds and is skipped, saying so
 * on the console, unless the setting is one of them: migrate's own rule,
 * judged where the seed runs.  knex has no record of seeds: it runs every
 * seed file at each "knex seed:run", which the file's comments say.
 *
 * IDENTIFICATION
 *	  src/files/export.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "files/files.h"

PG_FUNCTION_INFO_V1(migrate_export);
PG_FUNCTION_INFO_V1(migrate_export_all);
PG_FUNCTION_INFO_V1(migrate_export_all_0_2);
PG_FUNCTION_INFO_V1(migrate_export_seed);

/* Longest name part of a file name, in bytes. */
#define EXPORT_SLUG_MAXLEN	100

/* Fewest digits of the position that starts a seed's file name. */
#define EXPORT_SEED_POSITION_DIGITS	4

/* The hints of a bad format argument. */
#define EXPORT_FORMAT_HINT \
	"Use 'sql' (dbmate-style sections, the default) or 'knex' (a knex migration module)."
#define EXPORT_SEED_FORMAT_HINT \
	"Use 'sql' (a plain SQL file, the default) or 'knex' (a knex seed module)."

typedef enum ExportFormat
{
	EXPORT_SQL,
	EXPORT_KNEX
} ExportFormat;

/*
 * A registered migration.
 */
typedef struct ExportMigration
{
	char	   *version;
	char	   *name;
	char	   *up;
	char	   *down;
	bool		transactional;
} ExportMigration;

/*
 * A registered seed.
 */
typedef struct ExportSeed
{
	char	   *name;			/* letters, digits, ".", "_" and "-" only
								 * (seeds_name_format) */
	char	   *sql;
	bool		repeatable;
	char	  **environments;	/* NULL: every environment */
	int			nenvironments;
} ExportSeed;

static MigrateQuery export_one_query = {
	.sql =
		"SELECT m.version, m.name, m.up, m.down, m.transactional"
		"  FROM migrate.migrations m WHERE m.version OPERATOR(pg_catalog.=) $1",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

static MigrateQuery export_all_query = {
	.sql =
		"SELECT m.version, m.name, m.up, m.down, m.transactional"
		"  FROM migrate.migrations m ORDER BY m.sort_key",
	.nargs = 0
};

static MigrateQuery export_seed_query = {
	.sql =
		"SELECT s.name, s.sql, s.repeatable, s.environments"
		"  FROM migrate.seeds s WHERE s.name OPERATOR(pg_catalog.=) $1",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

/*
 * Every seed, in migrate's order; the name breaks a tie of natural order
 * ("2_x" and "02_x"), so that the positions in file names are the same
 * at every call.
 */
static MigrateQuery export_seeds_query = {
	.sql =
		"SELECT s.name, s.sql, s.repeatable, s.environments"
		"  FROM migrate.seeds s ORDER BY s.sort_key, s.name",
	.nargs = 0
};

/*
 * The format argument; "hint" lists the formats for what is exported.
 */
static ExportFormat
format_arg(FunctionCallInfo fcinfo, int argno, const char *hint)
{
	char	   *format;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("format must not be NULL"),
				 errhint("%s", _(hint))));
	format = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (strcmp(format, "sql") == 0)
		return EXPORT_SQL;
	if (strcmp(format, "knex") == 0)
		return EXPORT_KNEX;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown export format \"%s\"", format),
			 errhint("%s", _(hint))));
	return EXPORT_SQL;			/* keep compiler quiet */
}

/*
 * Row "row" of the last registry query as a migration.
 */
static void
read_migration(int row, ExportMigration *m)
{
	bool		isnull;

	m->version = migrate_store_getstr(row, 1);
	m->name = migrate_store_getstr(row, 2);
	m->up = migrate_store_getstr(row, 3);
	m->down = migrate_store_getstr(row, 4);
	m->transactional = DatumGetBool(migrate_store_getdatum(row, 5, &isnull));
}

/*
 * An ASCII letter or digit: what file names keep of a migration's name.
 */
static bool
is_ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

/*
 * The file name of a migration: version, then "_" and its name made safe
 * for every file system.
 */
static char *
export_filename(const ExportMigration *m, ExportFormat format)
{
	StringInfoData buf;
	const char *p;
	int			slugstart;

	initStringInfo(&buf);
	appendStringInfoString(&buf, m->version);
	slugstart = buf.len + 1;
	appendStringInfoChar(&buf, '_');
	for (p = m->name ? m->name : ""; *p && buf.len - slugstart < EXPORT_SLUG_MAXLEN; p++)
	{
		if (is_ascii_alnum(*p))
			appendStringInfoChar(&buf, *p);
		else if (buf.data[buf.len - 1] != '_')
			appendStringInfoChar(&buf, '_');
	}
	while (buf.len >= slugstart && buf.data[buf.len - 1] == '_')
		buf.data[--buf.len] = '\0';
	appendStringInfoString(&buf, format == EXPORT_SQL ? ".sql" : ".js");
	return buf.data;
}

/*
 * Refuse a script with a line that a reader would take for a section
 * marker of the sql format.
 */
static void
check_no_marker(const ExportMigration *m, const char *direction,
				const char *script)
{
	const char *line = script;
	int			lineno = 1;

	while (line && *line)
	{
		const char *p = line;

		if (p[0] == '-' && p[1] == '-')
		{
			p += 2;
			while (*p == ' ' || *p == '\t')
				p++;
			if (strncmp(p, "migrate:", 8) == 0 && strcmp(direction, "up") == 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("migration \"%s\" cannot be exported as sql",
								m->version),
						 errdetail("Line %d of its up script starts with \"-- migrate:\": a reader of the file would take that line for a section marker.",
								   lineno),
						 errhint("Change the comment, or export the migration with format => 'knex'.")));
			if (strncmp(p, "migrate:", 8) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("migration \"%s\" cannot be exported as sql",
								m->version),
						 errdetail("Line %d of its down script starts with \"-- migrate:\": a reader of the file would take that line for a section marker.",
								   lineno),
						 errhint("Change the comment, or export the migration with format => 'knex'.")));
		}
		line = strchr(line, '\n');
		if (line)
			line++;
		lineno++;
	}
}

/*
 * The sql file: -- migrate:up and, unless the migration is irreversible,
 * -- migrate:down sections.
 */
static char *
export_sql(const ExportMigration *m)
{
	StringInfoData buf;

	check_no_marker(m, "up", m->up);
	if (m->down)
		check_no_marker(m, "down", m->down);

	initStringInfo(&buf);
	appendStringInfo(&buf, "-- migrate:up%s\n",
					 m->transactional ? "" : " transaction:false");
	appendStringInfoString(&buf, m->up);
	if (m->down)
	{
		if (buf.data[buf.len - 1] != '\n')
			appendStringInfoChar(&buf, '\n');
		appendStringInfoString(&buf, "-- migrate:down\n");
		appendStringInfoString(&buf, m->down);
	}
	return buf.data;
}

/*
 * Append "sql" as a JavaScript template literal for knex.raw().  The
 * caller has refused a backslash right before a question mark, which no
 * escape can bring through knex.
 */
static void
append_knex_template(StringInfo buf, const char *sql)
{
	const char *p;

	Assert(strstr(sql, "\\?") == NULL);
	appendStringInfoChar(buf, '`');
	for (p = sql; *p; p++)
	{
		switch (*p)
		{
			case '\\':
				appendStringInfoString(buf, "\\\\");
				break;
			case '`':
				appendStringInfoString(buf, "\\`");
				break;
			case '$':
				appendStringInfoString(buf, p[1] == '{' ? "\\$" : "$");
				break;
			case '\r':
				appendStringInfoString(buf, "\\r");
				break;
			case '?':
				appendStringInfoString(buf, "\\\\?");
				break;
			default:
				appendStringInfoChar(buf, *p);
		}
	}
	appendStringInfoChar(buf, '`');
}

/*
 * Append statement "i" of a migration's script as a template literal for
 * knex.raw().
 */
static void
append_knex_literal(StringInfo buf, const ExportMigration *m,
					const MigrateScript *script, int i)
{
	char	   *sql = migrate_statement_text(script, i);

	if (strstr(sql, "\\?") && strcmp(script->direction, "up") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("migration \"%s\" cannot be exported as knex",
						m->version),
				 errdetail("Statement %d of its up script has a backslash right before a question mark, which knex.raw() reads as an escaped question mark, dropping the backslash.",
						   i + 1),
				 errhint("Export the migration with format => 'sql'.")));
	if (strstr(sql, "\\?"))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("migration \"%s\" cannot be exported as knex",
						m->version),
				 errdetail("Statement %d of its down script has a backslash right before a question mark, which knex.raw() reads as an escaped question mark, dropping the backslash.",
						   i + 1),
				 errhint("Export the migration with format => 'sql'.")));
	append_knex_template(buf, sql);
	pfree(sql);
}

/*
 * The body of exports.up or exports.down: one knex.raw() per statement.
 */
static void
append_knex_function(StringInfo buf, const ExportMigration *m,
					 const char *direction, const char *text)
{
	MigrateScript *script;
	int			i;

	appendStringInfo(buf, "exports.%s = async (knex) => {\n", direction);
	script = migrate_parse_script(m->version, direction, text, false);
	for (i = 0; i < script->nstatements; i++)
	{
		appendStringInfoString(buf, "  await knex.raw(");
		append_knex_literal(buf, m, script, i);
		appendStringInfoString(buf, ");\n");
	}
	appendStringInfoString(buf, "};\n");
}

/*
 * The knex module: exports.up, exports.down and, for a migration that
 * runs outside a transaction, exports.config.
 */
static char *
export_knex(const ExportMigration *m, const char *filename)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "// %s: migration %s, exported by migrate\n\n",
					 filename, m->version);
	if (!m->transactional)
		appendStringInfoString(&buf,
							   "exports.config = { transaction: false };\n\n");
	append_knex_function(&buf, m, "up", m->up);
	appendStringInfoChar(&buf, '\n');
	if (m->down && strstr(m->down, MIGRATE_NO_INVERSE) != NULL)
	{
		/*
		 * An incomplete down script (a capture's) is irreversible: shown,
		 * so that what is missing is in the file, and refused as
		 * migrate.rollback() refuses it, never run in part.
		 */
		const char *line = m->down;

		appendStringInfoString(&buf,
							   "// The down script is incomplete: migrate does not run it, and neither\n"
							   "// does this file.  Complete it, or revert by hand.\n");
		while (*line)
		{
			const char *end = strchr(line, '\n');
			int			len = end ? end - line : strlen(line);

			appendStringInfo(&buf, "//   %.*s\n", len, line);
			line += len + (end ? 1 : 0);
		}
		appendStringInfo(&buf,
						 "exports.down = async () => {\n"
						 "  throw new Error('migration %s is irreversible: its down script has statements with no inverse');\n"
						 "};\n", m->version);
	}
	else if (m->down)
		append_knex_function(&buf, m, "down", m->down);
	else
		appendStringInfo(&buf,
						 "exports.down = async () => {\n"
						 "  throw new Error('migration %s is irreversible: it has no down script');\n"
						 "};\n", m->version);
	return buf.data;
}

/*
 * The contents of the file of migration "m".
 */
static char *
export_contents(const ExportMigration *m, ExportFormat format,
				const char *filename)
{
	return format == EXPORT_SQL ? export_sql(m) : export_knex(m, filename);
}

/*
 * Row "row" of the last seed query as a seed.
 */
static void
read_seed(int row, ExportSeed *s)
{
	bool		isnull;
	Datum		environments;

	s->name = migrate_store_getstr(row, 1);
	s->sql = migrate_store_getstr(row, 2);
	s->repeatable = DatumGetBool(migrate_store_getdatum(row, 3, &isnull));
	s->environments = NULL;
	s->nenvironments = 0;
	environments = migrate_store_getdatum(row, 4, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		int			i;

		deconstruct_array(DatumGetArrayTypeP(environments), TEXTOID, -1,
						  false, TYPALIGN_INT, &elems, &nulls, &n);
		/* a NULL element matches no environment, as in seed(): left out */
		s->environments = palloc(sizeof(char *) * Max(n, 1));
		for (i = 0; i < n; i++)
			if (!nulls[i])
				s->environments[s->nenvironments++] = TextDatumGetCString(elems[i]);
	}
}

/*
 * Append "str" as a JSON string: a JavaScript string literal as well,
 * written on one line whatever it holds (the line terminators of SQL and
 * JavaScript escaped, U+2028 and U+2029 included), so that it can stand in
 * a comment of either language.
 */
static void
append_json_string(StringInfo buf, const char *str)
{
	const unsigned char *p;

	appendStringInfoChar(buf, '"');
	for (p = (const unsigned char *) str; *p; p++)
	{
		if (*p == '"' || *p == '\\')
		{
			appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, (char) *p);
		}
		else if (*p == '\n')
			appendStringInfoString(buf, "\\n");
		else if (*p == '\r')
			appendStringInfoString(buf, "\\r");
		else if (*p == '\t')
			appendStringInfoString(buf, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			appendStringInfo(buf, "\\u%04x", *p);
		else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
		{
			appendStringInfoString(buf, p[2] == 0xa8 ? "\\u2028" : "\\u2029");
			p += 2;
		}
		else
			appendStringInfoChar(buf, (char) *p);
	}
	appendStringInfoChar(buf, '"');
}

/*
 * Append the environments of a seed that has some, as JSON strings.
 */
static void
append_environments(StringInfo buf, const ExportSeed *s)
{
	int			i;

	for (i = 0; i < s->nenvironments; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		append_json_string(buf, s->environments[i]);
	}
}

/*
 * The comment lines that open a seed's file, as comments of its format:
 * the seed's name, and what migrate (and knex) do with it.
 */
static void
append_seed_header(StringInfo buf, const ExportSeed *s, ExportFormat format)
{
	const char *comment = format == EXPORT_SQL ? "--" : "//";

	appendStringInfo(buf, "%s seed %s, exported by migrate\n", comment, s->name);
	if (s->repeatable)
		appendStringInfo(buf, "%s repeatable: true (migrate.seed() runs it again whenever its text changes)\n",
						 comment);
	else
		appendStringInfo(buf, "%s repeatable: false (migrate.seed() runs it once)\n",
						 comment);
	if (format == EXPORT_KNEX)
		appendStringInfoString(buf, "// knex keeps no record of seeds: knex seed:run runs every seed file, each time\n");
	if (s->environments == NULL)
		appendStringInfo(buf, "%s environments: all\n", comment);
	else
	{
		appendStringInfo(buf, "%s environments: ", comment);
		append_environments(buf, s);
		if (format == EXPORT_SQL)
			appendStringInfoString(buf, " (migrate.seed() runs it only where migrate.environment is one of them; this file does not check)\n");
		else
			appendStringInfoString(buf, " (it runs only where the database's migrate.environment is one of them, as in migrate.seed())\n");
	}
}

/*
 * The sql file of a seed: its header, then its SQL as registered.
 */
static char *
export_seed_sql(const ExportSeed *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	append_seed_header(&buf, s, EXPORT_SQL);
	appendStringInfoString(&buf, s->sql);
	return buf.data;
}

/*
 * The knex seed module of a seed: its statements in one transaction,
 * after the check of the environment for a seed that has environments.
 */
static char *
export_seed_knex(const ExportSeed *s)
{
	StringInfoData buf;
	MigrateScript *script;
	int			i;

	initStringInfo(&buf);
	append_seed_header(&buf, s, EXPORT_KNEX);
	appendStringInfoChar(&buf, '\n');
	if (s->environments)
	{
		appendStringInfoString(&buf, "const environments = [");
		append_environments(&buf, s);
		appendStringInfoString(&buf, "];\n\n");
	}
	appendStringInfoString(&buf,
						   "exports.seed = async (knex) => {\n"
						   "  await knex.transaction(async (trx) => {\n");
	if (s->environments)
		appendStringInfo(&buf,
						 "    const setting = await trx.raw(`SELECT pg_catalog.current_setting('migrate.environment', true) AS environment`);\n"
						 "    if (!environments.includes(setting.rows[0].environment)) {\n"
						 "      console.log('seed \"%s\" is skipped in this environment');\n"
						 "      return;\n"
						 "    }\n", s->name);

	script = migrate_parse_script(s->name, MIGRATE_SEED_SCRIPT, s->sql, false);
	for (i = 0; i < script->nstatements; i++)
	{
		char	   *sql = migrate_statement_text(script, i);

		if (strstr(sql, "\\?"))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("seed \"%s\" cannot be exported as knex", s->name),
					 errdetail("Statement %d of its script has a backslash right before a question mark, which knex.raw() reads as an escaped question mark, dropping the backslash.",
							   i + 1),
					 errhint("Export the seed with format => 'sql'.")));
		appendStringInfoString(&buf, "    await trx.raw(");
		append_knex_template(&buf, sql);
		appendStringInfoString(&buf, ");\n");
		pfree(sql);
	}
	appendStringInfoString(&buf, "  });\n};\n");
	return buf.data;
}

/*
 * The contents of the file of seed "s".
 */
static char *
export_seed_contents(const ExportSeed *s, ExportFormat format)
{
	return format == EXPORT_SQL ? export_seed_sql(s) : export_seed_knex(s);
}

/*
 * export(version text, format text) returns text
 *
 * The file of one registered migration.
 */
Datum
migrate_export(PG_FUNCTION_ARGS)
{
	char	   *version = migrate_text_arg(fcinfo, 0);
	ExportFormat format = format_arg(fcinfo, 1, EXPORT_FORMAT_HINT);
	ExportMigration m;
	Datum		arg;
	char	   *contents;

	migrate_check_version(version, "version");
	migrate_spi_connect();
	arg = CStringGetTextDatum(version);
	(void) migrate_store_exec(&export_one_query, &arg, NULL, 1);
	if (SPI_processed != 1)
		migrate_refuse_unknown(version);
	read_migration(0, &m);
	migrate_store_done();
	contents = export_contents(&m, format, export_filename(&m, format));
	SPI_finish();

	PG_RETURN_TEXT_P(cstring_to_text(contents));
}

/*
 * export_seed(name text, format text) returns text
 *
 * The file of one registered seed: what export_all() with seeds => true
 * writes for it.
 */
Datum
migrate_export_seed(PG_FUNCTION_ARGS)
{
	char	   *name = migrate_text_arg(fcinfo, 0);
	ExportFormat format;
	ExportSeed	s;
	Datum		arg;
	char	   *contents;

	migrate_check_seed_name(name);
	format = format_arg(fcinfo, 1, EXPORT_SEED_FORMAT_HINT);
	migrate_spi_connect();
	arg = CStringGetTextDatum(name);
	(void) migrate_store_exec(&export_seed_query, &arg, NULL, 1);
	if (SPI_processed != 1)
		migrate_refuse_unknown_seed(name);
	read_seed(0, &s);
	migrate_store_done();
	contents = export_seed_contents(&s, format);
	SPI_finish();

	PG_RETURN_TEXT_P(cstring_to_text(contents));
}

/*
 * The rows of export_all(): every registered migration as a file, in
 * version order, then, with "seeds", every seed, in name order, under
 * seeds/.
 */
static Datum
export_all_rows(FunctionCallInfo fcinfo, ExportFormat format, bool seeds)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = migrate_materialize_srf(fcinfo, &tupdesc);
	ExportMigration *migrations;
	ExportSeed *seedlist = NULL;
	uint64		n;
	uint64		nseeds = 0;
	uint64		i;
	int			width;

	migrate_spi_connect();
	(void) migrate_store_exec(&export_all_query, NULL, NULL, 0);
	n = SPI_processed;
	migrations = palloc(sizeof(ExportMigration) * Max(n, 1));
	for (i = 0; i < n; i++)
		read_migration(i, &migrations[i]);
	migrate_store_done();
	if (seeds)
	{
		(void) migrate_store_exec(&export_seeds_query, NULL, NULL, 0);
		nseeds = SPI_processed;
		seedlist = palloc(sizeof(ExportSeed) * Max(nseeds, 1));
		for (i = 0; i < nseeds; i++)
			read_seed(i, &seedlist[i]);
		migrate_store_done();
	}

	for (i = 0; i < n; i++)
	{
		char	   *filename = export_filename(&migrations[i], format);
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(filename);
		values[1] = CStringGetTextDatum(export_contents(&migrations[i], format,
														filename));
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}

	/* every position of one width, so that file-name order is seed order */
	width = Max(EXPORT_SEED_POSITION_DIGITS,
				snprintf(NULL, 0, "%llu", (unsigned long long) nseeds));
	for (i = 0; i < nseeds; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(psprintf("seeds/%0*llu_%s.%s", width,
												 (unsigned long long) (i + 1),
												 seedlist[i].name,
												 format == EXPORT_SQL ? "sql" : "js"));
		values[1] = CStringGetTextDatum(export_seed_contents(&seedlist[i],
															 format));
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	SPI_finish();

	return (Datum) 0;
}

/*
 * export_all(format text) returns setof (filename text, contents text)
 *
 * 0.1.0's export_all(): the migrations only.
 */
Datum
migrate_export_all(PG_FUNCTION_ARGS)
{
	return export_all_rows(fcinfo, format_arg(fcinfo, 0, EXPORT_FORMAT_HINT),
						   false);
}

/*
 * export_all(format text, seeds boolean) returns setof (filename text,
 * contents text)
 *
 * Every registered migration as a file, in version order, and with seeds
 * => true every seed after them.
 */
Datum
migrate_export_all_0_2(PG_FUNCTION_ARGS)
{
	ExportFormat format = format_arg(fcinfo, 0, EXPORT_FORMAT_HINT);

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("seeds must not be NULL"),
				 errhint("Pass false (the default) for the migrations alone, or true for the seeds as well.")));
	return export_all_rows(fcinfo, format, PG_GETARG_BOOL(1));
}
