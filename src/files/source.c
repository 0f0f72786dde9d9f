/*-------------------------------------------------------------------------
 *
 * source.c
 *	  Where the files of a migration directory come from: the server's
 *	  file system (load()) or arrays a client sent (load_files()).
 *
 * Either way the directory becomes one list of files, each a name
 * relative to the directory ("1_a.up.sql", "20240101_x/migration.sql",
 * "meta/_journal.json") and its contents, sorted by name; scan.c finds
 * the migrations in that list and reads them through it, so that load()
 * and load_files() detect, order, validate and report alike.
 *
 * On the server the list holds the names only, and a file is read when
 * scan.c asks for it, with the server's file access functions as the
 * server's operating system user (load.c has checked that the caller may
 * read server files): a file no migration needs is never opened.  Only
 * the names scan.c can use are listed: the directory's own entries, and
 * in each subdirectory up.sql, down.sql, metadata.toml and migration.sql
 * (diesel, Prisma) and meta/_journal.json (Drizzle).  A client sends the
 * contents with the names; what it sends beyond those names is ignored,
 * as files in deeper subdirectories are on the server.
 *
 * A name that is not valid in the database encoding refuses the whole
 * call: it would become text in the registry and the history (versions,
 * names, file names in notes) that pg_dump writes and psql then cannot
 * restore.
 *
 * IDENTIFICATION
 *	  src/files/source.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "files/files.h"

pg_noreturn static void access_error(bool directory, const char *path);

/* the files of a subdirectory that a migration can be made of */
static const char *const nested_files[] = {
	"up.sql", "down.sql", "metadata.toml", "migration.sql"
};

/*
 * Raise the error for a file, or the migration directory when
 * "directory", that the server cannot access.
 */
static void
access_error(bool directory, const char *path)
{
	int			save_errno = errno;

	if (save_errno == ENOENT && directory)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("migration directory \"%s\" does not exist", path),
				 errdetail("The path is read on the database server, not on the client."),
				 errhint("To load files from the client, use pg_migrate load or migrate.load_files().")));
	if (save_errno == ENOENT)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("file \"%s\" does not exist", path),
				 errdetail("The path is read on the database server, not on the client.")));
	errno = save_errno;
	if (directory)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read migration directory \"%s\": %m", path),
				 errhint("The server's operating system user must be able to read the migration directory and its files.")));
	ereport(ERROR,
			(errcode_for_file_access(),
			 errmsg("could not read file \"%s\": %m", path),
			 errhint("The server's operating system user must be able to read the migration directory and its files.")));
}

/*
 * "name" with the bytes that are not printable ASCII written as \xNN,
 * for a message about a name that is not valid in the database encoding.
 */
static char *
escaped_name(const char *name)
{
	StringInfoData buf;
	const unsigned char *p;

	initStringInfo(&buf);
	for (p = (const unsigned char *) name; *p; p++)
	{
		if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			appendStringInfo(&buf, "\\x%02x", *p);
		else
			appendStringInfoChar(&buf, (char) *p);
	}
	return buf.data;
}

/*
 * Refuse a file name that is not valid in the database encoding.
 */
static void
check_name_encoding(LoadDir *ld, const char *name)
{
	if (pg_verify_mbstr(GetDatabaseEncoding(), name, strlen(name), true))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
			 errmsg("file name \"%s\" in directory \"%s\" is not valid %s, the database encoding",
					escaped_name(name), ld->path, GetDatabaseEncodingName()),
			 errdetail("Bytes that are not printable ASCII are shown as \\xNN. Nothing was registered."),
			 errhint("Rename the file with a name in %s, for example with convmv, and load the directory again.",
					 GetDatabaseEncodingName())));
}

/*
 * Comparator of LoadFiles by name, byte-wise.
 */
static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const LoadFile *) a)->name, ((const LoadFile *) b)->name);
}

/*
 * Append a file to the directory's list (sorted later).
 */
static void
add_file(LoadDir *ld, char *name, text *contents)
{
	if (ld->nfiles == ld->maxfiles)
	{
		ld->maxfiles = ld->maxfiles ? ld->maxfiles * 2 : 64;
		ld->files = ld->files ?
			repalloc(ld->files, ld->maxfiles * sizeof(LoadFile)) :
			palloc(ld->maxfiles * sizeof(LoadFile));
	}
	ld->files[ld->nfiles].name = name;
	ld->files[ld->nfiles].contents = contents;
	ld->nfiles++;
}

/*
 * stat() a path; false if it does not exist, an error if it cannot be
 * looked at.
 */
static bool
stat_path(bool directory, const char *path, struct stat *st)
{
	if (stat(path, st) == 0)
		return true;
	if (errno == ENOENT)
		return false;
	access_error(directory, path);
}

/*
 * List the files of a directory on the server: its entries, and in each
 * subdirectory the files a migration can be made of.  Hidden names are
 * left out.
 */
void
migrate_source_server(LoadDir *ld)
{
	struct stat st;
	DIR		   *dir;
	struct dirent *de;
	List	   *names = NIL;
	ListCell   *lc;

	if (!stat_path(true, ld->path, &st))
	{
		errno = ENOENT;
		access_error(true, ld->path);
	}
	if (!S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a directory", ld->path),
				 errhint("Pass the directory that holds the migration files.")));

	dir = AllocateDir(ld->path);
	if (dir == NULL)
		access_error(true, ld->path);
	while ((de = ReadDir(dir, ld->path)) != NULL)
	{
		if (de->d_name[0] == '.')
			continue;
		check_name_encoding(ld, de->d_name);
		names = lappend(names, pstrdup(de->d_name));
	}
	FreeDir(dir);

	foreach(lc, names)
	{
		char	   *name = (char *) lfirst(lc);
		char	   *path = psprintf("%s/%s", ld->path, name);
		int			i;

		if (!stat_path(false, path, &st))
			continue;			/* removed while we read */
		if (S_ISREG(st.st_mode))
			add_file(ld, name, NULL);
		if (!S_ISDIR(st.st_mode))
			continue;
		for (i = 0; i <= lengthof(nested_files); i++)
		{
			const char *nested;
			char	   *sub;

			if (i < lengthof(nested_files))
				nested = nested_files[i];
			else if (strcmp(name, "meta") == 0)
				nested = "_journal.json";
			else
				break;
			sub = psprintf("%s/%s", path, nested);
			if (stat_path(false, sub, &st) && S_ISREG(st.st_mode))
				add_file(ld, psprintf("%s/%s", name, nested), NULL);
		}
	}
	if (ld->nfiles > 0)
		qsort(ld->files, ld->nfiles, sizeof(LoadFile), file_cmp);
}

/*
 * Refuse a name a client sent that is not a path inside the directory.
 */
static void
check_client_name(LoadDir *ld, const char *name, int i)
{
	const char *p = name;
	const char *why = NULL;

	if (name[0] == '\0')
		why = "it is empty";
	else if (name[0] == '/')
		why = "it is an absolute path";
	else
	{
		while (*p)
		{
			const char *end = strchr(p, '/');
			int			len;

			if (end == NULL)
				end = p + strlen(p);
			len = end - p;

			if (len == 0)
				why = "it has an empty path component (two slashes, or one at the end)";
			else if ((len == 1 && p[0] == '.') ||
					 (len == 2 && p[0] == '.' && p[1] == '.'))
				why = "it has a \".\" or \"..\" path component";
			if (why || *end == '\0')
				break;
			p = end + 1;
			if (*p == '\0')
				why = "it has an empty path component (two slashes, or one at the end)";
		}
	}
	if (why)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("file name \"%s\" (element %d of names) is not a path inside the migration directory",
						name, i + 1),
				 errdetail("It is refused because %s. Nothing was registered.", why),
				 errhint("Send each file's path relative to the migration directory, with \"/\" between its parts, such as \"1_create_users.up.sql\" or \"meta/_journal.json\".")));
}

/*
 * True if a name has a hidden component (one starting with a dot), which
 * load() leaves out of a directory.
 */
static bool
is_hidden(const char *name)
{
	const char *p = name;

	while (p)
	{
		if (*p == '.')
			return true;
		p = strchr(p, '/');
		if (p)
			p++;
	}
	return false;
}

/*
 * One text[] argument of load_files(), as its elements.
 */
static void
text_array_arg(FunctionCallInfo fcinfo, int argno, const char *argname,
			   Datum **elems, bool **nulls, int *n)
{
	ArrayType  *arr;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", argname),
				 errhint("Pass the names of the files, relative to the migration directory, and their contents, as two arrays of the same length.")));
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", argname)));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, elems, nulls, n);
}

/*
 * The list of files a client sent: names[i] holds contents[i].  Both
 * arrays must have the same length and no NULL; no name may appear
 * twice, or be a file and a directory at once.
 */
void
migrate_source_client(LoadDir *ld, FunctionCallInfo fcinfo)
{
	Datum	   *names;
	Datum	   *contents;
	bool	   *namenulls;
	bool	   *contentnulls;
	int			nnames;
	int			ncontents;
	int			i;

	text_array_arg(fcinfo, 0, "names", &names, &namenulls, &nnames);
	text_array_arg(fcinfo, 1, "contents", &contents, &contentnulls, &ncontents);
	if (nnames != ncontents)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("names and contents have different lengths: %d and %d",
						nnames, ncontents),
				 errdetail("Element i of contents is the contents of the file named by element i of names. Nothing was registered.")));

	for (i = 0; i < nnames; i++)
	{
		char	   *name;

		if (namenulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("element %d of names is NULL", i + 1),
					 errdetail("Nothing was registered.")));
		name = TextDatumGetCString(names[i]);
		check_name_encoding(ld, name);
		if (contentnulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the contents of file \"%s\" (element %d of contents) are NULL",
							name, i + 1),
					 errdetail("Nothing was registered."),
					 errhint("Send an empty string for an empty file.")));
		check_client_name(ld, name, i);
		if (is_hidden(name))
			continue;
		add_file(ld, name, DatumGetTextPP(contents[i]));
	}
	if (ld->nfiles == 0)
		return;

	qsort(ld->files, ld->nfiles, sizeof(LoadFile), file_cmp);
	for (i = 0; i < ld->nfiles; i++)
	{
		const char *name = ld->files[i].name;
		char	   *prefix;
		LoadFile	key;
		int			lo = i + 1;
		int			hi = ld->nfiles;

		if (i > 0 && strcmp(ld->files[i - 1].name, name) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("file \"%s\" is sent twice", name),
					 errdetail("Each element of names must name another file. Nothing was registered.")));

		/* the first name from "name/" on, if any: a file is no directory */
		prefix = psprintf("%s/", name);
		key.name = prefix;
		while (lo < hi)
		{
			int			mid = lo + (hi - lo) / 2;

			if (file_cmp(&ld->files[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < ld->nfiles &&
			strncmp(ld->files[lo].name, prefix, strlen(prefix)) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" is sent as a file and as a directory (\"%s\")",
							name, ld->files[lo].name),
					 errdetail("Nothing was registered.")));
		pfree(prefix);
	}
}

/*
 * The file named "name" of the directory, or NULL.
 */
LoadFile *
migrate_source_find(LoadDir *ld, const char *name)
{
	LoadFile	key;

	if (ld->nfiles == 0)
		return NULL;
	key.name = (char *) name;
	return bsearch(&key, ld->files, ld->nfiles, sizeof(LoadFile), file_cmp);
}

/*
 * True if the directory has a file "name".
 */
bool
migrate_source_has(LoadDir *ld, const char *name)
{
	return migrate_source_find(ld, name) != NULL;
}

/*
 * The names of the directory's own entries, files and subdirectories,
 * sorted; *dirs gets the subdirectories among them.
 */
List *
migrate_source_names(LoadDir *ld, List **dirs)
{
	List	   *names = NIL;
	const char *last = NULL;
	int			lastlen = 0;
	int			i;

	*dirs = NIL;
	for (i = 0; i < ld->nfiles; i++)
	{
		const char *name = ld->files[i].name;
		const char *slash = strchr(name, '/');
		int			len = slash ? slash - name : strlen(name);
		char	   *top;

		if (last && len == lastlen && strncmp(last, name, len) == 0)
			continue;			/* another file of the same subdirectory */
		top = pnstrdup(name, len);
		names = lappend(names, top);
		if (slash)
		{
			*dirs = lappend(*dirs, top);
			last = name;
			lastlen = len;
		}
		else
			last = NULL;
	}
	list_sort(names, migrate_cstring_cmp);
	return names;
}

/*
 * list_sort() comparator of C strings, byte-wise.
 */
int
migrate_cstring_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/*
 * The bytes of a file of the directory, with a zero byte after them, and
 * their number in *len.  A file on the server is read now; an error if
 * it cannot be.
 */
char *
migrate_source_read(LoadDir *ld, LoadFile *f, size_t *len)
{
	char	   *path;
	FILE	   *fp;
	struct stat st;
	char	   *buf;
	size_t		n;

	if (!ld->client)
	{
		path = psprintf("%s/%s", ld->path, f->name);
		fp = AllocateFile(path, PG_BINARY_R);
		if (fp == NULL)
			access_error(false, path);
		if (fstat(fileno(fp), &st) < 0)
			access_error(false, path);
		if (st.st_size >= MaxAllocSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("file \"%s\" is too large to be a migration", path)));
		buf = palloc(st.st_size + 1);
		n = fread(buf, 1, st.st_size, fp);
		if (ferror(fp))
			access_error(false, path);
		FreeFile(fp);
		buf[n] = '\0';
		*len = n;
		return buf;
	}
	*len = VARSIZE_ANY_EXHDR(f->contents);
	buf = palloc(*len + 1);
	memcpy(buf, VARDATA_ANY(f->contents), *len);
	buf[*len] = '\0';
	return buf;
}
