# Copyright (c) 2026, The migrate contributors
#
# Why TAP: what is tested is the first DDL statement of fresh sessions,
# with the library not preloaded, preloaded per database with
# session_preload_libraries, and preloaded with shared_preload_libraries,
# which needs a server restart.
#
# Without preloading, the library is loaded by the first event trigger of
# a session, inside the statement that fired it, so its ProcessUtility
# hook did not see that statement start; DDL history then finds the
# statement's text by parsing the candidate query strings again.  Each
# case below runs as the first statement of a new session, and the
# statements recorded must be exactly the same in all three modes: each
# statement's own text, never the whole string the client sent.  Strict
# mode set for a role holds from its sessions' first statement, even
# when the role tries to turn it off before the library is loaded.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('ddl_preload');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql(
	'app', q{
	SET client_min_messages = warning;
	CREATE EXTENSION migrate;
	CREATE ROLE regress_strict LOGIN;
	ALTER ROLE regress_strict SET migrate.strict = on;
	GRANT ALL ON SCHEMA public TO regress_strict;
	CREATE FUNCTION make_plpgsql(n text) RETURNS void LANGUAGE plpgsql AS $$
	BEGIN
	    EXECUTE format('CREATE TABLE %I (a int)', n || '_dynamic');
	    CREATE INDEX ON plpgsql_target (a);
	END $$;
	CREATE FUNCTION make_sql() RETURNS void LANGUAGE sql AS $$
	    CREATE TABLE sql_made (a int);
	    COMMENT ON TABLE sql_made IS 'made by a SQL function';
	$$;
	CREATE PROCEDURE make_procedure() LANGUAGE plpgsql AS $$
	BEGIN
	    CREATE TABLE procedure_made (a int);
	END $$;
});

# The cases: each is sent as one query string (psql -c) by a new session,
# and must record exactly these statements.
my @cases = (
	[
		'several statements in one string',
		"CREATE TABLE multi_a (a int); /* note */ CREATE TABLE multi_b (b int);\n"
		  . "SELECT 1; COMMENT ON TABLE multi_a IS 'x; y'",
		[
			'CREATE TABLE multi_a (a int)',
			'CREATE TABLE multi_b (b int)',
			"COMMENT ON TABLE multi_a IS 'x; y'"
		]
	],
	[
		'CREATE TABLE AS after another statement',
		'SELECT 1; CREATE TABLE ctas_a AS SELECT 1 AS x; CREATE TABLE ctas_b AS SELECT 2 AS y',
		[
			'CREATE TABLE ctas_a AS SELECT 1 AS x',
			'CREATE TABLE ctas_b AS SELECT 2 AS y'
		]
	],
	[
		'a DO block',
		"DO \$\$BEGIN CREATE TABLE do_made (a int); EXECUTE 'CREATE INDEX ON do_made (a)'; END\$\$",
		[ 'CREATE TABLE do_made (a int)', 'CREATE INDEX ON do_made (a)' ]
	],
	[
		'a PL/pgSQL function',
		"CREATE TABLE plpgsql_target (a int); SELECT make_plpgsql('plpgsql')",
		[
			'CREATE TABLE plpgsql_target (a int)',
			'CREATE TABLE plpgsql_dynamic (a int)',
			'CREATE INDEX ON plpgsql_target (a)'
		]
	],
	[
		'a PL/pgSQL function first',
		"SELECT make_plpgsql('first')",
		[ 'CREATE TABLE first_dynamic (a int)', 'CREATE INDEX ON plpgsql_target (a)' ]
	],
	[
		'a SQL function',
		'SELECT make_sql()',
		[
			'CREATE TABLE sql_made (a int)',
			"COMMENT ON TABLE sql_made IS 'made by a SQL function'"
		]
	],
	[ 'a procedure', 'CALL make_procedure()', ['CREATE TABLE procedure_made (a int)'] ],
	[
		'an extension script',
		'CREATE EXTENSION tsm_system_rows',
		[
			"CREATE FUNCTION system_rows(internal)\nRETURNS tsm_handler\n"
			  . "AS '\$libdir/tsm_system_rows', 'tsm_system_rows_handler'\nLANGUAGE C STRICT",
			'CREATE EXTENSION tsm_system_rows'
		]
	]);

# the objects the cases create, dropped between the modes
my $cleanup = q{
	SET client_min_messages = warning;
	DROP TABLE IF EXISTS multi_a, multi_b, ctas_a, ctas_b, do_made, plpgsql_target,
	    plpgsql_dynamic, first_dynamic, sql_made, procedure_made;
	DROP EXTENSION IF EXISTS tsm_system_rows;
};

# Run every case in a session of its own; return what was recorded, per
# case, as one string.
sub run_cases
{
	my ($mode) = @_;
	my %recorded;

	foreach my $case (@cases)
	{
		my ($name, $sql, $expected) = @$case;
		my $mark = $node->safe_psql('app', 'SELECT coalesce(max(id), 0) FROM migrate.ddl_log');

		$node->command_ok(
			[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('app'),
			  '-c', $sql ],
			"$mode: $name runs");

		my $statements = $node->safe_psql(
			'app', qq{
			SELECT string_agg(statement, E'\\n----\\n' ORDER BY id)
			  FROM migrate.ddl_log
			 WHERE id > $mark AND command_tag <> 'DROP EXTENSION'});
		my $want = join("\n----\n", @$expected);
		is($statements, $want, "$mode: $name: each statement's own text");
		$recorded{$name} = $statements;
	}
	$node->safe_psql('app', $cleanup);
	return \%recorded;
}

# strict mode set for a role, in the role's first statement
sub check_strict
{
	my ($mode) = @_;
	my ($ret, $stdout, $stderr) = $node->psql(
		'app', 'SET migrate.strict = off; CREATE TABLE strict_made (a int)',
		on_error_stop => 0, extra_params => [ '-U', 'regress_strict' ]);
	like(
		$stderr,
		qr/cannot run CREATE TABLE outside a migration/,
		"$mode: strict mode refuses the role's first DDL, though the role tried to turn it off");
	is($node->safe_psql('app', q{SELECT to_regclass('strict_made') IS NULL}),
		't', "$mode: nothing created");

	# A client option at connection cannot turn it off: PostgreSQL refuses
	# the role's value when the library loads, and strict mode still holds
	# the value set for the role (and for the database).
	foreach my $how (
		[ 'PGOPTIONS, role set to on',        'regress_strict',    'app',      1, 0 ],
		[ 'connection option, role set to on', 'regress_strict',    'app',      0, 1 ],
		[ 'PGOPTIONS, database set to on',     'regress_db_strict', 'strictdb', 1, 0 ],
		[ 'connection option, database set to on', 'regress_db_strict', 'strictdb', 0, 1 ])
	{
		my ($label, $role, $db, $pgoptions, $connopt) = @$how;
		local $ENV{PGOPTIONS} = $pgoptions ? '-c migrate.strict=off' : undef;
		my $connstr = $node->connstr($db) . " user=$role";
		$connstr .= q{ options='-c migrate.strict=off'} if $connopt;
		($ret, $stdout, $stderr) = $node->psql(
			$db, 'CREATE TABLE bypass_made (a int)',
			on_error_stop => 0, connstr => $connstr);
		# preloaded, PostgreSQL itself refuses the connection
		like(
			$stderr,
			$mode eq 'shared_preload_libraries'
			? qr/FATAL:  permission denied to set parameter "migrate.strict"/
			: qr/cannot run CREATE TABLE outside a migration/,
			"$mode: strict mode holds against a client option ($label)");
	}
	is($node->safe_psql('app', q{SELECT to_regclass('bypass_made') IS NULL}),
		't', "$mode: nothing created by a client option");
	is($node->safe_psql('strictdb', q{SELECT to_regclass('bypass_made') IS NULL}),
		't', "$mode: nothing created by a client option in the strict database");

	# a value stored while the library was not loaded and not valid for
	# migrate.strict: strict mode is on, with a WARNING that says why
	($ret, $stdout, $stderr) = $node->psql(
		'app', 'CREATE TABLE invalid_made (a int)',
		on_error_stop => 0, extra_params => [ '-U', 'regress_invalid' ]);
	like(
		$stderr,
		qr/invalid value for parameter "migrate.strict": "strong".*cannot run CREATE TABLE outside a migration/s,
		"$mode: an invalid configured value fails closed");

	# warn: the DDL runs, with a WARNING, and is recorded
	($ret, $stdout, $stderr) = $node->psql(
		'app', 'CREATE TABLE warned_made (a int); DROP TABLE warned_made',
		on_error_stop => 0, extra_params => [ '-U', 'regress_warn' ]);
	like($stderr, qr/WARNING:  CREATE TABLE ran outside a migration/,
		"$mode: warn reports DDL outside a migration");
	is($ret, 0, "$mode: warn lets it run");

	# the explicit exemption of a maintenance role in a strict database
	($ret, $stdout, $stderr) = $node->psql(
		'strictdb', 'CREATE TABLE maintenance_made (a int); DROP TABLE maintenance_made',
		on_error_stop => 0, extra_params => [ '-U', 'regress_maintenance' ]);
	is($ret, 0, "$mode: a role exempted with ALTER ROLE ... SET migrate.strict = off does DDL");
	is($stderr, '', "$mode: ... without a warning");
}

# Roles and a database for strict mode.  These settings are made while
# the library is not loaded in the session, as a DBA's ALTER ROLE often
# is: the invalid value is stored unchecked.
$node->safe_psql('postgres', q{
	CREATE DATABASE strictdb;
	CREATE ROLE regress_db_strict LOGIN;
	CREATE ROLE regress_invalid LOGIN;
	ALTER ROLE regress_invalid SET migrate.strict = 'strong';
	CREATE ROLE regress_warn LOGIN;
	ALTER ROLE regress_warn SET migrate.strict = warn;
	CREATE ROLE regress_maintenance LOGIN;
	ALTER ROLE regress_maintenance SET migrate.strict = off;
});
$node->safe_psql('strictdb', q{
	SET client_min_messages = warning;
	CREATE EXTENSION migrate;
	GRANT ALL ON SCHEMA public TO regress_db_strict, regress_maintenance;
});
$node->safe_psql('postgres', 'ALTER DATABASE strictdb SET migrate.strict = on');
$node->safe_psql('app', q{
	GRANT ALL ON SCHEMA public TO regress_invalid, regress_warn;
});

my $not_preloaded = run_cases('not preloaded');
check_strict('not preloaded');

$node->safe_psql('postgres',
	q{ALTER DATABASE app SET session_preload_libraries = 'migrate';
	  ALTER DATABASE strictdb SET session_preload_libraries = 'migrate'});
my $session_preload = run_cases('session_preload_libraries');
is_deeply($session_preload, $not_preloaded,
	'session_preload_libraries records the same statements');
check_strict('session_preload_libraries');
$node->safe_psql('postgres', 'ALTER DATABASE app RESET session_preload_libraries');
$node->safe_psql('postgres', 'ALTER DATABASE strictdb RESET session_preload_libraries');

$node->append_conf('postgresql.conf', q{shared_preload_libraries = 'migrate'});
$node->restart;
is($node->safe_psql('app', 'SHOW shared_preload_libraries'),
	'migrate', 'the library is preloaded');
my $shared_preload = run_cases('shared_preload_libraries');
is_deeply($shared_preload, $not_preloaded,
	'shared_preload_libraries records the same statements');
check_strict('shared_preload_libraries');

$node->stop;
done_testing();
