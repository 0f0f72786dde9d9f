# Copyright (c) 2026, The migrate contributors
#
# Why TAP: pg_migrate is a program a CI job runs, and what the job sees is
# its exit status, its stdout (JSON with --format json, parsed here) and
# its stderr; it needs a server to connect to, one to fail to connect to,
# and files on the client's side.  The migration directory lives in a
# private directory (mode 0700) and is named relative to the client's
# working directory, and pg_migrate connects as a deploy role without
# pg_read_server_files: the server is never told where the files are and
# may not read them (its load() of them fails, as shown), so what gets
# registered can only have come from the client.  Every subcommand, exit
# code and error path: no server, a bad URL, a file that cannot be read,
# an unknown layout or format, a failing migration (message, context and
# exit code).

use strict;
use warnings;
use Cwd;
use File::Path qw(make_path);
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $bindir = `pg_config --bindir`;
chomp $bindir;
my $pg_migrate = "$bindir/pg_migrate";
ok(-x $pg_migrate, "pg_migrate is installed in $bindir");

my $node = PostgreSQL::Test::Cluster->new('pg_migrate');
$node->init;
$node->start;
# (the deploy role's rights on public come first: after CREATE
# EXTENSION a GRANT is DDL outside migrations, and check() fails on it)
$node->safe_psql('postgres', q{
	CREATE ROLE deploy LOGIN;
	GRANT CREATE ON SCHEMA public TO deploy;
	CREATE EXTENSION migrate;
	GRANT EXECUTE ON ALL ROUTINES IN SCHEMA migrate TO deploy;
});
my $connstr = $node->connstr('postgres') . ' user=deploy';

# the client's side: a private directory, the working directory of
# every run, with the migrations in ./migrations
my $client = PostgreSQL::Test::Utils::tempdir();
chmod 0700, $client;
my $json = JSON::PP->new;

# run pg_migrate in the client's directory: (exit status, stdout, stderr)
sub pm
{
	my (@args) = @_;
	my ($out, $err) = ('', '');
	my $cwd = getcwd();
	chdir $client or die "chdir $client: $!";
	IPC::Run::run([ $pg_migrate, @args ], '<', \'', '>', \$out, '2>', \$err);
	my $status = $? >> 8;
	chdir $cwd;
	return ($status, $out, $err);
}

# the same, connected as the deploy role, with --format json: the exit
# status, the decoded object and stderr
sub pmj
{
	my (@args) = @_;
	my ($status, $out, $err) = pm('-d', $connstr, '--format', 'json', @args);
	my $obj = eval { $json->decode($out) };
	ok($obj, "pg_migrate @args prints one JSON object")
	  or diag("stdout: $out\nstderr: $err");
	return ($status, $obj || {}, $err);
}

sub write_file
{
	my ($path, $text) = @_;
	my $dir = $path =~ m{^(.*)/} ? $1 : '.';
	make_path($dir);
	open my $fh, '>:raw', $path or die "cannot write $path: $!";
	print $fh $text;
	close $fh;
}

sub actions
{
	my ($obj) = @_;
	return join(',', map { ($_->{version} // '') . ':' . $_->{action} } @{ $obj->{rows} || [] });
}

# --- usage --------------------------------------------------------------
my ($st, $out, $err) = pm('--help');
is($st, 0, '--help exits 0');
like($out, qr/Exit status: 0 done; 1 check failed/, '--help documents the exit codes');
($st, $out) = pm('--version');
like($out, qr/^pg_migrate \(migrate\) \d+\.\d+\.\d+$/m, '--version');
($st, $out, $err) = pm();
is($st, 2, 'no command: exit 2');
like($err, qr/pg_migrate: error: no command given/, 'no command: says so');
($st, $out, $err) = pm('deploy');
is($st, 2, 'an unknown command: exit 2');
like($err, qr/unknown command "deploy"/, 'an unknown command: named');
($st, $out, $err) = pm('-d', $connstr, '--format', 'yaml', 'status');
is($st, 2, 'an unknown output format: exit 2');
like($err, qr/unknown output format "yaml"/, 'an unknown output format: named');
($st, $out, $err) = pm('status', 'extra');
is($st, 2, 'an argument too many: exit 2');

# --- connections --------------------------------------------------------
($st, $out, $err) = pm('-d', 'postgresql://[broken', 'status');
is($st, 2, 'a bad URL: exit 2 (usage), not 3');
like($err, qr/pg_migrate: error: invalid connection string "postgresql:\/\/\[broken"/,
	'a bad URL: says which');
my $nosocket = PostgreSQL::Test::Utils::tempdir();
($st, $out, $err) = pm('-h', $nosocket, '-p', $node->port, '-d', 'postgres', 'status');
is($st, 3, 'no server: exit 3');
like($err, qr/pg_migrate: error: connection to server on socket .* failed/, 'no server: libpq\'s message');
($st, $out, $err) = pm('-d', $node->connstr('nosuchdb'), '--format', 'json', 'check');
is($st, 3, 'a database that does not exist: exit 3');
my $obj = $json->decode($out);
is_deeply([ $obj->{command}, $obj->{ok}, $obj->{exit} ], [ 'check', JSON::PP::false, 3 ],
	'a connection failure in JSON');
like($obj->{error}{message}, qr/database "nosuchdb" does not exist/, 'with the server\'s message');

# PG* variables, a URL, -h/-p/-U, a service file
{
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGUSER} = 'deploy';
	local $ENV{PGDATABASE} = 'postgres';
	($st, $out, $err) = pm('--format', 'json', 'status');
	is($st, 0, 'PG* variables connect');
}
($st, $out, $err) = pm('-d', 'postgresql:///postgres?host=' . $node->host . '&port=' . $node->port . '&user=deploy', 'status');
is($st, 0, 'a URL connects');
($st, $out, $err) = pm('-h', $node->host, '-p', $node->port, '-U', 'deploy', '-d', 'postgres', 'status');
is($st, 0, '-h, -p, -U connect');
write_file("$client/pg_service.conf",
	"[ci]\nhost=" . $node->host . "\nport=" . $node->port . "\ndbname=postgres\nuser=deploy\n");
{
	local $ENV{PGSERVICEFILE} = "$client/pg_service.conf";
	($st, $out, $err) = pm('-d', 'service=ci', 'status');
	is($st, 0, 'a service file connects');
}

# --- new ----------------------------------------------------------------
($st, $out, $err) = pm('new', 'first', '--dir', 'empty_dir');
is($st, 2, 'new in a directory that cannot be opened: exit 2');
mkdir "$client/fresh";
($st, $out, $err) = pm('new', 'first', '--dir', 'fresh');
is($st, 2, 'new in an empty directory without --format: exit 2');
like($err, qr/cannot tell the format .* it has no migrations/, 'and says why');
($st, $out, $err) = pm('new', 'first', '--dir', 'fresh', '--format', 'liquibase');
is($st, 2, 'new with an unknown format: exit 2');
like($err, qr/unknown migration format "liquibase"/, 'named');
my %made;
for my $format (qw(dbmate golang-migrate flyway goose diesel prisma plain))
{
	my $dir = "new_$format";
	mkdir "$client/$dir";
	($st, $out, $err) = pm('new', 'create items', '--dir', $dir, '--format', $format);
	is($st, 0, "new --format $format: exit 0");
	($st, $out, $err) = pm('new', 'add note', '--dir', $dir);
	is($st, 0, "new in a $format directory: its format is detected");
	$made{$format} = [ sort grep { !/^\.\.?$/ } map { s{^\Q$client/$dir/\E}{}r } glob("$client/$dir/* $client/$dir/*/*") ];
}
like(join(' ', @{ $made{dbmate} }), qr/^\d{14}_create_items\.sql \d{14}_add_note\.sql$/, 'dbmate: two timestamped files');
is(scalar @{ $made{'golang-migrate'} }, 4, 'golang-migrate: an up and a down each');
is(join(' ', @{ $made{flyway} }), 'V1__create_items.sql V2__add_note.sql', 'flyway: V1, then V2');
like(join(' ', @{ $made{diesel} }), qr{\d{4}-\d\d-\d\d-\d{6}_add_note/down\.sql}, 'diesel: a directory with up.sql and down.sql');
like(join(' ', @{ $made{prisma} }), qr{\d{14}_create_items/migration\.sql}, 'prisma: a directory with migration.sql');
is(join(' ', @{ $made{plain} }), '0001_create_items.sql 0002_add_note.sql', 'plain: numbered');
like(slurp_file(glob("$client/new_goose/*create_items.sql")), qr/^-- \+goose Up\n/, 'goose: its annotations');
($st, $out, $err) = pm('new', 'x', '--dir', 'new_flyway', '--format', 'dbmate');
is($st, 2, 'new with a format other than the directory\'s: exit 2');
write_file("$client/drizzle_dir/meta/_journal.json", '{"entries": []}');
($st, $out, $err) = pm('new', 'x', '--dir', 'drizzle_dir');
is($st, 2, 'new in a Drizzle directory: exit 2');
like($err, qr/drizzle-kit/, 'drizzle-kit writes those');

# --- load: files only the client can read -------------------------------
write_file("$client/migrations/1_create_items.up.sql", "CREATE TABLE items (id int PRIMARY KEY);\n");
write_file("$client/migrations/1_create_items.down.sql", "DROP TABLE items;\n");
write_file("$client/migrations/2_add_note.up.sql", "ALTER TABLE items ADD note text;\n");
write_file("$client/migrations/2_add_note.down.sql", "ALTER TABLE items DROP note;\n");
write_file("$client/migrations/.hidden.sql", "SELECT 1;\n");

# the server is not told where the files are, and may not read them
my ($ret, $sout, $serr) = $node->psql('postgres',
	"SET ROLE deploy; SELECT * FROM migrate.load('$client/migrations')");
like($serr, qr/permission denied to load migrations from files on the server/,
	'the deploy role\'s load() of the directory fails on the server');
($ret, $sout, $serr) = $node->psql('postgres', "SELECT * FROM migrate.load('migrations')");
like($serr, qr/is not an absolute path/, 'the client\'s path means nothing to the server');

($st, $obj, $err) = pmj('load', 'migrations');
is($st, 0, 'pg_migrate load: exit 0');
is(actions($obj), '1:added,2:added', 'pg_migrate load: the rows of load()');
is_deeply($obj->{rows}[0]{files}, [ '1_create_items.up.sql', '1_create_items.down.sql' ],
	'files as a JSON array');
is($obj->{rows}[0]{reversible}, JSON::PP::true, 'booleans as JSON booleans');
like($err, qr/NOTICE:  loading 2 golang-migrate migrations from "migrations"/,
	'the NOTICE names the client\'s directory');
is($node->safe_psql('postgres',
	q{SELECT up || '|' || down || '|' || added_by FROM migrate.migrations WHERE version = '1'}),
	"CREATE TABLE items (id int PRIMARY KEY);\n|DROP TABLE items;\n|deploy",
	'the registered text is the client\'s files, registered by the deploy role');
($st, $obj, $err) = pmj('load', 'migrations');
is(actions($obj), '1:unchanged,2:unchanged', 'loading again: unchanged');
write_file("$client/migrations/2_add_note.up.sql", "ALTER TABLE items ADD note text NOT NULL DEFAULT '';\n");
($st, $out, $err) = pm('-d', $connstr, 'load', 'migrations');
is($st, 0, 'a pending migration changed: exit 0');
like($out, qr/^ 2 +\| add_note .*\| updated /m, 'text output: the rows');
like($out, qr/^0 added, 1 unchanged, 1 updated, 0 modified, 0 refused, 0 ignored$/m,
	'text output: the counts');

# a migration migrate refuses: exit 1, the rest registered
write_file("$client/migrations/3_meta.up.sql", "\\set x 1\nSELECT 1;\n");
($st, $obj, $err) = pmj('load', 'migrations');
is($st, 1, 'a refused migration: exit 1');
is(actions($obj), '1:unchanged,2:unchanged,3:refused', 'the refused row');
like($obj->{rows}[2]{note}, qr/meta-command/, 'with load()\'s note');
is($obj->{exit}, 1, 'the JSON says exit 1');
unlink "$client/migrations/3_meta.up.sql";

# nested layouts: Prisma and Drizzle
write_file("$client/prisma/20240101000000_init/migration.sql", "CREATE TABLE p (id int);\n");
write_file("$client/prisma/migration_lock.toml", "provider = \"postgresql\"\n");
$node->safe_psql('postgres', 'CREATE DATABASE nested');
$node->safe_psql('nested', 'CREATE EXTENSION migrate');
($st, $out, $err) = pm('-d', $node->connstr('nested'), '--format', 'json', 'load', 'prisma');
is(actions($json->decode($out)), '20240101000000:added', 'a Prisma directory');
write_file("$client/drizzle/meta/_journal.json",
	'{"dialect": "postgresql", "entries": [{"idx": 0, "tag": "0000_first"}, {"idx": 1, "tag": "0001_second"}]}');
write_file("$client/drizzle/meta/0000_snapshot.json", '{}');
write_file("$client/drizzle/0000_first.sql", "CREATE TABLE d (id int)\n--> statement-breakpoint\nCREATE TABLE e (id int);\n");
write_file("$client/drizzle/0001_second.sql", "ALTER TABLE d ADD x int;\n");
($st, $out, $err) = pm('-d', $node->connstr('nested'), '--format', 'json', 'load', 'drizzle');
is(actions($json->decode($out)), '0000:added,0001:added', 'a Drizzle directory, in its journal\'s order');

# errors of the directory: exit 2, nothing registered
write_file("$client/readme_only/README.md", "# migrations\n");
($st, $obj, $err) = pmj('load', 'readme_only');
is($st, 2, 'an unknown layout: exit 2');
like($err, qr/pg_migrate: error: 58P01: migration directory "readme_only" holds no migration files/,
	'an unknown layout: the server\'s error, with its SQLSTATE');
like($err, qr/pg_migrate: hint: Send each file's path relative/, 'and its hint');
is($obj->{error}{sqlstate}, '58P01', 'the SQLSTATE in JSON');
($st, $obj, $err) = pmj('load', 'no_such_dir');
is($st, 2, 'a directory that does not exist: exit 2');
like($err, qr/could not open migration directory "no_such_dir"/, 'named');
write_file("$client/mixed/1_a.up.sql", "SELECT 1;\n");
write_file("$client/mixed/V2__b.sql", "SELECT 2;\n");
($st, $obj, $err) = pmj('load', 'mixed');
is($st, 2, 'mixed formats: exit 2');
like($obj->{error}{message}, qr/mixes formats/, 'mixed formats: the server says so');
write_file("$client/bytes/1_a.up.sql", "SELECT 'caf\xe9';\n");
($st, $out, $err) = pm('-d', $connstr, 'load', 'bytes');
is($st, 2, 'a file not valid in the database encoding: exit 2');
like($err, qr{file "bytes/1_a.up.sql" is not valid UTF8, the database encoding}, 'named');
write_file("$client/bytes/1_a.up.sql", "SELECT 1;\n");
write_file("$client/bytes/2_b\xe9.up.sql", "SELECT 2;\n");
($st, $out, $err) = pm('-d', $connstr, 'load', 'bytes');
is($st, 2, 'a file name not valid in the database encoding: exit 2');
like($err, qr{file name "2_b\\xe9.up.sql" in directory "bytes" is not valid UTF8}, 'escaped');
SKIP:
{
	skip 'root reads any file', 3 if $> == 0;
	write_file("$client/closed/1_a.up.sql", "SELECT 1;\n");
	chmod 0000, "$client/closed/1_a.up.sql";
	($st, $obj, $err) = pmj('load', 'closed');
	is($st, 2, 'a file the client cannot read: exit 2');
	like($err, qr{could not open file "closed/1_a.up.sql": Permission denied}, 'named');
	chmod 0644, "$client/closed/1_a.up.sql";
}
is($node->safe_psql('postgres', 'SELECT string_agg(version, \',\' ORDER BY version) FROM migrate.migrations'),
	'1,2', 'the failed loads registered nothing');

# --- status, check, latest ----------------------------------------------
($st, $obj, $err) = pmj('status');
is($st, 0, 'status: exit 0 with pending migrations');
is(join(',', map { "$_->{version}:$_->{state}" } @{ $obj->{rows} }), '1:pending,2:pending', 'status rows');
($st, $out, $err) = pm('-d', $connstr, 'check');
is($st, 1, 'check with pending migrations: exit 1');
like($err, qr/pg_migrate: error: MG001: migrate check failed\npg_migrate: detail: 2 migrations are pending\./,
	'check: SQLSTATE, message and detail');
($st, $obj, $err) = pmj('check');
is_deeply([ $obj->{ok}, $obj->{exit}, $obj->{error}{sqlstate} ], [ JSON::PP::false, 1, 'MG001' ],
	'check in JSON');
($st, $out, $err) = pm('-d', $connstr, 'check', '--fail-on', 'modified,drift');
is($st, 0, 'check --fail-on without pending: exit 0');
($st, $obj, $err) = pmj('latest', '--dry-run');
is($st, 0, 'latest --dry-run: exit 0');
is($node->safe_psql('postgres', 'SELECT count(*) FROM migrate.applied'), '0', 'and nothing stays applied');
($st, $obj, $err) = pmj('latest', '--target', '1');
is(join(',', map { $_->{version} } @{ $obj->{rows} }), '1', 'latest --target 1');
is($obj->{rows}[0]{statements}, 1, 'integers as JSON numbers');
($st, $out, $err) = pm('-d', $connstr, 'latest');
is($st, 0, 'latest: exit 0');
like($err, qr/NOTICE:  applied migration "2" \("add_note"\)/, 'latest: the server\'s NOTICEs on stderr');
($st, $out, $err) = pm('-d', $connstr, 'check', '--quiet');
is($st, 0, 'check when up to date: exit 0');
is($out . $err, '', '--quiet: nothing printed');

# --- rollback, redo, run ------------------------------------------------
($st, $obj, $err) = pmj('redo');
is($st, 0, 'redo: exit 0');
($st, $obj, $err) = pmj('rollback', '--dry-run');
is($st, 0, 'rollback --dry-run: exit 0');
is($node->safe_psql('postgres', 'SELECT count(*) FROM migrate.applied'), '2', 'nothing reverted');
($st, $obj, $err) = pmj('rollback', '--target', '1');
is(join(',', map { $_->{version} } @{ $obj->{rows} }), '2', 'rollback --target 1 reverts 2');
($st, $out, $err) = pm('-d', $connstr, 'run');
is($st, 0, 'run: exit 0');
like($err, qr/applied migration "2"/, 'run: its NOTICEs');
($st, $obj, $err) = pmj('run', '--target', 'zero');
is($st, 0, 'run --target zero: exit 0');
is_deeply([ $obj->{ok}, $obj->{rows} ], [ JSON::PP::true, [] ], 'a CALL in JSON: no rows');
is($node->safe_psql('postgres', 'SELECT count(*) FROM migrate.applied'), '0', 'everything reverted');

# --- a failing migration ------------------------------------------------
write_file("$client/migrations/3_broken.up.sql", "SELECT 1;\nALTER TABLE nosuch ADD x int;\n");
($st, $out, $err) = pm('-d', $connstr, '--quiet', 'load', 'migrations');
is($st, 0, 'load of a migration that will fail: registered');
($st, $out, $err) = pm('-d', $connstr, 'latest');
is($st, 2, 'a failing migration: exit 2');
like($err, qr/pg_migrate: error: 42P01: relation "nosuch" does not exist/, 'its SQLSTATE and message');
like($err, qr/pg_migrate: context: up script of migration "3" \("broken"\), statement 2 of 2, line 2/,
	'its context: migration, statement and line');
($st, $obj, $err) = pmj('latest');
is($obj->{error}{sqlstate}, '42P01', 'the failure in JSON: SQLSTATE');
like($obj->{error}{context}, qr/statement 2 of 2, line 2/, 'the failure in JSON: context');
is($node->safe_psql('postgres', 'SELECT count(*) FROM migrate.applied'), '0',
	'nothing of the failed call stays applied');
($st, $out, $err) = pm('-d', $connstr, 'run');
is($st, 2, 'run with a failing migration: exit 2');
like($err, qr/42P01/, 'run: the SQLSTATE');

# --- plan, lint, verify: later versions' functions -----------------------
for my $case ([ 'plan', [], 'migrate.plan(text)' ],
	[ 'lint', ['1'], 'migrate.lint(text)' ],
	[ 'verify', [], 'migrate.verify(text)' ])
{
	my ($cmd, $args, $sig) = @$case;
	my $exists = $node->safe_psql('postgres', "SELECT to_regprocedure('$sig') IS NOT NULL");
	($st, $out, $err) = pm('-d', $connstr, $cmd, @$args);
	if ($exists eq 'f')
	{
		is($st, 2, "$cmd without $sig on the server: exit 2");
		like($err, qr/the server's migrate extension has no function \Q$sig\E/, "$cmd: says which function");
	}
	else
	{
		isnt($st, 3, "$cmd runs $sig");
	}
}
($st, $out, $err) = pm('-d', $connstr, 'lint');
is($st, 2, 'lint without a version or --file: exit 2');

# --- verify: exit 1 unless every result is ok -----------------------------
($st, $out, $err) = pm('-d', $connstr, 'verify');
is($st, 1, 'verify with a migration whose up fails: exit 1');
like($out, qr/\b3\b.*\bup fails\b/, 'verify: the row of the migration and its result');
($st, $obj, $err) = pmj('verify', '3');
is_deeply([ $obj->{exit}, $obj->{rows}[0]{result} ], [ 1, 'up fails' ],
	'verify VERSION in JSON: the exit status and the result');
($st, $out, $err) = pm('-d', $connstr, 'check', '--fail-on', 'unverified');
is($st, 1, 'check --fail-on unverified: exit 1');
like($err, qr/pg_migrate: detail: Pending migration "3" \(up fails\) did not pass verify\(\)\./,
	'check --fail-on unverified: which migration and why');
$node->safe_psql('postgres', q{
	SELECT migrate.remove('3');
	SELECT migrate.add('3', 'CREATE TABLE verified (id int)', 'DROP TABLE verified');
});
($st, $out, $err) = pm('-d', $connstr, '--quiet', 'verify');
is($st, 0, 'verify when every result is ok: exit 0');
is($node->safe_psql('postgres', q{SELECT result FROM migrate.verifications WHERE version = '3'}),
	'ok', 'verify keeps its result in migrate.verifications');
is($node->safe_psql('postgres', q{SELECT count(*) FROM migrate.applied WHERE version = '3'}),
	'0', 'verify applies nothing');

$node->stop;
done_testing();
