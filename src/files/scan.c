/*-------------------------------------------------------------------------
 *
 * scan.c
 *	  Finding the migrations of a directory for load() and load_files():
 *	  the tool whose format its files are in, each migration's up, down
 *	  and settings files, and their text.
 *
 * The names of a directory's files (and, for one-file migrations, their
 * content) say which tool it is written for (formats.c); a directory with
 * a Drizzle journal (meta/_journal.json) is Drizzle's, and the journal
 * says which files are migrations.  A directory
 * that mixes formats is refused, since no tool would run it as one
 * history.  The directory is a list of files, from the server's disk or
 * sent by a client (source.c); this file sees no difference between the
 * two.
 *
 * IDENTIFICATION
 *	  src/files/scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "files/files.h"

static char *read_file(LoadDir *ld, LoadEntry *e, const char *file);

/*
 * Append a sentence to the entry's note.
 */
void
migrate_load_note(LoadEntry *e, const char *fmt,...)
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
				 errdetail("Nothing was registered."),
				 errhint("Load the migrations of each tool from a directory of their own.")));
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
					 errmsg("migration directory \"%s\" has two down files for migration \"%s\": \"%s\" and \"%s\"",
							ld->path, e->version, e->downfile, file),
					 errdetail("Nothing was registered."),
					 errhint("Remove or rename one of them.")));
		else
			e->downfile = file;
	}
}

/*
 * Drizzle's journal, meta/_journal.json, lists the migrations in the
 * order Drizzle applies them; the directory is Drizzle's when it has one.
 */
#define DRIZZLE_JOURNAL "meta/_journal.json"

/*
 * True if "names" holds "name".
 */
static bool
has_name(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	return false;
}

/*
 * Read a Drizzle directory: one migration per entry of its journal, in
 * the journal's order, from the file named by its tag; its version is
 * the tag's leading digits (0000_init, or a timestamp with drizzle-kit's
 * other prefixes), or its idx when the tag has none (prefix "none").
 * Drizzle writes no downs.  A journal entry without its file is refused,
 * as a down without its up is; a .sql file the journal does not list is
 * ignored and reported, since Drizzle does not run it either.
 */
static void
scan_drizzle(LoadDir *ld, List *names)
{
	LoadEntry	reader;
	char	   *text;
	List	   *journal;
	List	   *files = NIL;
	ListCell   *lc;

	memset(&reader, 0, sizeof(reader));
	initStringInfo(&reader.notes);
	text = read_file(ld, &reader, DRIZZLE_JOURNAL);
	if (text == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration journal \"%s/%s\" cannot be read: %s",
						ld->path, DRIZZLE_JOURNAL, reader.problem),
				 errdetail("Nothing was registered.")));
	journal = migrate_drizzle_journal(text, psprintf("%s/%s", ld->path, DRIZZLE_JOURNAL));

	ld->format = MIGRATE_FORMAT_DRIZZLE;
	ld->example = DRIZZLE_JOURNAL;
	foreach(lc, journal)
	{
		MigrateJournalEntry *je = (MigrateJournalEntry *) lfirst(lc);
		char	   *file = psprintf("%s.sql", je->tag);
		int			d = strspn(je->tag, "0123456789");
		LoadEntry  *e;

		if (d > 0 && (je->tag[d] == '_' || je->tag[d] == '\0'))
			e = new_entry(ld, MIGRATE_FORMAT_DRIZZLE, pnstrdup(je->tag, d),
						  je->tag[d] && je->tag[d + 1] ? je->tag + d + 1 : NULL,
						  file);
		else if (je->idx >= 0)
		{
			e = new_entry(ld, MIGRATE_FORMAT_DRIZZLE, psprintf("%04d", je->idx),
						  je->tag, file);
			migrate_load_note(e, "its tag has no leading version: registered with version %s, its idx in %s",
							  e->version, DRIZZLE_JOURNAL);
		}
		else
		{
			e = new_entry(ld, MIGRATE_FORMAT_DRIZZLE, NULL, je->tag, file);
			e->problem = psprintf("its tag in %s has no leading version and its entry no idx",
								  DRIZZLE_JOURNAL);
		}
		e->position = foreach_current_index(lc);
		files = lappend(files, file);
		if (!migrate_source_has(ld, file))
			e->problem = psprintf("%s lists it, but the directory has no file \"%s\"",
								  DRIZZLE_JOURNAL, file);
	}

	foreach(lc, names)
	{
		char	   *file = (char *) lfirst(lc);
		size_t		len = strlen(file);

		if (len > 4 && strcmp(file + len - 4, ".sql") == 0 &&
			!has_name(files, file) && migrate_source_has(ld, file))
			ld->others = lappend(ld->others, file);
	}
}

/*
 * Read the directory's listing into entries: one per migration, and one
 * per .sql file that is no migration of the directory's format.
 */
void
migrate_scan_directory(LoadDir *ld)
{
	List	   *dirs;
	List	   *names = migrate_source_names(ld, &dirs);
	List	   *downs = NIL;
	ListCell   *lc;

	if (migrate_source_has(ld, DRIZZLE_JOURNAL))
	{
		scan_drizzle(ld, names);
		return;
	}

	foreach(lc, names)
	{
		char	   *file = (char *) lfirst(lc);
		MigrateFileName fn;
		LoadEntry  *e;

		if (list_member_ptr(dirs, file))
		{
			char	   *version;
			char	   *name;
			char	   *up = psprintf("%s/up.sql", file);
			char	   *down = psprintf("%s/down.sql", file);
			char	   *meta = psprintf("%s/metadata.toml", file);
			bool		has_up = migrate_source_has(ld, up);
			bool		has_down = migrate_source_has(ld, down);

			if (!has_up && !has_down)
			{
				/* Prisma: VERSION_name/migration.sql, with no down */
				char	   *prisma = psprintf("%s/migration.sql", file);
				const char *sep = strchr(file, '_');

				if (!migrate_source_has(ld, prisma))
					continue;	/* not a migration */
				note_format(ld, MIGRATE_FORMAT_PRISMA, prisma);
				version = sep ? pnstrdup(file, sep - file) : pstrdup(file);
				name = sep && sep[1] ? pstrdup(sep + 1) : NULL;
				e = new_entry(ld, MIGRATE_FORMAT_PRISMA, version, name, prisma);
				continue;
			}
			note_format(ld, MIGRATE_FORMAT_DIESEL, up);
			migrate_diesel_name(file, &version, &name);
			e = new_entry(ld, MIGRATE_FORMAT_DIESEL, version, name,
						  has_up ? up : NULL);
			if (has_down)
				e->downfile = down;
			if (migrate_source_has(ld, meta))
				e->conffile = meta;
			if (!has_up)
				e->problem = "the directory has a down.sql but no up.sql";
			continue;
		}
		if (!migrate_source_has(ld, file))
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
					migrate_source_has(ld, psprintf("%s.conf", file)))
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
				 errdetail("The function load() reads VERSION_name.up.sql and .down.sql (golang-migrate), VERSION_name.sql (dbmate, goose, or up only), V<version>__name.sql and U<version>__name.sql (Flyway), VERSION_name/up.sql and down.sql (diesel), VERSION_name/migration.sql (Prisma), VERSION_name.sql listed in meta/_journal.json (Drizzle) and VERSION.name.up.sql and .down.sql."),
				 ld->client ?
				 errhint("Send each file's path relative to the migration directory, as pg_migrate load does.") :
				 errhint("Check the path: it is read on the database server.")));

	pair_downs(ld, downs);
}

/*
 * Report the .sql files that are no migrations of the directory's tool,
 * once their content has said which tool it is.
 */
void
migrate_report_others(LoadDir *ld)
{
	ListCell   *lc;

	foreach(lc, ld->others)
	{
		LoadEntry  *e = new_entry(ld, MIGRATE_FORMAT_NONE, NULL, NULL,
								  (char *) lfirst(lc));

		e->action = "ignored";
		if (ld->format == MIGRATE_FORMAT_DRIZZLE)
			migrate_load_note(e, "not in %s, so Drizzle does not run it either",
							  DRIZZLE_JOURNAL);
		else if (ld->format == MIGRATE_FORMAT_PLAIN)
			migrate_load_note(e, "not a VERSION_name.sql file name");
		else
			migrate_load_note(e, "not a %s migration file name, so %s does not run it either",
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
	LoadFile   *f = migrate_source_find(ld, file);
	char	   *buf;
	size_t		n;

	if (f == NULL)
	{
		/* scan.c lists only the files the directory has */
		elog(ERROR, "file \"%s\" is not in the migration directory", file);
	}
	buf = migrate_source_read(ld, f, &n);

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
		migrate_load_note(e, "the byte order mark of \"%s\" was dropped", file);
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
		migrate_load_note(e, "%s: registered with transactional => false",
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
	if (e->up && e->format == MIGRATE_FORMAT_DRIZZLE)
	{
		int			added;

		e->up = migrate_drizzle_breakpoints(e->up, &added);
		if (added > 0)
			migrate_load_note(e, ngettext("%d statement before a \"--> statement-breakpoint\" line had no semicolon, which Drizzle does not need: one was added",
										  "%d statements before \"--> statement-breakpoint\" lines had no semicolon, which Drizzle does not need: one was added to each",
										  added), added);
	}
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
			migrate_load_note(e, "metadata.toml says run_in_transaction = false: registered with transactional => false");
		}
	}
	else
	{
		char	   *conf = read_file(ld, e, e->conffile);

		if (conf && !migrate_flyway_transactional(conf))
		{
			e->transactional = false;
			migrate_load_note(e, "%s says executeInTransaction=false: registered with transactional => false",
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
			migrate_load_note(e, "its up section is empty: registered as a comment that says so");
			e->up = psprintf("-- the up section of %s is empty\n", e->upfile);
		}
		else
		{
			migrate_load_note(e, "\"%s\" is empty: registered as a comment that says so",
					 e->upfile);
			e->up = psprintf("-- %s is empty\n", e->upfile);
		}
	}

	if (e->down && migrate_script_is_blank(e->down))
	{
		if (sections)
			migrate_load_note(e, "its down section %s: irreversible", blank_kind(e->down));
		else
			migrate_load_note(e, "\"%s\" %s: irreversible", e->downfile, blank_kind(e->down));
		e->down = NULL;
	}
}

/*
 * Read every migration's files and settle what they mean.
 */
void
migrate_read_entries(LoadDir *ld)
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
