# Copyright (c) 2026, The migrate contributors
#
# Helpers shared by the TAP tests that read the real migration histories
# of ../shared/corpus: where the corpus is (MIGRATE_CORPUS; a test is
# skipped with a message without it), reading its files, the upstream
# order of each history (order.tsv) and goose's sections.

package Corpus;

use strict;
use warnings;
use Exporter 'import';
use Test::More;

our @EXPORT = qw(corpus_dir slurp read_order goose_sections);

# The corpus directory; skips the whole test when it is not available.
sub corpus_dir
{
	my $corpus = $ENV{MIGRATE_CORPUS} // '';
	if ($corpus eq '' || !-d $corpus)
	{
		plan skip_all =>
		  'the corpus of real migration histories is not available (set MIGRATE_CORPUS to ../shared/corpus)';
	}
	return $corpus;
}

# A file's bytes.
sub slurp
{
	my ($path) = @_;
	open my $fh, '<:raw', $path or die "cannot read $path: $!";
	local $/;
	my $text = <$fh>;
	close $fh;
	return $text;
}

# order.tsv of a history: seq, version, up file, down file, tx/no-tx,
# counts; one hash (version, up, down, tx) per migration, in order.
sub read_order
{
	my ($corpus, $name) = @_;
	my @rows;
	open my $fh, '<', "$corpus/$name/order.tsv" or die $!;
	<$fh>;
	while (my $line = <$fh>)
	{
		chomp $line;
		my @f = split /\t/, $line;
		push @rows,
		  { version => $f[1], up => $f[2], down => $f[3], tx => $f[4] };
	}
	close $fh;
	return @rows;
}

# goose: the text between the Up and the Down annotations, and the text
# after Down (undef without one).
sub goose_sections
{
	my ($text) = @_;
	my ($up, $down, $cur) = ('', undef, undef);
	foreach my $line (split /(?<=\n)/, $text)
	{
		if ($line =~ /^--\s*\+goose\s+up\s*$/i) { $cur = \$up; next; }
		if ($line =~ /^--\s*\+goose\s+down\s*$/i)
		{
			$down = '';
			$cur = \$down;
			next;
		}
		$$cur .= $line if $cur;
	}
	return ($up, $down);
}

1;
