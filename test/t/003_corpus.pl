# Copyright (c) 2026, The migrate contributors
#
# Why TAP: the real migration histories of ../shared/corpus are read from
# files, registered with migrate.add() and applied in databases of their
# own; a perl script can read the files and compare pg_dump output.
#
# The histories were written by other projects for other tools:
#   authelia   26 migrations with downs: applies, rolls back completely
#              with rollback(all), applies again to the same schema
#   kestra     26 Flyway migrations (V1_2 < V1_10): natural order
#   harbor     39 golang-migrate migrations, after its prelude.sql
#   crates-io  the 218 diesel migrations before its first
#              non-transactional one, then that one is refused by latest()
#   hatchet    the 36 goose migrations before its first NO TRANSACTION one
# Each history is registered in reverse order, so that only migrate's
# natural version order can put it right; the order applied must equal
# the upstream tool's order in order.tsv.
#
# MIGRATE_CORPUS names the corpus directory; without it the test is
# skipped with a message.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use MigrateCorpus;

my $corpus = require_corpus();

my $node = PostgreSQL::Test::Cluster->new('corpus');
$node->init;
$node->start;

sub register
{
	my ($db, @migrations) = @_;
	my $sql = "SET client_min_messages = warning;\n";
	$sql .= add_call($_) foreach reverse @migrations;
	return $node->psql($db, $sql, on_error_stop => 0);
}

sub new_db
{
	my ($db, $prelude) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE \"$db\"");
	$node->safe_psql($db, 'CREATE EXTENSION migrate');
	$node->safe_psql($db, $prelude) if defined $prelude;
}

sub applied_order
{
	my ($db) = @_;
	return $node->safe_psql($db,
		q{SELECT string_agg(version, ',' ORDER BY history_id) FROM migrate.applied});
}

sub latest
{
	my ($db) = @_;
	return $node->psql($db,
		"SET client_min_messages = warning; SELECT count(*) FROM migrate.latest();",
		on_error_stop => 0);
}

sub schema_dump
{
	my ($db) = @_;
	my $out = `pg_dump -s --exclude-schema=migrate -d "@{[ $node->connstr($db) ]}"`;
	die "pg_dump failed" if $?;
	$out =~ s/^\\(un)?restrict .*$//mg;	# random per dump since 15.14
	return $out;
}

# authelia: up, all the way down, up again to the same schema
{
	my @rows = read_order('authelia');
	my @m = history('authelia', @rows);
	new_db('authelia');
	my ($ret, $out, $err) = register('authelia', @m);
	is($ret, 0, 'authelia: 26 migrations registered') or diag($err);
	($ret, $out, $err) = latest('authelia');
	is($out, scalar(@rows), 'authelia: latest() applies all') or diag($err);
	is(applied_order('authelia'), join(',', map { $_->{version} } @rows),
		'authelia: in the upstream order');
	my $schema = schema_dump('authelia');

	($ret, $out, $err) = $node->psql('authelia',
		q{SET client_min_messages = warning; SELECT count(*) FROM migrate.rollback(target => 'zero');});
	is($out, scalar(@rows), 'authelia: rollback(all) reverts all') or diag($err);
	is( $node->safe_psql(
			'authelia', q{
		SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname = 'public'}),
		'0',
		'authelia: nothing left after the rollback');

	($ret, $out, $err) = latest('authelia');
	is($out, scalar(@rows), 'authelia: applies again') or diag($err);
	is(schema_dump('authelia'), $schema, 'authelia: to the same schema');
}

# kestra: Flyway versions 1_1 .. 1_26, where 1_10 sorts after 1_9
{
	my @rows = read_order('kestra');
	my @m = history('kestra', @rows);
	new_db('kestra');
	my ($ret, $out, $err) = register('kestra', @m);
	is($ret, 0, 'kestra: registered') or diag($err);
	($ret, $out, $err) = latest('kestra');
	is($out, scalar(@rows), 'kestra: latest() applies all') or diag($err);
	is(applied_order('kestra'), join(',', map { $_->{version} } @rows),
		'kestra: in Flyway order');
}

# harbor: golang-migrate, needs the table golang-migrate creates
{
	my @rows = read_order('harbor');
	my @m = history('harbor', @rows);
	new_db('harbor', MigrateCorpus::slurp("$corpus/harbor/prelude.sql"));
	my ($ret, $out, $err) = register('harbor', @m);
	is($ret, 0, 'harbor: registered') or diag($err);
	($ret, $out, $err) = latest('harbor');
	is($out, scalar(@rows), 'harbor: latest() applies all') or diag($err);
	is(applied_order('harbor'), join(',', map { $_->{version} } @rows),
		'harbor: in order');
}

# crates-io: diesel, three naming eras; up to the first non-transactional
{
	my @rows = read_order('crates-io');
	my ($first_notx) = grep { $rows[$_]{tx} eq 'no-tx' } 0 .. $#rows;
	my @m = history('crates-io', @rows[ 0 .. $first_notx - 1 ]);
	new_db('crates');

	# add() refuses downs that can never work, naming migration and line
	my @refused;
	foreach my $mig (@m)
	{
		my ($ret, $out, $err) = $node->psql('crates', add_call($mig));
		next if $ret == 0;
		push @refused, $mig->{version};
		like($err,
			qr/down script of migration "$mig->{version}" is not valid SQL: syntax error at or near "ALTER"\nDETAIL:  The error is on line 2: "/,
			"crates-io: broken down of $mig->{version} refused at add()");
		# register it as irreversible instead
		$mig->{down_text} = undef;
		$node->safe_psql('crates', add_call($mig));
	}
	is(join(',', @refused), '20170318181441', 'crates-io: one broken down in the prefix');

	my ($ret, $out, $err) = latest('crates');
	is($out, scalar(@m), "crates-io: latest() applies the $first_notx transactional migrations")
	  or diag($err);
	is(applied_order('crates'), join(',', map { $_->{version} } @m),
		'crates-io: in diesel order');

	# the first non-transactional one is for CALL migrate.run()
	my ($notx) = history('crates-io', $rows[$first_notx]);
	$node->safe_psql('crates', add_call($notx));
	($ret, $out, $err) = latest('crates');
	like($err,
		qr/migration "$notx->{version}" is not transactional.*\n.*\nHINT:  Run CALL migrate.run\(\)/,
		'crates-io: latest() stops before the non-transactional migration');
	is( $node->safe_psql(
			'crates', q{SELECT count(*) FROM migrate.status WHERE state = 'applied'}),
		scalar(@m),
		'crates-io: and nothing more is applied');
}

# hatchet: goose files with Up and Down sections, up to NO TRANSACTION
{
	my @rows = read_order('hatchet');
	my ($first_notx) = grep { $rows[$_]{tx} eq 'no-tx' } 0 .. $#rows;
	my @m = history('hatchet', @rows[ 0 .. $first_notx - 1 ]);
	new_db('hatchet');
	my ($ret, $out, $err) = register('hatchet', @m);
	is($ret, 0, 'hatchet: registered') or diag($err);
	($ret, $out, $err) = latest('hatchet');
	is($out, scalar(@m), "hatchet: latest() applies the $first_notx transactional migrations")
	  or diag($err);
	is(applied_order('hatchet'), join(',', map { $_->{version} } @m),
		'hatchet: in goose order');
}

$node->stop;
done_testing();
