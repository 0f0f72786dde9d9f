# Copyright (c) 2026, The migrate contributors
#
# Why TAP: a backend's peak memory is seen only from outside SQL, in
# /proc, of a backend of its own.  add() of a large migration and
# statements() (which any role may call) must stay within a few times
# the script's size: 0.1.0 kept the parse trees of the whole script, and
# peaked at 20 to 40 times it (a 100 MB data migration took 1.25 GB, or
# more).  test/bench/memory.sh prints the ratios for two sizes side by
# side; this test holds the line with some room.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('memory');
$node->init;
# shared buffers the INSERT of add() touches count in the backend's
# resident size; keep them small next to the script
$node->append_conf('postgresql.conf', 'shared_buffers = 16MB');
$node->start;

# AddressSanitizer keeps freed memory in quarantine: peaks mean nothing
my $so = $node->config_data('--pkglibdir') . '/migrate.so';
open(my $fh, '<:raw', $so) or die "could not open $so: $!";
my $binary = do { local $/; <$fh> };
close($fh);
plan skip_all => 'migrate is built with AddressSanitizer'
  if $binary =~ /__asan_default_options/;

$node->safe_psql('postgres', 'CREATE EXTENSION migrate');

# a 20 MB data migration: INSERTs of about 90 bytes each
my $script = $node->basedir . '/big.sql';
open($fh, '>', $script) or die "could not create $script: $!";
my $size = 0;
for (my $i = 1; $size < 20 * 1024 * 1024; $i++)
{
	my $line = "INSERT INTO t (id, note) VALUES ($i, 'a note of about sixty bytes, to look real');\n";
	print $fh $line;
	$size += length($line);
}
close($fh);

# peak private memory (kB) of a fresh backend running "sql"
sub peak_kb
{
	my ($sql) = @_;
	my $status = q{(SELECT pg_read_file('/proc/self/status') AS s)};
	my $out = $node->safe_psql(
		'postgres', qq{
CREATE TEMP TABLE m AS
  SELECT (regexp_match(s, 'VmHWM:\\s+(\\d+)'))[1]::bigint AS hwm,
         (regexp_match(s, 'RssShmem:\\s+(\\d+)'))[1]::bigint AS shmem FROM $status x;
$sql;
SELECT (regexp_match(s, 'VmHWM:\\s+(\\d+)'))[1]::bigint - m.hwm
       - ((regexp_match(s, 'RssShmem:\\s+(\\d+)'))[1]::bigint - m.shmem)
  FROM $status x, m});
	my @lines = split /\n/, $out;
	return $lines[-1];
}

my $kb = $size / 1024;
my $read = peak_kb(qq{SELECT length(pg_read_file('$script'))});
# the measure sees the script read into memory, once
cmp_ok($read, '>', 0.8 * $kb, 'reading the script shows as about its size');
cmp_ok($read, '<', 1.5 * $kb, 'and no more');

my $statements = peak_kb(qq{SELECT count(*) FROM migrate.statements(pg_read_file('$script'))});
cmp_ok($statements / $kb, '<', 5,
	sprintf('statements() peaks at %.1f times the script (at most 5)', $statements / $kb));

my $add = peak_kb(qq{SELECT migrate.add('1', pg_read_file('$script'))});
cmp_ok($add / $kb, '<', 7,
	sprintf('add() peaks at %.1f times the script (at most 7)', $add / $kb));
is($node->safe_psql('postgres', q{SELECT length(up) FROM migrate.migrations WHERE version = '1'}),
	$size, 'and registered it whole');

$node->stop;
done_testing();
