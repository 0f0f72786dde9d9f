# Copyright (c) 2026, The migrate contributors
#
# Why TAP: the files of migrate.export_all() are written by psql in a
# shell, with the recipe the README gives, and the knex modules are run
# by node, outside the server.
#
# Every registered migration is written to a file of its own; each file
# holds exactly what export() returns, and migrate.load() reads the sql
# files back.  With seeds => true, the README's recipe for a knex project
# writes migrations/ and seeds/: each seed file holds what export_seed()
# returns, knex's file-name order is migrate's seed order, and each seed
# module, run with a fake knex, sends the seed's statements in one
# transaction, after checking migrate.environment when the seed has
# environments.  Each knex module is then loaded
# with a fake knex whose raw() collects the SQL that knex would send to
# PostgreSQL (knex turns \? into ? and any other ? into a $n binding):
# the statements must be those migrate runs for the migration's up and
# down scripts, one knex.raw() call each.  When node is on PATH it
# evaluates the modules; the test also parses them in perl, so that it
# runs without node too, and says which it did.

use strict;
use warnings;
use Digest::MD5 qw(md5_hex);
use Encode qw(decode);
use File::Basename qw(dirname);
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $fixture = dirname(__FILE__) . '/../fixtures/schema.sql';
my $tempdir = PostgreSQL::Test::Utils::tempdir;

my $node = PostgreSQL::Test::Cluster->new('export');
$node->init;
$node->start;
$node->safe_psql('postgres',
	'CREATE ROLE regress_schema_reader; CREATE ROLE regress_schema_writer;');
$node->safe_psql('postgres', 'CREATE DATABASE files');
$node->safe_psql('files', 'CREATE EXTENSION migrate');

# a baseline of the fixture (a big up script with function bodies, ? and
# $$ quotes), and migrations with everything JavaScript and knex need
# escaped
IPC::Run::run([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', $fixture,
		'-d', $node->connstr('files') ])
  or die 'the fixture does not load';
$node->safe_psql(
	'files', q{
	SET client_min_messages = warning;
	SELECT migrate.baseline('0000');
	SELECT migrate.add('0001', E'CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n-- searched by body\nCREATE INDEX notes_body ON notes (body);\n',
	                   'DROP TABLE notes', name => 'Create notes!');
	SELECT migrate.add('0002', E'SELECT ''{"a": 1}''::jsonb ? ''a'';\r\nSELECT $x$`${y}` \\\\d ?? $x$;\nSELECT ''x'' AS "why?"',
	                   name => 'escapes');
	SELECT migrate.add('0003', 'CREATE INDEX CONCURRENTLY notes_id ON notes (id)', '',
	                   name => 'no transaction', transactional => false);
	SELECT migrate.add('0004', E'-- nothing to do yet\n', E'SELECT 1;\nSELECT 2');
});

my @versions = split /\n/,
  $node->safe_psql('files', 'SELECT version FROM migrate.status ORDER BY version');
is(scalar(@versions), 5, 'five migrations registered');

# The README's recipe: one file per row of export_all(), through psql
# with zero bytes between file names and contents.
sub write_files
{
	my ($format, $dir) = @_;
	mkdir $dir or die "cannot create $dir: $!";
	my $connstr = $node->connstr('files');
	my $script = <<"EOF";
set -e -o pipefail
cd '$dir'
psql -X -d '$connstr' -At -z -0 -v ON_ERROR_STOP=1 \\
     -c "SELECT filename, contents FROM migrate.export_all('$format')" |
while IFS= read -r -d '' file && IFS= read -r -d '' contents; do
    printf '%s' "\$contents" > "\$file"
done
EOF
	my ($stdout, $stderr);
	my $ok = IPC::Run::run([ 'bash', '-c', $script ], '>', \$stdout, '2>', \$stderr);
	ok($ok, "$format: the README recipe writes the files") or diag($stderr);
}

# Each file holds exactly what export() returns.
sub check_files
{
	my ($format, $dir) = @_;
	my %expected = map { split / /, $_, 2 } split /\n/,
	  $node->safe_psql('files',
		"SELECT filename || ' ' || md5(contents) FROM migrate.export_all('$format')");
	opendir my $dh, $dir or die "cannot read $dir: $!";
	my @files = sort grep { !/^\./ } readdir $dh;
	closedir $dh;
	is_deeply(\@files, [ sort keys %expected ], "$format: one file per migration");
	foreach my $file (@files)
	{
		is(md5_hex(slurp_file("$dir/$file")), $expected{$file},
			"$format: $file holds what export() returns");
	}
	return @files;
}

write_files('sql', "$tempdir/sql");
my @sql_files = check_files('sql', "$tempdir/sql");
is($sql_files[0], '0000_baseline.sql', 'sql: the baseline file');
# load() reads the sql files back with the same text, and so the same
# checksums; but for an up script without a final newline followed by a
# down section, which gets the newline the marker line needs (and a blank
# down, which load() takes for irreversible)
$node->safe_psql('postgres', 'CREATE DATABASE loaded');
$node->safe_psql('loaded', 'CREATE EXTENSION migrate');
$node->safe_psql('loaded',
	"SET client_min_messages = warning; SELECT count(*) FROM migrate.load('$tempdir/sql')");
my $checksums = q{SELECT string_agg(version || ' ' || checksum, E'\n' ORDER BY version)
	FROM migrate.migrations WHERE version <> '0003'};
is($node->safe_psql('loaded', $checksums), $node->safe_psql('files', $checksums),
	'sql: load() reads the files back with the same checksums');
is( $node->safe_psql(
		'loaded',
		q{SELECT up = 'CREATE INDEX CONCURRENTLY notes_id ON notes (id)' || E'\n',
		         down IS NULL, transactional
		    FROM migrate.migrations WHERE version = '0003'}),
	't|t|f',
	'sql: an up script without a final newline comes back with one');

write_files('knex', "$tempdir/knex");
my @knex_files = check_files('knex', "$tempdir/knex");

# What a module's up and down send to PostgreSQL, evaluated with node and
# a fake knex: {config, up: [sql...], down: [sql...] or {error}}.
my $harness = "$tempdir/harness.js";
append_to_file(
	$harness, <<'EOF');
// a fake knex: raw() collects the SQL that knex's PostgreSQL client sends
const m = require(process.argv[2]);
const positionBindings = (sql) => {
  let n = 0;
  return sql.replace(/(\\*)(\?)/g,
                     (match, escapes) => (escapes.length % 2 ? '?' : '$' + ++n));
};
async function collect(fn) {
  const calls = [];
  const knex = {
    raw: async (sql, bindings) => {
      if (bindings !== undefined) throw new Error('unexpected bindings');
      calls.push(positionBindings(sql));
    },
  };
  try {
    await fn(knex);
    return calls;
  } catch (e) {
    return { error: e.message };
  }
}
(async () => {
  const result = { config: m.config || null, up: await collect(m.up), down: await collect(m.down) };
  process.stdout.write(JSON.stringify(result));
})();
EOF

sub evaluate_with_node
{
	my ($file) = @_;
	my ($stdout, $stderr);
	IPC::Run::run([ 'node', $harness, $file ], '>', \$stdout, '2>', \$stderr)
	  or die "node failed on $file: $stderr";
	return decode_json($stdout);
}

# The same in perl: read the template literals of the knex.raw() calls,
# undo the JavaScript escapes, then what knex does with question marks.
sub literal_sql
{
	my ($literal) = @_;
	$literal =~ s/\\(.)/$1 eq 'r' ? "\r" : $1/gse;
	my $n = 0;
	$literal =~ s/(\\*)\?/length($1) % 2 ? '?' : '$' . ++$n/ge;
	return $literal;
}

sub parse_with_perl
{
	my ($file) = @_;
	my $js = decode('UTF-8', slurp_file($file));
	my %result = (config => undef);
	$result{config} = { transaction => JSON::PP::false }
	  if $js =~ /^exports\.config = \{ transaction: false \};$/m;
	foreach my $direction ('up', 'down')
	{
		if ($js =~ /^exports\.$direction = async \(\) => \{\n  throw new Error\('(.*)'\);\n\};$/m)
		{
			$result{$direction} = { error => $1 };
			next;
		}
		$js =~ /^exports\.$direction = async \(knex\) => \{\n/mg
		  or die "no exports.$direction in $file";
		my @calls;
		push @calls, literal_sql($1)
		  while $js =~ /\G  await knex\.raw\(`((?:[^`\\]|\\.)*)`\);\n/gcs;
		$js =~ /\G\};\n/gc or die "unexpected text in exports.$direction of $file";
		$result{$direction} = \@calls;
	}
	return \%result;
}

# What migrate runs: the statements of each script, as split by migrate.
sub statements
{
	my ($version, $direction) = @_;
	my $json = $node->safe_psql(
		'files', qq{
		SELECT coalesce(json_agg(s.sql ORDER BY s.statement), '[]')
		  FROM migrate.migrations m, migrate.statements(m.$direction) s
		 WHERE m.version = '$version'});
	return decode_json($json);
}

sub check_module
{
	my ($how, $file, $result) = @_;
	(my $version = $file) =~ s/(_.*)?\.js$//;
	my $info = $node->safe_psql('files',
		"SELECT transactional, down IS NULL FROM migrate.migrations WHERE version = '$version'");
	my ($transactional, $irreversible) = split /\|/, $info;

	is_deeply($result->{up}, statements($version, 'up'),
		"knex ($how): $file: up sends the statements of the up script");
	if ($irreversible eq 't')
	{
		like($result->{down}{error}, qr/^migration $version is irreversible/,
			"knex ($how): $file: down throws, the migration is irreversible");
	}
	else
	{
		is_deeply($result->{down}, statements($version, 'down'),
			"knex ($how): $file: down sends the statements of the down script");
	}
	is(defined $result->{config} && !$result->{config}{transaction} ? 'f' : 't',
		$transactional, "knex ($how): $file: transaction setting");
}

my ($node_version, $err);
my $have_node = eval {
	IPC::Run::run([ 'node', '--version' ], '>', \$node_version, '2>', \$err);
};
chomp $node_version if $have_node;
if ($have_node)
{
	diag("knex modules evaluated with node $node_version and parsed in perl");
	check_module('node', $_, evaluate_with_node("$tempdir/knex/$_")) foreach @knex_files;
}
else
{
	diag('node is not on PATH: knex modules parsed in perl only');
}
check_module('perl', $_, parse_with_perl("$tempdir/knex/$_")) foreach @knex_files;

# the escapes in the module text, as a reader sees them
ok( index(
		slurp_file("$tempdir/knex/0002_escapes.js"),
		q{  await knex.raw(`SELECT $x$\`\${y}\` \\\\d \\\\?\\\\? $x$`);}) >= 0,
	'knex: backquote, ${, backslash and ? are escaped');

#
# Seeds, as a knex project's migrations/ and seeds/ folders.
#
$node->safe_psql(
	'files', q{
	SELECT migrate.add_seed('2_countries', E'INSERT INTO countries VALUES (''fr'', ''France'');\n-- and one more\nINSERT INTO countries VALUES (''de'', ''Germany'');\n');
	SELECT migrate.add_seed('10_settings', $s$INSERT INTO settings VALUES ('theme', '`${dark}` \d')
	                                           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
	                                        SELECT '{"a": 1}'::jsonb ? 'a'$s$, repeatable => true);
	SELECT migrate.add_seed('3_demo', 'INSERT INTO notes VALUES (1)',
	                        environments => ARRAY['dev', E'qa "2"\nnext']);
});

# the README's recipe for a knex project
my $project = "$tempdir/project";
mkdir $project or die "cannot create $project: $!";
{
	my $connstr = $node->connstr('files');
	my $script = <<"EOF";
set -e -o pipefail
cd '$project'
mkdir -p migrations seeds
psql -X -d '$connstr' -At -z -0 -v ON_ERROR_STOP=1 \\
     -c "SELECT filename, contents FROM migrate.export_all('knex', seeds => true)" |
while IFS= read -r -d '' file && IFS= read -r -d '' contents; do
    case "\$file" in seeds/*) ;; *) file=migrations/\$file ;; esac
    printf '%s' "\$contents" > "\$file"
done
EOF
	my ($stdout, $stderr);
	ok(IPC::Run::run([ 'bash', '-c', $script ], '>', \$stdout, '2>', \$stderr),
		'seeds: the README recipe writes migrations/ and seeds/')
	  or diag($stderr);
}
opendir my $pdh, "$project/migrations" or die "cannot read $project/migrations: $!";
my @project_migrations = sort grep { !/^\./ } readdir $pdh;
closedir $pdh;
is_deeply(\@project_migrations, \@knex_files,
	"seeds: migrations/ holds the files of export_all('knex')");
opendir my $sdh, "$project/seeds" or die "cannot read $project/seeds: $!";
# knex sorts seed file names as JavaScript sorts strings: for these ASCII
# names, as perl's sort does
my @seed_files = sort grep { !/^\./ } readdir $sdh;
closedir $sdh;
my @seed_names = split /\n/,
  $node->safe_psql('files', 'SELECT name FROM migrate.seed_status');
is(scalar(@seed_names), 3, 'seeds: three seeds registered');
is_deeply([ map { s/^\d+_(.*)\.js$/$1/r } @seed_files ],
	\@seed_names, "seeds: knex's file-name order is migrate's seed order");
foreach my $file (@seed_files)
{
	my $name = $file =~ s/^\d+_(.*)\.js$/$1/r;
	is( md5_hex(slurp_file("$project/seeds/$file")),
		$node->safe_psql('files', "SELECT md5(migrate.export_seed('$name', 'knex'))"),
		"seeds: $file holds what export_seed() returns");
}

# What a seed module sends, with a fake knex whose database has
# migrate.environment set to argv[3] (unset when absent): {calls: [{sql,
# trx}], log: [...]}, trx telling whether the call was made in the
# transaction.
my $seed_harness = "$tempdir/seed_harness.js";
append_to_file(
	$seed_harness, <<'EOF');
const m = require(process.argv[2]);
const environment = process.argv.length > 3 ? process.argv[3] : null;
const positionBindings = (sql) => {
  let n = 0;
  return sql.replace(/(\\*)(\?)/g,
                     (match, escapes) => (escapes.length % 2 ? '?' : '$' + ++n));
};
const calls = [];
const log = [];
console.log = (...args) => log.push(args.join(' '));
const raw = (trx) => async (sql, bindings) => {
  if (bindings !== undefined) throw new Error('unexpected bindings');
  sql = positionBindings(sql);
  calls.push({ sql, trx });
  if (/current_setting\('migrate\.environment', true\)/.test(sql))
    return { rows: [{ environment }] };
  return { rows: [] };
};
const knex = {
  raw: raw(false),
  transaction: async (fn) => fn({ raw: raw(true) }),
};
(async () => {
  await m.seed(knex);
  process.stdout.write(JSON.stringify({ calls, log }));
})();
EOF

# The statements of a seed module, parsed in perl
sub parse_seed_with_perl
{
	my ($file) = @_;
	my $js = decode('UTF-8', slurp_file($file));
	$js =~ /^exports\.seed = async \(knex\) => \{\n  await knex\.transaction\(async \(trx\) => \{\n/mg
	  or die "no exports.seed in a transaction in $file";
	$js =~ /\G    const setting = .*\n    if .*\n      console\.log.*\n      return;\n    \}\n/gc;
	my @calls;
	push @calls, literal_sql($1)
	  while $js =~ /\G    await trx\.raw\(`((?:[^`\\]|\\.)*)`\);\n/gcs;
	$js =~ /\G  \}\);\n\};\n\z/gc or die "unexpected text in exports.seed of $file";
	return \@calls;
}

# What migrate runs for a seed: its statements, as split by migrate.
sub seed_statements
{
	my ($name) = @_;
	return decode_json(
		$node->safe_psql(
			'files', qq{
		SELECT coalesce(json_agg(st.sql ORDER BY st.statement), '[]')
		  FROM migrate.seeds s, migrate.statements(s.sql) st
		 WHERE s.name = '$name'}));
}

foreach my $file (@seed_files)
{
	my $name = $file =~ s/^\d+_(.*)\.js$/$1/r;
	is_deeply(parse_seed_with_perl("$project/seeds/$file"), seed_statements($name),
		"seeds (perl): $file sends the statements of the seed");
}
if ($have_node)
{
	my $setting =
	  q{SELECT pg_catalog.current_setting('migrate.environment', true) AS environment};
	foreach my $file (@seed_files)
	{
		my $name = $file =~ s/^\d+_(.*)\.js$/$1/r;
		my $limited = $name eq '3_demo';
		foreach my $env ($limited ? ('dev', "qa \"2\"\nnext", 'production', '', undef) : (undef))
		{
			my ($stdout, $stderr);
			IPC::Run::run(
				[ 'node', $seed_harness, "$project/seeds/$file", defined $env ? ($env) : () ],
				'>', \$stdout, '2>', \$stderr)
			  or die "node failed on $file: $stderr";
			my $result = decode_json($stdout);
			my $where = defined $env ? "environment \"$env\"" : 'no environment';
			ok(!grep({ !$_->{trx} } @{ $result->{calls} }),
				"seeds (node): $file, $where: every statement in the transaction");
			my @sent = map { $_->{sql} } @{ $result->{calls} };
			if ($limited)
			{
				is(shift(@sent), $setting,
					"seeds (node): $file, $where: reads migrate.environment first");
			}
			my $runs = !$limited || (defined $env && ($env eq 'dev' || $env =~ /^qa/));
			is_deeply(\@sent, $runs ? seed_statements($name) : [],
				"seeds (node): $file, $where: "
				  . ($runs ? 'sends the statements of the seed' : 'sends nothing'));
			is_deeply($result->{log},
				$runs ? [] : ["seed \"$name\" is skipped in this environment"],
				"seeds (node): $file, $where: " . ($runs ? 'no message' : 'says it is skipped'));
		}
	}
}

$node->stop;
done_testing();

