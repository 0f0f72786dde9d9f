/*-------------------------------------------------------------------------
 *
 * load.c
 *	  pg_migrate load DIR: read a migration directory on this machine and
 *	  register it with migrate.load_files().
 *
 * The files sent are the ones the server would list for load() of the
 * same directory: the directory's own files, and in each subdirectory
 * up.sql, down.sql, metadata.toml and migration.sql (diesel, Prisma) and
 * meta/_journal.json (Drizzle); hidden names are left out.  The server
 * does everything else, so the rows are load()'s.  The files are sent as
 * their bytes (the client encoding is the server's): in a UTF8 database
 * a file or a name that is not valid UTF-8, or a file with a zero byte,
 * stops the load here, naming the file, before anything is sent.
 *
 * IDENTIFICATION
 *	  src/client/load.c
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "client.h"

/* what load_files() reads in a subdirectory (src/files/source.c) */
static const char *const nested_files[] = {
	"up.sql", "down.sql", "metadata.toml", "migration.sql"
};

/*
 * The files read so far, as the two array literals load_files() takes.
 */
typedef struct FileArrays
{
	Buffer		names;
	Buffer		contents;
	int			nfiles;
	bool		utf8;			/* the server's encoding is UTF8 */
} FileArrays;

/*
 * True if s[0, len) is valid UTF-8 (no overlong forms, no surrogates).
 */
static bool
valid_utf8(const unsigned char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		unsigned char c = s[i];
		int			n;
		unsigned int cp;
		int			k;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			n = 1, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			n = 2, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (k = 1; k <= n; k++)
		{
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
			(n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
			(cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/*
 * A name with the bytes that are not printable ASCII as \xNN, as the
 * server writes them.
 */
static char *
escaped(const char *name)
{
	Buffer		b;
	const unsigned char *p;

	buffer_init(&b);
	for (p = (const unsigned char *) name; *p; p++)
	{
		char		esc[8];

		if (*p < 0x20 || *p >= 0x7f || *p == '\\')
		{
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			buffer_puts(&b, esc);
		}
		else
			buffer_append(&b, (const char *) p, 1);
	}
	return b.data;
}

/*
 * Append an element to an array literal, quoted.
 */
static void
append_element(Buffer *b, const char *s, size_t len, bool first)
{
	size_t		i;
	size_t		start = 0;

	buffer_puts(b, first ? "\"" : ",\"");
	for (i = 0; i < len; i++)
	{
		if (s[i] == '"' || s[i] == '\\')
		{
			buffer_append(b, s + start, i - start);
			buffer_append(b, "\\", 1);
			start = i;
		}
	}
	buffer_append(b, s + start, len - start);
	buffer_puts(b, "\"");
}

/*
 * Read one file and add it to the arrays; false, with the error printed,
 * if it cannot be read or sent.
 */
static bool
add_file(FileArrays *fa, const char *dir, const char *name)
{
	char	   *path = client_malloc(strlen(dir) + strlen(name) + 2);
	FILE	   *f;
	Buffer		b;
	char		chunk[65536];
	size_t		n;

	sprintf(path, "%s/%s", dir, name);
	if (fa->utf8 && !valid_utf8((const unsigned char *) name, strlen(name)))
	{
		client_error("file name \"%s\" in directory \"%s\" is not valid UTF8, the database encoding",
					 escaped(name), dir);
		client_detail("Bytes that are not printable ASCII are shown as \\xNN. Nothing was sent.");
		client_hint("Rename the file with a name in UTF8, for example with convmv, and load the directory again.");
		return false;
	}
	f = fopen(path, "rb");
	if (f == NULL)
	{
		client_error("could not open file \"%s\": %s", path, strerror(errno));
		return false;
	}
	buffer_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buffer_append(&b, chunk, n);
	if (ferror(f))
	{
		client_error("could not read file \"%s\": %s", path, strerror(errno));
		fclose(f);
		return false;
	}
	fclose(f);
	if (memchr(b.data, '\0', b.len) != NULL)
	{
		client_error("file \"%s\" contains a zero byte: it is not a text file", path);
		client_detail("Nothing was sent.");
		return false;
	}
	if (fa->utf8 && !valid_utf8((const unsigned char *) b.data, b.len))
	{
		client_error("file \"%s\" is not valid UTF8, the database encoding", path);
		client_detail("Nothing was sent.");
		client_hint("Convert the file to UTF8, for example with iconv.");
		return false;
	}
	append_element(&fa->names, name, strlen(name), fa->nfiles == 0);
	append_element(&fa->contents, b.data, b.len, fa->nfiles == 0);
	fa->nfiles++;
	free(b.data);
	free(path);
	return true;
}

/*
 * Read the directory's files as load_files() takes them; false, with the
 * error printed, if one cannot be read.
 */
static bool
read_directory(FileArrays *fa, const char *dir)
{
	DIR		   *d = opendir(dir);
	struct dirent *de;
	bool		ok = true;

	if (d == NULL)
	{
		client_error("could not open migration directory \"%s\": %s", dir, strerror(errno));
		return false;
	}
	while (ok && (errno = 0, de = readdir(d)) != NULL)
	{
		char	   *path;
		struct stat st;
		size_t		i;

		if (de->d_name[0] == '.')
			continue;
		path = client_malloc(strlen(dir) + strlen(de->d_name) + 2);
		sprintf(path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0)
		{
			client_error("could not stat file \"%s\": %s", path, strerror(errno));
			ok = false;
		}
		else if (S_ISREG(st.st_mode))
			ok = add_file(fa, dir, de->d_name);
		else if (S_ISDIR(st.st_mode))
		{
			for (i = 0; ok && i <= sizeof(nested_files) / sizeof(nested_files[0]); i++)
			{
				const char *nested;
				char	   *sub;
				char	   *subpath;

				if (i < sizeof(nested_files) / sizeof(nested_files[0]))
					nested = nested_files[i];
				else if (strcmp(de->d_name, "meta") == 0)
					nested = "_journal.json";
				else
					break;
				sub = client_malloc(strlen(de->d_name) + strlen(nested) + 2);
				sprintf(sub, "%s/%s", de->d_name, nested);
				subpath = client_malloc(strlen(dir) + strlen(sub) + 2);
				sprintf(subpath, "%s/%s", dir, sub);
				if (stat(subpath, &st) == 0)
				{
					if (S_ISREG(st.st_mode))
						ok = add_file(fa, dir, sub);
				}
				else if (errno != ENOENT)
				{
					client_error("could not stat file \"%s\": %s", subpath, strerror(errno));
					ok = false;
				}
				free(sub);
				free(subpath);
			}
		}
		free(path);
	}
	if (ok && errno != 0)
	{
		client_error("could not read migration directory \"%s\": %s", dir, strerror(errno));
		ok = false;
	}
	closedir(d);
	return ok;
}

/*
 * pg_migrate load DIR: exit 1 when a migration was refused or registered
 * as modified, as load() warns.
 */
int
command_load(const Options *opts, PGconn *conn)
{
	static const char sql[] =
		"SELECT version, name, files, action, transactional, reversible, note"
		" FROM migrate.load_files($1, $2, $3)";
	const char *dir = opts->args[0];
	const char *encoding = PQparameterStatus(conn, "server_encoding");
	FileArrays	fa;
	const char *params[3];
	PGresult   *res;
	int			status = EXIT_OK;

	memset(&fa, 0, sizeof(fa));
	fa.utf8 = encoding && strcmp(encoding, "UTF8") == 0;
	buffer_init(&fa.names);
	buffer_init(&fa.contents);
	buffer_puts(&fa.names, "{");
	buffer_puts(&fa.contents, "{");
	if (!read_directory(&fa, dir))
	{
		output_json_error(opts, NULL, "the migration directory could not be read", EXIT_ERROR);
		return EXIT_ERROR;
	}
	buffer_puts(&fa.names, "}");
	buffer_puts(&fa.contents, "}");

	if (!client_function_exists(conn, "migrate.load_files(text[],text[],text)"))
	{
		client_error("the server's migrate extension has no function migrate.load_files(text[], text[], text)");
		client_hint("It comes with migrate 0.2.0: install it on the server and run ALTER EXTENSION migrate UPDATE.");
		output_json_error(opts, NULL, "the server's migrate extension has no function migrate.load_files()", EXIT_ERROR);
		return EXIT_ERROR;
	}

	params[0] = fa.names.data;
	params[1] = fa.contents.data;
	params[2] = dir;
	res = client_query(conn, sql, 3, params);
	free(fa.contents.data);
	free(fa.names.data);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		client_report_error(res);
		output_json_error(opts, res, NULL, EXIT_ERROR);
		PQclear(res);
		return EXIT_ERROR;
	}
	else
	{
		static const char *const actions[] = {
			"added", "unchanged", "updated", "modified", "refused", "ignored"
		};
		int			counts[6] = {0};
		int			r;
		int			a;

		for (r = 0; r < PQntuples(res); r++)
			for (a = 0; a < 6; a++)
				if (strcmp(PQgetvalue(res, r, 3), actions[a]) == 0)
					counts[a]++;
		if (counts[3] + counts[4] > 0)
			status = EXIT_CHECK;
		output_result(opts, res, status);
		if (opts->output == OUTPUT_TEXT && !opts->quiet)
			printf("%d added, %d unchanged, %d updated, %d modified, %d refused, %d ignored\n",
				   counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
	}
	PQclear(res);
	return status;
}
