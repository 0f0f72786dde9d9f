# Copyright (c) 2026, The migrate contributors
#
# Why TAP: CALL migrate.run() commits between migrations and runs
# non-transactional ones in a background worker.  What must be checked
# needs several sessions on a live server and control over its processes:
# a CREATE INDEX CONCURRENTLY under concurrent writes, the caller cancelled
# or terminated while its worker runs (the worker must be stopped), the
# worker killed (crash recovery), no free worker slot (a server started
# with max_worker_processes = 1), and lock timeouts with retries while
# another session holds a conflicting lock.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('run');
$node->init;
$node->append_conf('postgresql.conf', 'restart_after_crash = on');
$node->start;
$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION migrate;
	CREATE TABLE items (id bigint, note text);
	INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 100000) g;
});

# 1. CREATE INDEX CONCURRENTLY while other sessions write to the table
$node->safe_psql('postgres',
	q{SELECT migrate.add('1', 'CREATE INDEX CONCURRENTLY items_id ON items (id)', 'DROP INDEX CONCURRENTLY items_id', transactional => false)}
);
my $writer = $node->background_psql('postgres');
$writer->query_until(qr/writing/, q{
\echo writing
DO $$
BEGIN
  FOR i IN 1..400 LOOP
    INSERT INTO items VALUES (100000 + i, 'concurrent');
    COMMIT;
    PERFORM pg_sleep(0.005);
  END LOOP;
END
$$;
});
my ($ret, $out, $err) = $node->psql('postgres', 'CALL migrate.run()');
is($ret, 0, 'run() builds the index concurrently while rows are written') or diag($err);
$writer->quit;
is( $node->safe_psql(
		'postgres', q{
	SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_id'::regclass}),
	't',
	'the index is valid');
my $by_heap = $node->safe_psql(
	'postgres', q{
	SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off;
	SELECT count(*) FROM items WHERE id > 0});
my $by_index = $node->safe_psql(
	'postgres', q{
	SET enable_seqscan = off; SET enable_bitmapscan = off;
	EXPLAIN (COSTS OFF) SELECT count(*) FROM items WHERE id > 0;
	SELECT count(*) FROM items WHERE id > 0});
like($by_index, qr/Index Only Scan using items_id/, 'the count reads the new index');
is($by_index =~ s/.*\n//sr, '100400', 'the index has every row, the concurrent ones included');
is($by_heap, '100400', 'as the table has');
like($err, qr/applied migration "1" in a background worker/, 'run() says a worker ran it');

# A non-transactional migration that waits: CREATE INDEX CONCURRENTLY
# waits for every transaction with an older snapshot, so a session that
# keeps a transaction open holds it.
sub start_blocked_worker
{
	my ($version) = @_;
	my $blocker = $node->background_psql('postgres');
	$blocker->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
	$blocker->query_safe('SELECT count(*) FROM items');
	$node->safe_psql('postgres',
		"SELECT migrate.add('$version', 'CREATE INDEX CONCURRENTLY items_note_$version ON items (note)', transactional => false)"
	);
	my $caller = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = $caller->query_safe('SELECT pg_backend_pid()');
	$caller->query_until(qr/started/, q{
\echo started
CALL migrate.run();
});
	ok( $node->poll_query_until(
			'postgres', qq{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE backend_type = 'migrate worker'
		   AND query LIKE 'migrate: $version up, statement 1 of 1: CREATE INDEX CONCURRENTLY%'}),
		"migration $version runs in a worker, visible in pg_stat_activity");
	return ($blocker, $caller, $pid);
}

sub check_stopped
{
	my ($how, $version) = @_;
	ok( $node->poll_query_until(
			'postgres',
			q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'migrate worker'}),
		"$how: the worker was stopped, not orphaned");
	is( $node->safe_psql(
			'postgres', "SELECT state FROM migrate.status WHERE version = '$version'"),
		'pending',
		"$how: the migration stays pending");
	is( $node->safe_psql(
			'postgres', q{SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'}),
		'0',
		"$how: no migrate lock is left");
	# a stopped CREATE INDEX CONCURRENTLY leaves an INVALID index to drop
	$node->safe_psql(
		'postgres', qq{
		DROP INDEX IF EXISTS items_note_$version;
		SELECT migrate.remove('$version');
	});
}

# 2. the caller is cancelled while its worker runs
my ($blocker, $caller, $pid) = start_blocked_worker('2');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
$caller->query('SELECT 1');
like($caller->{stderr}, qr/canceling statement due to user request/,
	'cancel: the call fails with the cancel');
like($caller->{stderr},
	qr/DETAIL:  The background worker applying migration "2" was stopped after 0 of 1 statement; each completed statement is committed\. The migration stays pending\./,
	'cancel: and says the worker was stopped');
$caller->quit;
$blocker->quit;
check_stopped('cancel', '2');

# 3. the caller is terminated while its worker runs
($blocker, $caller, $pid) = start_blocked_worker('3');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
eval { $caller->quit; };
$blocker->quit;
check_stopped('terminate', '3');

# 4. the worker is killed: the postmaster restarts every backend
($blocker, $caller, $pid) = start_blocked_worker('4');
my $worker_pid = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'migrate worker'});
my $log_offset = -s $node->logfile;
kill 'KILL', $worker_pid;
$node->wait_for_log(qr/all server processes terminated; reinitializing/,
	$log_offset);
eval { $caller->quit; };
eval { $blocker->quit; };
$node->poll_query_until('postgres', 'SELECT true');
check_stopped('worker killed', '4');

# after all of that, run() works at once
($ret, $out, $err) = $node->psql('postgres',
	q{SET migrate.lock_wait = off; SELECT migrate.add('5', 'CREATE INDEX CONCURRENTLY items_note ON items (note)', transactional => false); CALL migrate.run()}
);
is($ret, 0, 'the next run() works at once') or diag($err);

# 5. lock timeouts: another session holds a lock the migration needs
$node->safe_psql('postgres',
	q{SELECT migrate.add('6', 'ALTER TABLE items ADD COLUMN flag boolean', 'ALTER TABLE items DROP COLUMN flag')}
);

sub hold_lock
{
	my $holder = $node->background_psql('postgres');
	$holder->query_safe('BEGIN');
	$holder->query_safe('LOCK items IN ACCESS SHARE MODE');
	return $holder;
}

# without retries the call fails cleanly, naming the relation
my $holder = hold_lock();
($ret, $out, $err) = $node->psql('postgres',
	q{SET migrate.lock_timeout = '50ms'; SET migrate.lock_retries = 0; SELECT count(*) FROM migrate.latest()});
like($err, qr/ERROR:  canceling statement due to lock timeout/,
	'latest() without retries: lock timeout');
like($err,
	qr/DETAIL:  Migration "6" gave up after 1 attempt\. The last attempt waited for a lock on relation "public\.items" in statement 1; process \d+ holds locks on it\. It runs \d+ \(idle in transaction\): LOCK items IN ACCESS SHARE MODE[ ;]*\./,
	'latest() without retries: the error names the relation, the holder and what it runs');
is($node->safe_psql('postgres', q{SELECT state FROM migrate.status WHERE version = '6'}),
	'pending', 'latest() without retries: nothing applied');

# with retries, latest() succeeds once the lock is released
my $bg = $node->background_psql('postgres', on_error_stop => 0);
$bg->query_safe(q{SET migrate.lock_timeout = '100ms'});
$bg->query_safe(q{SET migrate.lock_retries = 20});
$bg->query_until(qr/started/, q{
\echo started
SELECT 'applied ' || string_agg(version, ',') FROM migrate.latest();
});
$node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM pg_stat_activity
	 WHERE query LIKE 'migrate: 6 up%' OR wait_event = 'Extension'});
sleep(1);
$holder->query_safe('COMMIT');
my $res = $bg->query('SELECT 1');
like($res, qr/^applied 6$/m, 'latest() with retries returns what it applied');
is($node->safe_psql('postgres', q{SELECT state FROM migrate.status WHERE version = '6'}),
	'applied', 'latest() with retries: applied once the lock was released');
cmp_ok(
	$node->safe_psql(
		'postgres',
		q{SELECT count(*) FROM migrate.history WHERE version = '6' AND action = 'attempt'}),
	'>', 0,
	'latest() with retries: the failed attempts are in the history');
$bg->quit;

# by default, an attempt waits 3 s for a lock, then is retried: each
# retry says who holds the lock and what it runs
$node->safe_psql('postgres', q{SELECT count(*) FROM migrate.rollback()});
$holder = hold_lock();
$bg = $node->background_psql('postgres', on_error_stop => 0);
$bg->query_until(qr/started/, q{
\echo started
SELECT 'applied ' || string_agg(version, ',') FROM migrate.latest();
});
# (between attempts, the backend waits in migrate's backoff)
ok( $node->poll_query_until(
		'postgres', q{
	SELECT count(*) > 0 FROM pg_stat_activity
	 WHERE wait_event_type = 'Extension' AND backend_type = 'client backend'}),
	'by default, an attempt that waits for a lock times out and is retried');
$holder->query_safe('COMMIT');
$holder->quit;
$res = $bg->query('SELECT 1');
like($res, qr/^applied 6$/m, 'and applies once the lock is released');
like($bg->{stderr},
	qr/NOTICE:  migration "6" could not get a lock on attempt 1 of 4, retrying in 3000 ms\nDETAIL:  It waited for a lock on relation "public\.items" in statement 1; process \d+ holds locks on it\. It runs \d+ \(idle in transaction\): LOCK items IN ACCESS SHARE MODE[ ;]*\./,
	'the NOTICE of the retry says who holds the lock and what it runs');
$bg->quit;

# run() commits each failed attempt, so nothing is held while it waits
$node->safe_psql('postgres', q{SELECT count(*) FROM migrate.rollback()});
$holder = hold_lock();
$bg = $node->background_psql('postgres', on_error_stop => 0);
$bg->query_safe(q{SET migrate.lock_timeout = '100ms'});
$bg->query_safe(q{SET migrate.lock_retries = 20});
$bg->query_until(qr/started/, q{
\echo started
CALL migrate.run();
});
ok( $node->poll_query_until(
		'postgres', q{
	SELECT count(*) >= 2 FROM migrate.history
	 WHERE version = '6' AND action = 'attempt'
	   AND started_at > (SELECT max(started_at) FROM migrate.history WHERE action = 'revert')}),
	'run() with retries: attempts are committed while it retries');
$holder->query_safe('COMMIT');
$holder->quit;
$bg->query('SELECT 1');
$bg->quit;
is($node->safe_psql('postgres', q{SELECT state FROM migrate.status WHERE version = '6'}),
	'applied', 'run() with retries: applied once the lock was released');

$node->stop;

# 6. no free background worker slot: the logical replication launcher
# takes the only one
my $small = PostgreSQL::Test::Cluster->new('small');
$small->init;
$small->append_conf('postgresql.conf', 'max_worker_processes = 1');
$small->start;
$small->safe_psql(
	'postgres', q{
	CREATE EXTENSION migrate;
	CREATE TABLE t (id int);
	SELECT migrate.add('1', 'CREATE TABLE before_it (id int)');
	SELECT migrate.add('2', 'CREATE INDEX CONCURRENTLY t_id ON t (id)', transactional => false);
});
($ret, $out, $err) = $small->psql('postgres', 'CALL migrate.run()');
like($err,
	qr/ERROR:  could not start a background worker for migration "2"\nDETAIL:  Every background worker slot \(max_worker_processes = 1\) is in use/,
	'no worker slot: a clear error');
is( $small->safe_psql(
		'postgres',
		q{SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migrate.status}),
	'1:applied,2:pending',
	'no worker slot: the migrations before it stay applied, it stays pending');
$small->stop;

done_testing();
