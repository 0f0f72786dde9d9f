/*-------------------------------------------------------------------------
 *
 * output.c
 *	  pg_migrate's output: the rows a call returned, as an aligned table
 *	  (text, as psql prints them) or as one JSON object (--format json).
 *
 * The JSON object of a command is
 *	  {"command": "...", "ok": true|false, "exit": N, "rows": [{...}, ...]}
 * with "error": {"sqlstate", "message", "detail", "hint", "context"}
 * instead of "rows" when the call failed.  Columns of type boolean become
 * true and false, integers numbers, text[] arrays of strings, SQL NULL
 * null, anything else a string as the server wrote it.
 *
 * IDENTIFICATION
 *	  src/client/output.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* type oids of the columns printed as JSON other than strings */
#define BOOLOID 16
#define INT8OID 20
#define INT2OID 21
#define INT4OID 23
#define OIDOID 26
#define TEXTARRAYOID 1009

/*
 * Append a JSON string.
 */
void
json_string(Buffer *b, const char *s)
{
	const unsigned char *p;

	buffer_puts(b, "\"");
	for (p = (const unsigned char *) s; *p; p++)
	{
		char		esc[8];

		switch (*p)
		{
			case '"':
				buffer_puts(b, "\\\"");
				break;
			case '\\':
				buffer_puts(b, "\\\\");
				break;
			case '\n':
				buffer_puts(b, "\\n");
				break;
			case '\r':
				buffer_puts(b, "\\r");
				break;
			case '\t':
				buffer_puts(b, "\\t");
				break;
			default:
				if (*p < 0x20)
				{
					snprintf(esc, sizeof(esc), "\\u%04x", *p);
					buffer_puts(b, esc);
				}
				else
					buffer_append(b, (const char *) p, 1);
		}
	}
	buffer_puts(b, "\"");
}

/*
 * Append a text[] value ("{a,"b c",NULL}") as a JSON array.
 */
static void
json_text_array(Buffer *b, const char *s)
{
	Buffer		elem;
	const char *p = s;
	bool		first = true;

	if (*p != '{')
	{
		json_string(b, s);
		return;
	}
	p++;
	buffer_puts(b, "[");
	buffer_init(&elem);
	while (*p && *p != '}')
	{
		bool		quoted = false;

		elem.len = 0;
		elem.data[0] = '\0';
		if (*p == '"')
		{
			quoted = true;
			p++;
			while (*p && *p != '"')
			{
				if (*p == '\\' && p[1])
					p++;
				buffer_append(&elem, p, 1);
				p++;
			}
			if (*p == '"')
				p++;
		}
		else
		{
			while (*p && *p != ',' && *p != '}')
			{
				buffer_append(&elem, p, 1);
				p++;
			}
		}
		if (!first)
			buffer_puts(b, ", ");
		first = false;
		if (!quoted && strcmp(elem.data, "NULL") == 0)
			buffer_puts(b, "null");
		else
			json_string(b, elem.data);
		if (*p == ',')
			p++;
	}
	free(elem.data);
	buffer_puts(b, "]");
}

/*
 * Append one value of a result as JSON.
 */
static void
json_value(Buffer *b, const PGresult *res, int row, int col)
{
	const char *v = PQgetvalue(res, row, col);

	if (PQgetisnull(res, row, col))
	{
		buffer_puts(b, "null");
		return;
	}
	switch (PQftype(res, col))
	{
		case BOOLOID:
			buffer_puts(b, strcmp(v, "t") == 0 ? "true" : "false");
			break;
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
			buffer_puts(b, v);
			break;
		case TEXTARRAYOID:
			json_text_array(b, v);
			break;
		default:
			json_string(b, v);
	}
}

/*
 * The start of a command's JSON object.
 */
static void
json_head(Buffer *b, const Options *opts, bool ok, int status)
{
	char		num[16];

	buffer_puts(b, "{\"command\": ");
	json_string(b, opts->command);
	buffer_puts(b, ok ? ", \"ok\": true" : ", \"ok\": false");
	snprintf(num, sizeof(num), "%d", status);
	buffer_puts(b, ", \"exit\": ");
	buffer_puts(b, num);
}

/*
 * The number of characters of a UTF-8 (or single-byte) string, for
 * column widths.
 */
static int
display_width(const char *s)
{
	int			n = 0;

	for (; *s; s++)
		if (((unsigned char) *s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Print a result as psql's aligned format does.
 */
static void
print_table(const PGresult *res)
{
	int			ncols = PQnfields(res);
	int			nrows = PQntuples(res);
	int		   *width = client_malloc(sizeof(int) * (ncols ? ncols : 1));
	int			r;
	int			c;

	for (c = 0; c < ncols; c++)
	{
		width[c] = display_width(PQfname(res, c));
		for (r = 0; r < nrows; r++)
		{
			int			w = display_width(PQgetvalue(res, r, c));

			if (w > width[c])
				width[c] = w;
		}
	}
	for (c = 0; c < ncols; c++)
	{
		const char *name = PQfname(res, c);
		int			pad = width[c] - display_width(name);

		printf("%s%*s%s%*s%s", c ? " " : " ", pad / 2, "", name,
			   pad - pad / 2, "", c < ncols - 1 ? " |" : "\n");
	}
	for (c = 0; c < ncols; c++)
	{
		int			i;

		for (i = 0; i < width[c] + 2; i++)
			putchar('-');
		putchar(c < ncols - 1 ? '+' : '\n');
	}
	for (r = 0; r < nrows; r++)
	{
		for (c = 0; c < ncols; c++)
		{
			const char *v = PQgetvalue(res, r, c);
			int			pad = width[c] - display_width(v);
			Oid			type = PQftype(res, c);
			bool		right = type == INT2OID || type == INT4OID || type == INT8OID;

			if (right)
				printf(" %*s%s", pad, "", v);
			else
				printf(" %s%*s", v, c < ncols - 1 ? pad : 0, "");
			fputs(c < ncols - 1 ? " |" : "\n", stdout);
		}
	}
	printf("(%d %s)\n", nrows, nrows == 1 ? "row" : "rows");
	free(width);
}

/*
 * Print what a successful call returned: in text, its rows (nothing when
 * quiet, or for a CALL); in JSON, the command's object.
 */
void
output_result(const Options *opts, const PGresult *res, int status)
{
	if (opts->output == OUTPUT_TEXT)
	{
		if (!opts->quiet && PQresultStatus(res) == PGRES_TUPLES_OK)
			print_table(res);
	}
	else
	{
		Buffer		b;
		int			r;
		int			c;
		int			nrows = res ? PQntuples(res) : 0;

		buffer_init(&b);
		json_head(&b, opts, status == EXIT_OK, status);
		buffer_puts(&b, ", \"rows\": [");
		for (r = 0; r < nrows; r++)
		{
			buffer_puts(&b, r ? ",\n  {" : "\n  {");
			for (c = 0; c < PQnfields(res); c++)
			{
				if (c)
					buffer_puts(&b, ", ");
				json_string(&b, PQfname(res, c));
				buffer_puts(&b, ": ");
				json_value(&b, res, r, c);
			}
			buffer_puts(&b, "}");
		}
		buffer_puts(&b, nrows ? "\n]}\n" : "]}\n");
		fputs(b.data, stdout);
		free(b.data);
	}
	fflush(stdout);
}

/*
 * Append "key": value for a field of an error, when it has one.
 */
static void
json_field(Buffer *b, const char *key, const char *value, bool *first)
{
	if (value == NULL)
		return;
	if (!*first)
		buffer_puts(b, ", ");
	*first = false;
	json_string(b, key);
	buffer_puts(b, ": ");
	json_string(b, value);
}

/*
 * In JSON, print a command's failure: the fields of the server's error
 * (res), or a message of pg_migrate's own.  In text the error is on
 * stderr already.
 */
void
output_json_error(const Options *opts, const PGresult *res,
				  const char *message, int status)
{
	Buffer		b;
	bool		first = true;

	if (opts->output != OUTPUT_JSON)
		return;
	buffer_init(&b);
	json_head(&b, opts, false, status);
	buffer_puts(&b, ", \"error\": {");
	if (res && PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY))
	{
		json_field(&b, "sqlstate", PQresultErrorField(res, PG_DIAG_SQLSTATE), &first);
		json_field(&b, "message", PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), &first);
		json_field(&b, "detail", PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL), &first);
		json_field(&b, "hint", PQresultErrorField(res, PG_DIAG_MESSAGE_HINT), &first);
		json_field(&b, "context", PQresultErrorField(res, PG_DIAG_CONTEXT), &first);
	}
	else
		json_field(&b, "message", res ? PQresultErrorMessage(res) : message, &first);
	buffer_puts(&b, "}}\n");
	fputs(b.data, stdout);
	free(b.data);
	fflush(stdout);
}
