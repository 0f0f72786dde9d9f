/*-------------------------------------------------------------------------
 *
 * main.c
 *	  pg_migrate's command line: options, subcommands, messages and exit
 *	  codes.
 *
 * pg_migrate [OPTION]... COMMAND [ARG]...  Options may come before or
 * after the command.  Connection options are libpq's: -d takes a
 * database name, a URL or a connection string, and what the command line
 * leaves out comes from the PG* environment variables and service files,
 * as for psql.
 *
 * IDENTIFICATION
 *	  src/client/main.c
 *
 *-------------------------------------------------------------------------
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

static void
usage(void)
{
	printf("%s runs migrate's SQL functions from a shell, for migration files in git and CI jobs.\n\n", progname);
	printf("Usage:\n  %s [OPTION]... COMMAND [ARG]...\n\n", progname);
	printf("Commands:\n");
	printf("  new NAME            create the next migration file(s) in the directory's format\n");
	printf("  load DIR            register the migrations of a directory on this machine\n");
	printf("  status              show every migration and its state\n");
	printf("  check               fail (exit 1) when anything is pending, modified or drifted\n");
	printf("  latest              apply the pending migrations as one batch\n");
	printf("  rollback            revert the last batch, or down to --target\n");
	printf("  run                 CALL migrate.run(): commit after each migration\n");
	printf("  redo [VERSION]      revert and apply again the last (or named) migration\n");
	printf("  plan                what the pending migrations would lock and rewrite\n");
	printf("  lint VERSION        lint a registered migration (--file FILE: a script)\n");
	printf("  verify [VERSION]    up, down and up again, rolled back (exit 1 unless ok)\n");
	printf("\nOptions:\n");
	printf("  -d, --dbname=CONNSTR     database name, URL or connection string\n");
	printf("  -h, --host=HOST          database server host or socket directory\n");
	printf("  -p, --port=PORT          database server port\n");
	printf("  -U, --username=USER      database user name\n");
	printf("  -q, --quiet              print no notices and no result in text format\n");
	printf("      --format=text|json   how to print results (new: the file format,\n");
	printf("                           dbmate, golang-migrate, flyway, goose, diesel,\n");
	printf("                           prisma or plain)\n");
	printf("  -t, --target=VERSION     latest, rollback, run, plan: up to (down to) VERSION\n");
	printf("      --dry-run            latest, rollback: roll everything back at the end\n");
	printf("      --fail-on=LIST       check: pending,modified,drift (the default) or a subset,\n");
	printf("                           and unverified (runs verify())\n");
	printf("      --file=FILE          lint: a script file to lint instead of a version\n");
	printf("      --dir=DIR            new: the migration directory (default: .)\n");
	printf("  -V, --version            print the version and exit\n");
	printf("  -?, --help               show this help and exit\n");
	printf("\nExit status: 0 done; 1 check failed, load registered something other than\n");
	printf("the files say, or a verify result is not ok; 2 error; 3 no connection.\n");
}

/*
 * Parse the command line; exits on bad usage.
 */
static void
parse_options(int argc, char **argv, Options *opts)
{
	static const struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"username", required_argument, NULL, 'U'},
		{"quiet", no_argument, NULL, 'q'},
		{"format", required_argument, NULL, 1},
		{"target", required_argument, NULL, 't'},
		{"dry-run", no_argument, NULL, 2},
		{"fail-on", required_argument, NULL, 3},
		{"file", required_argument, NULL, 4},
		{"dir", required_argument, NULL, 5},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	int			c;

	while ((c = getopt_long(argc, argv, "d:h:p:U:qt:V", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				opts->dbname = optarg;
				break;
			case 'h':
				opts->host = optarg;
				break;
			case 'p':
				opts->port = optarg;
				break;
			case 'U':
				opts->username = optarg;
				break;
			case 'q':
				opts->quiet = true;
				break;
			case 1:
				opts->format = optarg;
				break;
			case 't':
				opts->target = optarg;
				break;
			case 2:
				opts->dry_run = true;
				break;
			case 3:
				opts->fail_on = optarg;
				break;
			case 4:
				opts->file = optarg;
				break;
			case 5:
				opts->dir = optarg;
				break;
			case 'V':
				printf("pg_migrate (migrate) %s\n", MIGRATE_VERSION);
				exit(EXIT_OK);
			default:
				fprintf(stderr, "Try \"%s --help\" for more information.\n", progname);
				exit(EXIT_ERROR);
		}
	}
	if (optind >= argc)
	{
		client_error("no command given");
		fprintf(stderr, "Try \"%s --help\" for more information.\n", progname);
		exit(EXIT_ERROR);
	}
	opts->command = argv[optind];
	opts->args = argv + optind + 1;
	opts->nargs = argc - optind - 1;
}

/*
 * The commands, with how many arguments each takes.
 */
typedef struct Command
{
	const char *name;
	int			minargs;
	int			maxargs;
	const char *args;			/* for messages */
} Command;

static const Command commands[] = {
	{"new", 1, 1, "NAME"},
	{"load", 1, 1, "DIR"},
	{"status", 0, 0, ""},
	{"check", 0, 0, ""},
	{"latest", 0, 0, ""},
	{"rollback", 0, 0, ""},
	{"run", 0, 0, ""},
	{"redo", 0, 1, "[VERSION]"},
	{"plan", 0, 0, ""},
	{"lint", 0, 1, "VERSION"},
	{"verify", 0, 1, "[VERSION]"},
};

int
main(int argc, char **argv)
{
	Options		opts;
	const Command *cmd = NULL;
	PGconn	   *conn;
	int			status;
	size_t		i;

	memset(&opts, 0, sizeof(opts));
	/* as PostgreSQL's programs do */
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-?") == 0))
	{
		usage();
		return EXIT_OK;
	}
	parse_options(argc, argv, &opts);

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, opts.command) == 0)
			cmd = &commands[i];
	if (cmd == NULL)
	{
		client_error("unknown command \"%s\"", opts.command);
		fprintf(stderr, "Try \"%s --help\" for more information.\n", progname);
		exit(EXIT_ERROR);
	}
	if (opts.nargs < cmd->minargs || opts.nargs > cmd->maxargs)
	{
		client_error("command \"%s\" takes %s%s", cmd->name,
					 cmd->maxargs == 0 ? "no arguments" : "the arguments ",
					 cmd->args);
		exit(EXIT_ERROR);
	}

	if (strcmp(cmd->name, "new") == 0)
		return command_new(&opts);

	if (opts.format == NULL || strcmp(opts.format, "text") == 0)
		opts.output = OUTPUT_TEXT;
	else if (strcmp(opts.format, "json") == 0)
		opts.output = OUTPUT_JSON;
	else
	{
		client_error("unknown output format \"%s\"", opts.format);
		client_hint("Use --format=text or --format=json.");
		exit(EXIT_ERROR);
	}
	if (strcmp(cmd->name, "lint") == 0 && (opts.nargs == 1) == (opts.file != NULL))
	{
		client_error("command \"lint\" takes a VERSION or --file=FILE");
		exit(EXIT_ERROR);
	}

	conn = client_connect(&opts, &status);
	if (conn == NULL)
		return status;
	if (strcmp(cmd->name, "load") == 0)
		status = command_load(&opts, conn);
	else
		status = command_sql(&opts, conn);
	PQfinish(conn);
	return status;
}
