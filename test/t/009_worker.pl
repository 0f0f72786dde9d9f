# Copyright (c) 2026, The migrate contributors
#
# Why TAP: what the background worker of CALL migrate.run() sets up for
# each statement (the statement's start time, pg_stat_activity) and what
# it sends back (errors and notices, whole) is seen only from a client of
# a live server, with the error as psql prints it.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('worker');
$node->init;
$node->start;
$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION migrate;
	CREATE TABLE items (id bigint);
	CREATE TABLE seen (n int, stmt timestamptz, xact timestamptz, query_start timestamptz);
});

# each statement of a migration the worker runs has its own start time,
# transaction start and pg_stat_activity.query_start
my $record = q{INSERT INTO seen SELECT %d, statement_timestamp(), now(), query_start FROM pg_stat_activity WHERE pid = pg_backend_pid()};
my $script = join(";\n",
	'CREATE INDEX CONCURRENTLY items_id ON items (id)',
	sprintf($record, 1),
	'SELECT pg_sleep(0.2)',
	sprintf($record, 2));
$node->safe_psql('postgres',
	"SELECT migrate.add('1', \$m\$$script\$m\$, transactional => false)");
$node->safe_psql('postgres', 'CALL migrate.run()');
is( $node->safe_psql(
		'postgres', q{
	SELECT b.stmt > a.stmt, b.xact > a.xact, b.query_start > a.query_start,
	       b.stmt - a.stmt >= interval '0.2 s'
	  FROM seen a, seen b WHERE a.n = 1 AND b.n = 2}),
	't|t|t|t',
	'statement_timestamp(), now() and query_start advance from statement to statement');

# an error comes back whole: SQLSTATE, message, detail, hint and context,
# each longer than any fixed buffer
my $long = q{DO $$BEGIN RAISE EXCEPTION USING ERRCODE = 'P0042', MESSAGE = 'm' || repeat('x', 3000) || 'M', DETAIL = 'd' || repeat('x', 3000) || 'D', HINT = 'h' || repeat('x', 3000) || 'H'; END$$};
$node->safe_psql('postgres',
	"SELECT migrate.add('2', \$m\$SELECT 1;\n$long\$m\$, transactional => false)");
my ($ret, $out, $err) = $node->psql('postgres',
	q{\set VERBOSITY verbose
CALL migrate.run()});
like($err, qr/ERROR:  P0042: mx{3000}M\n/, 'the SQLSTATE and the whole message');
like($err, qr/\nDETAIL:  dx{3000}D\n/, 'the whole detail');
like($err, qr/\nHINT:  hx{3000}H\n/, 'the whole hint');
like($err,
	qr/\nCONTEXT:  PL\/pgSQL function inline_code_block line 1 at RAISE\nup script of migration "2", statement 2 of 2, line 2: DO .*\nbackground worker of CALL migrate\.run\(\)/s,
	'the context names the migration, the statement and the worker');
is($node->safe_psql('postgres', q{SELECT state FROM migrate.status WHERE version = '2'}),
	'pending', 'the migration stays pending');

# notices of the worker reach the client
$node->safe_psql('postgres', q{SELECT migrate.remove('2')});
$node->safe_psql('postgres',
	q{SELECT migrate.add('3', $m$CREATE INDEX CONCURRENTLY items_id3 ON items (id);
DO $$BEGIN RAISE NOTICE 'hello from the worker'; END$$$m$, transactional => false)});
($ret, $out, $err) = $node->psql('postgres', 'CALL migrate.run()');
is($ret, 0, 'the migration applies');
like($err, qr/NOTICE:  hello from the worker/, "a migration's NOTICE reaches the client");

$node->stop;
done_testing();
