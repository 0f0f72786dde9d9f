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

# an error with a position points into the failed statement, not into
# the client's CALL: it comes back as an internal query with its position
$node->safe_psql('postgres',
	q{SELECT migrate.add('4', $m$CREATE INDEX CONCURRENTLY items_id4 ON items (id);
SELECT id, nosuchcolumn FROM items$m$, transactional => false)});
($ret, $out, $err) = $node->psql('postgres', 'CALL migrate.run()');
like($err, qr/ERROR:  column "nosuchcolumn" does not exist\n/, 'the error of statement 2');
like($err, qr/\nQUERY:  SELECT id, nosuchcolumn FROM items\n/,
	'the failed statement is shown as the query of the error');
unlike($err, qr/LINE 1: CALL/, 'the position is not in the CALL');
$node->safe_psql('postgres', q{SELECT migrate.remove('4')});

# wait until the worker runs pg_sleep()
sub worker_sleeping
{
	$node->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'migrate worker' AND wait_event = 'PgSleep'});
}

# a worker stopped by someone else: the caller says what the worker
# said, with its SQLSTATE, rather than only that it stopped
$node->safe_psql('postgres',
	q{SELECT migrate.add('5', $m$CREATE INDEX CONCURRENTLY items_id5 ON items (id);
SELECT pg_sleep(600)$m$, transactional => false)});
my $runner = $node->background_psql('postgres', on_error_stop => 0);
$runner->query_until(qr/started/, q{\echo started
\set VERBOSITY verbose
CALL migrate.run();
});
worker_sleeping();
$node->safe_psql('postgres',
	q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'migrate worker'});
$runner->quit;
like($runner->{stderr},
	qr/ERROR:  57P01: the background worker applying migration "5" stopped before it finished\nDETAIL:  The worker reported: terminating background worker "migrate worker" due to administrator command\. It completed 1 of 2 statements;/,
	"the worker's own error is in the detail, with its SQLSTATE");
is($node->safe_psql('postgres', q{SELECT state FROM migrate.status WHERE version = '5'}),
	'pending', 'the migration stays pending');
$node->safe_psql('postgres', q{SELECT migrate.remove('5')});

# a caller cancelled while its worker's last message is larger than the
# queue between them does not wait forever for the worker: the context
# of the worker's error quotes the whole 40 kB statement
my $pad = 'x' x 40000;
$node->safe_psql('postgres',
	qq{SELECT migrate.add('6', \$m\$CREATE INDEX CONCURRENTLY items_id6 ON items (id);
DO \$\$BEGIN PERFORM pg_sleep(600), '$pad'; END\$\$\$m\$, transactional => false)});
$runner = $node->background_psql('postgres', on_error_stop => 0);
$runner->query_until(qr/started/, q{\echo started
SET application_name = 'runner6'; CALL migrate.run();
});
worker_sleeping();
$node->safe_psql('postgres',
	q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'runner6'});
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'runner6' AND state = 'active'}),
	'the cancelled caller returns');
$runner->quit;
like($runner->{stderr}, qr/ERROR:  canceling statement due to user request/, 'as cancelled');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'migrate worker'}),
	'0', 'and its worker is gone');
is($node->safe_psql('postgres', q{SET migrate.lock_wait = off; SELECT migrate.add('7', 'SELECT 1')}),
	'added', 'and the migrate lock is free');

$node->stop;
done_testing();
