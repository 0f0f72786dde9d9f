# Copyright (c) 2026, The migrate contributors
#
# Why TAP: large rollouts with CALL migrate.run(), which commits, on a
# server with PostgreSQL's default connection and lock settings:
#   - the full crates-io (285 migrations, 7 of them non-transactional)
#     and hatchet (181, 23 non-transactional) histories of
#     ../shared/corpus, registered in the order of their order.tsv with
#     their non-transactional migrations marked;
#   - a generated history of 1,000 migrations creating tables: it applies
#     with run(), reverting it in one transaction runs out of lock slots
#     (the error points to run()), and run(to => 'zero') reverts it all.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use MigrateCorpus;

my $node = PostgreSQL::Test::Cluster->new('large');
$node->init;
# the test framework lowers max_connections; use the server's default,
# which with max_locks_per_transaction = 64 sizes the lock table
$node->append_conf('postgresql.conf', 'max_connections = 100');
$node->start;

sub run_in
{
	my ($db, $sql) = @_;
	return $node->psql($db, "SET client_min_messages = warning;\n$sql");
}

# Register a history in order.tsv order, one add() at a time; a down that
# add() refuses (it can never run) is registered as irreversible.
sub register_history
{
	my ($db, @m) = @_;
	my @refused;
	foreach my $mig (@m)
	{
		my ($ret, $out, $err) = run_in($db, add_call($mig));
		next if $ret == 0;
		die "$mig->{version} refused: $err"
		  if $err !~ /down script of migration|Statement \d+ of its down script/;
		push @refused, $mig->{version};
		$mig->{down_text} = undef;
		($ret, $out, $err) = run_in($db, add_call($mig));
		die "$mig->{version} refused: $err" if $ret != 0;
	}
	return @refused;
}

SKIP:
{
	skip $MigrateCorpus::SKIP_MESSAGE, 8 unless defined corpus_dir();

	foreach my $name ('crates-io', 'hatchet')
	{
		my @rows = read_order($name);
		my @m = history($name, @rows);
		(my $db = $name) =~ s/-/_/g;
		$node->safe_psql('postgres', "CREATE DATABASE $db");
		$node->safe_psql($db, 'CREATE EXTENSION migrate');

		my @refused = register_history($db, @m);
		note("$name: downs refused at registration: @refused");
		is( $node->safe_psql(
				$db, q{SELECT count(*) FROM migrate.migrations WHERE NOT transactional}),
			scalar(grep { $_->{tx} eq 'no-tx' } @rows),
			"$name: the non-transactional migrations are marked");

		my ($ret, $out, $err) = run_in($db, 'CALL migrate.run()');
		is($ret, 0, "$name: CALL migrate.run() applies the whole history") or diag($err);
		is( $node->safe_psql(
				$db,
				q{SELECT count(*) FROM migrate.status WHERE state = 'applied'}),
			scalar(@rows),
			"$name: all " . scalar(@rows) . ' applied');
		is( $node->safe_psql(
				$db,
				q{SELECT string_agg(version, ',' ORDER BY history_id) FROM migrate.applied}),
			join(',', map { $_->{version} } @rows),
			"$name: in the upstream order");
	}
}

# 1,000 migrations, each a table with an identity key, text columns and
# six indexes: eleven relations a table, more locks than a transaction can
# hold for 1,000 of them
$node->safe_psql('postgres', 'CREATE DATABASE thousand');
$node->safe_psql('thousand', 'CREATE EXTENSION migrate');
my $sql = '';
foreach my $i (1 .. 1000)
{
	$sql .= sprintf(
		"SELECT migrate.add('%04d', \$\$CREATE TABLE t%d (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a text, b text, c text, d text, e text);\n"
		  . "CREATE INDEX ON t%d (a);\nCREATE INDEX ON t%d (b);\nCREATE INDEX ON t%d (c);\n"
		  . "CREATE INDEX ON t%d (d);\nCREATE INDEX ON t%d (e);\nCREATE INDEX ON t%d (a, b)\$\$, 'DROP TABLE t%d');\n",
		$i, $i, $i, $i, $i, $i, $i, $i, $i);
}
my ($ret, $out, $err) = run_in('thousand', $sql);
is($ret, 0, '1,000 migrations registered') or diag($err);

($ret, $out, $err) = run_in('thousand', 'CALL migrate.run()');
is($ret, 0, 'run() applies 1,000 migrations on default settings') or diag($err);
is($node->safe_psql('thousand', q{SELECT count(*) FROM migrate.applied}),
	'1000', 'all 1,000 applied');

# one transaction cannot hold the locks of 1,000 DROP TABLEs
($ret, $out, $err) = $node->psql('thousand', q{SELECT count(*) FROM migrate.rollback(target => 'zero')});
like($err, qr/ERROR:  out of shared memory/,
	'rollback(target => zero) of 1,000 tables runs out of lock slots');
like($err, qr/HINT:  .*CALL migrate\.run\(target => \.\.\.\)/,
	'and the error points to CALL migrate.run(target => ...)');
is($node->safe_psql('thousand', q{SELECT count(*) FROM migrate.applied}),
	'1000', 'and nothing was reverted');

($ret, $out, $err) = run_in('thousand', q{CALL migrate.run('zero')});
is($ret, 0, "run(to => 'zero') reverts all 1,000") or diag($err);
is( $node->safe_psql(
		'thousand',
		q{SELECT count(*) FROM migrate.applied}) . ','
	  . $node->safe_psql(
		'thousand',
		q{SELECT count(*) FROM pg_class WHERE relname ~ '^t[0-9]+$'}),
	'0,0',
	'nothing is applied and no table is left');

$node->stop;
done_testing();
