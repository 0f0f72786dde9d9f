# Copyright (c) 2026, The migrate contributors
#
# Why TAP: the migrate lock is shared by sessions, and what must hold
# needs several of them on a live server: a CALL migrate.run() that fails
# while it waits for its background worker (statement_timeout, a cancel)
# leaves no lock behind; a role without migrate's privileges can neither
# take nor hold the lock (it used to be an advisory lock anyone could
# take); and a deploy that has to wait says for whom before it waits.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('lock');
$node->init;
$node->start;
$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION migrate;
	CREATE TABLE items (id bigint);
	CREATE ROLE nobody LOGIN;
});

# can another deploy take the lock at once?
sub deploy_now
{
	my ($version) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"SET migrate.lock_wait = off; SELECT migrate.add('$version', 'SELECT 1')");
	return $ret == 0 ? 'free' : $err;
}
is(deploy_now('a1'), 'free', 'the lock is free to begin with');

# 1. run() fails while it waits for a background worker: with
# migrate.lock_wait = off because a worker (or, before 0.2.0, any session
# holding the worker's advisory key) still runs, by statement_timeout and
# by a cancel while its own worker waits; no lock stays behind
my $squatter = $node->background_psql('postgres', on_error_stop => 0);
$squatter->query(q{SET ROLE nobody; SELECT pg_advisory_lock(1835624306, 1635018017)});
my $runner = $node->background_psql('postgres', on_error_stop => 0);
$runner->query(q{SET migrate.lock_wait = off; CALL migrate.run()});
is(deploy_now('a_lock_wait'), 'free',
	'after run() with lock_wait = off, another deploy takes the lock at once');
$runner->quit;
$squatter->quit;

$node->safe_psql('postgres',
	q{SELECT migrate.add('1', 'CREATE INDEX CONCURRENTLY items_id ON items (id)', transactional => false)});
foreach my $how ('statement_timeout', 'cancel')
{
	my $old = $node->background_psql('postgres');
	$old->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM items;');
	$runner = $node->background_psql('postgres', on_error_stop => 0);
	if ($how eq 'statement_timeout')
	{
		$runner->query(q{SET statement_timeout = '2s'; CALL migrate.run()});
	}
	else
	{
		$runner->query_until(qr/started/, q{\echo started
SET application_name = 'runner'; CALL migrate.run();
});
		$node->poll_query_until('postgres',
			q{SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'migrate worker' AND wait_event_type = 'Lock'});
		$node->safe_psql('postgres',
			q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'runner'});
		$node->poll_query_until('postgres',
			q{SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'runner' AND state = 'active'});
	}
	is(deploy_now("a_$how"), 'free',
		"after run() failed by $how while waiting for its worker, another deploy takes the lock at once");
	$old->quit;
	$runner->quit;
	$node->safe_psql('postgres', q{DROP INDEX IF EXISTS items_id});
}

# 2. a role without privileges cannot take or hold migrate's lock
$squatter = $node->background_psql('postgres', on_error_stop => 0);
$squatter->query(q{SET ROLE nobody; SELECT pg_advisory_lock(1835624306, 1635018016)});
$squatter->query(q{SELECT pg_advisory_lock(1835624306, 1635018017)});
is(deploy_now('a2'), 'free', "an unprivileged role's advisory locks do not block deploys");
my ($ret, $out, $err) = $node->psql('postgres',
	q{SET ROLE nobody; BEGIN; LOCK TABLE migrate.state IN ACCESS EXCLUSIVE MODE});
like($err, qr/permission denied/, 'nor can it lock migrate\'s tables');
($ret, $out, $err) = $node->psql('postgres',
	q{SET ROLE nobody; BEGIN; COMMENT ON EXTENSION migrate IS 'mine'});
like($err, qr/must be owner of extension migrate/, 'nor lock the extension');
$squatter->quit;

# 3. a deploy that must wait says who it waits for, then waits
my $holder = $node->background_psql('postgres');
$holder->query_safe(q{SET application_name = 'release 42'; BEGIN; SELECT migrate.add('h1', 'SELECT 1')});
my $waiter = $node->background_psql('postgres');
$waiter->query_until(qr/waiting/, q{\echo waiting
SELECT migrate.add('w1', 'SELECT 1');
});
$node->poll_query_until('postgres',
	q{SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%w1%'});
$holder->query_safe('COMMIT');
$waiter->quit;
like($waiter->{stderr}, qr/NOTICE:  waiting for the migrate lock\nDETAIL:  Process \d+ \(application "release 42", user \S+, in a transaction since [^)]+\) holds it\./,
	'the NOTICE names the process, its application and user before waiting');
$holder->quit;
is($node->safe_psql('postgres', q{SELECT count(*) FROM migrate.migrations WHERE version IN ('h1', 'w1')}),
	'2', 'and then both registered');

$node->stop;
done_testing();
