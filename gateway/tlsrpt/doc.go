// Package tlsrpt sends SMTP TLS Reporting aggregate reports (RFC 8460):
// once a UTC day, to every recipient domain sealgate delivered to that
// publishes a TLSRPT record, it says how many SMTP sessions to the
// domain's MX hosts met the domain's policy and which failed, and why.
//
// # What it does, step by step
//
//  1. Record: the relay tells it the TLS outcome of every new SMTP session
//     to a recipient domain's MX host (not the smarthost's, not pooled
//     reuses, not the delivery of a report itself, RFC 8460 §5.3): the
//     policy applied (RFC 8460 §4.4 policy-type "sts" with its
//     policy-string and mx-host patterns, "tlsa" with the TLSA records, or
//     "no-policy-found"), and success or a failure with its result-type
//     (§4.3), sending and receiving IPs and the MX name.
//  2. It adds the session to the counts of (UTC day, policy domain,
//     policy): successful and failed sessions, and one failure-details row
//     per (result-type, sending-mta-ip, receiving-mx-hostname,
//     receiving-ip) with its failed-session-count.
//  3. After 00:00 UTC plus a random delay of up to an hour (so senders do
//     not all report at once), for every earlier day: it looks up TXT
//     "_smtp._tls.<domain>" (§3: exactly one "v=TLSRPTv1" record, or the
//     domain does not take reports), builds the report JSON (§4.4), gzips
//     it and sends it to each rua URI: "https:" as a POST with
//     Content-Type application/tlsrpt+gzip (§5.4; the server's certificate
//     is verified; any 2xx is success), "mailto:" as a multipart/report;
//     report-type="tlsrpt" message (§5.3) handed to the gateway's own
//     queue, so it is DKIM-signed and retried like any other mail.
//  4. Then the day's counts of that domain are deleted: a failed https
//     POST is not retried on a later day (§5.5 makes retries optional).
//
// # Durability and bounds
//
// Counts live in memory and in a bbolt file (Options.Path); they are
// written every Options.FlushInterval and on Close, so a restart keeps the
// day's counts and a crash loses at most one interval. Days are sent once
// the day is over, also after a restart; a day older than MaxAge is
// dropped unsent. Per day at most MaxDomains domains, per domain at most
// MaxPolicies policies and MaxDetails failure-details rows are kept; what
// does not fit is counted (Dropped) and logged when the day is sent, never
// stored.
//
// # No PHI
//
// A report holds domain names, MX host names, IP addresses, TLSA records,
// MTA-STS policies and counts: nothing about a message, its sender or
// recipients. It is not PHI, and is sent without the TLS floor PHI needs:
// RFC 8460 §5.3 wants reports delivered despite TLS failures.
package tlsrpt
