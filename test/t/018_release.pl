# Copyright (c) 2026, The migrate contributors
#
# Why TAP: a release runs later, from pg_cron's scheduler, in a session of
# its own: that needs a server started with pg_cron preloaded and a clock
# that moves.  A release scheduled a few seconds ahead (pg_cron runs it at
# the next minute) applies what was approved, records its outcome and
# removes its job; a release whose migration changed after it was
# approved refuses, records why, and applies nothing; a release whose
# migration fails records the whole error.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('release');
my $pkglibdir = $node->config_data('--pkglibdir');
my $sharedir = $node->config_data('--sharedir');
if (!-e "$pkglibdir/pg_cron.so" || !-e "$sharedir/extension/pg_cron.control")
{
	plan skip_all => "pg_cron is not installed in $pkglibdir (install postgresql-NN-cron)";
}

$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron');
$node->safe_psql('postgres', 'CREATE EXTENSION migrate');
$node->safe_psql('postgres',
	'ALTER DATABASE postgres SET migrate.require_approval = on');

# wait for release $id to leave the states scheduled and running
sub wait_for_release
{
	my ($id) = @_;
	my $done = $node->poll_query_until(
		'postgres', qq{
SELECT state NOT IN ('scheduled', 'running')
  FROM migrate.release_status WHERE id = $id}, 't');
	ok($done, "release $id ran") or diag($node->safe_psql('postgres',
		'SELECT * FROM cron.job_run_details'));
	return;
}

# pg_cron has minute granularity: poll long enough for the next minute
$PostgreSQL::Test::Utils::timeout_default = 180
  if $PostgreSQL::Test::Utils::timeout_default < 180;

$node->safe_psql(
	'postgres', q{
SET migrate.allow_self_approval = on;
SELECT migrate.add('1', 'CREATE TABLE released_a (id int)', 'DROP TABLE released_a');
SELECT migrate.add('2', 'CREATE TABLE released_b (id int)', 'DROP TABLE released_b');
SELECT migrate.approve('1', note => 'new table');
SELECT migrate.approve('2', note => 'new table');
});
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	q{SELECT migrate.release(at => now() + interval '3 seconds', note => 'first')});
is($stdout, '1', 'release() returns the id of the release');
like($stderr, qr/NOTICE:  release 1 is scheduled for .* as pg_cron job \d+/,
	'and says when it runs and which pg_cron job runs it');
is( $node->safe_psql(
		'postgres', q{
SELECT j.command FROM cron.job j JOIN migrate.releases r ON r.cron_job = j.jobid
 WHERE r.id = 1}),
	'CALL migrate.run_release(1)',
	'the job calls run_release()');

wait_for_release(1);
is( $node->safe_psql(
		'postgres', q{
SELECT state, run_by = current_user, started_at <= finished_at,
       sqlstate IS NULL AND message IS NULL
  FROM migrate.release_status WHERE id = 1}),
	'succeeded|t|t|t',
	'the release succeeded, as its role, and says when');
is($node->safe_psql('postgres', q{SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migrate.status}),
	'1:applied,2:applied', 'it applied the approved migrations');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cron.job}),
	'0', 'and removed its pg_cron job');
is( $node->safe_psql(
		'postgres', q{SELECT status FROM cron.job_run_details ORDER BY runid DESC LIMIT 1}),
	'succeeded',
	'pg_cron saw it succeed');

# a migration changed after its approval: the release refuses
$node->safe_psql(
	'postgres', q{
SET migrate.allow_self_approval = on;
SELECT migrate.add('3', 'CREATE TABLE released_c (id int)', 'DROP TABLE released_c');
SELECT migrate.approve('3', note => 'new table');
SELECT migrate.release(at => now() + interval '3 seconds', note => 'second');
SELECT migrate.add('3', 'CREATE TABLE released_c (id int, secret text)', 'DROP TABLE released_c');
});
wait_for_release(2);
my $row = $node->safe_psql(
	'postgres', q{
SELECT state, sqlstate, message, detail, hint IS NOT NULL, finished_at IS NOT NULL
  FROM migrate.release_status WHERE id = 2});
is( $row,
	'refused|MG004|release 2 differs from what was approved|1 migration differs ("3": text changed since it was approved). Nothing was applied.|t|t',
	'the release refused what differs from what was approved, and recorded why');
is($node->safe_psql('postgres', q{SELECT state FROM migrate.status WHERE version = '3'}),
	'pending', 'nothing was applied');
is($node->safe_psql('postgres', q{SELECT to_regclass('released_c') IS NULL}),
	't', 'nor run');
is( $node->safe_psql(
		'postgres',
		q{SELECT action || ': ' || detail FROM migrate.history WHERE version = '3' ORDER BY id DESC LIMIT 1}),
	'refuse: release 2: text changed since it was approved',
	'the refusal is in the history');
like(
	$node->safe_psql(
		'postgres',
		q{SELECT status || ': ' || return_message FROM cron.job_run_details ORDER BY runid DESC LIMIT 1}),
	qr/^failed: ERROR: +release 2 differs from what was approved/,
	'pg_cron saw it fail');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cron.job}),
	'0', 'and its job is gone too');

# a migration that fails: the release records the whole error
$node->safe_psql(
	'postgres', q{
SET migrate.allow_self_approval = on;
SELECT migrate.remove('3');
SELECT migrate.add('4', 'CREATE TABLE released_d (id int); SELECT 1/0', 'DROP TABLE released_d');
SELECT migrate.approve('4', note => 'looks harmless');
SELECT migrate.release(at => now() + interval '3 seconds', note => 'third');
});
wait_for_release(3);
like(
	$node->safe_psql(
		'postgres', q{
SELECT state || '|' || sqlstate || '|' || message || '|' || context
  FROM migrate.release_status WHERE id = 3}),
	qr/^failed\|22012\|division by zero\|.*up script of migration "4", statement 2 of 2/s,
	'a failed release records the SQLSTATE, the message and the context');
is( $node->safe_psql(
		'postgres', q{
SELECT string_agg(version || ':' || action, ',' ORDER BY id)
  FROM migrate.history WHERE version = '4'}),
	'4:approve,4:fail',
	'the failure is in the history, as run() records it');
is($node->safe_psql('postgres', q{SELECT to_regclass('released_d') IS NULL}),
	't', 'and the failed migration is rolled back');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cron.job}),
	'0', 'its job is gone');

$node->stop;
done_testing();
