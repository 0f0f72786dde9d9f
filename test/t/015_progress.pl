# Copyright (c) 2026, The migrate contributors
#
# Why TAP: the NOTICEs of a deploy carry durations, which vary from run
# to run; their shape is checked here with patterns, as a client sees
# them: each step says "migration n of m" and how long it took in a unit
# for people, and a call of several steps ends with one summary.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('progress');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION migrate');
foreach my $v (1 .. 3)
{
	$node->safe_psql('postgres',
		"SELECT migrate.add('$v', 'CREATE TABLE t$v (id int); CREATE INDEX ON t$v (id)', 'DROP TABLE t$v')");
}

# psql's messages, without the "psql:<stdin>:1: " before each
sub deploy
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', $sql);
	$err =~ s/^psql:<stdin>:\d+: //mg;
	return (undef, undef, $err);
}

my $ms = qr/\d+(?:\.\d)? ms|\d+\.\d s/;

my ($ret, $out, $err) = deploy('SELECT count(*) FROM migrate.latest(dry_run => true)');
like($err, qr/DETAIL:  Migration 1 of 3: 2 statements in $ms\./, 'a dry run counts its steps');
unlike($err, qr/NOTICE:  applied 3 migrations/, 'but has no summary of applied migrations');
like($err, qr/NOTICE:  dry run: 3 migrations applied and rolled back/, 'it says it was a dry run');

($ret, $out, $err) = deploy(q{SELECT count(*) FROM migrate.latest(target => '3')});
like($err,
	qr/NOTICE:  applied migration "1"\nDETAIL:  Migration 1 of 3: 2 statements in $ms\.\n.*NOTICE:  applied migration "3"\nDETAIL:  Migration 3 of 3: 2 statements in $ms\.\nNOTICE:  applied 3 migrations\nDETAIL:  6 statements in $ms\./s,
	'latest() says n of m for each migration, then one summary');

($ret, $out, $err) = deploy(q{SELECT count(*) FROM migrate.rollback()});
like($err, qr/DETAIL:  Migration 3 of 3: 1 statement in $ms\..*NOTICE:  reverted 3 migrations\n/s,
	'rollback() too');

($ret, $out, $err) = deploy(q{SELECT count(*) FROM migrate.up()});
like($err, qr/NOTICE:  applied migration "1"\nDETAIL:  2 statements in $ms\./,
	'a single step has no "n of m"');
unlike($err, qr/NOTICE:  applied 1 migration/, 'and no summary');

$node->safe_psql('postgres',
	q{SELECT migrate.add('4', $m$CREATE INDEX CONCURRENTLY t1_c ON t1 (id)$m$, 'DROP INDEX t1_c', transactional => false)});
($ret, $out, $err) = deploy('CALL migrate.run()');
like($err,
	qr/DETAIL:  Migration 1 of 3: 2 statements in $ms\..*NOTICE:  applied migration "4" in a background worker\nDETAIL:  Migration 3 of 3: 1 statement in $ms\.\nNOTICE:  applied 3 migrations\n/s,
	'run() counts the steps its worker runs as well');

$node->stop;
done_testing();
