# Copyright (c) 2026, The migrate contributors
#
# Why TAP: DDL history numbers its rows from migrate.ddl_log_id_seq
# without nextval() (src/common/sequence.c), so that a user's lastval()
# stays the user's; the sequence's WAL records and pre-logged values are
# then migrate's own code, and only a crash, a restart and a checkpoint
# show that a number is never handed out twice.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('ddl_sequence');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION migrate');

# some DDL, one statement per transaction, so that the sequence pre-logs
# and uses values across several transactions
sub make_tables
{
	my ($prefix, $n) = @_;
	$node->safe_psql('postgres',
		join("\n", map { "CREATE TABLE ${prefix}_$_ (a int);" } 1 .. $n));
}

make_tables('before_crash', 5);
my $max_before =
  $node->safe_psql('postgres', 'SELECT max(id) FROM migrate.ddl_log');

# a crash: values pre-logged but not yet used are skipped, never reused
$node->stop('immediate');
$node->start;
make_tables('after_crash', 5);
my ($min_after, $count_after) = split /\|/,
  $node->safe_psql('postgres',
	"SELECT min(id), count(*) FROM migrate.ddl_log WHERE object_identity LIKE 'public.after_crash_%'");
cmp_ok($min_after, '>', $max_before,
	'after a crash, DDL history numbers continue above every number used before');
is($count_after, 5, 'every statement after the crash is recorded');

# the first value after a checkpoint is WAL-logged, so that replay from
# the checkpoint moves the sequence past it
$node->safe_psql('postgres', 'CHECKPOINT');
make_tables('after_checkpoint', 3);
my $max_checkpoint =
  $node->safe_psql('postgres', 'SELECT max(id) FROM migrate.ddl_log');
$node->stop('immediate');
$node->start;
make_tables('after_second_crash', 3);
my $min_second = $node->safe_psql('postgres',
	"SELECT min(id) FROM migrate.ddl_log WHERE object_identity LIKE 'public.after_second_crash_%'"
);
cmp_ok($min_second, '>', $max_checkpoint,
	'after a checkpoint and a crash, numbers continue above the last one used');

# numbers are unique and in the order the statements ran
is( $node->safe_psql(
		'postgres',
		'SELECT count(*) = count(DISTINCT id) FROM migrate.ddl_log'),
	't',
	'no number is used twice');

# nextval() and migrate's own numbering share the sequence safely
$node->safe_psql('postgres', "SELECT nextval('migrate.ddl_log_id_seq')");
make_tables('after_nextval', 2);
is( $node->safe_psql(
		'postgres',
		'SELECT count(*) = count(DISTINCT id) FROM migrate.ddl_log'),
	't',
	'numbers stay unique when nextval() is called on the sequence as well');

# concurrent sessions never get the same number
my @sessions = map { $node->background_psql('postgres') } 1 .. 3;
for my $round (1 .. 20)
{
	for my $s (0 .. $#sessions)
	{
		$sessions[$s]->query_safe("CREATE TABLE conc_${s}_$round (a int)");
	}
}
$_->quit for @sessions;
is( $node->safe_psql(
		'postgres',
		"SELECT count(*), count(DISTINCT id) FROM migrate.ddl_log WHERE object_identity LIKE 'public.conc_%'"
	),
	'60|60',
	'sessions interleaving DDL get distinct numbers');

# lastval() is untouched, and the sequence is not left locked
is( $node->safe_psql(
		'postgres', q{
	CREATE SEQUENCE user_seq START 100;
	SELECT nextval('user_seq');
	CREATE TABLE after_user_nextval (a int);
	SELECT lastval();
}), "100\n100", 'lastval() is the user\'s own after DDL');

$node->stop;
done_testing();
