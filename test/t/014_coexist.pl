# Copyright (c) 2026, The migrate contributors
#
# Why TAP: coexistence with other extensions needs a server started with
# their libraries preloaded (pgaudit, pg_partman's background worker) and
# their packages installed (Debian's postgresql-NN-pgaudit,
# postgresql-NN-postgis-3, postgresql-NN-partman; .ci/run and
# test/pg-versions.sh install them).
# The same script of statements runs in a database without migrate, in one
# with migrate (the library loaded by the first DDL) and in one that
# preloads it: DDL in DO blocks, functions, procedures and a SECURITY
# DEFINER function, sequences and lastval(), errors, notices of a
# statement and of another event trigger, and an extension whose script
# runs much DDL (PostGIS).  What psql prints (rows, notices, errors with
# their SQLSTATE) and what pgaudit logs must be the same in all three.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $sharedir = `pg_config --sharedir`;
chomp $sharedir;
my ($major) = `pg_config --version` =~ /PostgreSQL (\d+)/;
foreach my $ext (qw(pgaudit pg_partman postgis))
{
	plan skip_all => "extension $ext is not installed (Debian package postgresql-$major-"
	  . ($ext eq 'pg_partman' ? 'partman' : $ext eq 'postgis' ? 'postgis-3' : $ext) . ')'
	  unless -f "$sharedir/extension/$ext.control";
}

# pg_partman 5 (Debian's for 17 and 18) takes an interval and makes
# range partitions by default; 4 (bookworm's) names the kind and the step
my ($partman) = slurp_file("$sharedir/extension/pg_partman.control") =~
  /default_version\s*=\s*'(\d+)/;
my $create_parent = $partman >= 5
  ? q{partman.create_parent('public.events', 'created_at', '1 day', p_premake => 1)}
  : q{partman.create_parent('public.events', 'created_at', 'native', 'daily', p_premake => 1)};

my $node = PostgreSQL::Test::Cluster->new('coexist');
my $osuser = (getpwuid($<))[0];
$node->init;
$node->append_conf(
	'postgresql.conf', qq{
shared_preload_libraries = 'pgaudit,pg_partman_bgw'
pgaudit.log = 'ddl'
log_line_prefix = '%d '
pg_partman_bgw.interval = 1
pg_partman_bgw.dbname = 'with_migrate'
pg_partman_bgw.role = '$osuser'
});
$node->start;

my $user = $node->safe_psql('postgres', 'SELECT current_user');
foreach my $db (qw(without with_migrate preloaded))
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql(
		$db, q{
	CREATE FUNCTION noisy() RETURNS event_trigger LANGUAGE plpgsql AS
	  $$BEGIN RAISE NOTICE 'other event trigger: %', tg_tag; END$$;
	CREATE EVENT TRIGGER noisy ON ddl_command_end EXECUTE FUNCTION noisy();
	CREATE ROLE } . "owner_$db" . q{;
	});
}
$node->safe_psql($_, 'CREATE EXTENSION migrate') foreach qw(with_migrate preloaded);
$node->safe_psql('postgres',
	q{ALTER DATABASE preloaded SET session_preload_libraries = 'migrate'});

# the script: every statement's output is compared
my $script = <<'EOF';
\set VERBOSITY verbose
\set SHOW_CONTEXT always
CREATE SEQUENCE s;
SELECT nextval('s');
CREATE TABLE t (id serial PRIMARY KEY, v text);
SELECT lastval();
INSERT INTO t (v) VALUES ('a') RETURNING id;
SELECT lastval();
DO $$BEGIN CREATE TABLE in_do (a int); RAISE NOTICE 'in a DO block'; END$$;
SELECT lastval();
CREATE FUNCTION make(n text) RETURNS void LANGUAGE plpgsql AS
  $$BEGIN EXECUTE format('CREATE TABLE %I (a int)', n); END$$;
SELECT make('by_function');
CREATE PROCEDURE proc() LANGUAGE plpgsql AS
  $$BEGIN CREATE TABLE by_procedure (a int); COMMIT; CREATE INDEX ON by_procedure (a); END$$;
CALL proc();
CREATE FUNCTION definer() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public AS $$BEGIN CREATE TABLE by_definer (a int); END$$;
SELECT definer();
CREATE FUNCTION typed(x t.v%TYPE) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TABLE t (a int);
ALTER TABLE nope ADD COLUMN a int;
DROP TABLE nope;
CREATE VIEW tv AS SELECT * FROM t;
DROP TABLE t;
DROP TABLE t CASCADE;
CREATE TEMP TABLE tmp (a int);
SELECT lastval();
SET pgaudit.log = 'none';
CREATE EXTENSION postgis;
RESET pgaudit.log;
SELECT ST_AsText(ST_MakePoint(1, 2));
SELECT count(*) > 0 AS postgis_objects FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
 WHERE e.extname = 'postgis';
DROP EXTENSION postgis;
SELECT lastval();
EOF

my %out;
foreach my $db (qw(without with_migrate preloaded))
{
	my ($ret, $stdout, $stderr) = $node->psql($db, $script, on_error_stop => 0);
	$out{$db} = "$stdout\n---\n$stderr";
	$out{$db} =~ s/owner_$db/owner_DB/g;
}
like($out{without}, qr/POINT\(1 2\)/, 'the script ran, PostGIS included');
is($out{with_migrate}, $out{without},
	'with migrate installed: the same rows, notices, errors and lastval()');
is($out{preloaded}, $out{without},
	'with migrate preloaded: the same rows, notices, errors and lastval()');

# migrate recorded the DDL, PostGIS's as the extension's business
is( $node->safe_psql(
		'with_migrate', q{
	SELECT count(*) FILTER (WHERE command_tag = 'CREATE TABLE' AND NOT in_extension) >= 5,
	       count(*) FILTER (WHERE command_tag = 'CREATE EXTENSION' AND object_identity = 'postgis') = 1
	  FROM migrate.ddl_log}),
	't|t',
	'the DDL is recorded, and the extension script as one CREATE EXTENSION')
  or diag($node->safe_psql('with_migrate',
	q{SELECT command_tag, object_identity, in_extension, extension FROM migrate.ddl_log WHERE command_tag LIKE '%EXTENSION%'}));

# pgaudit logs the same DDL for the user's statements in each database
my $log = slurp_file($node->logfile);
sub audit
{
	my ($db) = @_;
	# the script's statements, not the setup's CREATE EXTENSION migrate
	my @lines = map { s/^\S+ //r } grep { /^$db .*AUDIT: SESSION/ && !/CREATE EXTENSION migrate/ }
	  split /\n/, $log;
	s/SESSION,\d+,\d+,/SESSION,n,n,/ foreach @lines;
	s/owner_$db/owner_DB/g foreach @lines;
	return join("\n", @lines);
}
isnt(audit('without'), '', 'pgaudit logs the DDL');
is(audit('with_migrate'), audit('without'),
	'pgaudit logs the same lines with migrate installed');
is(audit('preloaded'), audit('without'),
	'pgaudit logs the same lines with migrate preloaded');

# strict mode does not refuse an extension's DDL, and pg_partman's
# background worker, run by a role exempted as the README shows, creates
# its partitions, recorded in the DDL log
$node->safe_psql(
	'with_migrate', qq{
	CREATE SCHEMA partman;
	CREATE EXTENSION pg_partman SCHEMA partman;
	CREATE TABLE events (id bigint, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at);
	SELECT $create_parent;
	ALTER DATABASE with_migrate SET migrate.strict = on;
	ALTER ROLE "$user" IN DATABASE with_migrate SET migrate.strict = off;
});
$node->safe_psql('with_migrate',
	'GRANT CREATE ON SCHEMA public TO owner_with_migrate; ALTER ROLE owner_with_migrate LOGIN');
my ($ret, $stdout, $stderr) = $node->psql('with_migrate',
	q{CREATE TABLE refused (a int)},
	extra_params => [ '-U', 'owner_with_migrate' ]);
like($stderr, qr/cannot run CREATE TABLE outside a migration/,
	'strict mode is on in the database for other roles');
my $before = $node->safe_psql('with_migrate',
	q{SELECT count(*) FROM migrate.ddl_log WHERE command_tag = 'CREATE TABLE' AND object_identity LIKE 'public.events_p%'});
$node->safe_psql('with_migrate',
	q{UPDATE partman.part_config SET premake = 4, infinite_time_partitions = true
	   WHERE parent_table = 'public.events'});
ok( $node->poll_query_until(
		'with_migrate', qq{
	SELECT count(*) > $before FROM migrate.ddl_log
	 WHERE command_tag = 'CREATE TABLE' AND object_identity LIKE 'public.events_p%'}),
	"pg_partman's background worker creates partitions, recorded in the DDL log");

$node->stop;
done_testing();
