/*-------------------------------------------------------------------------
 *
 * load.c
 *	  migrate.load(): register every migration of a directory on the
 *	  server, in the format a team already has.
 *
 * A directory is read as one history, written for one tool: the names of
 * its files (and, for one-file migrations, their content) say which
 * (formats.c).  A directory that mixes formats is refused, since no tool
 * would run it as one history.  Every migration gets the version the
 * tool gives it, and load() checks that the tool's order and migrate's
 * natural order agree, so that migrate applies the history in exactly the
 * order the tool did; a duplicate version or an order that differs stops
 * the load before anything is registered.
 *
 * Then each migration is registered through migrate_register(), so every
 * registration check applies.  Real histories have problems that must
 * not leave a hole in them; load() decides as a DBA would, and says what
 * it decided in the note of the migration's row:
 *	- an empty up file is registered as a comment that says so;
 *	- an empty or comment-only down means the migration is irreversible
 *	  (its down is NULL);
 *	- a down that does not parse is dropped: the migration is registered
 *	  as irreversible;
 *	- a migration with a statement that cannot run in a transaction block
 *	  (CREATE INDEX CONCURRENTLY, ...), or marked so by its tool (goose
 *	  NO TRANSACTION, dbmate transaction:false, diesel's metadata.toml,
 *	  Flyway's .sql.conf), is registered with transactional => false;
 *	- an up that migrate cannot register (it does not parse, it holds a
 *	  psql meta-command, a goose migration written in Go, ...) is refused,
 *	  and the rest of the directory is still registered;
 *	- an applied migration whose file changed is reported as modified;
 *	  its registered text is kept.
 * Each registration runs in a subtransaction of its own, so a refused
 * migration leaves nothing behind.  Errors about the directory itself
 * (missing, unreadable, not absolute, mixed formats, duplicates, order)
 * stop the whole call.
 *
 * Files are read with the server's file access functions as the server's
 * operating system user, so the caller must be a superuser or have the
 * privileges of pg_read_server_files, as for COPY FROM a file.
 *
 * IDENTIFICATION
 *	  src/load.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "migrate.h"

PG_FUNCTION_INFO_V1(migrate_load);

/*
 * One migration of the directory, or one file load() reports on.
 */
typedef struct LoadEntry
{
	MigrateFormat format;		/* of this entry's files */
	char	   *version;		/* as registered; NULL when none */
	char	   *sort_as;		/* the version it sorts as, or NULL */
	char	   *name;
	char	   *upfile;			/* names relative to the directory */
	char	   *downfile;
	char	   *conffile;		/* diesel metadata.toml, Flyway .sql.conf */
	char	   *up;
	char	   *down;
	bool		transactional;
	const char *problem;		/* why it is refused, before registering */
	const char *action;			/* once decided */
	StringInfoData notes;
} LoadEntry;

/*
 * The directory being loaded.
 */
typedef struct LoadDir
{
	char	   *path;
	MigrateFormat format;		/* the tool the directory is written for */
	const char *example;		/* a file of that format, for messages */
	List	   *entries;
	List	   *others;			/* .sql files no tool takes for migrations */
} LoadDir;

/*
 * What the sort comparator orders by: a format's versions, or file names
 * as dbmate orders them.
 */
static MigrateFormat sort_format;
static bool sort_by_file;

static MigrateQuery applied_checksum_query = {
	.sql =
		"SELECT checksum FROM migrate.applied"
		" WHERE version OPERATOR(pg_catalog.=) $1",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

static void add_note(LoadEntry *e, const char *fmt,...) pg_attribute_printf(2, 3);
static void access_error(const char *what, const char *path) pg_attribute_noreturn();

/*
 * Append a sentence to the entry's note.
 */
static void
add_note(LoadEntry *e, const char *fmt,...)
{
	va_list		args;
	int			needed;

	if (e->notes.len > 0)
		appendStringInfoString(&e->notes, "; ");
	for (;;)
	{
		va_start(args, fmt);
		needed = appendStringInfoVA(&e->notes, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&e->notes, needed);
	}
}

/*
 * A new entry of the directory, appended to its list.
 */
static LoadEntry *
new_entry(LoadDir *ld, MigrateFormat format, const char *version,
		  const char *name, const char *upfile)
{
	LoadEntry  *e = palloc0(sizeof(LoadEntry));

	e->format = format;
	e->version = version ? pstrdup(version) : NULL;
	e->name = name ? pstrdup(name) : NULL;
	e->upfile = upfile ? pstrdup(upfile) : NULL;
	e->transactional = true;
	initStringInfo(&e->notes);
	ld->entries = lappend(ld->entries, e);
	return e;
}

/*
 * The directory argument: given, absolute, readable by this role.
 */
static char *
directory_arg(FunctionCallInfo fcinfo)
{
	char	   *dir;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("directory must not be NULL"),
				 errhint("Pass the absolute path of a migration directory on the database server.")));
	dir = text_to_cstring(PG_GETARG_TEXT_PP(0));

	if (!has_privs_of_role(GetUserId(), MIGRATE_ROLE_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to load migrations from files on the server"),
				 errdetail("Only superusers and roles with the privileges of pg_read_server_files may read files on the server."),
				 errhint("A superuser can GRANT pg_read_server_files to this role, or run migrate.load() itself.")));

	if (dir[0] == '\0' || !is_absolute_path(dir))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration directory \"%s\" is not an absolute path", dir),
				 errhint("The server reads the path, and its working directory is its data directory; pass the full path, for example '/srv/app/migrations'.")));

	canonicalize_path(dir);
	return dir;
}

/*
 * Raise the error for a file or directory the server cannot access.
 */
static void
access_error(const char *what, const char *path)
{
	int			save_errno = errno;

	if (save_errno == ENOENT)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("%s \"%s\" does not exist", what, path),
				 errhint("The path is read on the database server, not on the client.")));
	errno = save_errno;
	ereport(ERROR,
			(errcode_for_file_access(),
			 errmsg("could not read %s \"%s\": %m", what, path),
			 errhint("The server's operating system user must be able to read the migration directory and its files.")));
}

/*
 * stat() a path; false if it does not exist, an error if it cannot be
 * looked at.
 */
static bool
stat_path(const char *what, const char *path, struct stat *st)
{
	if (stat(path, st) == 0)
		return true;
	if (errno == ENOENT)
		return false;
	access_error(what, path);
}

/*
 * True if "path" is a regular file; an error if it cannot be looked at.
 */
static bool
is_regular_file(const char *path)
{
	struct stat st;

	return stat_path("file", path, &st) && S_ISREG(st.st_mode);
}

/*
 * list_sort() comparator of C strings, byte-wise.
 */
static int
cstring_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/*
 * The names in a directory, hidden ones left out, sorted.
 */
static List *
list_directory(const char *path)
{
	struct stat st;
	DIR		   *dir;
	struct dirent *de;
	List	   *names = NIL;

	if (!stat_path("migration directory", path, &st))
	{
		errno = ENOENT;
		access_error("migration directory", path);
	}
	if (!S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a directory", path),
				 errhint("Pass the directory that holds the migration files.")));

	dir = AllocateDir(path);
	if (dir == NULL)
		access_error("migration directory", path);
	while ((de = ReadDir(dir, path)) != NULL)
	{
		if (de->d_name[0] == '.')
			continue;
		names = lappend(names, pstrdup(de->d_name));
	}
	FreeDir(dir);

	list_sort(names, cstring_cmp);
	return names;
}

/*
 * The family a format belongs to: the one-file formats share file names,
 * their content tells them apart.
 */
static MigrateFormat
family_of(MigrateFormat format)
{
	if (format == MIGRATE_FORMAT_GOOSE || format == MIGRATE_FORMAT_DBMATE)
		return MIGRATE_FORMAT_PLAIN;
	return format;
}

/*
 * Record that file "file" is in "format": a directory holds one format.
 * One-file migrations first count as plain; their content may then say
 * goose or dbmate, which the whole directory must then be.
 */
static void
note_format(LoadDir *ld, MigrateFormat format, const char *file)
{
	if (ld->format == MIGRATE_FORMAT_NONE ||
		(ld->format == MIGRATE_FORMAT_PLAIN &&
		 family_of(format) == MIGRATE_FORMAT_PLAIN))
	{
		ld->format = format;
		ld->example = file;
	}
	else if (family_of(ld->format) != family_of(format) ||
			 (format != MIGRATE_FORMAT_PLAIN && format != ld->format))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration directory \"%s\" mixes formats: %s (\"%s\") and %s (\"%s\")",
						ld->path, migrate_format_name(ld->format), ld->example,
						migrate_format_name(format), file),
				 errhint("Load the migrations of each tool from a directory of their own. Nothing was registered.")));
}

/*
 * Find the entry whose version equals "version" by the directory's tool.
 */
static LoadEntry *
find_entry(LoadDir *ld, const char *version)
{
	ListCell   *lc;

	foreach(lc, ld->entries)
	{
		LoadEntry  *e = (LoadEntry *) lfirst(lc);

		if (e->version && e->upfile &&
			migrate_format_compare(ld->format, e->version, version) == 0)
			return e;
	}
	return NULL;
}

/*
 * Pair the down (or undo) files with their ups.
 */
static void
pair_downs(LoadDir *ld, List *downs)
{
	ListCell   *lc;

	foreach(lc, downs)
	{
		char	   *file = (char *) lfirst(lc);
		MigrateFileName fn;
		LoadEntry  *e;

		(void) migrate_parse_file_name(file, &fn);
		e = find_entry(ld, fn.version);
		if (e == NULL)
		{
			e = new_entry(ld, fn.format, fn.version, fn.name, NULL);
			e->downfile = file;
			e->problem = "a down file without its up file";
		}
		else if (e->downfile)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("migration directory \"%s\" has two down files for version %s: \"%s\" and \"%s\"",
							ld->path, e->version, e->downfile, file),
					 errhint("Remove or rename one of them. Nothing was registered.")));
		else
			e->downfile = file;
	}
}

/*
 * Read the directory's listing into entries: one per migration, and one
 * per .sql file that is no migration of the directory's format.
 */
static void
scan_directory(LoadDir *ld)
{
	List	   *names = list_directory(ld->path);
	List	   *downs = NIL;
	ListCell   *lc;

	foreach(lc, names)
	{
		char	   *file = (char *) lfirst(lc);
		char	   *path = psprintf("%s/%s", ld->path, file);
		struct stat st;
		MigrateFileName fn;
		LoadEntry  *e;

		if (!stat_path("file", path, &st))
			continue;			/* removed while we read */

		if (S_ISDIR(st.st_mode))
		{
			char	   *version;
			char	   *name;
			char	   *up = psprintf("%s/up.sql", file);
			char	   *down = psprintf("%s/down.sql", file);
			char	   *meta = psprintf("%s/metadata.toml", file);
			bool		has_up = is_regular_file(psprintf("%s/%s", ld->path, up));
			bool		has_down = is_regular_file(psprintf("%s/%s", ld->path, down));

			if (!has_up && !has_down)
				continue;		/* not a migration */
			note_format(ld, MIGRATE_FORMAT_DIESEL, up);
			migrate_diesel_name(file, &version, &name);
			e = new_entry(ld, MIGRATE_FORMAT_DIESEL, version, name,
						  has_up ? up : NULL);
			if (has_down)
				e->downfile = down;
			if (is_regular_file(psprintf("%s/%s", ld->path, meta)))
				e->conffile = meta;
			if (!has_up)
				e->problem = "the directory has a down.sql but no up.sql";
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;

		if (!migrate_parse_file_name(file, &fn))
		{
			if (strlen(file) > 4 && strcmp(file + strlen(file) - 4, ".sql") == 0)
				ld->others = lappend(ld->others, file);
			continue;
		}
		note_format(ld, fn.format, file);

		switch (fn.kind)
		{
			case MIGRATE_FILE_UP:
			case MIGRATE_FILE_SECTIONS:
				e = new_entry(ld, fn.format, fn.version, fn.name, file);
				if (fn.format == MIGRATE_FORMAT_FLYWAY &&
					is_regular_file(psprintf("%s.conf", path)))
					e->conffile = psprintf("%s.conf", file);
				break;
			case MIGRATE_FILE_DOWN:
				downs = lappend(downs, file);
				break;
			case MIGRATE_FILE_REPEATABLE:
				e = new_entry(ld, fn.format, NULL, fn.name, file);
				e->problem = "a Flyway repeatable migration: register it as a repeatable seed with migrate.add_seed(..., repeatable => true)";
				break;
			case MIGRATE_FILE_PROGRAM:
				e = new_entry(ld, fn.format, fn.version, fn.name, file);
				e->problem = "a goose migration written in Go: migrate runs SQL only; register the SQL it runs with migrate.add()";
				break;
		}
	}

	if (ld->format == MIGRATE_FORMAT_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("migration directory \"%s\" holds no migration files", ld->path),
				 errdetail("load() reads VERSION_name.up.sql and .down.sql (golang-migrate), VERSION_name.sql (dbmate, goose, or up only), V<version>__name.sql and U<version>__name.sql (Flyway), VERSION_name/up.sql and down.sql (diesel) and VERSION.name.up.sql and .down.sql."),
				 errhint("Check the path: it is read on the database server.")));

	pair_downs(ld, downs);
}

/*
 * Report the .sql files that are no migrations of the directory's tool,
 * once their content has said which tool it is.
 */
static void
report_others(LoadDir *ld)
{
	ListCell   *lc;

	foreach(lc, ld->others)
	{
		LoadEntry  *e = new_entry(ld, MIGRATE_FORMAT_NONE, NULL, NULL,
								  (char *) lfirst(lc));

		e->action = "ignored";
		if (ld->format == MIGRATE_FORMAT_PLAIN)
			add_note(e, "not a VERSION_name.sql file name");
		else
			add_note(e, "not a %s migration file name, so %s does not run it either",
					 migrate_format_name(ld->format),
					 migrate_format_name(ld->format));
	}
}

/*
 * Read one file of the directory.  Returns NULL and sets e->problem when
 * its content cannot be a script; raises an error when it cannot be read.
 */
static char *
read_file(LoadDir *ld, LoadEntry *e, const char *file)
{
	char	   *path = psprintf("%s/%s", ld->path, file);
	FILE	   *f;
	struct stat st;
	char	   *buf;
	size_t		n;

	f = AllocateFile(path, PG_BINARY_R);
	if (f == NULL)
		access_error("file", path);
	if (fstat(fileno(f), &st) < 0)
		access_error("file", path);
	if (st.st_size >= MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("file \"%s\" is too large to be a migration", path)));

	buf = palloc(st.st_size + 1);
	n = fread(buf, 1, st.st_size, f);
	if (ferror(f))
		access_error("file", path);
	FreeFile(f);
	buf[n] = '\0';

	if (memchr(buf, '\0', n) != NULL)
	{
		e->problem = psprintf("file \"%s\" contains a zero byte: it is not a text file", file);
		return NULL;
	}
	if (!pg_verify_mbstr(GetDatabaseEncoding(), buf, n, true))
	{
		e->problem = psprintf("file \"%s\" is not valid %s, the database encoding",
							  file, GetDatabaseEncodingName());
		return NULL;
	}
	if (GetDatabaseEncoding() == PG_UTF8 && n >= 3 &&
		memcmp(buf, "\xef\xbb\xbf", 3) == 0)
	{
		add_note(e, "the byte order mark of \"%s\" was dropped", file);
		buf += 3;
	}
	return buf;
}

/*
 * Read the files of a one-file migration and split them into sections.
 */
static void
read_sections(LoadDir *ld, LoadEntry *e)
{
	MigrateSections s;
	char	   *text = read_file(ld, e, e->upfile);

	if (text == NULL)
		return;
	migrate_split_sections(text, &s);
	e->format = s.format;
	note_format(ld, s.format, e->upfile);
	if (s.problem)
	{
		e->problem = s.problem;
		return;
	}
	e->up = s.up;
	e->down = s.down;
	if (!s.transactional)
	{
		e->transactional = false;
		add_note(e, "%s: registered with transactional => false",
				 s.format == MIGRATE_FORMAT_GOOSE ? "-- +goose NO TRANSACTION" :
				 "transaction:false");
	}
}

/*
 * Read the files of a migration given as an up and a down file.
 */
static void
read_pair(LoadDir *ld, LoadEntry *e)
{
	e->up = read_file(ld, e, e->upfile);
	if (e->up && e->downfile)
		e->down = read_file(ld, e, e->downfile);
	if (e->problem || e->conffile == NULL)
		return;

	if (e->format == MIGRATE_FORMAT_DIESEL)
	{
		char	   *meta = read_file(ld, e, e->conffile);

		if (meta && !migrate_diesel_transactional(meta))
		{
			e->transactional = false;
			add_note(e, "metadata.toml says run_in_transaction = false: registered with transactional => false");
		}
	}
	else
	{
		char	   *conf = read_file(ld, e, e->conffile);

		if (conf && !migrate_flyway_transactional(conf))
		{
			e->transactional = false;
			add_note(e, "%s says executeInTransaction=false: registered with transactional => false",
					 e->conffile);
		}
	}
}

/*
 * What a file holds, for a note: "empty" or "only comments".
 */
static const char *
blank_kind(const char *text)
{
	const char *p;

	for (p = text; *p; p++)
		if (!isspace((unsigned char) *p))
			return "has only comments";
	return "is empty";
}

/*
 * Decide what an empty up or down means: an empty up becomes a comment
 * that says so (migrate refuses an up without any text), an empty or
 * comment-only down means the migration cannot be reverted.
 */
static void
settle_blank_scripts(LoadEntry *e)
{
	bool		sections = family_of(e->format) == MIGRATE_FORMAT_PLAIN;
	const char *p;

	for (p = e->up; *p && isspace((unsigned char) *p); p++)
		;
	if (*p == '\0')
	{
		if (sections)
		{
			add_note(e, "its up section is empty: registered as a comment that says so");
			e->up = psprintf("-- the up section of %s is empty\n", e->upfile);
		}
		else
		{
			add_note(e, "\"%s\" is empty: registered as a comment that says so",
					 e->upfile);
			e->up = psprintf("-- %s is empty\n", e->upfile);
		}
	}

	if (e->down && migrate_script_is_blank(e->down))
	{
		if (sections)
			add_note(e, "its down section %s: irreversible", blank_kind(e->down));
		else
			add_note(e, "\"%s\" %s: irreversible", e->downfile, blank_kind(e->down));
		e->down = NULL;
	}
}

/*
 * Read every migration's files and settle what they mean.
 */
static void
read_entries(LoadDir *ld)
{
	ListCell   *lc;

	/* one-file migrations: their content decides the directory's tool */
	foreach(lc, ld->entries)
	{
		LoadEntry  *e = (LoadEntry *) lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		if (e->action || e->problem || e->upfile == NULL)
			continue;
		if (family_of(e->format) == MIGRATE_FORMAT_PLAIN)
			read_sections(ld, e);
		else
			read_pair(ld, e);
	}

	foreach(lc, ld->entries)
	{
		LoadEntry  *e = (LoadEntry *) lfirst(lc);
		char	   *placeholder;

		if (e->action || e->problem || e->up == NULL)
			continue;
		if (family_of(e->format) == MIGRATE_FORMAT_PLAIN &&
			e->format != ld->format)
		{
			e->problem = ld->format == MIGRATE_FORMAT_GOOSE ?
				"it has no \"-- +goose Up\" annotation, which goose requires" :
				"it has no \"-- migrate:up\" line, which dbmate requires";
			continue;
		}
		if (e->format == MIGRATE_FORMAT_FLYWAY &&
			((placeholder = migrate_flyway_placeholder(e->up)) != NULL ||
			 (e->down && (placeholder = migrate_flyway_placeholder(e->down)) != NULL)))
		{
			e->problem = psprintf("it uses the Flyway placeholder %s, which Flyway replaces before it runs the script",
								  placeholder);
			continue;
		}
		settle_blank_scripts(e);
	}
}

/*
 * Order of entries: by version, by the tool's rule (or by file name,
 * as dbmate orders); entries without a version last, by file name.
 */
static int
entry_cmp(const ListCell *a, const ListCell *b)
{
	LoadEntry  *ea = (LoadEntry *) lfirst(a);
	LoadEntry  *eb = (LoadEntry *) lfirst(b);
	const char *fa = ea->upfile ? ea->upfile : ea->downfile;
	const char *fb = eb->upfile ? eb->upfile : eb->downfile;
	int			c;

	if ((ea->version == NULL) != (eb->version == NULL))
		return ea->version == NULL ? 1 : -1;
	if (ea->version == NULL)
		return strcmp(fa, fb);
	if (sort_by_file)
		return strcmp(fa, fb);
	c = migrate_format_compare(sort_format, ea->version, eb->version);
	return c != 0 ? c : strcmp(fa, fb);
}

/*
 * True if "version" is a version migrate accepts.
 */
static bool
valid_version(const char *version)
{
	const char *p;

	if (version == NULL || strlen(version) > MIGRATE_VERSION_MAXLEN ||
		!isalnum((unsigned char) version[0]))
		return false;
	for (p = version; *p; p++)
		if (!(isalnum((unsigned char) *p) || *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

/*
 * Check that the tool would accept the versions (no two the same by its
 * rule), then put the entries in the order the tool applies them.
 */
static void
sort_entries(LoadDir *ld)
{
	ListCell   *lc;
	LoadEntry  *prev = NULL;

	sort_format = ld->format;
	sort_by_file = false;
	list_sort(ld->entries, entry_cmp);

	foreach(lc, ld->entries)
	{
		LoadEntry  *e = (LoadEntry *) lfirst(lc);

		if (e->version == NULL)
			continue;
		if (prev && migrate_format_compare(ld->format, prev->version, e->version) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("migration directory \"%s\" has two migrations with version %s: \"%s\" and \"%s\"",
							ld->path, e->version,
							prev->upfile ? prev->upfile : prev->downfile,
							e->upfile ? e->upfile : e->downfile),
					 errdetail("%s takes them for the same version.",
							   migrate_format_name(ld->format)),
					 errhint("Rename one of them. Nothing was registered.")));
		prev = e;
	}

	if (ld->format == MIGRATE_FORMAT_DBMATE)
	{
		sort_by_file = true;
		list_sort(ld->entries, entry_cmp);
	}
}

/*
 * diesel and dbmate compare versions as text, migrate compares runs of
 * digits as numbers: as text "20260120162913" sorts after
 * "202512291102420000", as a number before it.  When a directory's
 * versions are all digits but of different lengths, each migration is
 * registered with sort_as: its version with a dot at every length that
 * occurs ("20251229110242.0000").  The parts then have the same length in
 * every version, so comparing them as numbers orders them as text does,
 * and a shorter version still sorts before the longer ones it begins.
 */
static void
split_text_versions(LoadDir *ld)
{
	bool		lengths[MIGRATE_VERSION_MAXLEN + 1];
	int			nlengths = 0;
	ListCell   *lc;

	if (ld->format != MIGRATE_FORMAT_DIESEL && ld->format != MIGRATE_FORMAT_DBMATE)
		return;
	memset(lengths, 0, sizeof(lengths));
	foreach(lc, ld->entries)
	{
		LoadEntry  *e = (LoadEntry *) lfirst(lc);
		int			len;

		if (e->version == NULL)
			continue;
		len = strlen(e->version);
		if (len > MIGRATE_VERSION_MAXLEN / 2 ||
			strspn(e->version, "0123456789") != len)
			return;
		if (!lengths[len])
			nlengths++;
		lengths[len] = true;
	}
	if (nlengths < 2)
		return;

	foreach(lc, ld->entries)
	{
		LoadEntry  *e = (LoadEntry *) lfirst(lc);
		StringInfoData v;
		int			i;

		if (e->version == NULL)
			continue;
		initStringInfo(&v);
		for (i = 0; e->version[i]; i++)
		{
			if (i > 0 && lengths[i])
				appendStringInfoChar(&v, '.');
			appendStringInfoChar(&v, e->version[i]);
		}
		if (strcmp(v.data, e->version) != 0)
		{
			add_note(e, "registered with sort_as => '%s', which keeps %s's text order of versions of different lengths in migrate's natural order",
					 v.data, migrate_format_name(ld->format));
			e->sort_as = v.data;
		}
	}
}

/*
 * The version an entry sorts as in migrate.
 */
static const char *
sort_version(const LoadEntry *e)
{
	return e->sort_as ? e->sort_as : e->version;
}

/*
 * Check that migrate's natural order of the versions is the tool's order,
 * so that migrate applies the history as the tool did.
 */
static void
check_natural_order(LoadDir *ld)
{
	ListCell   *lc;
	LoadEntry  *prev = NULL;

	foreach(lc, ld->entries)
	{
		LoadEntry  *e = (LoadEntry *) lfirst(lc);

		if (e->version == NULL)
			continue;
		if (!valid_version(e->version))
		{
			if (!e->problem)
				e->problem = psprintf("its version \"%s\" is not a valid migrate version (1 to %d letters, digits, dots, underscores or hyphens, starting with a letter or a digit)",
									  e->version, MIGRATE_VERSION_MAXLEN);
			continue;
		}
		if (prev && migrate_version_compare(sort_version(prev), sort_version(e)) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s applies version %s before %s, but migrate orders them the other way",
							migrate_format_name(ld->format), prev->version,
							e->version),
					 errdetail("Files \"%s\" and \"%s\" of directory \"%s\".",
							   prev->upfile ? prev->upfile : prev->downfile,
							   e->upfile ? e->upfile : e->downfile, ld->path),
					 errhint("migrate orders versions naturally, comparing runs of digits as numbers; rename the files so that both orders agree. Nothing was registered.")));
		prev = e;
	}
}

/*
 * Run "work" in a subtransaction and return the error it raised, or NULL.
 * migrate_in_subtransaction() has rolled the subtransaction back when the
 * error reaches us, so catching it here is safe.  Errors that must stop
 * the call (cancel, shutdown, out of memory, internal errors) are raised
 * again.
 */
static ErrorData *
try_in_subtransaction(MigrateWork work, void *arg)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ErrorData  *volatile edata = NULL;

	PG_TRY();
	{
		migrate_in_subtransaction(work, arg, true);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();

		switch (ERRCODE_TO_CATEGORY(edata->sqlerrcode))
		{
			case ERRCODE_INSUFFICIENT_RESOURCES:
			case ERRCODE_PROGRAM_LIMIT_EXCEEDED:
			case ERRCODE_OPERATOR_INTERVENTION:
			case ERRCODE_SYSTEM_ERROR:
			case ERRCODE_INTERNAL_ERROR:
				ReThrowError(edata);
				break;
			default:
				break;
		}
	}
	PG_END_TRY();

	return edata;
}

/*
 * An error as one line of a note.
 */
static char *
error_text(ErrorData *edata)
{
	if (edata->detail)
		return psprintf("%s (%s)", edata->message, edata->detail);
	return pstrdup(edata->message);
}

/*
 * Parsing one script, in a subtransaction.
 */
typedef struct ScriptCheck
{
	const char *version;
	const char *direction;
	const char *text;
	char	   *top_level;		/* what makes it non-transactional, or NULL */
} ScriptCheck;

/*
 * Parse one script as add() would, and say what makes it
 * non-transactional.
 */
static void
check_script_work(void *arg)
{
	ScriptCheck *sc = (ScriptCheck *) arg;
	MigrateScript *script = migrate_parse_script(sc->version, sc->direction,
												 sc->text, true);

	if (script->first_top_level >= 0)
	{
		MigrateStatement *st = &script->statements[script->first_top_level];

		sc->top_level = psprintf("statement %d of its %s script (line %d) is %s, which cannot run in a transaction block",
								 script->first_top_level + 1, sc->direction,
								 st->line, st->top_level_only);
	}
}

/*
 * Register an entry through migrate_register(), with all its checks.
 */
static void
register_work(void *arg)
{
	LoadEntry  *e = (LoadEntry *) arg;

	e->action = migrate_register(e->version, e->up, e->down, e->name,
								 e->transactional, e->sort_as);
}

/*
 * Register one migration, deciding what its problems mean.
 */
static void
load_entry(LoadEntry *e)
{
	ScriptCheck upcheck = {e->version, "up", e->up, NULL};
	ScriptCheck downcheck = {e->version, "down", e->down, NULL};
	ErrorData  *edata;
	char	   *applied;
	Datum		arg;

	edata = try_in_subtransaction(check_script_work, &upcheck);
	if (edata)
	{
		e->action = "refused";
		add_note(e, "%s", error_text(edata));
		return;
	}
	if (e->down)
	{
		edata = try_in_subtransaction(check_script_work, &downcheck);
		if (edata)
		{
			add_note(e, "%s: registered without it, as irreversible",
					 error_text(edata));
			e->down = NULL;
		}
	}
	if (e->transactional && (upcheck.top_level || downcheck.top_level))
	{
		e->transactional = false;
		add_note(e, "%s: registered with transactional => false",
				 upcheck.top_level ? upcheck.top_level : downcheck.top_level);
	}

	/* an applied migration's text is history: report, never replace */
	arg = CStringGetTextDatum(e->version);
	(void) migrate_catalog_exec(&applied_checksum_query, &arg, NULL, 1);
	applied = SPI_processed == 1 ? migrate_catalog_getstr(0, 1) : NULL;
	migrate_catalog_done();
	if (applied && strcmp(applied, migrate_checksum(e->up, e->down)) != 0)
	{
		e->action = "modified";
		add_note(e, "applied with other text (checksum %s): the registered text was kept; put the change in a new migration",
				 applied);
		return;
	}

	edata = try_in_subtransaction(register_work, e);
	if (edata)
	{
		e->action = "refused";
		add_note(e, "%s", error_text(edata));
	}
}

/*
 * The files of an entry, as a text array.
 */
static Datum
files_datum(LoadEntry *e)
{
	Datum		elems[3];
	int			n = 0;

	if (e->upfile)
		elems[n++] = CStringGetTextDatum(e->upfile);
	if (e->downfile)
		elems[n++] = CStringGetTextDatum(e->downfile);
	if (e->conffile)
		elems[n++] = CStringGetTextDatum(e->conffile);
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/*
 * load(directory text) returns setof (version, name, files, action,
 *		transactional, reversible, note)
 */
Datum
migrate_load(PG_FUNCTION_ARGS)
{
	LoadDir		ld;
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	ListCell   *lc;
	int			nmigrations = 0;
	int			nproblems = 0;

	memset(&ld, 0, sizeof(ld));
	ld.path = directory_arg(fcinfo);

	scan_directory(&ld);
	read_entries(&ld);
	report_others(&ld);
	sort_entries(&ld);
	split_text_versions(&ld);
	check_natural_order(&ld);

	foreach(lc, ld.entries)
	{
		LoadEntry  *e = (LoadEntry *) lfirst(lc);

		if (e->action == NULL && e->problem)
		{
			e->action = "refused";
			add_note(e, "%s", e->problem);
		}
		if (e->action == NULL || strcmp(e->action, "ignored") != 0)
			nmigrations++;
	}
	ereport(NOTICE,
			(errmsg("loading %d %s migration%s from \"%s\"", nmigrations,
					migrate_format_name(ld.format), nmigrations == 1 ? "" : "s",
					ld.path)));

	migrate_call_begin();
	foreach(lc, ld.entries)
	{
		LoadEntry  *e = (LoadEntry *) lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		if (e->action == NULL)
			load_entry(e);
	}
	migrate_call_end();

	tupstore = migrate_materialize_srf(fcinfo, &tupdesc);
	foreach(lc, ld.entries)
	{
		LoadEntry  *e = (LoadEntry *) lfirst(lc);
		bool		settled = strcmp(e->action, "refused") != 0 &&
			strcmp(e->action, "ignored") != 0;
		Datum		values[7];
		bool		nulls[7] = {e->version == NULL, e->name == NULL, false, false,
		!settled, !settled, e->notes.len == 0};

		if (strcmp(e->action, "refused") == 0 || strcmp(e->action, "modified") == 0)
			nproblems++;

		values[0] = e->version ? CStringGetTextDatum(e->version) : (Datum) 0;
		values[1] = e->name ? CStringGetTextDatum(e->name) : (Datum) 0;
		values[2] = files_datum(e);
		values[3] = CStringGetTextDatum(e->action);
		values[4] = BoolGetDatum(e->transactional);
		values[5] = BoolGetDatum(e->down != NULL);
		values[6] = CStringGetTextDatum(e->notes.data);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}

	if (nproblems > 0)
		ereport(WARNING,
				(errmsg("%d of %d migrations %s not registered as the files say",
						nproblems, nmigrations, nproblems == 1 ? "was" : "were"),
				 errhint("The rows with action refused or modified say why.")));

	return (Datum) 0;
}
