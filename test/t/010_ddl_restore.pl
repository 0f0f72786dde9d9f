# Copyright (c) 2026, The migrate contributors
#
# Why TAP: pg_dump, pg_restore and psql are client programs run against a
# live server, into other databases, some of them created by the dump
# itself, with settings per database.
#
# A database with migrate installed and strict mode on (ALTER DATABASE
# ... SET migrate.strict = on) dumps and restores: with pg_restore (also
# in parallel), with pg_dump's output fed to psql, and with pg_dump
# --create, which carries the strict setting along.  Each restore
# succeeds, is not refused by strict mode, keeps the DDL history as it was
# (same rows, same ids, the drift too) and does not add the restore's own
# DDL to it.  In the restored database strict mode still refuses DDL
# outside migrations, and new DDL is recorded after the restored history.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('ddl_restore');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql('postgres', 'ALTER DATABASE source SET migrate.strict = on');
$node->safe_psql(
	'source', q{
	SET client_min_messages = warning;
	CREATE EXTENSION migrate;
	SELECT version FROM migrate.apply('0001',
	    $$CREATE TABLE notes (id bigint PRIMARY KEY, body text);
	      CREATE INDEX notes_body ON notes (body);
	      CREATE FUNCTION note_count() RETURNS bigint LANGUAGE sql
	          AS 'SELECT count(*) FROM public.notes';$$,
	    'DROP FUNCTION note_count(); DROP TABLE notes');
	-- a hot fix outside migrations: drift, with its history
	SET migrate.strict = off;
	CREATE EXTENSION tsm_system_rows;
	ALTER TABLE notes ADD COLUMN created_at timestamptz;
	CREATE VIEW recent AS SELECT id, body FROM notes;
	COMMENT ON TABLE notes IS 'notes of the team';
	DROP INDEX notes_body;
	INSERT INTO notes VALUES (1, 'kept', now());
});

my $log_query = q{
	SELECT string_agg(concat_ws('|', id, at, role, session_role, txid, command_tag,
	                            object_type, schema_name, object_identity,
	                            md5(objects::text), md5(statement), migration,
	                            extension, top_level, backend_pid, application_name),
	                  E'\n' ORDER BY id)
	  FROM migrate.ddl_log};
my $drift_query = q{
	SELECT string_agg(concat_ws('|', id, command_tag, object_identity), E'\n' ORDER BY id)
	  FROM migrate.drift()};
my $status_query = q{
	SELECT string_agg(concat_ws('|', version, state, batch, reversible), E'\n')
	  FROM migrate.status};

my %before;
$before{log} = $node->safe_psql('source', $log_query);
$before{drift} = $node->safe_psql('source', $drift_query);
$before{status} = $node->safe_psql('source', $status_query);
$before{rows} = $node->safe_psql('source', 'SELECT count(*) FROM migrate.ddl_log');
ok($before{rows} > 5, "the source has DDL history ($before{rows} rows)");
like($before{drift}, qr/ALTER TABLE\|public\.notes/, 'the source has drift');
is($node->safe_psql('source', 'SHOW migrate.strict'), 'on', 'strict mode is on in the source');

# Check a restored database: the history as it was, strict mode working,
# and new DDL recorded after the restored rows.
sub check_restored
{
	my ($db, $how) = @_;

	is($node->safe_psql($db, 'SHOW migrate.strict'), 'on', "$how: strict mode is on");
	is($node->safe_psql($db, $log_query), $before{log}, "$how: the same DDL history");
	is($node->safe_psql($db, $drift_query), $before{drift}, "$how: the same drift");
	is($node->safe_psql($db, $status_query), $before{status}, "$how: the same migrations");
	is($node->safe_psql($db, 'SELECT body FROM notes'), 'kept', "$how: the data");
	is( $node->safe_psql(
			$db, q{SELECT count(*) FROM pg_extension WHERE extname = 'tsm_system_rows'}),
		'1', "$how: the other extension");

	my ($ret, $stdout, $stderr) =
	  $node->psql($db, 'CREATE TABLE after_restore (a int)');
	isnt($ret, 0, "$how: strict mode refuses DDL outside migrations");
	like($stderr, qr/cannot run CREATE TABLE outside a migration/,
		"$how: with strict mode's error");

	$node->safe_psql(
		$db, q{
		SET client_min_messages = warning;
		SELECT version FROM migrate.apply('0002', 'CREATE TABLE after_restore (a int)',
		                                  'DROP TABLE after_restore');
	});
	is( $node->safe_psql(
			$db,
			"SELECT string_agg(command_tag || ':' || coalesce(migration, '-'), ',' ORDER BY id)
			   FROM migrate.ddl_log WHERE id > (SELECT max(id) FROM migrate.ddl_log WHERE migration IS NULL)"),
		'CREATE TABLE:0002',
		"$how: new DDL is recorded after the restored history");
}

my $tempdir = PostgreSQL::Test::Utils::tempdir;

# custom format, pg_restore into a database where strict mode is on
command_ok(
	[ 'pg_dump', '-Fc', '-f', "$tempdir/source.dump", '-d', $node->connstr('source') ],
	'pg_dump -Fc');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->safe_psql('postgres', 'ALTER DATABASE restored SET migrate.strict = on');
command_ok(
	[ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), "$tempdir/source.dump" ],
	'pg_restore with strict mode on');
check_restored('restored', 'pg_restore');

# in parallel: the post-data steps run in other connections
$node->safe_psql('postgres', 'CREATE DATABASE parallel');
$node->safe_psql('postgres', 'ALTER DATABASE parallel SET migrate.strict = on');
command_ok(
	[ 'pg_restore', '--exit-on-error', '-j', '3', '-d', $node->connstr('parallel'),
	  "$tempdir/source.dump" ],
	'pg_restore -j 3 with strict mode on');
check_restored('parallel', 'pg_restore -j');

# plain format through psql
command_ok(
	[ 'pg_dump', '-f', "$tempdir/source.sql", '-d', $node->connstr('source') ],
	'pg_dump plain');
$node->safe_psql('postgres', 'CREATE DATABASE plain');
$node->safe_psql('postgres', 'ALTER DATABASE plain SET migrate.strict = on');
command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', "$tempdir/source.sql",
	  '-d', $node->connstr('plain') ],
	'pg_dump | psql with strict mode on');
check_restored('plain', 'pg_dump | psql');

# pg_dump --create: the dump creates the database and sets strict mode on
# before it restores anything into it
command_ok(
	[ 'pg_dump', '--create', '-f', "$tempdir/create.sql", '-d', $node->connstr('source') ],
	'pg_dump --create');
$node->safe_psql('postgres', 'DROP DATABASE source');
command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', "$tempdir/create.sql",
	  '-d', $node->connstr('postgres') ],
	'pg_dump --create | psql');
check_restored('source', 'pg_dump --create');

$node->stop;
done_testing();
