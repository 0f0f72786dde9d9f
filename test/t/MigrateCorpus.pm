# Copyright (c) 2026, The migrate contributors
#
# MigrateCorpus: reading the real migration histories of ../shared/corpus
# for the TAP tests, and turning them into migrate.add() calls.
#
# Each history has order.tsv (seq, version, up file, down file, tx/no-tx,
# statement counts) and its files under migrations/.  goose histories keep
# up and down in one file, in -- +goose Up / Down sections.

package MigrateCorpus;

use strict;
use warnings;
use Exporter 'import';
use Test::More ();

our @EXPORT = qw(corpus_dir require_corpus read_order history add_call);

# Why a test that needs the corpus skips without it.
our $SKIP_MESSAGE =
  'the corpus of real migration histories is not available (set MIGRATE_CORPUS to ../shared/corpus)';

# The corpus directory, or undef when it is not available.
sub corpus_dir
{
	my $dir = $ENV{MIGRATE_CORPUS} // '';
	return ($dir ne '' && -d $dir) ? $dir : undef;
}

# The corpus directory; the whole test is skipped, saying why, without it.
sub require_corpus
{
	my $dir = corpus_dir();
	Test::More::plan(skip_all => $SKIP_MESSAGE) unless defined $dir;
	return $dir;
}

sub slurp
{
	my ($path) = @_;
	open my $fh, '<:raw', $path or die "cannot read $path: $!";
	local $/;
	my $text = <$fh>;
	close $fh;
	return $text;
}

# order.tsv as a list of { version, up, down, tx }
sub read_order
{
	my ($name) = @_;
	my $dir = corpus_dir() or die 'no corpus';
	my @rows;
	open my $fh, '<', "$dir/$name/order.tsv" or die $!;
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

# A 0-byte file is not a migration migrate accepts; say so in a comment,
# as a DBA registering it would.
sub up_text
{
	my ($text, $file) = @_;
	return $text =~ /\S/ ? $text : "-- $file is empty upstream\n";
}

# goose: one file, -- +goose Up and -- +goose Down sections
sub goose_sections
{
	my ($text) = @_;
	my ($up, $down) = ('', undef);
	my $cur = \my $none;
	foreach my $line (split /(?<=\n)/, $text)
	{
		if ($line =~ /^--\s*\+goose\s+Up\b/i) { $cur = \$up; next; }
		if ($line =~ /^--\s*\+goose\s+Down\b/i) { $down = ''; $cur = \$down; next; }
		$$cur .= $line;
	}
	return ($up, $down);
}

# The migrations of order.tsv rows of history "name", as hashes with
# version, name, up_text, down_text (undef: none) and tx.
sub history
{
	my ($name, @rows) = @_;
	my $dir = corpus_dir() . "/$name/migrations";
	my @m;
	foreach my $r (@rows)
	{
		my ($up, $down);
		(my $n = $r->{up}) =~ s/\.up\.sql$|\/up\.sql$|\.sql$//;
		if ($name eq 'hatchet')
		{
			($up, $down) = goose_sections(slurp("$dir/$r->{up}"));
		}
		else
		{
			$up = slurp("$dir/$r->{up}");
			$down = $r->{down} eq '-' ? undef : slurp("$dir/$r->{down}");
		}
		# diesel compares versions as text: a later era's 18 digits
		# (timestamp and "0000") sort by their timestamp
		my $sort_as;
		$sort_as = substr($r->{version}, 0, 14) . '.' . substr($r->{version}, 14)
		  if $name eq 'crates-io' && length($r->{version}) > 14;
		push @m,
		  {
			version => $r->{version},
			name => $n,
			up_text => up_text($up, $r->{up}),
			down_text => $down,
			tx => $r->{tx},
			sort_as => $sort_as
		  };
	}
	return @m;
}

# A dollar-quoted SQL literal whose tag does not occur in the text.
sub dq
{
	my ($text) = @_;
	return 'NULL' unless defined $text;
	my $n = 0;
	$n++ while index($text, "\$m$n\$") >= 0;
	return "\$m$n\$$text\$m$n\$";
}

# The migrate.add() call that registers a migration.
sub add_call
{
	my ($m) = @_;
	return sprintf(
		"SELECT migrate.add(%s, %s, %s, name => %s, transactional => %s, sort_as => %s);\n",
		dq($m->{version}), dq($m->{up_text}), dq($m->{down_text}),
		dq($m->{name}), $m->{tx} eq 'tx' ? 'true' : 'false', dq($m->{sort_as}));
}

1;
