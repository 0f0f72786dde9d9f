# Copyright (c) 2026, The migrate contributors
#
# Why TAP: a bundle is a file shipped from one database to another and run
# there with psql -f, as a deploy does; this test writes it, runs it in
# other databases of the cluster, and looks at psql's exit status.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('bundle');
$node->init;
$node->start;

my $dir = PostgreSQL::Test::Utils::tempdir;

foreach my $db (qw(staging production drifted))
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
}
$node->safe_psql('staging', 'CREATE EXTENSION migrate');

# staging: migrations with awkward text, some applied, seeds
$node->safe_psql(
	'staging', q{
SET client_min_messages = warning;
SELECT migrate.add('1', 'CREATE TABLE accounts (id int PRIMARY KEY, note text)',
                   'DROP TABLE accounts', name => 'accounts');
SELECT migrate.add('2', $q$CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $m$SELECT '$m1$'$m$$q$,
                   'DROP FUNCTION f()', name => 'f: $m$ inside');
SELECT migrate.add('3', $q$INSERT INTO accounts VALUES (1, 'back\slash');
-- ends with $m$q$,
                   name => 'data', environments => ARRAY['staging', 'production']);
SELECT migrate.add('4', 'CREATE INDEX CONCURRENTLY accounts_note ON accounts (note)',
                   'DROP INDEX CONCURRENTLY accounts_note', transactional => false);
SELECT migrate.add_seed('1_admin', $q$INSERT INTO accounts VALUES (0, 'admin')$q$);
SET migrate.environment = 'staging';
SELECT count(*) FROM migrate.up('1');
SELECT count(*) FROM migrate.up('2');
SELECT count(*) FROM migrate.up('3');
SELECT count(*) FROM migrate.seed();
});

sub bundle
{
	my ($db, $file) = @_;
	my $text = $node->safe_psql($db, 'SELECT migrate.bundle()');
	open my $fh, '>', $file or die $!;
	print $fh $text, "\n";
	close $fh;
}

sub run_file
{
	my ($db, $file) = @_;
	my ($stdout, $stderr);
	my $ret = IPC::Run::run(
		[ 'psql', '-X', '-q', '-d', $node->connstr($db), '-f', $file ],
		'>', \$stdout, '2>', \$stderr);
	return ($ret, $stderr);
}

my $registry = q{SELECT string_agg(concat_ws('|', version, name, checksum, transactional, environments),
                                   E'\n' ORDER BY sort_key) FROM migrate.migrations};
my $seeds = q{SELECT string_agg(concat_ws('|', name, checksum, repeatable, environments),
                                E'\n' ORDER BY sort_key) FROM migrate.seeds};
my $status = q{SELECT string_agg(concat_ws('|', version, name, reversible, transactional),
                                 E'\n' ORDER BY version) FROM migrate.status};

# production has no extension yet: the bundle creates it and registers
bundle('staging', "$dir/release.sql");
my ($ret, $err) = run_file('production', "$dir/release.sql");
ok($ret, 'the bundle runs in a database without migrate') or diag($err);
is($node->safe_psql('production', $registry), $node->safe_psql('staging', $registry),
	'the same migrations, checksums, flags and environments');
is($node->safe_psql('production', $seeds), $node->safe_psql('staging', $seeds),
	'the same seeds');
is($node->safe_psql('production', $status), $node->safe_psql('staging', $status),
	'the same status, but for what was applied');
is( $node->safe_psql('production',
		q{SELECT string_agg(state, ',' ORDER BY version) FROM migrate.status}),
	'pending,pending,skipped,pending',
	'nothing applied: a bundle only registers (3 is for staging and production)');

# production deploys: what staging applied, it applies the same way
$node->safe_psql('production', q{
SET client_min_messages = warning;
SET migrate.environment = 'production';
SELECT count(*) FROM migrate.up('1');
SELECT count(*) FROM migrate.up('2');
SELECT count(*) FROM migrate.up('3');
SELECT count(*) FROM migrate.seed();
});
is( $node->safe_psql('production',
		q{SELECT string_agg(checksum, ',' ORDER BY version) FROM migrate.applied}),
	$node->safe_psql('staging',
		q{SELECT string_agg(checksum, ',' ORDER BY version) FROM migrate.applied}),
	'applied with the same checksums');
is($node->safe_psql('production', q{SELECT f() || ' ' || (SELECT note FROM accounts WHERE id = 1)}),
	'$m1$ back\\slash', 'the scripts ran as written');

# running the same bundle again changes nothing
($ret, $err) = run_file('production', "$dir/release.sql");
ok($ret, 'the bundle runs again') or diag($err);
is($node->safe_psql('production', $registry), $node->safe_psql('staging', $registry),
	'and the registry is the same');

# a database where migration 1 was applied with other text: the bundle
# stops at that migration and registers nothing
$node->safe_psql('drifted', q{
CREATE EXTENSION migrate;
SET client_min_messages = warning;
SELECT count(*) FROM migrate.apply('1', 'CREATE TABLE accounts (id bigint PRIMARY KEY)');
});
($ret, $err) = run_file('drifted', "$dir/release.sql");
ok(!$ret, 'the bundle fails where an applied migration has other text');
like($err, qr/ERROR:  migration "1" is already applied with different text/,
	'psql says which migration');
is($node->safe_psql('drifted', 'SELECT string_agg(version, \',\') FROM migrate.migrations'),
	'1', 'nothing of the bundle was registered');
is($node->safe_psql('drifted', 'SELECT count(*) FROM migrate.seeds'), '0',
	'not even the seeds');

$node->stop;
done_testing();
