/*-------------------------------------------------------------------------
 *
 * files.h
 *	  Migration files: the formats of other tools, reading a directory
 *	  (load()), writing a registry out again (bundle(), export()) and
 *	  taking over another tool's history table (adopt()).
 *
 * Built on the engine: load() and adopt() register and mark migrations
 * through engine/, never the other way round.  A new format is a
 * MigrateFormat, a file-name rule in formats.c and, if its files hold
 * more than one direction, a section rule in migrate_split_sections().
 *
 * IDENTIFICATION
 *	  src/files/files.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_FILES_H
#define MIGRATE_FILES_H

#include "engine/engine.h"

#include "fmgr.h"
#include "lib/stringinfo.h"

/*
 * The migration file formats of other tools that load() reads.
 */
typedef enum MigrateFormat
{
	MIGRATE_FORMAT_NONE,
	MIGRATE_FORMAT_GOLANG,		/* VERSION_name.up.sql + .down.sql */
	MIGRATE_FORMAT_AUTHELIA,	/* [V]VERSION.name.up.sql + .down.sql */
	MIGRATE_FORMAT_FLYWAY,		/* V<version>__desc.sql + U<version>__desc.sql */
	MIGRATE_FORMAT_DIESEL,		/* VERSION_name/up.sql + down.sql */
	MIGRATE_FORMAT_PRISMA,		/* VERSION_name/migration.sql, up only */
	MIGRATE_FORMAT_DRIZZLE,		/* VERSION_name.sql in meta/_journal.json's
								 * order, up only */
	MIGRATE_FORMAT_GOOSE,		/* VERSION_name.sql with -- +goose Up/Down */
	MIGRATE_FORMAT_DBMATE,		/* VERSION_name.sql with -- migrate:up/down */
	MIGRATE_FORMAT_PLAIN		/* VERSION_name.sql, up only */
} MigrateFormat;

/*
 * What a file's name says it holds.
 */
typedef enum MigrateFileKind
{
	MIGRATE_FILE_UP,
	MIGRATE_FILE_DOWN,			/* a down, or a Flyway undo */
	MIGRATE_FILE_SECTIONS,		/* both directions in one file */
	MIGRATE_FILE_REPEATABLE,	/* a Flyway repeatable migration */
	MIGRATE_FILE_PROGRAM		/* a goose migration written in Go */
} MigrateFileKind;

typedef struct MigrateFileName
{
	MigrateFormat format;		/* PLAIN for a one-file migration: its
								 * content says goose, dbmate or plain */
	MigrateFileKind kind;
	char	   *version;		/* NULL for a Flyway repeatable */
	char	   *name;			/* NULL when the file names none */
} MigrateFileName;

/*
 * A one-file migration split into its sections.
 */
typedef struct MigrateSections
{
	MigrateFormat format;		/* GOOSE, DBMATE or PLAIN */
	char	   *up;
	char	   *down;			/* NULL without a down section */
	bool		transactional;	/* false: NO TRANSACTION, transaction:false */
	const char *problem;		/* why the file cannot be loaded, or NULL */
} MigrateSections;

/*
 * One migration of a directory, or one file load() reports on (scan.c,
 * load.c).
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
	int			position;		/* in the tool's own list (Drizzle's
								 * journal), which orders it */
	const char *problem;		/* why it is refused, before registering */
	const char *action;			/* once decided */
	StringInfoData notes;
} LoadEntry;

/*
 * An entry of a Drizzle journal (meta/_journal.json).
 */
typedef struct MigrateJournalEntry
{
	int			idx;			/* its "idx", or -1 */
	char	   *tag;			/* the file name without .sql */
} MigrateJournalEntry;

/*
 * A file of the directory being loaded: its name relative to the
 * directory, and what a client sent as its contents (NULL on the server,
 * where source.c reads it when it is needed).
 */
typedef struct LoadFile
{
	char	   *name;
	text	   *contents;
} LoadFile;

/*
 * The directory being loaded.
 */
typedef struct LoadDir
{
	char	   *path;			/* on the server, or how a client named it */
	bool		client;			/* its files were sent by a client */
	LoadFile   *files;			/* sorted by name (source.c) */
	int			nfiles;
	int			maxfiles;
	MigrateFormat format;		/* the tool the directory is written for */
	const char *example;		/* a file of that format, for messages */
	List	   *entries;
	List	   *others;			/* .sql files no tool takes for migrations */
} LoadDir;

/*
 * The migration tools whose history tables adopt() reads (history.c).
 */
typedef enum MigrateTool
{
	MIGRATE_TOOL_KNEX,
	MIGRATE_TOOL_FLYWAY,
	MIGRATE_TOOL_DBMATE,
	MIGRATE_TOOL_GOLANG,
	MIGRATE_TOOL_DIESEL,
	MIGRATE_TOOL_GOOSE,
	MIGRATE_TOOL_PRISMA,
	MIGRATE_TOOL_SEQUELIZE,
	MIGRATE_TOOL_TYPEORM,
	MIGRATE_TOOL_SQITCH,
	MIGRATE_TOOL_ALEMBIC,
	MIGRATE_TOOL_STRAPI
} MigrateTool;

/*
 * A row of a tool's history table, as the tool reads it.
 */
typedef struct MigrateToolEntry
{
	char	   *key;			/* version, file or change name, revision */
	char	   *nkey;			/* key as the tool compares it */
	char	   *about;			/* more for the note (a Sqitch project), or
								 * NULL */
	int			seq;			/* row number in the table's order */
	bool		applied;
	bool		baseline;		/* Flyway baseline */
	bool		repeated;		/* a later row of a version seen before */
} MigrateToolEntry;

/*
 * One row of adopt()'s result.
 */
typedef struct MigrateAdoptRow
{
	char	   *version;
	char	   *name;
	const char *action;
	char	   *note;
} MigrateAdoptRow;

/*
 * A tool's history table, as read.
 */
typedef struct MigrateHistory
{
	int			index;			/* what history.c knows of the tool */
	MigrateTool tool;
	const char *toolname;
	char	   *table;			/* qualified, quoted */
	Oid			owner;			/* the table's owner, who it is read as */
	List	   *entries;		/* MigrateToolEntry, in the table's order */
	List	   *rows;			/* MigrateAdoptRow: rows read and ignored */
} MigrateHistory;

/* in formats.c */
extern const char *migrate_format_name(MigrateFormat format);
extern bool migrate_parse_file_name(const char *filename,
									MigrateFileName *out);
extern void migrate_diesel_name(const char *dirname, char **version,
								char **name);
extern int	migrate_number_compare(const char *a, const char *b);
extern int	migrate_flyway_compare(const char *a, const char *b);
extern int	migrate_format_compare(MigrateFormat format, const char *a,
								   const char *b);
extern void migrate_split_sections(const char *text, MigrateSections *out);
extern bool migrate_diesel_transactional(const char *metadata);
extern bool migrate_flyway_transactional(const char *conf);
extern char *migrate_flyway_placeholder(const char *text);

/* in drizzle.c */
extern List *migrate_drizzle_journal(const char *text, const char *path);
extern char *migrate_drizzle_breakpoints(const char *text, int *added);

/* in source.c */
extern void migrate_source_server(LoadDir *ld);
extern void migrate_source_client(LoadDir *ld, FunctionCallInfo fcinfo);
extern LoadFile *migrate_source_find(LoadDir *ld, const char *name);
extern bool migrate_source_has(LoadDir *ld, const char *name);
extern List *migrate_source_names(LoadDir *ld, List **dirs);
extern int	migrate_cstring_cmp(const ListCell *a, const ListCell *b);
extern char *migrate_source_read(LoadDir *ld, LoadFile *f, size_t *len);

/* in scan.c */
extern void migrate_load_note(LoadEntry *e, const char *fmt,...) pg_attribute_printf(2, 3);
extern void migrate_scan_directory(LoadDir *ld);
extern void migrate_read_entries(LoadDir *ld);
extern void migrate_report_others(LoadDir *ld);

/* in history.c */
extern void migrate_adopt_row(List **rows, const char *version,
							  const char *name, const char *action,
							  char *note);
extern void migrate_history_tool(FunctionCallInfo fcinfo, MigrateHistory *h);
extern void migrate_read_history(FunctionCallInfo fcinfo, MigrateHistory *h);
extern char *migrate_tool_key(MigrateTool tool, const char *v);

#endif							/* MIGRATE_FILES_H */
