// Package tlslevel names the TLS levels sealgate's outbound side speaks:
// the ordered levels none < may < encrypt < verify, the smarthost's
// implicit, and the admin map's sources (dane, dane-only, mta-sts) that
// resolve to an ordered level per MX host at attempt time.
//
// It is the one place the level strings are spelled: config validation,
// the relay and its TLS policy parse and compare levels here. A Level is
// a string underneath, so a config file, a queue state file and an
// untyped literal ("verify") keep the very same spelling.
//
// Guarantees: Parse accepts exactly the names listed in All; Raise never
// returns a level weaker than either argument, and treats a floor it
// does not know (a damaged state file) as the strictest, verify.
//
// It imports nothing of sealgate's.
package tlslevel
