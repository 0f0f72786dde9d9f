# Copyright (c) 2026, The migrate contributors
#
# Why TAP: a backend killed in the middle of a migration, with
# pg_terminate_backend() or with SIGKILL (which makes the postmaster restart
# every backend and run crash recovery), needs a server's whole life cycle.
#
# After each kill nothing of the interrupted call is applied or recorded,
# no lock is left behind, and the next call works at once.  While the
# migration runs, other sessions see it in pg_stat_activity.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('interrupt');
$node->init;
# the test framework turns crash restarts off; a real server has them on
$node->append_conf('postgresql.conf', 'restart_after_crash = on');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION migrate');

# Register a quick migration and a long one, start latest() in the
# background, and wait until the long one is running; return the psql
# session and the backend's pid.
sub start_long_run
{
	$node->safe_psql(
		'postgres', q{
		SELECT migrate.add('1', 'CREATE TABLE quick (id int)', 'DROP TABLE quick');
		SELECT migrate.add('2', $$CREATE TABLE slow (id int);
SELECT pg_sleep(300);$$, 'DROP TABLE slow');
	});

	my $bg = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = $bg->query_safe('SELECT pg_backend_pid()');
	$bg->query_until(qr/started/, q{
\echo started
SELECT * FROM migrate.latest();
});

	# the running step is visible to other sessions
	ok( $node->poll_query_until(
			'postgres', qq{
		SELECT query = 'migrate: 2 up, statement 2 of 2: SELECT pg_sleep(300)'
		  FROM pg_stat_activity WHERE pid = $pid}),
		'pg_stat_activity shows the running migration and statement');
	return ($bg, $pid);
}

# Check that nothing of the interrupted call remains and that no lock does.
sub check_clean
{
	my ($how) = @_;

	is( $node->safe_psql(
			'postgres',
			q{SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migrate.status}),
		'1:pending,2:pending',
		"$how: nothing applied");
	is( $node->safe_psql(
			'postgres',
			q{SELECT count(*) FROM migrate.history WHERE up LIKE '%pg_sleep%'}),
		'0', "$how: nothing recorded");
	is( $node->safe_psql(
			'postgres',
			q{SELECT count(*) FROM pg_class WHERE relname IN ('quick', 'slow')}),
		'0',
		"$how: no table created");
	is( $node->safe_psql(
			'postgres', q{SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'}),
		'0',
		"$how: no advisory lock held");

	# the next call gets the lock at once (it would fail if it had to wait)
	my ($ret, $stdout, $stderr) = $node->psql(
		'postgres', q{
		SET migrate.lock_wait = off;
		SET client_min_messages = warning;
		SELECT migrate.add('2', 'CREATE TABLE slow (id int)', 'DROP TABLE slow');
		SELECT string_agg(version, ',') FROM migrate.latest();
		SELECT count(*) FROM migrate.rollback();
	});
	is($ret, 0, "$how: the next call works at once") or diag($stderr);
	is($stdout, "updated\n1,2\n2", "$how: and applies everything");
}

# 1. pg_terminate_backend()
my ($bg, $pid) = start_long_run();
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
$node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid");
eval { $bg->quit; };
check_clean('pg_terminate_backend');

# 2. SIGKILL: the postmaster restarts every backend after crash recovery
($bg, $pid) = start_long_run();
my $log_offset = -s $node->logfile;
kill 'KILL', $pid;
$node->wait_for_log(qr/all server processes terminated; reinitializing/,
	$log_offset);
eval { $bg->quit; };
$node->poll_query_until('postgres', 'SELECT true');
check_clean('SIGKILL');

# 3. a cancelled call (statement_timeout or pg_cancel_backend) is an
# ordinary error: the call rolls back and the session goes on
($bg, $pid) = start_long_run();
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
my $after = $bg->query(
	q{SELECT count(*) FROM migrate.history WHERE up LIKE '%pg_sleep%'});
like($bg->{stderr}, qr/canceling statement due to user request/,
	'cancel: the call fails with the cancel error');
is($after, '0', 'cancel: the session goes on, nothing recorded');
$bg->quit;
check_clean('cancel');

$node->stop;
done_testing();
