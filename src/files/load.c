/*-------------------------------------------------------------------------
 *
 * load.c
 *	  migrate.load() and load_files(): register every migration of a
 *	  directory on the server, or of files a client sent, in the format a
 *	  team already has.
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
 *	- an applied migration whose file changed is registered with the
 *	  file's text and reported as modified: status shows it modified and
 *	  latest() refuses to run until the file is as it was applied.
 * Each registration runs in a subtransaction of its own, so a refused
 * migration leaves nothing behind.  Errors about the directory itself
 * (missing, unreadable, not absolute, mixed formats, duplicates, order)
 * stop the whole call.
 *
 * load() reads files with the server's file access functions as the
 * server's operating system user, so the caller must be a superuser or
 * have the privileges of pg_read_server_files, as for COPY FROM a file.
 * load_files() takes the same files from a client (pg_migrate load, a CI
 * job talking to a managed server), as arrays of names and contents: it
 * reads nothing on the server, so whoever may register migrations may
 * call it.  Both make the directory a list of files (source.c), and
 * everything after that is the same code.
 *
 * IDENTIFICATION
 *	  src/files/load.c
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

#include "files/files.h"

PG_FUNCTION_INFO_V1(migrate_load);
PG_FUNCTION_INFO_V1(migrate_load_files);

/*
 * What the sort comparator orders by: a format's versions, or file names
 * as dbmate orders them.
 */
static MigrateFormat sort_format;
static bool sort_by_file;
static bool sort_by_position;

static MigrateQuery applied_checksum_query = {
	.sql =
		"SELECT checksum FROM migrate.applied"
		" WHERE version OPERATOR(pg_catalog.=) $1",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

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

	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to load migrations from files on the server"),
				 errdetail("Only superusers and roles with the privileges of pg_read_server_files may read files on the server."),
				 errhint("A superuser can GRANT pg_read_server_files to this role, or run migrate.load() itself.")));

	if (dir[0] == '\0' || !is_absolute_path(dir))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration directory \"%s\" is not an absolute path", dir),
				 errdetail("The server reads the path, and its working directory is its data directory."),
				 errhint("Pass the full path, for example '/srv/app/migrations'.")));

	canonicalize_path(dir);
	return dir;
}

/*
 * Order of entries: by version, by the tool's rule (or by file name,
 * as dbmate orders, or by the position in Drizzle's journal); entries
 * without a version last, by file name.
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
	if (sort_by_position)
		return (ea->position > eb->position) - (ea->position < eb->position);
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
	sort_by_position = false;
	list_sort(ld->entries, entry_cmp);

	foreach(lc, ld->entries)
	{
		LoadEntry  *e = (LoadEntry *) lfirst(lc);

		if (e->version == NULL)
			continue;
		if (prev && migrate_format_compare(ld->format, prev->version, e->version) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("migration directory \"%s\" has two files for migration \"%s\": \"%s\" and \"%s\"",
							ld->path, e->version,
							prev->upfile ? prev->upfile : prev->downfile,
							e->upfile ? e->upfile : e->downfile),
					 errdetail("The %s format takes them for the same version. Nothing was registered.",
							   migrate_format_name(ld->format)),
					 errhint("Rename one of them.")));
		prev = e;
	}

	if (ld->format == MIGRATE_FORMAT_DBMATE)
	{
		sort_by_file = true;
		list_sort(ld->entries, entry_cmp);
	}
	else if (ld->format == MIGRATE_FORMAT_DRIZZLE)
	{
		/* Drizzle applies its journal's entries in order */
		sort_by_position = true;
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

	if (ld->format != MIGRATE_FORMAT_DIESEL && ld->format != MIGRATE_FORMAT_PRISMA &&
		ld->format != MIGRATE_FORMAT_DBMATE)
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
			migrate_load_note(e, "registered with sort_as => '%s', which keeps %s's text order of versions of different lengths in migrate's natural order",
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
					 errmsg("in the %s format, migration \"%s\" comes before migration \"%s\", but migrate orders them the other way",
							migrate_format_name(ld->format), prev->version,
							e->version),
					 errdetail("They are files \"%s\" and \"%s\" of directory \"%s\"; migrate orders versions naturally, comparing runs of digits as numbers. Nothing was registered.",
							   prev->upfile ? prev->upfile : prev->downfile,
							   e->upfile ? e->upfile : e->downfile, ld->path),
					 ld->format == MIGRATE_FORMAT_DRIZZLE ?
					 errhint("Rename the files, and their tags in meta/_journal.json, so that both orders agree.") :
					 errhint("Rename the files so that both orders agree.")));
		prev = e;
	}
}

/*
 * An error as one line of a note: the message, and the detail in
 * parentheses without its final period.
 */
static char *
error_text(ErrorData *edata)
{
	int			len;

	if (edata->detail == NULL)
		return pstrdup(edata->message);
	len = strlen(edata->detail);
	if (len > 0 && edata->detail[len - 1] == '.')
		len--;
	return psprintf("%s (%.*s)", edata->message, len, edata->detail);
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
 * non-transactional.  Its errors become notes of the entry, which say
 * themselves what was registered, so they do not say it.
 */
static void
check_script_work(void *arg)
{
	ScriptCheck *sc = (ScriptCheck *) arg;
	MigrateScript *script = migrate_parse_script(sc->version, sc->direction,
												 sc->text, false);

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

	e->action = migrate_register_file(e->version, e->up, e->down, e->name,
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

	edata = migrate_subtransaction_error(check_script_work, &upcheck);
	if (edata)
	{
		e->action = "refused";
		migrate_load_note(e, "%s", error_text(edata));
		return;
	}
	if (e->down)
	{
		edata = migrate_subtransaction_error(check_script_work, &downcheck);
		if (edata)
		{
			migrate_load_note(e, "%s: registered without it, as irreversible",
					 error_text(edata));
			e->down = NULL;
		}
	}
	if (e->transactional && (upcheck.top_level || downcheck.top_level))
	{
		e->transactional = false;
		migrate_load_note(e, "%s: registered with transactional => false",
				 upcheck.top_level ? upcheck.top_level : downcheck.top_level);
	}

	/*
	 * An applied migration's file changed: its text is registered, so that
	 * status, summary and check() show the migration as modified and
	 * latest() refuses to run until the file is as applied again, as they
	 * would after any other change of the registered text.
	 */
	arg = CStringGetTextDatum(e->version);
	(void) migrate_store_exec(&applied_checksum_query, &arg, NULL, 1);
	applied = SPI_processed == 1 ? migrate_store_getstr(0, 1) : NULL;
	migrate_store_done();

	edata = migrate_subtransaction_error(register_work, e);
	if (edata)
	{
		e->action = "refused";
		migrate_load_note(e, "%s", error_text(edata));
	}
	else if (strcmp(e->action, "modified") == 0)
		migrate_load_note(e, "applied with other text (checksum %s): registered as modified, and latest() refuses to run until the file is as it was applied; put the change in a new migration",
				 applied);
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
 * Load the directory whose files are listed: load() and load_files().
 */
static Datum
load_directory(FunctionCallInfo fcinfo, LoadDir *ld_arg)
{
	LoadDir		ld = *ld_arg;
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	ListCell   *lc;
	int			nmigrations = 0;
	int			nproblems = 0;

	migrate_scan_directory(&ld);
	migrate_read_entries(&ld);
	migrate_report_others(&ld);
	sort_entries(&ld);
	split_text_versions(&ld);
	check_natural_order(&ld);

	foreach(lc, ld.entries)
	{
		LoadEntry  *e = (LoadEntry *) lfirst(lc);

		if (e->action == NULL && e->problem)
		{
			e->action = "refused";
			migrate_load_note(e, "%s", e->problem);
		}
		if (e->action == NULL || strcmp(e->action, "ignored") != 0)
			nmigrations++;
	}
	ereport(NOTICE,
			(errmsg_plural("loading %d %s migration from \"%s\"",
						   "loading %d %s migrations from \"%s\"",
						   nmigrations, nmigrations,
						   migrate_format_name(ld.format), ld.path)));

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
				(errmsg_plural("%d of %d migrations was not registered as the files say",
							   "%d of %d migrations were not registered as the files say",
							   nproblems, nproblems, nmigrations),
				 errhint("See the notes of the rows with action refused or modified for why.")));

	return (Datum) 0;
}

/*
 * load(directory text) returns setof (version, name, files, action,
 *		transactional, reversible, note)
 */
Datum
migrate_load(PG_FUNCTION_ARGS)
{
	LoadDir		ld;

	memset(&ld, 0, sizeof(ld));
	ld.path = directory_arg(fcinfo);
	migrate_source_server(&ld);
	return load_directory(fcinfo, &ld);
}

/*
 * load_files(names text[], contents text[], directory text) returns the
 * rows of load(): the same for files a client sent, which the server
 * need not be able to read; "directory" only names them in messages.
 */
Datum
migrate_load_files(PG_FUNCTION_ARGS)
{
	LoadDir		ld;

	memset(&ld, 0, sizeof(ld));
	ld.client = true;
	ld.path = PG_ARGISNULL(2) ? pstrdup("(files sent)") :
		text_to_cstring(PG_GETARG_TEXT_PP(2));
	migrate_source_client(&ld, fcinfo);
	return load_directory(fcinfo, &ld);
}
