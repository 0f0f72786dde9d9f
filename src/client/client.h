/*-------------------------------------------------------------------------
 *
 * client.h
 *	  pg_migrate: the command-line client of migrate, for migration files
 *	  in git and CI jobs.
 *
 * A thin layer over libpq: every subcommand is one call of migrate's SQL
 * surface, the same a user would type in psql, and the README shows it
 * for each.  pg_migrate is a program of its own, plain C99 on libpq: it
 * links none of the server's code (test/t/000_layout.pl checks that),
 * and it prints messages the way PostgreSQL's client programs do
 * ("pg_migrate: error: ...").
 *
 * Exit codes, which a CI step can branch on:
 *	0  done
 *	1  check() failed (pending, modified or drifted), or load registered
 *	   something other than the files say (refused or modified)
 *	2  an error: bad usage, a file that cannot be read, an SQL error
 *	3  no connection to the server
 *
 * IDENTIFICATION
 *	  src/client/client.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_MIGRATE_CLIENT_H
#define PG_MIGRATE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "libpq-fe.h"

#define EXIT_OK			0
#define EXIT_CHECK		1
#define EXIT_ERROR		2
#define EXIT_CONNECT	3

/* check()'s own SQLSTATE */
#define SQLSTATE_CHECK_FAILED "MG001"
#define SQLSTATE_UNDEFINED_FUNCTION "42883"

typedef enum OutputFormat
{
	OUTPUT_TEXT,
	OUTPUT_JSON
} OutputFormat;

/*
 * What the command line says.
 */
typedef struct Options
{
	const char *dbname;			/* -d: a database name, URL or conninfo */
	const char *host;
	const char *port;
	const char *username;
	bool		quiet;
	OutputFormat output;
	const char *format;			/* --format as given */
	const char *target;			/* --target */
	bool		dry_run;
	const char *fail_on;		/* --fail-on: comma-separated */
	const char *file;			/* lint --file */
	const char *dir;			/* new --dir */
	const char *command;
	int			nargs;
	char	  **args;
} Options;

/* a string buffer */
typedef struct Buffer
{
	char	   *data;
	size_t		len;
	size_t		size;
} Buffer;

/* in util.c */
extern const char *progname;
extern void client_error(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void client_detail(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void client_hint(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void *client_malloc(size_t size);
extern char *client_strdup(const char *s);
extern void buffer_init(Buffer *b);
extern void buffer_append(Buffer *b, const char *data, size_t len);
extern void buffer_puts(Buffer *b, const char *s);

/* in connect.c */
extern PGconn *client_connect(const Options *opts, int *status);
extern void client_report_error(const PGresult *res);
extern PGresult *client_query(PGconn *conn, const char *sql, int nparams,
							  const char *const *params);
extern bool client_function_exists(PGconn *conn, const char *signature);

/* in output.c */
extern void output_result(const Options *opts, const PGresult *res,
						  int status);
extern void output_json_error(const Options *opts, const PGresult *res,
							  const char *message, int status);
extern void json_string(Buffer *b, const char *s);

/* in commands.c */
extern int	command_sql(const Options *opts, PGconn *conn);

/* in load.c */
extern int	command_load(const Options *opts, PGconn *conn);

/* in new.c */
extern int	command_new(const Options *opts);

#endif							/* PG_MIGRATE_CLIENT_H */
