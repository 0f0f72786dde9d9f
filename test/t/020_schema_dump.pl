# Copyright (c) 2026, The migrate contributors
#
# Why TAP: the DDL of migrate.schema() is loaded into a second database
# with psql, as a user would, and pg_dump (a client program) compares the
# two databases.
#
# The round trip: schema() of a database is loaded into an empty database
# with migrate installed; schema() there gives the same text, and
# pg_dump --schema-only of both databases is the same.  It is checked on
# test/fixtures/schema.sql (every kind of object schema() writes) and, when
# MIGRATE_CORPUS names ../shared/corpus, on the schemas the five real
# migration histories there build, their up scripts run with psql as
# their own tools would run them.

use strict;
use warnings;
use File::Basename qw(dirname);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $fixture = dirname(__FILE__) . '/../fixtures/schema.sql';
my $corpus = $ENV{MIGRATE_CORPUS} // '';
my $tempdir = PostgreSQL::Test::Utils::tempdir;

my $node = PostgreSQL::Test::Cluster->new('schema');
$node->init;
$node->append_conf('postgresql.conf', 'max_locks_per_transaction = 256');
$node->start;
$node->safe_psql('postgres',
	'CREATE ROLE regress_schema_reader; CREATE ROLE regress_schema_writer;');

# Run a SQL file with psql, stopping at the first error.
sub run_file
{
	my ($db, $file, $what) = @_;
	my ($stdout, $stderr);
	my $ok = IPC::Run::run(
		[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $file, '-d', $node->connstr($db) ],
		'>', \$stdout, '2>', \$stderr);
	ok($ok, $what) or diag($stderr);
}

sub schema_only_dump
{
	my ($db) = @_;
	my ($stdout, $stderr);
	IPC::Run::run([ 'pg_dump', '--schema-only', '-d', $node->connstr($db) ],
		'>', \$stdout, '2>', \$stderr)
	  or die "pg_dump failed: $stderr";
	$stdout =~ s/^\\(un)?restrict .*$//mg;	# a random key per dump since 15.14
	return $stdout;
}

# schema() of "$name" loaded into "$name.copy" gives the same schema()
# and the same pg_dump.
sub round_trip
{
	my ($name) = @_;
	my $copy = "$name.copy";
	my $ddl = $node->safe_psql($name, 'SELECT migrate.schema()');
	append_to_file("$tempdir/$name.sql", "$ddl\n");

	$node->safe_psql('postgres', qq{CREATE DATABASE "$copy"});
	$node->safe_psql($copy, 'CREATE EXTENSION migrate');
	run_file($copy, "$tempdir/$name.sql", "$name: schema() loads into an empty database");
	is($node->safe_psql($copy, 'SELECT migrate.schema()'),
		$ddl, "$name: schema() of the copy is the same text");
	my $dump = schema_only_dump($name);
	is(schema_only_dump($copy), $dump, "$name: pg_dump --schema-only of both is the same");
	return ($ddl, $dump);
}

# the fixture: every kind of object
{
	$node->safe_psql('postgres', 'CREATE DATABASE fixture');
	$node->safe_psql('fixture', 'CREATE EXTENSION migrate');
	run_file('fixture', $fixture, 'the fixture loads');

	# What only newer servers have: from 17 on a domain's NOT NULL has a
	# name; 18 catalogs a table's NOT NULL as a constraint (a name, NO
	# INHERIT, NOT VALID, inherited by children) and makes generated
	# columns VIRTUAL unless told STORED.
	$node->safe_psql('fixture', q{
		CREATE DOMAIN "t30 Shop".required_int AS int
		  CONSTRAINT required_int_present NOT NULL;
	}) if $node->pg_version >= 17;
	$node->safe_psql('fixture', q{
		CREATE TABLE "t30 Shop".nn18 (
		    a int CONSTRAINT nn18_a_present NOT NULL,
		    b int NOT NULL NO INHERIT,
		    c int,
		    d int NOT NULL,
		    v int GENERATED ALWAYS AS (a * 2),
		    s int GENERATED ALWAYS AS (a * 3) STORED);
		ALTER TABLE "t30 Shop".nn18 ADD CONSTRAINT nn18_c_later NOT NULL c NOT VALID;
		CREATE TABLE "t30 Shop".nn18_child (e int CONSTRAINT child_e_present NOT NULL)
		  INHERITS ("t30 Shop".nn18);
	}) if $node->pg_version >= 18;
	my ($ddl, $dump) = round_trip('fixture');
	like($dump, qr/^CREATE TABLE "t30 Shop".customers \(/m,
		'the dump has the tables');
	like($ddl, qr/^CREATE POLICY north_only ON "t30 Shop".customers /m,
		'the DDL has the policies');

	# psql without ON_ERROR_STOP and with a single transaction too
	$node->safe_psql('postgres', 'CREATE DATABASE fixture1');
	$node->safe_psql('fixture1', 'CREATE EXTENSION migrate');
	my ($stdout, $stderr);
	IPC::Run::run(
		[ 'psql', '-X', '-q', '-1', '-f', "$tempdir/fixture.sql", '-d', $node->connstr('fixture1') ],
		'>', \$stdout, '2>', \$stderr);
	unlike($stderr, qr/ERROR/, 'psql -1 loads it without errors');
	is(schema_only_dump('fixture1'), $dump, 'to the same schema');
}

# the corpus: each history's up scripts, in its tool's order, with psql
SKIP:
{
	skip 'the corpus of real migration histories is not available (set MIGRATE_CORPUS to ../shared/corpus)', 1
	  if $corpus eq '' || !-d $corpus;

	foreach my $name ('authelia', 'kestra', 'harbor', 'hatchet', 'crates-io')
	{
		my $dir = "$corpus/$name";
		my $sql = $name eq 'harbor' ? slurp_file("$dir/prelude.sql") : '';
		open my $order, '<', "$dir/order.tsv" or die "cannot read $dir/order.tsv: $!";
		<$order>;
		while (my $line = <$order>)
		{
			chomp $line;
			my (undef, undef, $up, undef, $tx) = split /\t/, $line;
			my $text = slurp_file("$dir/migrations/$up");
			# goose keeps both directions in one file: take the Up section
			$text = $1 if $name eq 'hatchet'
			  && $text =~ /^--\s*\+goose\s+Up\b[^\n]*\n(.*?)(?=^--\s*\+goose\s+Down\b|\z)/msi;
			$sql .= $tx eq 'tx' ? "BEGIN;\n$text\n;\nCOMMIT;\n" : "$text\n;\n";
		}
		close $order;
		append_to_file("$tempdir/$name.history.sql", $sql);

		$node->safe_psql('postgres', qq{CREATE DATABASE "$name"});
		run_file($name, "$tempdir/$name.history.sql", "$name: its history applies");
		$node->safe_psql($name, 'CREATE EXTENSION migrate');
		my ($stdout, $stderr);
		$node->psql($name, 'SELECT length(migrate.schema()) > 0',
			stdout => \$stdout, stderr => \$stderr);
		is($stderr, '', "$name: schema() has no warning");
		round_trip($name);
	}
}

$node->stop;
done_testing();
