# Copyright (c) 2026, The migrate contributors
#
# Why TAP: the cases here need files made on the spot in the server's file
# system: a directory and a file the server cannot read (file modes), bytes
# that are not valid in the database encoding, a byte order mark, Windows
# line ends, and databases of different encodings.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('load_files');
$node->init;
$node->start;

my $base = PostgreSQL::Test::Utils::tempdir;

sub write_file
{
	my ($path, $bytes) = @_;
	open my $fh, '>:raw', $path or die "cannot write $path: $!";
	print $fh $bytes;
	close $fh;
}

sub make_dir
{
	my ($name, %files) = @_;
	my $dir = "$base/$name";
	mkdir $dir or die "mkdir $dir: $!";
	foreach my $f (keys %files)
	{
		if ($f =~ m{^(.*)/})
		{
			mkdir "$dir/$1" unless -d "$dir/$1";
		}
		write_file("$dir/$f", $files{$f});
	}
	return $dir;
}

$node->safe_psql('postgres',
	q{CREATE DATABASE utf8 TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'});
$node->safe_psql('postgres',
	q{CREATE DATABASE latin1 TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'});
$node->safe_psql($_, 'CREATE EXTENSION migrate') foreach qw(utf8 latin1);

sub load
{
	my ($db, $dir) = @_;
	return $node->psql($db,
		"SET client_min_messages = error;
		 SELECT version, action, coalesce(note, '') FROM migrate.load('$dir')",
		on_error_stop => 0);
}

sub registered
{
	my ($db) = @_;
	return $node->safe_psql($db,
		q{SELECT coalesce(string_agg(version, ',' ORDER BY sort_key), '') FROM migrate.migrations});
}

# a directory the server cannot read: an error, nothing registered
{
	my $dir = make_dir('closed', '1_a.up.sql' => "SELECT 1;\n");
	chmod 0000, $dir;
	my ($ret, $out, $err) = load('utf8', $dir);
	like($err,
		qr/ERROR:  could not read migration directory "\Q$dir\E": Permission denied\nHINT:  The server's operating system user must be able to read the migration directory and its files\./,
		'an unreadable directory is an error that says why');
	chmod 0755, $dir;
	is(registered('utf8'), '', 'nothing registered');
}

# a file the server cannot read: an error, nothing of the directory
# registered, not even the readable files before it
{
	my $dir = make_dir('one_closed',
		'1_a.up.sql' => "SELECT 1;\n",
		'2_b.up.sql' => "SELECT 2;\n",
		'3_c.up.sql' => "SELECT 3;\n");
	chmod 0000, "$dir/2_b.up.sql";
	my ($ret, $out, $err) = load('utf8', $dir);
	like($err,
		qr/ERROR:  could not read file "\Q$dir\E\/2_b.up.sql": Permission denied/,
		'an unreadable file is an error naming it');
	is(registered('utf8'), '', 'nothing registered');
	chmod 0644, "$dir/2_b.up.sql";
	($ret, $out, $err) = load('utf8', $dir);
	is($out, "1|added|\n2|added|\n3|added|", 'once readable, the directory loads');
}

# diesel: an unreadable migration directory is an error too
{
	my $dir = make_dir('diesel_closed',
		'20240101000000_a/up.sql' => "SELECT 1;\n",
		'20240102000000_b/up.sql' => "SELECT 2;\n");
	chmod 0000, "$dir/20240102000000_b";
	my ($ret, $out, $err) = load('latin1', $dir);
	like($err, qr/ERROR:  could not read file "\Q$dir\E\/20240102000000_b\/up.sql": Permission denied/,
		'an unreadable diesel migration directory is an error naming it');
	chmod 0755, "$dir/20240102000000_b";
	is(registered('latin1'), '', 'nothing registered');
}

# encodings: bytes must be valid in the database encoding
{
	my $dir = make_dir('bytes',
		'1_utf8.up.sql' => "INSERT INTO t VALUES ('caf\xc3\xa9');\n",
		'2_latin1.up.sql' => "INSERT INTO t VALUES ('caf\xe9');\n",
		'3_bom.up.sql' => "\xef\xbb\xbfCREATE TABLE bom (id int);\n");
	$node->safe_psql('utf8', 'SELECT migrate.remove(version) FROM migrate.migrations');
	my ($ret, $out, $err) = load('utf8', $dir);
	is( $out,
		"1|added|\n"
		  . "2|refused|file \"2_latin1.up.sql\" is not valid UTF8, the database encoding\n"
		  . "3|added|the byte order mark of \"3_bom.up.sql\" was dropped",
		'UTF8 database: invalid bytes refused, a byte order mark dropped');
	is( $node->safe_psql('utf8',
			q{SELECT up = E'CREATE TABLE bom (id int);\n' FROM migrate.migrations WHERE version = '3'}),
		't',
		'the up text starts after the byte order mark');

	# in LATIN1 every byte is a character: the bytes are taken as they are,
	# and a UTF-8 byte order mark is three characters before CREATE
	($ret, $out, $err) = load('latin1', $dir);
	like($out, qr/\A1\|added\|\n2\|added\|\n3\|refused\|up script of migration "3" is not valid SQL: syntax error at or near "\x{ef}\x{bb}\x{bf}CREATE"/,
		'LATIN1 database: every byte is a character');
	is( $node->safe_psql('latin1',
			q{SELECT convert_to(up, 'LATIN1') FROM migrate.migrations WHERE version = '2'}),
		'\x494e5345525420494e544f20742056414c554553202827636166e927293b0a',
		'LATIN1 database: the text is the file');
}

# file names must be valid in the database encoding too: a Latin-1 name
# in a UTF8 database refuses the whole call (it would become a version, a
# name and a note, text that pg_dump writes and psql cannot restore)
{
	my $dir = make_dir('latin1_name',
		'1_a.up.sql' => "SELECT 1;\n",
		"2_caf\xe9.up.sql" => "SELECT 2;\n");
	$node->safe_psql('utf8', 'SELECT migrate.remove(version) FROM migrate.migrations');
	my ($ret, $out, $err) = load('utf8', $dir);
	like($err,
		qr/ERROR:  file name "2_caf\\xe9.up.sql" in directory "\Q$dir\E" is not valid UTF8, the database encoding\nDETAIL:  .*Nothing was registered\.\nHINT:  Rename the file/,
		'a file name not valid in the database encoding refuses the load, escaped');
	is(registered('utf8'), '', 'nothing registered');

	# what is registered dumps and restores: the history of the LATIN1
	# database, where the name is valid, round-trips through pg_dump | psql
	$node->safe_psql('latin1', 'SELECT migrate.remove(version) FROM migrate.migrations');
	($ret, $out, $err) = load('latin1', $dir);
	like($out, qr/^2\|added\|/m, 'in LATIN1 the same name is a character and loads');
	$node->safe_psql('latin1', 'SELECT count(*) FROM migrate.latest()');
	$node->safe_psql('postgres',
		q{CREATE DATABASE latin1_copy TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'});
	my $dump = "$base/latin1.sql";
	$node->command_ok(
		[ 'pg_dump', '-d', $node->connstr('latin1'), '-f', $dump ],
		'pg_dump of the LATIN1 database');
	$node->command_ok(
		[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('latin1_copy'), '-f', $dump ],
		'psql restores it');
	is( $node->safe_psql('latin1_copy',
			q{SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migrate.status}),
		$node->safe_psql('latin1',
			q{SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM migrate.status}),
		'the restored database shows the same migrations applied');
}

# Windows line ends: the section markers are found, the text is kept
{
	my $dir = make_dir('crlf',
		'20240101000000_a.sql' =>
		  "-- migrate:up\r\nCREATE TABLE crlf (id int);\r\n-- migrate:down transaction:false\r\nDROP TABLE crlf;\r\n");
	$node->safe_psql('utf8', 'SELECT migrate.remove(version) FROM migrate.migrations');
	my ($ret, $out, $err) = load('utf8', $dir);
	is($out, "20240101000000|added|transaction:false: registered with transactional => false",
		'dbmate markers with CRLF line ends');
	is( $node->safe_psql('utf8',
			q{SELECT up = E'CREATE TABLE crlf (id int);\r\n' AND down = E'DROP TABLE crlf;\r\n'
			    FROM migrate.migrations}),
		't', 'the sections keep their line ends');
}

$node->stop;
done_testing();
