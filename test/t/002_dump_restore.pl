# Copyright (c) 2026, The migrate contributors
#
# Why TAP: pg_dump and pg_restore are client programs run against a live
# server, into a second database.
#
# A database with migrate installed dumps and restores with its registry,
# applied set and history: status is the same, the history goes on from
# where it was, and a rollback in the restored database uses the down
# scripts recorded before the dump.  Both the custom format with
# pg_restore and a plain dump fed to psql are checked.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql(
	'source', q{
	SET client_min_messages = warning;
	CREATE EXTENSION migrate;
	SELECT migrate.add('0001', 'CREATE TABLE notes (id bigint PRIMARY KEY, body text)',
	                   'DROP TABLE notes', name => 'notes');
	SELECT migrate.add('0002', 'ALTER TABLE notes ADD COLUMN created_at timestamptz',
	                   'ALTER TABLE notes DROP COLUMN created_at');
	SELECT count(*) FROM migrate.latest();
	-- applied by hand: status shows how, from the applied set alone
	SELECT migrate.add('0002a', 'CREATE TABLE by_hand (id int)');
	CREATE TABLE by_hand (id int);
	SELECT migrate.mark_applied('0002a', 'made during the incident');
	SELECT migrate.add('0003', 'CREATE INDEX notes_created ON notes (created_at)',
	                   'DROP INDEX notes_created');
	SELECT count(*) FROM migrate.latest();
	SELECT count(*) FROM migrate.rollback();
	SELECT count(*) FROM migrate.latest();
	SELECT migrate.add('0004', 'CREATE TABLE pending_one (id int)');
	INSERT INTO notes VALUES (1, 'kept');
	-- the registry entry may change after apply: the recorded down wins
	UPDATE migrate.migrations SET down = 'SELECT 1/0' WHERE version = '0003';
});

my $status_query = q{
	SELECT string_agg(concat_ws('|', version, name, state, batch, applied_by,
	                            reversible, transactional, registered, applied_as,
	                            reason), E'\n')
	  FROM migrate.status};
my $history_query = q{
	SELECT string_agg(concat_ws('|', id, version, action, batch, checksum,
	                            md5(coalesce(up, '')), md5(coalesce(down, '')),
	                            started_at, duration, role), E'\n' ORDER BY id)
	  FROM migrate.history};
my $registry_query = q{
	SELECT string_agg(concat_ws('|', version, name, md5(up), md5(coalesce(down, '')),
	                            transactional, checksum, added_at, added_by), E'\n'
	                  ORDER BY version)
	  FROM migrate.migrations};
my $applied_query = q{
	SELECT string_agg(concat_ws('|', version, batch, checksum, md5(coalesce(down, '')),
	                            applied_at, history_id, applied_as, reason), E'\n'
	                  ORDER BY version)
	  FROM migrate.applied};

my %before;
$before{$_->[0]} = $node->safe_psql('source', $_->[1])
  foreach (['status', $status_query], ['history', $history_query],
	['registry', $registry_query], ['applied', $applied_query]);
like($before{status}, qr/^0003\|modified\|3\|/m, 'the source has a modified migration');
like($before{status}, qr/^0002a\|applied\|.*\|mark_applied\|made during the incident$/m,
	'the source has a migration marked applied');

my $tempdir = PostgreSQL::Test::Utils::tempdir;

# Compare a restored database with the source, then use it.
sub check_restored
{
	my ($db, $how) = @_;

	foreach (['status', $status_query], ['history', $history_query],
		['registry', $registry_query], ['applied', $applied_query])
	{
		is($node->safe_psql($db, $_->[1]), $before{$_->[0]}, "$how: same $_->[0]");
	}
	is($node->safe_psql($db, 'SELECT body FROM notes'), 'kept', "$how: data");

	# the history goes on after the restored rows, and the rollback runs
	# the down script recorded when 0003 was applied
	my $max_id = $node->safe_psql($db, 'SELECT max(id) FROM migrate.history');
	$node->safe_psql(
		$db, q{
		SET client_min_messages = warning;
		SELECT count(*) FROM migrate.rollback();
	});
	is( $node->safe_psql(
			$db,
			"SELECT string_agg(version || ':' || action, ',' ORDER BY id) FROM migrate.history WHERE id > $max_id"
		),
		'0003:revert',
		"$how: rollback uses the recorded down and the history continues");
	is( $node->safe_psql(
			$db, q{SELECT count(*) FROM pg_indexes WHERE indexname = 'notes_created'}),
		'0', "$how: the index is gone");
	is($node->safe_psql($db, 'SELECT count(*) FROM migrate.state'),
		'1', "$how: one state row");
}

# custom format, pg_restore into a new database
command_ok(
	[ 'pg_dump', '-Fc', '-f', "$tempdir/source.dump", '-d', $node->connstr('source') ],
	'pg_dump -Fc');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
command_ok(
	[ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), "$tempdir/source.dump" ],
	'pg_restore');
check_restored('restored', 'pg_restore');

# plain format through psql
command_ok(
	[ 'pg_dump', '-f', "$tempdir/source.sql", '-d', $node->connstr('source') ],
	'pg_dump plain');
$node->safe_psql('postgres', 'CREATE DATABASE plain');
command_ok(
	[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', "$tempdir/source.sql", '-d', $node->connstr('plain') ],
	'psql < dump');
check_restored('plain', 'pg_dump | psql');

$node->stop;
done_testing();
