// Package dnsq is the gateway's one DNS client: every MX, address, TXT and
// TLSA lookup goes through it (github.com/miekg/dns underneath).
//
// How a query is asked:
//   - RD set, AD set (RFC 6840 §5.7: asks for the AD bit in the answer),
//     EDNS0 with a 4096-byte buffer and the DO bit, over UDP; a truncated
//     answer is asked again over TCP.
//   - Client.Server when set, else every nameserver of /etc/resolv.conf in
//     its order. The next server is tried only when one gives no answer
//     (timeout, network error). An answer, whatever its rcode, is final:
//     falling through to another resolver on SERVFAIL would let a bogus
//     DNSSEC answer (which a validating resolver reports as SERVFAIL) be
//     retried on a resolver that does not validate.
//
// What an answer means (the one semantics for every record type):
//   - NOERROR with records: the records.
//   - NXDOMAIN or NODATA: no records and a nil error. Result.NXDomain tells
//     the two apart (an MX lookup needs it: NXDOMAIN bounces, NODATA means
//     the implicit MX).
//   - any other rcode (SERVFAIL, REFUSED, …) is an *RcodeError; no answer
//     from any server is another error. Callers treat both as temporary.
//
// Trust (RFC 7672 §2.1): Result.Secure is the answer's AD bit, believed
// only from a resolver on a loopback IP literal or one the admin marked
// Trusted; see Trusted. "localhost" is not believed: it could resolve
// anywhere. The rule lives here and nowhere else.
//
// The package is a leaf: it imports nothing of the gateway's.
package dnsq
