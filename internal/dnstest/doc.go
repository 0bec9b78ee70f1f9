// Package dnstest is the shared test zone server: a real DNS server on
// 127.0.0.1 (UDP and TCP on one ephemeral port) answering from records a
// test puts in, so code under test exercises its real DNS client.
//
// What it answers, per question name (case-insensitive):
//   - a name marked with Fail: that rcode, no records;
//   - a name marked with TruncateUDP, over UDP: TC set, no records (the
//     client must ask again over TCP);
//   - records of the asked type: those;
//   - a name with records of other types, or marked with Exists: NODATA;
//   - any other name: NXDOMAIN.
//
// The AD bit is set on answers for names marked Secure, or on every answer
// after SecureAll, as a validating resolver does for a signed zone. The
// server records every query (Queries) and stops when the test ends.
//
// It is for tests only and imports nothing of the gateway's.
package dnstest
