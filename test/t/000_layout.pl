# Copyright (c) 2026, The migrate contributors
#
# The layout of src/ that the README's "Architecture" section describes,
# checked on the built objects: one folder per subsystem with one header
# each, version differences only in src/compat.h, no file over 1,000
# lines, and calls that go down only.  The call graph is read off the
# object files with nm (a symbol one object uses and another defines is
# a call or a reference from the first file to the second), so it is
# what the compiler saw, not what a regex guesses.

use strict;
use warnings;
use File::Basename;
use PostgreSQL::Test::Utils;
use Test::More;

# the subsystems, lowest first: a file may use its own subsystem and the
# ones below it; src/migrate.c (module load) may use any.  src/client is
# the pg_migrate program, a layer of its own on top: it runs the SQL
# surface through libpq and links none of the server's code, so it may
# use nothing of the others, and nothing may use it (checked below).
my @layers = ([qw(common)], [qw(engine)], [qw(ddl schema files rollout)]);
my %program = (client => 1);
my %rank;
for my $i (0 .. $#layers)
{
	$rank{$_} = $i for @{ $layers[$i] };
}
$rank{top} = scalar @layers;
$rank{client} = scalar @layers + 1;

my @sources = (glob('src/*.c'), glob('src/*/*.c'));
my @headers = (glob('src/*.h'), glob('src/*/*.h'));
cmp_ok(scalar @sources, '>', 20, 'the sources are found');

sub subsystem
{
	my ($path) = @_;
	return $path =~ m{^src/([^/]+)/} ? $1 : 'top';
}

# folders and headers
for my $dir (grep { -d } glob('src/*'))
{
	my $name = basename($dir);
	ok(exists $rank{$name}, "src/$name is a known subsystem");
	is_deeply([ map { basename($_) } glob("$dir/*.h") ],
		["$name.h"], "src/$name has one header, $name.h");
}
is_deeply([ map { basename($_) } glob('src/*.h') ],
	['compat.h'], 'the only top-level header is compat.h');

# version differences only in compat.h; no file over 1,000 lines
for my $file (@sources, @headers)
{
	my $text = slurp_file($file);
	my $lines = ($text =~ tr/\n//);
	cmp_ok($lines, '<=', 1000, "$file has at most 1,000 lines");
	next if $file eq 'src/compat.h';
	unlike($text, qr/PG_VERSION_NUM/,
		"$file leaves version differences to compat.h");
}

# the file-level graph from the objects' symbols
my (%defines, %uses);
for my $src (@sources)
{
	(my $obj = $src) =~ s/\.c$/.o/;
	ok(-f $obj, "$obj is built") or next;
	for (split /\n/, `nm $obj`)
	{
		if (/^[0-9a-f]+ [TDBR] (\S+)$/)
		{
			$defines{$1} = $src;
		}
		elsif (/^\s+U (\S+)$/)
		{
			$uses{$src}{$1} = 1;
		}
	}
}
my %edges;
for my $src (keys %uses)
{
	for my $sym (keys %{ $uses{$src} })
	{
		my $to = $defines{$sym};
		next unless defined $to && $to ne $src;
		$edges{$src}{$to} = $sym;
	}
}

# calls go down or sideways within a subsystem, never up; the client and
# the module never use each other's code
for my $from (sort keys %edges)
{
	for my $to (sort keys %{ $edges{$from} })
	{
		my ($a, $b) = (subsystem($from), subsystem($to));
		if ($a ne $b && ($program{$a} || $program{$b}))
		{
			fail("$from uses $edges{$from}{$to} of $to: the pg_migrate client and the module share no code");
			next;
		}
		next if $a eq $b || $rank{$a} > $rank{$b};
		fail("$from uses $edges{$from}{$to} of $to, a subsystem above or beside it");
	}
}

# no cycle between files (Tarjan's strongly connected components)
my ($index, @stack, %on, %idx, %low, @cycles) = (0);
my $visit;
$visit = sub {
	my ($v) = @_;
	$idx{$v} = $low{$v} = $index++;
	push @stack, $v;
	$on{$v} = 1;
	for my $w (keys %{ $edges{$v} || {} })
	{
		if (!exists $idx{$w})
		{
			$visit->($w);
			$low{$v} = $low{$w} if $low{$w} < $low{$v};
		}
		elsif ($on{$w})
		{
			$low{$v} = $idx{$w} if $idx{$w} < $low{$v};
		}
	}
	if ($low{$v} == $idx{$v})
	{
		my @scc;
		my $w;
		do
		{
			$w = pop @stack;
			delete $on{$w};
			push @scc, $w;
		} while ($w ne $v);
		push @cycles, [ sort @scc ] if @scc > 1;
	}
};
$visit->($_) for grep { !exists $idx{$_} } sort @sources;
is_deeply(\@cycles, [], 'no import cycle between files')
  or diag(join("\n", map { join(' <-> ', @$_) } @cycles));

# the client's objects are not part of migrate.so, and pg_migrate is built
my @client = grep { subsystem($_) eq 'client' } @sources;
cmp_ok(scalar @client, '>', 0, 'the client has sources in src/client');
ok(-x 'src/client/pg_migrate', 'src/client/pg_migrate is built');
if (-f 'migrate.so')
{
	my %in_module = map { /^[0-9a-f]+ [TDBR] (\S+)$/ ? ($1 => 1) : () }
	  split /\n/, `nm migrate.so`;
	my @shared = grep { $in_module{$_} && subsystem($defines{$_}) eq 'client' }
	  sort keys %defines;
	is_deeply(\@shared, [], 'migrate.so holds none of the client\'s code');
}

# the module's exported symbols carry the migrate_ prefix (or are the
# SQL-callable functions' PG_FUNCTION_INFO_V1 records and the module's
# hooks); the client is a program, whose symbols are its own
for my $sym (sort keys %defines)
{
	next if subsystem($defines{$sym}) eq 'client';
	next if $sym =~ /^(migrate_|pg_finfo_|_PG_init$|Pg_magic_func$)/;
	# the sanitizer build's runtime options and instrumentation symbols
	next if $sym =~ /^__(asan|ubsan|odr_asan)/;
	fail("$defines{$sym} exports $sym without the migrate_ prefix");
}

done_testing();
