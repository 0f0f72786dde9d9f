# Copyright (c) 2026, The migrate contributors
#
# Why TAP: the README's examples are run as a user runs them, with psql,
# and what psql prints is compared with what the README shows.
#
# Every ```sql block of README.md runs, in the README's order, in one
# database.  A plain ``` block right after it is its output, compared
# line by line after normalizing what varies from run to run: runs of
# blanks (column widths), durations, timestamps, checksums, pids and
# transaction ids.  A block whose output the README does not show must
# run without an ERROR.  An HTML comment on the line before a block's
# fence says more:
#
#   <!-- doctest: fresh -->            start again in a new database
#   <!-- doctest: db NAME -->          go on in database NAME (made empty
#                                      the first time)
#   <!-- doctest: setup
#   SQL -->                            run this first, silently
#   <!-- doctest: as ROLE -->          run as this role (created LOGIN)
#   <!-- doctest: file PATH
#   CONTENT -->                        write this file first (a directory
#                                      of the README, such as /srv/app, is
#                                      made under the test's own directory,
#                                      and paths are mapped both ways)
#   <!-- doctest: skip REASON -->      do not run it (REASON says why)
#
# README_SHOW=1 prints each block's output as psql printed it.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Path;

my $readme = "$ENV{PWD}/README.md";
$readme = 'README.md' unless -f $readme;
my $text = slurp_file($readme);

# the blocks, with the markers before each and the output after it
my @lines = split /\n/, $text, -1;
my @blocks;
my @markers;
for (my $i = 0; $i < @lines; $i++)
{
	if ($lines[$i] =~ /^<!-- doctest: (.*?)(?: -->)?$/)
	{
		my $marker = $1;
		if ($lines[$i] !~ /-->$/)
		{
			while (++$i < @lines && $lines[$i] !~ /-->$/)
			{
				$marker .= "\n$lines[$i]";
			}
			(my $last = $lines[$i]) =~ s/ ?-->$//;
			$marker .= "\n$last";
		}
		push @markers, $marker;
		next;
	}
	next unless $lines[$i] =~ /^```(\w*)$/;
	my ($lang, $start) = ($1, $i + 1);
	my @body;
	push @body, $lines[$i] while (++$i < @lines && $lines[$i] ne '```');
	push @blocks, { lang => $lang, line => $start, body => join("\n", @body),
		markers => [@markers] };
	@markers = ();
}
for (my $b = 0; $b < @blocks; $b++)
{
	next unless $blocks[$b]{lang} eq 'sql';
	my $next = $blocks[$b + 1];
	if ($next && $next->{lang} eq '' && $next->{line} == $blocks[$b]{line} + ($blocks[$b]{body} =~ tr/\n//) + 3)
	{
		$blocks[$b]{output} = $next->{body};
	}
}

my $node = PostgreSQL::Test::Cluster->new('readme');
$node->init;
$node->append_conf('postgresql.conf', 'max_worker_processes = 16');
$node->start;
$node->safe_psql('postgres', 'CREATE ROLE postgres SUPERUSER LOGIN')
  unless $node->safe_psql('postgres', q{SELECT count(*) FROM pg_roles WHERE rolname = 'postgres'});

# README paths under /srv live under the test's directory
my $root = PostgreSQL::Test::Utils::tempdir();
sub to_test_path
{
	my ($s) = @_;
	$s =~ s{(?<![\w/])/srv/}{$root/srv/}g;
	return $s;
}

my $db = 0;
sub fresh_database
{
	$db++;
	$node->safe_psql('postgres', "CREATE DATABASE readme_$db");
	return "readme_$db";
}
my $dbname = fresh_database();

# what varies from run to run, made the same in the README and in psql's
# output
sub normalize
{
	my ($s) = @_;
	my @out;
	foreach my $l (split /\n/, $s)
	{
		$l =~ s/^psql:[^:]*:\d+: //;
		$l =~ s/\d+(?:\.\d+)? (?:ms|s|min)\b/<duration>/g;
		$l =~ s/\b\d{2}:\d{2}:\d{2}(?:\.\d+)?\b/<interval>/g;
		$l =~ s/\b\d{4}-\d{2}-\d{2}[ T]<interval>(?:[+-]\d{2}(?::\d{2})?)?/<timestamp>/g;
		$l =~ s/\b[0-9a-f]{64}\b/<checksum>/g;
		$l =~ s/\b((?:[Pp]rocess(?:es)?|pid)) \d+/$1 <pid>/g;
		next if $l =~ /^\(\d+ rows?\)$/;
		$l =~ s/^[-+]+$/<rule>/;
		$l =~ s/\s+/ /g;
		$l =~ s/^ | $//g;
		push @out, $l if $l ne '';
	}
	pop @out while @out && $out[-1] eq '';
	return join("\n", @out);
}

foreach my $block (@blocks)
{
	next unless $block->{lang} eq 'sql';
	my $where = "README.md line $block->{line}";
	my ($setup, $role, $skip) = ('', 'postgres', undef);
	foreach my $m (@{ $block->{markers} })
	{
		if ($m eq 'fresh') { $dbname = fresh_database(); }
		elsif ($m =~ /^db (\w+)$/)
		{
			$dbname = $1;
			$node->safe_psql('postgres', "CREATE DATABASE $dbname")
			  unless $node->safe_psql('postgres',
				"SELECT count(*) FROM pg_database WHERE datname = '$dbname'");
		}
		elsif ($m =~ /^setup\n?(.*)$/s) { $setup .= "$1\n"; }
		elsif ($m =~ /^as (\S+)$/) { $role = $1; }
		elsif ($m =~ /^skip (.+)$/s) { $skip = $1; }
		elsif ($m =~ /^file ([^\n]+)(?:\n(.*))?$/s)
		{
			my ($path, $content) = (to_test_path($1), $2 // '');
			(my $dir = $path) =~ s{/[^/]*$}{};
			File::Path::make_path($dir);
			open(my $fh, '>', $path) or die "could not write $path: $!";
			print $fh $content eq '' ? '' : "$content\n";
			close($fh);
		}
		else { BAIL_OUT("$where: unknown doctest marker \"$m\""); }
	}
	if (defined $skip)
	{
	  SKIP: { skip("$where: $skip", 1); }
		next;
	}
	if ($setup ne '')
	{
		my ($ret, $out, $err) = $node->psql($dbname, to_test_path($setup),
			extra_params => [ '-U', 'postgres', '-v', 'ON_ERROR_STOP=1' ]);
		BAIL_OUT("$where: the setup failed: $err") if $ret != 0;
	}
	if ($role ne 'postgres')
	{
		$node->safe_psql($dbname,
			qq{DO \$\$BEGIN CREATE ROLE "$role" LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$});
	}

	# stdout and stderr in one stream, in the order psql wrote them
	my $expect_error = defined $block->{output} && $block->{output} =~ /^(?:psql:\S+ )?ERROR:/m;
	my $out;
	IPC::Run::run(
		[
			$node->installed_command('psql'), '-X', '-q',
			'-v', 'ON_ERROR_STOP=' . ($expect_error ? 0 : 1),
			'-d', $node->connstr($dbname), '-U', $role
		],
		'<', \(to_test_path($block->{body}) . "\n"),
		'>&', \$out);
	my $status = $?;
	$out =~ s{\Q$root\E/srv/}{/srv/}g;
	print STDERR "--- $where\n$out\n" if $ENV{README_SHOW};

	if (defined $block->{output})
	{
		is(normalize($out), normalize($block->{output}), "$where: the output is as shown");
	}
	else
	{
		ok($status == 0 && $out !~ /ERROR:/, "$where: runs without an error")
		  or diag($out);
	}
}

$node->stop;
done_testing();
