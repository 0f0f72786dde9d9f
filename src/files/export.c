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
 * IDENTIFICATION
 *	  src/files/export.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "files/files.h"

PG_FUNCTION_INFO_V1(migrate_export);
PG_FUNCTION_INFO_V1(migrate_export_all);

/* Longest name part of a file name, in bytes. */
#define EXPORT_SLUG_MAXLEN	100

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

/*
 * The format argument.
 */
static ExportFormat
format_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *format;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("format must not be NULL"),
				 errhint("Use 'sql' (dbmate-style sections, the default) or 'knex' (a knex migration module).")));
	format = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (strcmp(format, "sql") == 0)
		return EXPORT_SQL;
	if (strcmp(format, "knex") == 0)
		return EXPORT_KNEX;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown export format \"%s\"", format),
			 errhint("Use 'sql' (dbmate-style sections, the default) or 'knex' (a knex migration module).")));
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
 * Append one statement as a JavaScript template literal for knex.raw().
 */
static void
append_knex_literal(StringInfo buf, const ExportMigration *m,
					const MigrateScript *script, int i)
{
	char	   *sql = migrate_statement_text(script, i);
	const char *p;

	appendStringInfoChar(buf, '`');
	for (p = sql; *p; p++)
	{
		switch (*p)
		{
			case '\\':
				if (p[1] == '?' && strcmp(script->direction, "up") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("migration \"%s\" cannot be exported as knex",
									m->version),
							 errdetail("Statement %d of its up script has a backslash right before a question mark, which knex.raw() reads as an escaped question mark, dropping the backslash.",
									   i + 1),
							 errhint("Export the migration with format => 'sql'.")));
				if (p[1] == '?')
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("migration \"%s\" cannot be exported as knex",
									m->version),
							 errdetail("Statement %d of its down script has a backslash right before a question mark, which knex.raw() reads as an escaped question mark, dropping the backslash.",
									   i + 1),
							 errhint("Export the migration with format => 'sql'.")));
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
 * export(version text, format text) returns text
 *
 * The file of one registered migration.
 */
Datum
migrate_export(PG_FUNCTION_ARGS)
{
	char	   *version = migrate_text_arg(fcinfo, 0);
	ExportFormat format = format_arg(fcinfo, 1);
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
 * export_all(format text) returns setof (filename text, contents text)
 *
 * Every registered migration as a file, in version order.
 */
Datum
migrate_export_all(PG_FUNCTION_ARGS)
{
	ExportFormat format = format_arg(fcinfo, 0);
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = migrate_materialize_srf(fcinfo, &tupdesc);
	ExportMigration *migrations;
	uint64		n;
	uint64		i;

	migrate_spi_connect();
	(void) migrate_store_exec(&export_all_query, NULL, NULL, 0);
	n = SPI_processed;
	migrations = palloc(sizeof(ExportMigration) * Max(n, 1));
	for (i = 0; i < n; i++)
		read_migration(i, &migrations[i]);
	migrate_store_done();

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
	SPI_finish();

	return (Datum) 0;
}
