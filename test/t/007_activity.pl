# Copyright (c) 2026, The migrate contributors
#
# Why TAP: track_activity_query_size can only be set at server start.
# While a migration runs, pg_stat_activity shows its statement, clipped
# to that setting and not to a length of migrate's own, and the rows
# migrate appends to migrate.ddl_log directly match the table's layout
# (no "instead of" line in the server log).

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('activity');
$node->init;
$node->append_conf('postgresql.conf', 'track_activity_query_size = 8192');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION migrate');

# a migration whose one statement, 5,000 characters long, records what
# pg_stat_activity shows for its own backend while it runs
my $padding = 'x' x 5000;
$node->safe_psql(
	'postgres', qq{
CREATE TABLE seen (query text);
SELECT migrate.add('1', \$up\$INSERT INTO seen SELECT query FROM pg_stat_activity WHERE pid = pg_backend_pid() AND '$padding' <> ''\$up\$);
SELECT count(*) FROM migrate.latest();
});
my $seen = $node->safe_psql('postgres', 'SELECT length(query) FROM seen');
cmp_ok($seen, '>', 5000,
	'pg_stat_activity shows a long statement up to track_activity_query_size');
like(
	$node->safe_psql('postgres', 'SELECT query FROM seen'),
	qr/^migrate: 1 up, statement 1 of 1: INSERT INTO seen .*'\s*<> ''$/s,
	'the activity names the migration and ends with the whole statement');

# DDL appended to migrate.ddl_log directly: the column numbers, names and
# types of the C code (src/ddl/ddl.h) match the table's pg_attribute rows
$node->safe_psql('postgres', 'CREATE TABLE direct (a int)');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM migrate.ddl_log WHERE object_identity = 'public.direct'"
	),
	'1',
	'the DDL is recorded');
my $log = slurp_file($node->logfile);
unlike($log, qr/instead of/,
	'no column of migrate.ddl_log differs from the layout of the C code');

# a DBA who changes a column's type loses the direct append, is told so
# once in the server log, and the rows are still written
$node->safe_psql('postgres',
	'ALTER TABLE migrate.ddl_log ALTER COLUMN backend_pid TYPE bigint');
$node->safe_psql('postgres',
	'CREATE TABLE through_sql_1 (a int); CREATE TABLE through_sql_2 (a int)');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM migrate.ddl_log WHERE object_identity LIKE 'public.through_sql_%' AND backend_pid > 0"
	),
	'2',
	'rows are written through SQL after a column type changed');
$log = slurp_file($node->logfile);
like(
	$log,
	qr/column 16 of table "migrate.ddl_log" is "backend_pid" of type bigint instead of "backend_pid" of type integer/,
	'the server log says why the direct append is not used');

$node->stop;
done_testing();
