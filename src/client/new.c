/*-------------------------------------------------------------------------
 *
 * new.c
 *	  pg_migrate new NAME: create the next migration's file(s) in the
 *	  migration directory, in the format its files are already in.
 *
 * The format is read off the directory as load() reads it (src/files/
 * formats.c): VERSION_name.up.sql and .down.sql (golang-migrate),
 * V<version>__name.sql (Flyway), VERSION_name/up.sql and down.sql
 * (diesel), VERSION_name/migration.sql (Prisma), VERSION_name.sql with
 * "-- +goose Up" (goose) or "-- migrate:up" (dbmate), or without them
 * (plain).  An empty directory needs --format.  The next version follows
 * the directory's: a timestamp (UTC, YYYYMMDDHHMMSS) where the versions
 * are timestamps, the tools' default for an empty directory, otherwise
 * the highest version plus one, in its width; Flyway's is the next
 * integer.  Drizzle's files are written by drizzle-kit, with its journal,
 * so pg_migrate writes none.  Existing files are never overwritten.  No
 * connection is made.
 *
 * IDENTIFICATION
 *	  src/client/new.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

typedef enum NewFormat
{
	NEW_NONE,
	NEW_GOLANG,
	NEW_FLYWAY,
	NEW_DIESEL,
	NEW_PRISMA,
	NEW_GOOSE,
	NEW_DBMATE,
	NEW_PLAIN
} NewFormat;

static const char *const format_names[] = {
	"", "golang-migrate", "flyway", "diesel", "prisma", "goose", "dbmate", "plain"
};

/*
 * The directory as new reads it: its format and highest version.
 */
typedef struct NewDir
{
	const char *path;
	NewFormat	format;
	const char *example;		/* a file of that format, for messages */
	char		max[129];		/* the highest version's digits, or "" */
	bool		drizzle;
} NewDir;

static int
leading_digits(const char *s)
{
	int			n = 0;

	while (isdigit((unsigned char) s[n]))
		n++;
	return n;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t		len = strlen(s);
	size_t		slen = strlen(suffix);

	return len >= slen && strcmp(s + len - slen, suffix) == 0;
}

/*
 * Compare two digit strings as numbers.
 */
static int
digits_cmp(const char *a, const char *b)
{
	size_t		la;
	size_t		lb;

	while (*a == '0' && a[1])
		a++;
	while (*b == '0' && b[1])
		b++;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

/*
 * Keep the highest version seen, as digits.
 */
static void
note_version(NewDir *nd, const char *digits, int len)
{
	char		v[129];

	if (len <= 0 || len >= (int) sizeof(v))
		return;
	memcpy(v, digits, len);
	v[len] = '\0';
	if (nd->max[0] == '\0' || digits_cmp(v, nd->max) > 0)
		strcpy(nd->max, v);
}

/*
 * True if a one-file migration's text has a line starting with "marker"
 * after "--" and blanks (case-insensitive when "nocase").
 */
static bool
has_marker(const char *path, const char *marker, bool nocase)
{
	FILE	   *f = fopen(path, "rb");
	char		line[1024];
	bool		found = false;
	size_t		mlen = strlen(marker);

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f))
	{
		char	   *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		if (p[0] != '-' || p[1] != '-')
			continue;
		p += 2;
		while (*p == ' ' || *p == '\t')
			p++;
		found = nocase ? strncasecmp(p, marker, mlen) == 0 : strncmp(p, marker, mlen) == 0;
	}
	fclose(f);
	return found;
}

/*
 * Record that the directory has a file of "format"; false, with the
 * error printed, when it has files of another format already.
 */
static bool
note_format(NewDir *nd, NewFormat format, const char *file)
{
	if (nd->format == NEW_NONE || nd->format == format ||
		(nd->format == NEW_PLAIN && (format == NEW_GOOSE || format == NEW_DBMATE)))
	{
		if (nd->format == NEW_NONE || nd->format == NEW_PLAIN)
		{
			nd->format = format;
			nd->example = client_strdup(file);
		}
		return true;
	}
	if (format == NEW_PLAIN && (nd->format == NEW_GOOSE || nd->format == NEW_DBMATE))
		return true;
	client_error("migration directory \"%s\" mixes formats: %s (\"%s\") and %s (\"%s\")",
				 nd->path, format_names[nd->format], nd->example,
				 format_names[format], file);
	return false;
}

/*
 * Read the directory's format and highest version.
 */
static bool
read_new_dir(NewDir *nd)
{
	DIR		   *d = opendir(nd->path);
	struct dirent *de;
	bool		ok = true;

	if (d == NULL)
	{
		client_error("could not open migration directory \"%s\": %s", nd->path, strerror(errno));
		return false;
	}
	while (ok && (de = readdir(d)) != NULL)
	{
		const char *f = de->d_name;
		char		path[4096];
		struct stat st;
		int			dl = leading_digits(f);

		if (f[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", nd->path, f);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
		{
			char		sub[4200];

			snprintf(sub, sizeof(sub), "%s/_journal.json", path);
			if (strcmp(f, "meta") == 0 && access(sub, F_OK) == 0)
				nd->drizzle = true;
			snprintf(sub, sizeof(sub), "%s/up.sql", path);
			if (access(sub, F_OK) == 0)
			{
				char		v[129];
				int			n = 0;
				const char *p;

				ok = note_format(nd, NEW_DIESEL, f);
				for (p = f; *p && *p != '_' && n < 128; p++)
					if (isdigit((unsigned char) *p))
						v[n++] = *p;
				note_version(nd, v, n);
				continue;
			}
			snprintf(sub, sizeof(sub), "%s/migration.sql", path);
			if (access(sub, F_OK) == 0)
			{
				ok = note_format(nd, NEW_PRISMA, f);
				note_version(nd, f, dl);
			}
			continue;
		}
		if (!S_ISREG(st.st_mode) || !ends_with(f, ".sql"))
			continue;
		if (f[0] == 'V' && isdigit((unsigned char) f[1]) && strstr(f, "__"))
		{
			ok = note_format(nd, NEW_FLYWAY, f);
			note_version(nd, f + 1, leading_digits(f + 1));
		}
		else if (dl > 0 && f[dl] == '_' &&
				 (ends_with(f, ".up.sql") || ends_with(f, ".down.sql")))
		{
			ok = note_format(nd, NEW_GOLANG, f);
			note_version(nd, f, dl);
		}
		else if (dl > 0)
		{
			NewFormat	fmt = has_marker(path, "+goose up", true) ? NEW_GOOSE :
				has_marker(path, "migrate:up", false) ? NEW_DBMATE : NEW_PLAIN;

			ok = note_format(nd, fmt, f);
			note_version(nd, f, dl);
		}
	}
	closedir(d);
	return ok;
}

/*
 * Add one to a digit string, keeping its width.
 */
static void
increment(char *v)
{
	int			i = strlen(v) - 1;

	while (i >= 0 && v[i] == '9')
		v[i--] = '0';
	if (i >= 0)
		v[i]++;
	else
	{
		memmove(v + 1, v, strlen(v) + 1);
		v[0] = '1';
	}
}

/*
 * The next version of the directory.
 */
static void
next_version(const NewDir *nd, char *out, size_t size)
{
	char		now[32];
	time_t		t = time(NULL);
	bool		timestamps;

	strftime(now, sizeof(now), "%Y%m%d%H%M%S", gmtime(&t));
	if (nd->format == NEW_FLYWAY)
	{
		snprintf(out, size, "%s", nd->max[0] ? nd->max : "0");
		increment(out);
		return;
	}
	if (nd->max[0] == '\0')
		timestamps = nd->format != NEW_PLAIN;
	else
		timestamps = strlen(nd->max) >= 14;
	if (!timestamps)
	{
		snprintf(out, size, "%s", nd->max[0] ? nd->max : "0000");
		increment(out);
		return;
	}
	if (nd->max[0] && digits_cmp(now, nd->max) <= 0)
	{
		snprintf(out, size, "%s", nd->max);
		increment(out);
	}
	else
		snprintf(out, size, "%s", now);
}

/*
 * Create a file that does not exist yet, with its text.
 */
static bool
create_file(const char *path, const char *text, bool quiet)
{
	int			fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
	size_t		len = strlen(text);

	if (fd < 0)
	{
		client_error("could not create file \"%s\": %s", path, strerror(errno));
		return false;
	}
	if (write(fd, text, len) != (ssize_t) len || close(fd) != 0)
	{
		client_error("could not write file \"%s\": %s", path, strerror(errno));
		return false;
	}
	if (!quiet)
		printf("created %s\n", path);
	return true;
}

/*
 * pg_migrate new NAME [--dir DIR] [--format TOOL]
 */
int
command_new(const Options *opts)
{
	NewDir		nd;
	NewFormat	format = NEW_NONE;
	char		name[256];
	char		version[160];
	char		path[4096];
	char		sub[4096];
	bool		ok = true;
	const char *p;
	int			i;

	memset(&nd, 0, sizeof(nd));
	nd.path = opts->dir ? opts->dir : ".";

	if (strlen(opts->args[0]) == 0 || strlen(opts->args[0]) >= sizeof(name) ||
		strchr(opts->args[0], '/') || opts->args[0][0] == '.')
	{
		client_error("invalid migration name \"%s\"", opts->args[0]);
		client_hint("A name is a few words such as \"add email to users\", without \"/\", not starting with a dot.");
		return EXIT_ERROR;
	}
	for (i = 0, p = opts->args[0]; *p; p++)
		name[i++] = isspace((unsigned char) *p) ? '_' : *p;
	name[i] = '\0';

	if (opts->format)
	{
		for (i = 1; i < (int) (sizeof(format_names) / sizeof(format_names[0])); i++)
			if (strcmp(opts->format, format_names[i]) == 0)
				format = (NewFormat) i;
		if (strcmp(opts->format, "golang") == 0)
			format = NEW_GOLANG;
		if (format == NEW_NONE)
		{
			client_error("unknown migration format \"%s\"", opts->format);
			client_hint("pg_migrate new writes dbmate, golang-migrate, flyway, goose, diesel, prisma and plain migrations.");
			return EXIT_ERROR;
		}
	}
	if (!read_new_dir(&nd))
		return EXIT_ERROR;
	if (nd.drizzle)
	{
		client_error("migration directory \"%s\" is Drizzle's", nd.path);
		client_detail("drizzle-kit writes each migration together with its entry in meta/_journal.json.");
		client_hint("Run drizzle-kit generate, then pg_migrate load.");
		return EXIT_ERROR;
	}
	if (format != NEW_NONE && nd.format != NEW_NONE && format != nd.format &&
		!(nd.format == NEW_PLAIN && (format == NEW_GOOSE || format == NEW_DBMATE)))
	{
		client_error("migration directory \"%s\" is in the %s format, not %s",
					 nd.path, format_names[nd.format], format_names[format]);
		client_detail("It has \"%s\".", nd.example);
		return EXIT_ERROR;
	}
	if (format == NEW_NONE)
		format = nd.format;
	if (format == NEW_NONE)
	{
		client_error("cannot tell the format of migration directory \"%s\": it has no migrations", nd.path);
		client_hint("Pass --format=dbmate, golang-migrate, flyway, goose, diesel, prisma or plain.");
		return EXIT_ERROR;
	}
	nd.format = format;
	next_version(&nd, version, sizeof(version));

	switch (format)
	{
		case NEW_GOLANG:
			snprintf(path, sizeof(path), "%s/%s_%s.up.sql", nd.path, version, name);
			ok = create_file(path, "-- write the SQL that applies this migration here\n", opts->quiet);
			snprintf(path, sizeof(path), "%s/%s_%s.down.sql", nd.path, version, name);
			ok = ok && create_file(path, "-- write the SQL that reverts it here; a down of comments only is irreversible\n", opts->quiet);
			break;
		case NEW_FLYWAY:
			snprintf(path, sizeof(path), "%s/V%s__%s.sql", nd.path, version, name);
			ok = create_file(path, "-- write the SQL of this migration here\n", opts->quiet);
			break;
		case NEW_DIESEL:
			/* diesel's own directory names: 2024-01-31-120000_name */
			if (strlen(version) == 14)
				snprintf(sub, sizeof(sub), "%s/%.4s-%.2s-%.2s-%.6s_%s", nd.path,
						 version, version + 4, version + 6, version + 8, name);
			else
				snprintf(sub, sizeof(sub), "%s/%s_%s", nd.path, version, name);
			if (mkdir(sub, 0777) != 0)
			{
				client_error("could not create directory \"%s\": %s", sub, strerror(errno));
				return EXIT_ERROR;
			}
			snprintf(path, sizeof(path), "%s/up.sql", sub);
			ok = create_file(path, "-- Your SQL goes here\n", opts->quiet);
			snprintf(path, sizeof(path), "%s/down.sql", sub);
			ok = ok && create_file(path, "-- This file should undo anything in `up.sql`\n", opts->quiet);
			break;
		case NEW_PRISMA:
			snprintf(sub, sizeof(sub), "%s/%s_%s", nd.path, version, name);
			if (mkdir(sub, 0777) != 0)
			{
				client_error("could not create directory \"%s\": %s", sub, strerror(errno));
				return EXIT_ERROR;
			}
			snprintf(path, sizeof(path), "%s/migration.sql", sub);
			ok = create_file(path, "-- write the SQL of this migration here (Prisma writes no down)\n", opts->quiet);
			break;
		case NEW_GOOSE:
			snprintf(path, sizeof(path), "%s/%s_%s.sql", nd.path, version, name);
			ok = create_file(path, "-- +goose Up\n\n-- +goose Down\n", opts->quiet);
			break;
		case NEW_DBMATE:
			snprintf(path, sizeof(path), "%s/%s_%s.sql", nd.path, version, name);
			ok = create_file(path, "-- migrate:up\n\n-- migrate:down\n", opts->quiet);
			break;
		case NEW_PLAIN:
			snprintf(path, sizeof(path), "%s/%s_%s.sql", nd.path, version, name);
			ok = create_file(path, "-- write the SQL of this migration here (no down: irreversible)\n", opts->quiet);
			break;
		case NEW_NONE:
			break;
	}
	if (!ok)
		return EXIT_ERROR;

	return EXIT_OK;
}
