# Copyright (c) 2026, The migrate contributors
#
# Why TAP: the ORM workflow needs real clients outside the server: a
# Sequelize application that changes its schema at every start, and the
# knex CLI that runs the files migrate exports, each from npm at a pinned
# version, installed into this test's temporary directory.
#
# As a non-superuser application role, Sequelize creates three tables
# with foreign keys, then adds a column, renames an attribute in the model
# only, and renames a column for real, running sync({alter: true}) at
# each start.  The test checks the DDL history, strict mode's refusal,
# the drift across an unrelated deploy, its capture (reversible: its
# down script is the net inverse), rollback and re-apply; then
# export_all('knex') run by `knex migrate:latest` on a fresh database
# gives the same `pg_dump --schema-only`, `knex migrate:rollback --all`
# leaves nothing, and latest again the same schema; the same for a
# baseline() of a database the ORM made before migrate was installed; and
# seeds, exported as knex seed files and run by `knex seed:run`.
#
# Skipped, saying so, only when npm or its registry cannot be reached.

use strict;
use warnings;
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Path qw(make_path remove_tree);
use IPC::Run qw(run);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my %pinned = (sequelize => '6.37.8', pg => '8.23.1', knex => '3.3.0');

my $here = dirname(__FILE__);
my $tempdir = PostgreSQL::Test::Utils::tempdir;
my $project = "$tempdir/project";
make_path($project);
copy("$here/../orm/model.js", "$project/model.js") or die "copy: $!";
copy("$here/../orm/knexfile.js", "$project/knexfile.js") or die "copy: $!";

# the npm packages, pinned, into the project; npm's cache there too
{
	local $ENV{npm_config_cache} = "$tempdir/npm-cache";
	local $ENV{npm_config_update_notifier} = 'false';
	my ($out, $err) = ('', '');
	my $npm = `sh -c 'command -v npm'`;
	plan skip_all => 'npm is not installed' unless $npm;
	my $ok = run [ 'npm', 'install', '--prefix', $project, '--no-audit', '--no-fund',
		'--no-save', map { "$_\@$pinned{$_}" } sort keys %pinned ],
	  '>', \$out, '2>', \$err;
	if (!$ok)
	{
		plan skip_all => "npm could not install the pinned packages (is the registry reachable?): $err"
		  if $err =~ /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network/i;
		BAIL_OUT("npm install failed: $err");
	}
}

my $node = PostgreSQL::Test::Cluster->new('orm');
$node->init;
$node->start;
my $super = $node->safe_psql('postgres', 'SELECT current_user');

# run a command in the project with the connection of role $role to $db;
# returns (ok, stdout, stderr)
sub client
{
	my ($db, $role, @cmd) = @_;
	my ($out, $err) = ('', '');
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGUSER} = $role;
	local $ENV{PGDATABASE} = $db;
	local $ENV{NODE_PATH} = "$project/node_modules";
	my $ok = run [@cmd], init => sub { chdir $project }, '>', \$out, '2>', \$err;
	return ($ok, $out, $err);
}

sub orm
{
	my ($db, $stage) = @_;
	my ($ok, $out, $err) = client($db, 'app', 'node', 'model.js', $stage);
	ok($ok, "$db: the ORM starts at stage $stage") or diag($err);
	return $ok;
}

sub knex
{
	my ($db, @args) = @_;
	my ($ok, $out, $err) = client($db, $super, "$project/node_modules/.bin/knex",
		'--knexfile', "$project/knexfile.js", @args);
	ok($ok, "$db: knex @args") or diag("$out\n$err");
	return $out;
}

# the application's schema: its tables, without migrate's and knex's own,
# and without the grants of the setup, which no migration made
sub schema_dump
{
	my ($db) = @_;
	my ($out, $err) = ('', '');
	run [ 'pg_dump', '--schema-only', '--no-owner', '--no-privileges', '--schema', 'public',
		'--exclude-table', 'public.knex_migrations*',
		'-h', $node->host, '-p', $node->port, '-d', $db ],
	  '>', \$out, '2>', \$err
	  or die "pg_dump $db: $err";
	$out =~ s/^--.*\n//mg;
	$out =~ s/^SET .*\n|^SELECT pg_catalog\.set_config.*\n//mg;
	$out =~ s/^\\(?:un)?restrict .*\n//mg;	# pg_dump's random key
	$out =~ s/\n{2,}/\n/g;
	return $out;
}

# two schema dumps are the same; if not, the diff says how
sub same_schema
{
	my ($got, $expected, $name) = @_;
	return pass($name) if $got eq $expected;
	PostgreSQL::Test::Utils::append_to_file("$tempdir/got.sql", $got);
	PostgreSQL::Test::Utils::append_to_file("$tempdir/expected.sql", $expected);
	my $diff = `diff -u $tempdir/expected.sql $tempdir/got.sql`;
	unlink "$tempdir/got.sql", "$tempdir/expected.sql";
	fail($name);
	diag($diff);
}

sub write_exported
{
	my ($db, $dir, $query) = @_;
	remove_tree("$project/$dir");
	make_path("$project/$dir");
	my $rows = $node->safe_psql($db,
		"SELECT filename || E'\\x01' || translate(encode(convert_to(contents, 'UTF8'), 'base64'), E'\\n', '') FROM ($query) f");
	foreach my $row (split /\n/, $rows)
	{
		my ($name, $b64) = split /\x01/, $row;
		require MIME::Base64;
		open my $fh, '>:raw', "$project/$dir/$name" or die "$name: $!";
		print $fh MIME::Base64::decode_base64($b64);
		close $fh;
	}
	return scalar(split /\n/, $rows);
}

# --- a database with migrate, and the application's role
$node->safe_psql('postgres', 'CREATE ROLE app LOGIN');
$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql('app', q{
	CREATE EXTENSION migrate;
	GRANT CREATE ON SCHEMA public TO app;
	GRANT USAGE ON SCHEMA migrate TO app;
	GRANT EXECUTE ON ALL ROUTINES IN SCHEMA migrate TO app;
	SELECT migrate.dismiss_drift(reason => 'the application''s grants');
});
is($node->safe_psql('app', 'SELECT count(*) FROM migrate.drift()'), '0',
	'the setup grants are dismissed');
is( $node->safe_psql('app', q{SELECT string_agg(coalesce(extension, '-'), ',' ORDER BY id) FROM migrate.ddl_log WHERE command_tag = 'GRANT'}),
	'-,migrate,migrate', 'the grants on migrate\'s schema and routines were never drift');

# strict mode refuses the ORM, with a message that says why
$node->safe_psql('app', 'ALTER DATABASE app SET migrate.strict = on');
{
	my ($ok, $out, $err) = client('app', 'app', 'node', 'model.js', 1);
	ok(!$ok, 'strict mode: the ORM cannot create its tables');
	like($err, qr/cannot run CREATE TABLE outside a migration/, 'strict mode: the ORM is told why');
	is($node->safe_psql('app', q{SELECT count(*) FROM pg_tables WHERE schemaname = 'public'}),
		'0', 'strict mode: nothing was created');
}
$node->safe_psql('app', 'ALTER DATABASE app RESET migrate.strict');

# --- the ORM creates its tables; the history says who did what
orm('app', 1);
is( $node->safe_psql('app', q{
	SELECT string_agg(DISTINCT role::text, ',') || ' ' || count(*) FILTER (WHERE command_tag = 'CREATE TABLE')
	  FROM migrate.ddl_log WHERE migration IS NULL AND extension IS NULL AND role = 'app'}),
	'app 3', 'the history has the three tables, created by app');

# an unrelated deploy: the drift stays, latest() warns about it
$node->safe_psql('app', q{SELECT migrate.add('20261201000000', 'CREATE TABLE audit_events (id bigint, at timestamptz)', 'DROP TABLE audit_events', name => 'audit')});
{
	my ($stdout, $stderr);
	$node->psql('app', 'SELECT version FROM migrate.latest()', stdout => \$stdout, stderr => \$stderr);
	is($stdout, '20261201000000', 'the unrelated deploy ran');
	like($stderr, qr/WARNING:  \d+ DDL statements ran outside migrations and are not captured/,
		'latest() warns about the uncaptured drift');
}
cmp_ok($node->safe_psql('app', q{SELECT count(*) FROM migrate.drift() WHERE statement LIKE 'CREATE TABLE%'}),
	'==', 3, 'the ORM\'s tables are still drift after the deploy');

# new column, an attribute renamed in the model only, a real column
# rename; the ORM starts again after each
orm('app', $_) foreach (2, 3, 4);
is( $node->safe_psql('app', q{SELECT column_name FROM information_schema.columns WHERE table_name = 'Comments' AND column_name IN ('text', 'content')}),
	'content', 'the column was renamed');
cmp_ok($node->safe_psql('app', 'SELECT count(*) FROM migrate.drift()'), '>', 60,
	'the ORM\'s starts are all in the history');
# what changed, net: three tables, a column, a rename
is( $node->safe_psql('app', q{SELECT string_agg(command_tag, ',' ORDER BY id) FROM migrate.changes() WHERE role = 'app'}),
	'CREATE TABLE,CREATE TABLE,CREATE TABLE,ALTER TABLE,ALTER TABLE',
	'changes() shows the net change: no no-op ALTER, no foreign key dropped and re-added');

# --- capture: one NOTICE, reversible, a down that drops the tables
my $before_capture = schema_dump('app');
{
	my ($stdout, $stderr);
	$node->psql('app', q{SELECT version FROM migrate.capture('20261202000000', name => 'orm')},
		stdout => \$stdout, stderr => \$stderr);
	is($stdout, '20261202000000', 'the drift is captured');
	my @notices = $stderr =~ /NOTICE:/g;
	is(scalar(@notices), 1, 'capture prints one NOTICE') or diag($stderr);
}
is($node->safe_psql('app', q{SELECT reversible FROM migrate.status WHERE version = '20261202000000'}),
	't', 'the capture is reversible');
is($node->safe_psql('app', q{SELECT down FROM migrate.migrations WHERE version = '20261202000000'}),
	qq{DROP TABLE public."Comments";\n\nDROP TABLE public."Posts";\n\nDROP TABLE public."Users";\n},
	'its down script is the net inverse: the tables the ORM created are dropped');
is($node->safe_psql('app', 'SELECT count(*) FROM migrate.drift()'), '0', 'no drift is left');

# rollback and re-apply, by the application's role, which deploys
is($node->safe_psql('app', 'SET ROLE app; SELECT version FROM migrate.rollback()'), '20261202000000',
	'the capture is rolled back');
is($node->safe_psql('app', q{SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'audit_events'}),
	'0', 'the rollback dropped the ORM\'s tables');
is($node->safe_psql('app', 'SET ROLE app; SELECT version FROM migrate.latest()'), '20261202000000',
	'the capture is applied again');
same_schema(schema_dump('app'), $before_capture, 'applied again, the schema is the ORM\'s');

# the ORM starts again: only no-ops and the foreign keys' drop and re-add,
# which capture to a migration with nothing to undo
my $start = $node->safe_psql('app', 'SELECT clock_timestamp()');
orm('app', 4);
is($node->safe_psql('app', qq{SELECT count(*) FROM migrate.changes(since => '$start')}),
	'0', 'an ORM start that changes nothing shows no change');
$node->safe_psql('app', q{SELECT migrate.capture('20261202000001', name => 'orm start')});
is($node->safe_psql('app', q{SELECT reversible::text || ' ' || down FROM migrate.status s JOIN migrate.migrations m USING (version) WHERE version = '20261202000001'}),
	"true -- the captured statements leave nothing to undo\n",
	'an ORM start captures to a reversible migration with nothing to undo');

# --- seeds
$node->safe_psql('app', q{SELECT migrate.add_seed('users', $$INSERT INTO "Users" (name, email, "createdAt", "updatedAt") VALUES ('ada', 'ada@example.org', now(), now())$$)});
$node->safe_psql('app', 'SELECT migrate.seed()');

# --- export_all('knex') run by the knex CLI on a fresh database
is(write_exported('app', 'migrations', q{SELECT * FROM migrate.export_all('knex')}), 3,
	'export_all(knex) writes the three migrations');
is(write_exported('app', 'seeds', q{SELECT * FROM migrate.export_all('knex', seeds => true) WHERE filename LIKE 'seeds/%'} =~ s/SELECT \*/SELECT substr(filename, 7) AS filename, contents/r), 1,
	'export_all(knex, seeds) writes the seed');
my $app_schema = schema_dump('app');
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
knex('fresh', 'migrate:latest');
same_schema(schema_dump('fresh'), $app_schema, 'knex migrate:latest makes the same schema');
knex('fresh', 'seed:run');
is($node->safe_psql('fresh', 'SELECT name || \' \' || email FROM "Users"'), 'ada ada@example.org',
	'knex seed:run runs the exported seed');
$node->safe_psql('fresh', 'TRUNCATE "Users" CASCADE');
knex('fresh', 'migrate:rollback', '--all');
is($node->safe_psql('fresh', q{SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'}),
	'knex_migrations,knex_migrations_lock', 'knex migrate:rollback --all leaves no table of the application');
knex('fresh', 'migrate:latest');
same_schema(schema_dump('fresh'), $app_schema, 'knex migrate:latest again makes the same schema');

# --- baseline() of a database the ORM made before migrate was installed
$node->safe_psql('postgres', 'CREATE DATABASE legacy');
$node->safe_psql('legacy', 'GRANT CREATE ON SCHEMA public TO app');
orm('legacy', $_) foreach (1, 2, 3, 4);
my $legacy_schema = schema_dump('legacy');
$node->safe_psql('legacy', 'CREATE EXTENSION migrate');
$node->safe_psql('legacy', q{SELECT migrate.baseline('20261130000000', name => 'legacy')});
is(write_exported('legacy', 'migrations', q{SELECT * FROM migrate.export_all('knex')}), 1,
	'export_all(knex) writes the baseline');
remove_tree("$project/seeds");
$node->safe_psql('postgres', 'CREATE DATABASE fresh_legacy');
knex('fresh_legacy', 'migrate:latest');
same_schema(schema_dump('fresh_legacy'), $legacy_schema, 'the baseline run by knex makes the same schema');
knex('fresh_legacy', 'migrate:rollback', '--all');
is($node->safe_psql('fresh_legacy', q{SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'}),
	'knex_migrations,knex_migrations_lock', 'the baseline rolled back by knex leaves no table of the application');
knex('fresh_legacy', 'migrate:latest');
same_schema(schema_dump('fresh_legacy'), $legacy_schema, 'and run again, the same schema');

$node->stop;
done_testing();
