# Copyright (c) 2026, The migrate contributors
#
# Why TAP: a fuzz test of the script splitter and the file loader must
# see the server survive (no backend crash, the postmaster never
# restarting) and read the files it writes.  Scripts from the corpus and
# the fixtures are mutated with a seeded generator: unterminated and
# nested dollar quotes, open comments and strings, psql meta-commands and
# variables in odd places, BEGIN ATOMIC without END, deep nesting, CR and
# CRLF line ends, long lines, and for load() bytes that are not valid in
# the database encoding.  Every case goes through migrate.statements(),
# migrate.add() and, for a share of them, migrate.load(): each either
# works or fails with a clean ERROR whose SQLSTATE is not XX000 (internal
# error), and what add() registered splits again.
#
#   MIGRATE_FUZZ_SEED (default 1), MIGRATE_FUZZ_CASES (default 2000):
#   test/fuzz.sh runs it long, with other seeds.

use strict;
use warnings;
use File::Find;
use MIME::Base64;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use MigrateCorpus;

my $seed = $ENV{MIGRATE_FUZZ_SEED} // 1;
my $cases = $ENV{MIGRATE_FUZZ_CASES} // 2000;
srand($seed);

# the seeds: corpus and fixture scripts, and some hand-made ones
my @seeds = (
	"CREATE TABLE a (id int);\nCREATE INDEX ON a (id);\n",
	"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n",
	"DO \$\$BEGIN RAISE NOTICE 'x'; END\$\$;\nSELECT 1;\n",
	"CREATE FUNCTION g() RETURNS text AS \$body\$ SELECT \$q\$a;b\$q\$ \$body\$ LANGUAGE sql;\n",
	"INSERT INTO t VALUES ('it''s', E'\\\\n', U&'\\0041');\n",
	"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO u VALUES (1); INSERT INTO u VALUES (2));\n",
	"/* outer /* nested */ still */ SELECT 1;\n-- comment\nSELECT 2;\n",
	"CREATE INDEX CONCURRENTLY i ON t (a);\n",
	"COPY t FROM STDIN;\n",
	"BEGIN;\nSELECT 1;\nCOMMIT;\n",
);
my @files;
my $corpus = corpus_dir();
find({ wanted => sub { push @files, $File::Find::name if /\.sql$/ && -f }, no_chdir => 1 },
	grep { defined && -d } ($corpus, 'test/fixtures'));
@files = sort @files;
foreach my $f (@files[ 0 .. ($#files < 150 ? $#files : 150) ])
{
	next unless defined $f;
	open my $fh, '<:raw', $f or next;
	local $/;
	my $text = <$fh>;
	close $fh;
	push @seeds, substr($text, 0, 20000) if defined $text && $text ne '';
}

my @insertions = (
	'$$', '$a$', '$a$$b$', "'", '"', '/*', '*/', '--', "\\", '\\gset', '\\i x.sql',
	':var', ":'var'", '(', ')', '((((', '))))', 'BEGIN ATOMIC', 'END', ';', ';;',
	"\r", "\r\n", "\n\n", 'E\'', 'U&"', "\t", 'BEGIN', 'COMMIT', 'COPY t FROM STDIN',
	'CREATE INDEX CONCURRENTLY x ON t (a)', 'VACUUM', '$1', '::', "\xc3\xa9", "\xe2\x82\xac", 'DO $$',
);

sub mutate
{
	my ($text) = @_;
	my $n = 1 + int(rand(4));
	for (1 .. $n)
	{
		my $pos = int(rand(length($text) + 1));
		my $kind = int(rand(6));
		if ($kind <= 2)
		{
			substr($text, $pos, 0) = $insertions[ int(rand(@insertions)) ];
		}
		elsif ($kind == 3)
		{
			substr($text, $pos, int(rand(20))) = '';
		}
		elsif ($kind == 4)
		{
			my $depth = 1 + int(rand(2000));
			substr($text, $pos, 0) = ('(' x $depth) . 'SELECT 1' . (rand() < 0.5 ? ')' x $depth : '');
		}
		else
		{
			substr($text, $pos, 0) = 'x' x (1 + int(rand(100000)));
		}
	}
	return $text;
}

my $node = PostgreSQL::Test::Cluster->new('fuzz');
$node->init;
$node->append_conf('postgresql.conf', 'restart_after_crash = off');
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION migrate;
	CREATE TABLE fuzz (id int PRIMARY KEY, script text);
	CREATE TABLE outcome (id int, fn text, sqlstate text, message text);
});
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

# the cases go in as base64, so that no quoting can break
my $copy = '';
for my $i (1 .. $cases)
{
	my $script = mutate($seeds[ int(rand(@seeds)) ]);
	utf8::encode($script) if utf8::is_utf8($script);
	# a cut may split a character: such bytes are load()'s business
	my $check = $script;
	$script =~ s/[\x80-\xff]/?/g unless utf8::decode($check);
	$copy .= "$i\t" . encode_base64($script, '') . "\n";
}
my $load_file = PostgreSQL::Test::Utils::tempdir() . '/fuzz.tsv';
PostgreSQL::Test::Utils::append_to_file($load_file, $copy);
chmod 0644, $load_file;
$node->safe_psql('postgres', qq{
	CREATE TEMP TABLE raw (id int, b64 text);
	COPY raw FROM '$load_file';
	INSERT INTO fuzz SELECT id, convert_from(decode(b64, 'base64'), 'UTF8') FROM raw;
});

my ($ret, $out, $err) = $node->psql(
	'postgres', q{
SET client_min_messages = error;
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM fuzz ORDER BY id LOOP
    BEGIN
      PERFORM count(*) FROM migrate.statements(c.script);
      INSERT INTO outcome VALUES (c.id, 'statements', '00000', NULL);
    EXCEPTION WHEN OTHERS THEN
      INSERT INTO outcome VALUES (c.id, 'statements', SQLSTATE, SQLERRM);
    END;
    BEGIN
      PERFORM migrate.add('f' || c.id, c.script);
      INSERT INTO outcome VALUES (c.id, 'add', '00000', NULL);
    EXCEPTION WHEN OTHERS THEN
      INSERT INTO outcome VALUES (c.id, 'add', SQLSTATE, SQLERRM);
    END;
  END LOOP;
END
$$;
});
is($ret, 0, "$cases mutated scripts through statements() and add(): the session survives")
  or diag($err);

# load(): directories of mutated files, some with bytes not valid in UTF8
my $base = PostgreSQL::Test::Utils::tempdir();
my $dirs = int($cases / 20);
for my $d (1 .. $dirs)
{
	mkdir "$base/d$d";
	for my $f (1 .. 3)
	{
		my $script = mutate($seeds[ int(rand(@seeds)) ]);
		utf8::encode($script) if utf8::is_utf8($script);
		$script .= "\xff\xfe" if rand() < 0.2;
		open my $fh, '>:raw', "$base/d$d/${f}_m$f.up.sql" or die;
		print $fh $script;
		close $fh;
	}
}
chmod 0755, $base, map { "$base/d$_" } 1 .. $dirs;
($ret, $out, $err) = $node->psql(
	'postgres', qq{
SET client_min_messages = error;
DO \$\$
BEGIN
  FOR d IN 1..$dirs LOOP
    BEGIN
      PERFORM count(*) FROM migrate.load('$base/d' || d);
      INSERT INTO outcome VALUES (d, 'load', '00000', NULL);
    EXCEPTION WHEN OTHERS THEN
      INSERT INTO outcome VALUES (d, 'load', SQLSTATE, SQLERRM);
    END;
  END LOOP;
END
\$\$;
});
is($ret, 0, "$dirs directories of mutated files through load(): the session survives")
  or diag($err);

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$started, 'the postmaster never restarted');
unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* was terminated/,
	'no backend crashed');

my $internal = $node->safe_psql('postgres',
	q{SELECT string_agg(fn || ' of case ' || id || ': ' || message, E'\n') FROM outcome WHERE sqlstate = 'XX000'});
is($internal, '', 'no refusal is an internal error (XX000)');
note($node->safe_psql('postgres',
	q{SELECT string_agg(fn || ' ' || sqlstate || ' ' || n, ', ' ORDER BY fn, sqlstate) FROM (SELECT fn, sqlstate, count(*) n FROM outcome GROUP BY 1, 2) s}));
cmp_ok($node->safe_psql('postgres', q{SELECT count(*) FROM outcome WHERE sqlstate = '00000' AND fn = 'add'}),
	'>', 0, 'some mutated scripts are still valid and register');

# what add() registered is whole: it splits again, with the same text
is( $node->safe_psql(
		'postgres', q{
	SELECT string_agg(m.version, ', ')
	  FROM migrate.migrations m
	 WHERE m.checksum <> migrate.checksum(m.up, m.down)
	    OR (SELECT count(*) FROM migrate.statements(m.up)) < 0}),
	'',
	'every registered migration splits again (comment-only scripts are allowed) and keeps its checksum');
is( $node->safe_psql(
		'postgres', q{
	SELECT count(*) FROM outcome o
	 WHERE o.fn = 'add' AND o.sqlstate <> '00000'
	   AND EXISTS (SELECT FROM migrate.migrations WHERE version = 'f' || o.id)}),
	'0',
	'a refused add() registered nothing');

$node->stop;
done_testing();
