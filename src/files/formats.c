/*-------------------------------------------------------------------------
 *
 * formats.c
 *	  The migration file formats of other tools: file names, sections,
 *	  options and each tool's version order.
 *
 * migrate.load() reads directories written for golang-migrate, dbmate,
 * Flyway, diesel, Prisma, Drizzle, goose and authelia's runner.  This file knows what each
 * of those tools makes of a file: which names are migrations and what
 * version and name they carry, how one file is split into up and down
 * sections, which annotations or side files say that a migration must run
 * outside a transaction, and in which order the tool applies versions.
 * It reads no files itself (load.c does) and touches no table.
 *
 * The version rules, as the tools implement them:
 *	- golang-migrate, goose and authelia: the digits are an integer;
 *	- Flyway: the version splits on '.' and '_' into integers, compared
 *	  part by part, missing parts counting as zero (1 = 1.0 < 1.1);
 *	- diesel: the directory name up to the first '_', '-' removed,
 *	  compared as text;
 *	- dbmate: file names compared as text (its version is the leading
 *	  digits);
 *	- Drizzle: the order of the entries of meta/_journal.json, whatever
 *	  the file names say (its version is the tag's leading digits);
 *	- a plain VERSION_name.sql: migrate's own natural order.
 *
 * IDENTIFICATION
 *	  src/files/formats.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "files/files.h"

/*
 * Character classes, as the tools' own parsers see them (ASCII only).
 */
static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* blanks within a line */
static inline bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Number of leading digits of "s".
 */
static int
leading_digits(const char *s)
{
	int			n = 0;

	while (is_digit(s[n]))
		n++;
	return n;
}

/*
 * True if "s" ends with "suffix".
 */
static bool
ends_with(const char *s, const char *suffix)
{
	size_t		len = strlen(s);
	size_t		slen = strlen(suffix);

	return len >= slen && strcmp(s + len - slen, suffix) == 0;
}

/*
 * A copy of s[start, end), or NULL when that is empty.
 */
static char *
part_or_null(const char *s, int start, int end)
{
	if (end <= start)
		return NULL;
	return pnstrdup(s + start, end - start);
}

/*
 * The tool's name of a format, for messages and notes.
 */
const char *
migrate_format_name(MigrateFormat format)
{
	switch (format)
	{
		case MIGRATE_FORMAT_GOLANG:
			return "golang-migrate";
		case MIGRATE_FORMAT_AUTHELIA:
			return "VERSION.name.up.sql";
		case MIGRATE_FORMAT_FLYWAY:
			return "Flyway";
		case MIGRATE_FORMAT_DIESEL:
			return "diesel";
		case MIGRATE_FORMAT_PRISMA:
			return "Prisma";
		case MIGRATE_FORMAT_DRIZZLE:
			return "Drizzle";
		case MIGRATE_FORMAT_GOOSE:
			return "goose";
		case MIGRATE_FORMAT_DBMATE:
			return "dbmate";
		case MIGRATE_FORMAT_PLAIN:
			return "VERSION_name.sql";
		case MIGRATE_FORMAT_NONE:
			break;
	}
	return "unknown";
}

/*
 * True if "v" is a Flyway version: digit runs separated by single dots or
 * underscores.
 */
static bool
is_flyway_version(const char *v, int len)
{
	int			i;

	if (len == 0 || !is_digit(v[0]) || !is_digit(v[len - 1]))
		return false;
	for (i = 1; i < len; i++)
	{
		if (is_digit(v[i]))
			continue;
		if ((v[i] != '.' && v[i] != '_') || !is_digit(v[i - 1]))
			return false;
	}
	return true;
}

/*
 * Say what the name of a file in a migration directory makes of it.
 * Returns false when no tool takes the file for a migration.  A file that
 * holds both directions (goose, dbmate or up-only) is returned as
 * MIGRATE_FORMAT_PLAIN; its content decides which it is.
 */
bool
migrate_parse_file_name(const char *filename, MigrateFileName *out)
{
	int			len = strlen(filename);
	int			stemlen;
	const char *p;
	int			d;

	memset(out, 0, sizeof(MigrateFileName));

	/* a goose migration written in Go: part of goose's version sequence */
	d = leading_digits(filename);
	if (d > 0 && filename[d] == '_' && ends_with(filename, ".go") &&
		!ends_with(filename, "_test.go"))
	{
		out->format = MIGRATE_FORMAT_GOOSE;
		out->kind = MIGRATE_FILE_PROGRAM;
		out->version = pnstrdup(filename, d);
		out->name = part_or_null(filename, d + 1, len - 3);
		return true;
	}

	if (!ends_with(filename, ".sql"))
		return false;
	stemlen = len - 4;

	/* Flyway: V<version>__<description>.sql, U... for undo, R__ repeatable */
	if ((filename[0] == 'V' || filename[0] == 'U') && is_digit(filename[1]))
	{
		const char *sep = strstr(filename + 1, "__");

		if (sep && is_flyway_version(filename + 1, sep - filename - 1))
		{
			out->format = MIGRATE_FORMAT_FLYWAY;
			out->kind = filename[0] == 'V' ? MIGRATE_FILE_UP : MIGRATE_FILE_DOWN;
			out->version = pnstrdup(filename + 1, sep - filename - 1);
			out->name = part_or_null(filename, sep - filename + 2, stemlen);
			return true;
		}
	}
	if (strncmp(filename, "R__", 3) == 0)
	{
		out->format = MIGRATE_FORMAT_FLYWAY;
		out->kind = MIGRATE_FILE_REPEATABLE;
		out->name = part_or_null(filename, 3, stemlen);
		return true;
	}

	/* authelia: [V]VERSION.name.up.sql and .down.sql */
	p = filename[0] == 'V' ? filename + 1 : filename;
	d = leading_digits(p);
	if (d > 0 && p[d] == '.' &&
		(ends_with(filename, ".up.sql") || ends_with(filename, ".down.sql")))
	{
		bool		down = ends_with(filename, ".down.sql");
		int			nameend = len - (down ? 9 : 7);
		int			namestart = (p - filename) + d + 1;

		if (nameend > namestart)
		{
			out->format = MIGRATE_FORMAT_AUTHELIA;
			out->kind = down ? MIGRATE_FILE_DOWN : MIGRATE_FILE_UP;
			out->version = pnstrdup(p, d);
			out->name = part_or_null(filename, namestart, nameend);
			return true;
		}
	}

	d = leading_digits(filename);
	if (d == 0)
		return false;

	/* golang-migrate: VERSION_name.up.sql and VERSION_name.down.sql */
	if (filename[d] == '_' &&
		(ends_with(filename, ".up.sql") || ends_with(filename, ".down.sql")))
	{
		bool		down = ends_with(filename, ".down.sql");

		out->format = MIGRATE_FORMAT_GOLANG;
		out->kind = down ? MIGRATE_FILE_DOWN : MIGRATE_FILE_UP;
		out->version = pnstrdup(filename, d);
		out->name = part_or_null(filename, d + 1, len - (down ? 9 : 7));
		return true;
	}

	/* one file: VERSION_name.sql (goose, dbmate, or up only) */
	out->format = MIGRATE_FORMAT_PLAIN;
	out->kind = MIGRATE_FILE_SECTIONS;
	out->version = pnstrdup(filename, d);
	out->name = part_or_null(filename,
							 d + ((filename[d] == '_' || filename[d] == '-' ||
								   filename[d] == '.') ? 1 : 0),
							 stemlen);
	return true;
}

/*
 * diesel's version and name of a migration directory: the version is the
 * directory name up to the first '_', with '-' removed.
 */
void
migrate_diesel_name(const char *dirname, char **version, char **name)
{
	const char *sep = strchr(dirname, '_');
	int			vlen = sep ? sep - dirname : strlen(dirname);
	StringInfoData v;
	int			i;

	initStringInfo(&v);
	for (i = 0; i < vlen; i++)
		if (dirname[i] != '-')
			appendStringInfoChar(&v, dirname[i]);
	*version = v.data;
	*name = sep && sep[1] ? pstrdup(sep + 1) : NULL;
}

/*
 * Compare two digit strings as integers of any length.
 */
int
migrate_number_compare(const char *a, const char *b)
{
	int			la;
	int			lb;

	while (*a == '0' && is_digit(a[1]))
		a++;
	while (*b == '0' && is_digit(b[1]))
		b++;
	la = leading_digits(a);
	lb = leading_digits(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strncmp(a, b, la);
}

/*
 * Compare two Flyway versions: parts split on '.' and '_' compared as
 * integers, a missing part counting as zero.
 */
int
migrate_flyway_compare(const char *a, const char *b)
{
	while (*a || *b)
	{
		const char *pa = *a ? a : "0";
		const char *pb = *b ? b : "0";
		int			c = migrate_number_compare(pa, pb);

		if (c != 0)
			return c;
		a += leading_digits(a);
		b += leading_digits(b);
		if (*a == '.' || *a == '_')
			a++;
		if (*b == '.' || *b == '_')
			b++;
	}
	return 0;
}

/*
 * Compare two versions by the rule of the tool that wrote them.  For
 * dbmate this compares versions; dbmate orders by file name, which load.c
 * compares itself.
 */
int
migrate_format_compare(MigrateFormat format, const char *a, const char *b)
{
	switch (format)
	{
		case MIGRATE_FORMAT_GOLANG:
		case MIGRATE_FORMAT_GOOSE:
		case MIGRATE_FORMAT_AUTHELIA:
			return migrate_number_compare(a, b);
		case MIGRATE_FORMAT_FLYWAY:
			return migrate_flyway_compare(a, b);
		case MIGRATE_FORMAT_DIESEL:
		case MIGRATE_FORMAT_PRISMA:
		case MIGRATE_FORMAT_DBMATE:
			return strcmp(a, b);
		case MIGRATE_FORMAT_DRIZZLE:
		case MIGRATE_FORMAT_PLAIN:
		case MIGRATE_FORMAT_NONE:
			break;
	}
	return migrate_version_compare(a, b);
}

/*
 * One line of a file: [start, end) without the newline, and the offset of
 * the next line.
 */
typedef struct Line
{
	int			start;
	int			end;			/* before "\n" or "\r\n" */
	int			next;
} Line;

/*
 * The line of "text" starting at "pos", trailing blanks and "\r" left
 * out of [start, end); false at the end of the text.
 */
static bool
next_line(const char *text, int pos, Line *line)
{
	int			end = pos;

	if (text[pos] == '\0')
		return false;
	while (text[end] != '\0' && text[end] != '\n')
		end++;
	line->start = pos;
	line->next = text[end] == '\n' ? end + 1 : end;
	while (end > pos && is_space(text[end - 1]))
		end--;
	line->end = end;
	return true;
}

/*
 * If the line is a goose annotation ("-- +goose <annotation>", any case),
 * return the annotation, lower-cased.
 */
static char *
goose_annotation(const char *text, const Line *line)
{
	int			p = line->start;
	char	   *ann;
	int			i;

	if (line->end - p < 2 || text[p] != '-' || text[p + 1] != '-')
		return NULL;
	p += 2;
	while (p < line->end && is_space(text[p]))
		p++;
	if (line->end - p < 6 || pg_strncasecmp(text + p, "+goose", 6) != 0)
		return NULL;
	p += 6;
	if (p < line->end && !is_space(text[p]))
		return NULL;
	while (p < line->end && is_space(text[p]))
		p++;
	ann = pnstrdup(text + p, line->end - p);
	for (i = 0; ann[i]; i++)
		ann[i] = pg_ascii_tolower((unsigned char) ann[i]);
	return ann;
}

/*
 * If the line is a dbmate section marker ("-- migrate:up" or
 * "-- migrate:down", then options), return "up" or "down" and set
 * *options to what follows the marker.
 */
static const char *
dbmate_marker(const char *text, const Line *line, char **options)
{
	int			p = line->start;
	const char *which;
	int			len;

	if (line->end - p < 2 || text[p] != '-' || text[p + 1] != '-')
		return NULL;
	p += 2;
	while (p < line->end && is_space(text[p]))
		p++;
	if (line->end - p >= 10 && strncmp(text + p, "migrate:up", 10) == 0)
		which = "up", len = 10;
	else if (line->end - p >= 12 && strncmp(text + p, "migrate:down", 12) == 0)
		which = "down", len = 12;
	else
		return NULL;
	p += len;
	if (p < line->end && !is_space(text[p]))
		return NULL;
	*options = pnstrdup(text + p, line->end - p);
	return which;
}

/*
 * True if a dbmate options string says transaction:false.
 */
static bool
dbmate_no_transaction(const char *options)
{
	const char *p = options;

	while (*p)
	{
		const char *start;

		while (*p && is_space(*p))
			p++;
		start = p;
		while (*p && !is_space(*p))
			p++;
		if (p - start == 17 && strncmp(start, "transaction:false", 17) == 0)
			return true;
	}
	return false;
}

/*
 * True if text[from, to) holds only blank lines and "--" comments.
 */
static bool
only_comments(const char *text, int from, int to)
{
	Line		line;
	int			pos = from;

	while (pos < to && next_line(text, pos, &line))
	{
		int			p = line.start;

		while (p < line.end && is_space(text[p]))
			p++;
		if (p < line.end && !(text[p] == '-' && text[p + 1] == '-'))
			return false;
		pos = line.next;
	}
	return true;
}

/*
 * Split a goose file at its annotations.
 */
static void
split_goose(const char *text, MigrateSections *out)
{
	Line		line;
	int			pos = 0;
	int			up_start = -1;
	int			up_end = -1;
	int			down_start = -1;

	while (next_line(text, pos, &line))
	{
		char	   *ann = goose_annotation(text, &line);

		pos = line.next;
		if (ann == NULL)
			continue;
		if (strcmp(ann, "up") == 0)
		{
			if (up_start >= 0)
				out->problem = "it has two \"-- +goose Up\" annotations";
			else if (down_start >= 0)
				out->problem = "its \"-- +goose Down\" annotation comes before \"-- +goose Up\"";
			up_start = line.next;
		}
		else if (strcmp(ann, "down") == 0)
		{
			if (down_start >= 0)
				out->problem = "it has two \"-- +goose Down\" annotations";
			up_end = line.start;
			down_start = line.next;
		}
		else if (strcmp(ann, "no transaction") == 0)
			out->transactional = false;
		else if (strcmp(ann, "envsub on") == 0)
			out->problem = "it turns on \"-- +goose ENVSUB\", which substitutes environment variables of the goose process";
		else if (strcmp(ann, "statementbegin") != 0 &&
				 strcmp(ann, "statementend") != 0 &&
				 strcmp(ann, "envsub off") != 0)
			out->problem = psprintf("it has an unknown goose annotation \"%s\"", ann);
	}

	if (up_start < 0)
	{
		out->problem = "it has no \"-- +goose Up\" annotation";
		return;
	}
	if (down_start < 0 || up_end < up_start)
		up_end = strlen(text);
	out->up = pnstrdup(text + up_start, up_end - up_start);
	if (down_start >= 0)
		out->down = pstrdup(text + down_start);
}

/*
 * Split a dbmate file at its "-- migrate:up" and "-- migrate:down" lines.
 */
static void
split_dbmate(const char *text, MigrateSections *out)
{
	Line		line;
	int			pos = 0;
	int			up_marker = -1;
	int			up_start = -1;
	int			down_marker = -1;
	int			down_start = -1;

	while (next_line(text, pos, &line))
	{
		char	   *options;
		const char *which = dbmate_marker(text, &line, &options);

		pos = line.next;
		if (which == NULL)
			continue;
		if (dbmate_no_transaction(options))
			out->transactional = false;
		if (which[0] == 'u')
		{
			if (up_start >= 0)
				out->problem = "it has two \"-- migrate:up\" lines";
			up_marker = line.start;
			up_start = line.next;
		}
		else
		{
			if (down_start >= 0)
				out->problem = "it has two \"-- migrate:down\" lines";
			down_marker = line.start;
			down_start = line.next;
		}
	}

	if (up_start < 0)
	{
		out->problem = "it has no \"-- migrate:up\" line";
		return;
	}
	if (down_start >= 0 && down_start < up_start)
	{
		out->problem = "its \"-- migrate:down\" line comes before \"-- migrate:up\"";
		return;
	}
	if (!only_comments(text, 0, up_marker))
	{
		out->problem = "it has statements before \"-- migrate:up\", which dbmate refuses";
		return;
	}
	if (down_start < 0)
		out->up = pstrdup(text + up_start);
	else
	{
		out->up = pnstrdup(text + up_start, down_marker - up_start);
		out->down = pstrdup(text + down_start);
	}
}

/*
 * Split a one-file migration into its sections.  The content says which
 * tool it is for: a "-- +goose Up" annotation makes it goose's, a
 * "-- migrate:up" line dbmate's; without either, the whole file is the up
 * script.  out->problem says why the file cannot be loaded.
 */
void
migrate_split_sections(const char *text, MigrateSections *out)
{
	Line		line;
	int			pos = 0;
	bool		goose = false;
	bool		dbmate = false;

	memset(out, 0, sizeof(MigrateSections));
	out->transactional = true;

	while (next_line(text, pos, &line))
	{
		char	   *options;
		char	   *ann = goose_annotation(text, &line);

		if (ann && strcmp(ann, "up") == 0)
			goose = true;
		if (dbmate_marker(text, &line, &options))
			dbmate = true;
		pos = line.next;
	}

	if (goose)
	{
		out->format = MIGRATE_FORMAT_GOOSE;
		split_goose(text, out);
	}
	else if (dbmate)
	{
		out->format = MIGRATE_FORMAT_DBMATE;
		split_dbmate(text, out);
	}
	else
	{
		out->format = MIGRATE_FORMAT_PLAIN;
		out->up = pstrdup(text);
	}
}

/*
 * The value of "key" in a file of "key = value" or "key=value" lines
 * (diesel's metadata.toml, a Flyway script's .conf file), or NULL.  "#"
 * starts a comment; quotes around the value are dropped.
 */
static char *
setting_value(const char *text, const char *key)
{
	Line		line;
	int			pos = 0;
	int			keylen = strlen(key);

	while (next_line(text, pos, &line))
	{
		int			p = line.start;
		int			end = line.end;

		pos = line.next;
		while (p < end && is_space(text[p]))
			p++;
		if (end - p <= keylen || strncmp(text + p, key, keylen) != 0)
			continue;
		p += keylen;
		while (p < end && is_space(text[p]))
			p++;
		if (p >= end || (text[p] != '=' && text[p] != ':'))
			continue;
		p++;
		while (p < end && is_space(text[p]))
			p++;
		{
			int			q = p;

			while (q < end && text[q] != '#')
				q++;
			while (q > p && is_space(text[q - 1]))
				q--;
			if (q - p >= 2 && (text[p] == '"' || text[p] == '\'') &&
				text[q - 1] == text[p])
				p++, q--;
			return pnstrdup(text + p, q - p);
		}
	}
	return NULL;
}

/*
 * False if diesel's metadata.toml says run_in_transaction = false.
 */
bool
migrate_diesel_transactional(const char *metadata)
{
	char	   *v = setting_value(metadata, "run_in_transaction");

	return !(v && strcmp(v, "false") == 0);
}

/*
 * False if a Flyway script configuration file (V1__x.sql.conf) says
 * executeInTransaction=false.
 */
bool
migrate_flyway_transactional(const char *conf)
{
	char	   *v = setting_value(conf, "executeInTransaction");

	return !(v && pg_strcasecmp(v, "false") == 0);
}

/*
 * The first Flyway placeholder ("${name}") in a script, or NULL.  Flyway
 * replaces placeholders in the text before it runs a script, so a script
 * with one does not mean what it says.
 */
char *
migrate_flyway_placeholder(const char *text)
{
	const char *p = text;

	while ((p = strstr(p, "${")) != NULL)
	{
		const char *q = p + 2;

		while (*q && (isalnum((unsigned char) *q) || *q == '_' || *q == '.' ||
					  *q == ':' || *q == '-'))
			q++;
		if (*q == '}' && q > p + 2)
			return pnstrdup(p, q - p + 1);
		p += 2;
	}
	return NULL;
}
