# Copyright (c) 2026, The migrate contributors
#
# Why TAP: migrate.check() is a CI gate, and what a CI job sees is psql's
# exit status: a failed check makes psql -c exit 1, and a script run with
# ON_ERROR_STOP exit 3, with SQLSTATE MG001 on stderr; a passing one exits
# 0.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('check_gate');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION migrate');
$node->safe_psql('postgres',
	q{SELECT migrate.add('1', 'CREATE TABLE a (id int)', 'DROP TABLE a')});

my $script = PostgreSQL::Test::Utils::tempdir() . '/deploy.sql';
PostgreSQL::Test::Utils::append_to_file($script,
	"SELECT migrate.check();\nSELECT 'not reached';\n");

sub gate
{
	my (@how) = @_;
	my ($stdout, $stderr);
	IPC::Run::run(
		[
			'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose',
			'-d', $node->connstr('postgres'), @how
		],
		'>', \$stdout, '2>', \$stderr);
	return ($? >> 8, $stdout, $stderr);
}

my ($status, $out, $err) = gate('-f', $script);
is($status, 3, 'a script run with ON_ERROR_STOP exits 3 while a migration is pending');
unlike($out, qr/not reached/, 'and stops at the check');
($status, $out, $err) = gate('-c', 'SELECT migrate.check()');
is($status, 1, 'psql -c exits 1');
like($err, qr/ERROR:  MG001: migrate check failed/, 'with SQLSTATE MG001');
like($err, qr/DETAIL:  1 migration is pending\./, 'and the count in the detail');

$node->safe_psql('postgres', 'SELECT count(*) FROM migrate.latest()');
($status, $out, $err) = gate('-c', 'SELECT migrate.check()');
is($status, 0, 'and exits 0 once everything is applied');
like($out, qr/\(1,0,0,0,1,0,0\)/, 'printing the summary');

$node->stop;
done_testing();
