# Copyright (c) 2026, The migrate contributors
#
# Why TAP: pg_dump is a client program, and the property is about the
# whole database as it dumps.
#
# After plan(), a pg_dump of the database is byte-identical to the one
# before (but for pg_dump's random \restrict key): the registry, the
# applied set, the history, the DDL history (rows and the sequences that
# number them), the tables and their data are as they were.  Checked for a plan of migrations that rewrite, add
# metadata, backfill and index, in a database with history and DDL
# history already, for a plan stopped by a lock another session holds,
# for a plan whose first statement fails, and for a plan with a target.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('plan');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql(
	'app', q{
	SET client_min_messages = warning;
	CREATE EXTENSION migrate;
	SELECT migrate.add('0001', 'CREATE TABLE accounts (id int PRIMARY KEY, balance int, note text)',
	                   'DROP TABLE accounts');
	SELECT count(*) FROM migrate.latest();
	INSERT INTO accounts SELECT g, g, 'n' || g FROM generate_series(1, 1000) g;
	SELECT migrate.add('0002', 'ALTER TABLE accounts ADD COLUMN flag boolean');
	SELECT migrate.add('0003', $$ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;
UPDATE accounts SET flag = balance > 500$$);
	SELECT migrate.add('0004', 'CREATE INDEX accounts_flag ON accounts (flag)');
	SELECT migrate.add('0005', 'CREATE TABLE audit (id bigint, at timestamptz DEFAULT now())');
});

sub dump_app
{
	my ($name) = @_;
	my $file = $node->basedir . "/$name.sql";
	$node->command_ok([ 'pg_dump', '-d', $node->connstr('app'), '-f', $file ],
		"pg_dump $name");
	my $out = slurp_file($file);
	# the one line that differs between any two dumps: a random key per
	# dump since 15.14
	$out =~ s/^\\(un)?restrict .*$//mg;
	return $out;
}

sub plan_rows
{
	my ($sql) = @_;
	return $node->safe_psql('app',
		"SET client_min_messages = warning; $sql");
}

my $before = dump_app('before');

# a plan that runs everything pending
my $rows = plan_rows(
	q{SELECT string_agg(version || '.' || statement || ':' || outcome, ' ' ORDER BY version, statement)
	    FROM migrate.plan()});
is($rows, '0002.1:measured 0003.1:measured 0003.2:measured 0004.1:measured 0005.1:measured',
	'plan() measured every pending statement');
is(dump_app('after_plan'), $before, 'pg_dump after plan() is identical');

# with a target
$rows = plan_rows(q{SELECT count(*) FROM migrate.plan(target => '0003')});
is($rows, '3', 'plan(target) measured up to the target');
is(dump_app('after_target'), $before, 'pg_dump after plan(target) is identical');

# stopped by a lock another session holds: its first migration ran
my $holder = $node->background_psql('app');
$holder->query_safe('BEGIN; LOCK TABLE accounts IN ACCESS SHARE MODE;');
$rows = plan_rows(
	q{SELECT string_agg(version || '.' || statement || ':' || outcome, ' ' ORDER BY version, statement)
	    FROM migrate.plan() WHERE outcome <> 'sequence'});
is($rows, '0002.1:blocked', 'plan() was blocked by the other session');
$holder->query_safe('COMMIT;');
$holder->quit;
is(dump_app('after_blocked'), $before, 'pg_dump after a blocked plan() is identical');

# a first statement that fails
$node->safe_psql('app',
	q{SELECT migrate.add('0001.5', 'INSERT INTO accounts (id) VALUES (1)')});
$before = dump_app('before_failure');
$rows = plan_rows(
	q{SELECT string_agg(version || '.' || statement || ':' || outcome, ' ' ORDER BY version, statement)
	    FROM migrate.plan()});
is($rows, '0001.5.1:failed', 'plan() reported the failure');
is(dump_app('after_failure'), $before, 'pg_dump after a failed plan() is identical');

$node->stop;
done_testing();
