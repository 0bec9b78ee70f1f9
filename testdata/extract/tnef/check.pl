use Convert::TNEF;
for my $f (@ARGV) {
  my $t = Convert::TNEF->read_in($f, {output_to_core => "ALL", ignore_checksum => 0}) or die Convert::TNEF::errstr;
  print "$f: message class ", $t->message->data("MessageClass"), "\n";
  for my $a ($t->attachments) { printf "  %s (%d bytes)\n", $a->longname, length($a->data); }
  $t->purge;
}
