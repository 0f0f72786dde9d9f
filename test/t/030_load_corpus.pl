# Copyright (c) 2026, The migrate contributors
#
# Why TAP: migrate.load() reads the five real migration histories of
# ../shared/corpus from their directories, which only exist on the machine
# running the tests; each is loaded into a database of its own, compared
# with its upstream order (order.tsv) and with its files, loaded again, and
# applied.
#
# What load() must do with them, as its README section says:
#   authelia   VERSION.name.up.sql: 0-byte ups become a comment, empty downs
#              make the migration irreversible
#   kestra     Flyway V1_N: 1_2 < 1_10; files without a final newline
#   harbor     golang-migrate, up only
#   crates-io  diesel, three naming eras: the 18-digit versions sort_as
#              a dotted form that keeps diesel's text order; the broken
#              down of 20170318181441 is
#              dropped; CONCURRENTLY makes a migration non-transactional,
#              also 20240412144536, whose down needs it (upstream forgot
#              its metadata.toml); empty and comment-only downs
#   hatchet    goose sections, NO TRANSACTION (once in lower case)
#
# MIGRATE_CORPUS names the corpus directory; without it the test is
# skipped with a message.

use strict;
use warnings;
use Digest::MD5 qw(md5_hex);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use MigrateCorpus;

my $corpus = require_corpus();

my $node = PostgreSQL::Test::Cluster->new('load_corpus');
$node->init;
$node->start;

# The rows of a query, each a hash of its columns (unaligned, \x1f-separated).
sub query_rows
{
	my ($db, $sql, @cols) = @_;
	my $out = $node->safe_psql($db,
		"\\pset fieldsep '\x1f'\n\\pset recordsep '\x1e'\n$sql",
		extra_params => [ '-A', '-t' ]);
	my @rows;
	foreach my $rec (split /\x1e/, $out)
	{
		next if $rec eq '';
		my @f = split /\x1f/, $rec, -1;
		push @rows, { map { $cols[$_] => $f[$_] } 0 .. $#cols };
	}
	return @rows;
}

sub load
{
	my ($db, $name) = @_;
	return query_rows(
		$db,
		"SET client_min_messages = error;
		 CREATE TEMP TABLE l AS
		 SELECT * FROM migrate.load('$corpus/$name/migrations') WITH ORDINALITY;
		 SELECT l.version, l.action, l.transactional, l.reversible,
		        coalesce(l.note, ''), l.files[1], coalesce(md5(m.up), ''),
		        coalesce(md5(m.down), '-')
		   FROM l LEFT JOIN migrate.migrations m USING (version)
		  ORDER BY l.ordinality",
		qw(version action tx reversible note upfile upmd5 downmd5));
}


# The texts load() must register for an order.tsv row: the file's text;
# a blank up becomes a comment, a blank or comment-only down NULL.
sub expected_texts
{
	my ($name, $r) = @_;
	my $dir = "$corpus/$name/migrations";
	my ($up, $down);
	if ($name eq 'hatchet')
	{
		($up, $down) = MigrateCorpus::goose_sections(MigrateCorpus::slurp("$dir/$r->{up}"));
	}
	else
	{
		$up = MigrateCorpus::slurp("$dir/$r->{up}");
		$down = $r->{down} eq '-' ? undef : MigrateCorpus::slurp("$dir/$r->{down}");
	}
	if ($up !~ /\S/)
	{
		$up = $name eq 'hatchet'
		  ? "-- the up section of $r->{up} is empty\n"
		  : "-- $r->{up} is empty\n";
	}
	$down = undef
	  if defined $down && $down =~ /\A(?:\s|--[^\n]*(?:\n|\z))*\z/;
	return ($up, $down);
}

my %prelude = (harbor => "$corpus/harbor/prelude.sql");

# Migrations whose transactional flag differs from order.tsv, and why.
my %tx_differs = ('crates-io' => { '20240412144536' => qr/statement 2 of its down script \(line 4\) is CREATE INDEX CONCURRENTLY/ });

# Migrations whose down does not parse.
my %broken_down = ('crates-io' => { '20170318181441' => qr/down script of migration "20170318181441" is not valid SQL: syntax error at or near "ALTER" \(The error is on line 2: ".*"\): registered without it, as irreversible/ });

foreach my $name (qw(authelia kestra harbor crates-io hatchet))
{
	(my $db = $name) =~ s/-/_/g;
	my @order = read_order($name);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION migrate');
	$node->safe_psql($db, MigrateCorpus::slurp($prelude{$name})) if $prelude{$name};

	my @rows = load($db, $name);
	is(scalar(@rows), scalar(@order), "$name: one row per migration");
	is(join(',', grep { $_ ne 'added' } map { $_->{action} } @rows),
		'', "$name: every migration added");

	# the order: load()'s rows and migrate's natural order are upstream's
	is(join(',', map { $_->{version} } @rows), join(',', map { $_->{version} } @order),
		"$name: versions in the upstream order");
	is(join(',', map { $_->{upfile} } @rows),
		join(',', map { $_->{up} } @order),
		"$name: files in the upstream order");
	my $status = $node->safe_psql($db,
		q{SELECT string_agg(version, ',' ORDER BY sort_key) FROM migrate.migrations});
	is($status, join(',', map { $_->{version} } @order),
		"$name: migrate's natural order is the upstream order");

	# diesel's 18-digit versions sort as their dotted form
	my @sorted_as = grep { $_->{note} =~ /registered with sort_as => '\d{14}\.\d{4}'/ } @rows;
	is(scalar(@sorted_as), scalar(grep { length($_->{version}) > 14 } @order),
		"$name: versions longer than the others are registered with sort_as");

	# transactional as upstream runs it, with the differences explained
	my @differ;
	my ($texts_ok, $downs_ok) = (0, 0);
	foreach my $i (0 .. $#rows)
	{
		my ($row, $r) = ($rows[$i], $order[$i]);
		my $want_tx = $r->{tx} eq 'tx' ? 't' : 'f';
		if ($row->{tx} ne $want_tx)
		{
			push @differ, $r->{version};
			like($row->{note}, $tx_differs{$name}{ $r->{version} } // qr/^$/,
				"$name: $r->{version} is non-transactional, and the note says why");
		}
		my ($up, $down) = expected_texts($name, $r);
		$texts_ok++ if $row->{upmd5} eq md5_hex($up);
		if ($broken_down{$name}{ $r->{version} })
		{
			like($row->{note}, $broken_down{$name}{ $r->{version} },
				"$name: the broken down of $r->{version} is dropped, and the note says why");
			$down = undef;
		}
		$downs_ok++
		  if $row->{downmd5} eq (defined $down ? md5_hex($down) : '-');
	}
	is(join(',', @differ), join(',', sort keys %{ $tx_differs{$name} // {} }),
		"$name: transactional as upstream runs it");
	is($texts_ok, scalar(@rows), "$name: every up registered as its file says");
	is($downs_ok, scalar(@rows),
		"$name: every down registered as its file says (blank: irreversible)");

	# loading again changes nothing
	@rows = load($db, $name);
	is(join(',', grep { $_ ne 'unchanged' } map { $_->{action} } @rows),
		'', "$name: loading again changes nothing");

	# apply: everything up to the first non-transactional migration
	my ($first_notx) = grep { $rows[$_]{tx} eq 'f' } 0 .. $#rows;
	my $n = $first_notx // scalar(@rows);
	my ($ret, $out, $err) = $node->psql($db,
		"SET client_min_messages = warning;
		 DO \$\$BEGIN FOR i IN 1 .. $n LOOP PERFORM migrate.up(); END LOOP; END\$\$;
		 SELECT count(*) FROM migrate.applied;",
		on_error_stop => 0);
	is($out, $n, "$name: the $n migrations before the first non-transactional one apply")
	  or diag($err);
	my $applied = $node->safe_psql($db,
		q{SELECT string_agg(version, ',' ORDER BY history_id) FROM migrate.applied});
	is($applied, join(',', map { $_->{version} } @order[ 0 .. $n - 1 ]),
		"$name: applied in the upstream order");
}

# authelia's empty downs make those migrations irreversible: rolling back
# the whole history refuses before reverting anything
my ($ret, $out, $err) = $node->psql('authelia', q{SELECT * FROM migrate.rollback(target => 'zero')});
like($err, qr/migrations "0026", "0025", "0021", "0011", "0009" are irreversible/,
	'authelia: rollback refuses, naming the migrations with an empty down');
is($node->safe_psql('authelia', 'SELECT count(*) FROM migrate.applied'),
	'26', 'authelia: and nothing was reverted');

$node->stop;
done_testing();
