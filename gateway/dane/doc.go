// Package dane implements DANE for SMTP (RFC 7672) on the sending side: the
// TLSA lookup through a DNSSEC-validating resolver and the check of a server's
// certificate chain against the TLSA records (RFC 6698 §2.1 field meanings,
// RFC 7671 operational rules, RFC 7218 acronyms).
//
// Algorithm, as the relay uses it for one MX host:
//
//  1. LookupTLSA queries _25._tcp.MXHOST. TLSA with RD and the EDNS0 DO bit set
//     (RFC 7672 §2.2) through the gateway's DNS client (internal/dnsq, which
//     also holds the trust rule of step 2). The MX host name is
//     queried as given; CNAMEs are whatever the recursive resolver follows, so
//     the TLSA base domain is the MX host name (RFC 7672 §2.2.3's
//     CNAME-expanded base domain is not tried separately).
//  2. The answer is "secure" only if the resolver set the AD bit and we trust
//     that resolver: it is on loopback, or the admin marked it Trusted
//     (RFC 6698 §4.1, RFC 7672 §2.1: the path to the validating resolver must be
//     secure). Insecure TLSA records must be ignored by the caller
//     (RFC 7672 §2.2): DANE does not apply.
//  3. NXDOMAIN and NODATA mean no records (DANE does not apply for this host).
//     SERVFAIL and any other failure are errors: RFC 7672 §2.2 requires the
//     delivery to be deferred, not downgraded, when the lookup fails.
//  4. Usable keeps the records SMTP may use (RFC 7672 §3.1): DANE-TA(2) and
//     DANE-EE(3), selectors Cert(0) and SPKI(1), matching types Full(0),
//     SHA2-256(1) and SHA2-512(2), with digests of the right length. PKIX-TA(0)
//     and PKIX-EE(1) are ignored. If secure records exist but none is usable,
//     the caller uses TLS without authentication (RFC 7672 §2.2, §3.1).
//  5. With usable secure records the connection must be authenticated
//     (RFC 7672 §2.2): Verify (or VerifyConnection in tls.Config) checks:
//     - DANE-EE(3): the leaf certificate or its public key matches; names,
//     expiry and issuer are not checked (RFC 7672 §3.1.1).
//     - DANE-TA(2): a certificate of the presented chain matches (the server
//     must send the TA certificate, RFC 7672 §3.1.2), the leaf chains to it
//     with that TA as the only root and validity dates checked, and the leaf
//     is valid for the MX host name (RFC 7672 §3.2.2, §3.2.3: wildcards only
//     in the leftmost label).
//     Any usable record matching is enough (RFC 6698 §2.1, RFC 7671 §5).
//
// This package keeps no state and logs nothing, so a crash loses nothing and
// leaves nothing to recover. It never believes an AD bit
// from a non-loopback resolver the admin has not marked trusted, never treats
// a failed TLSA lookup as "no TLSA", and never uses the system roots for
// DANE-TA (the TLSA record is the only trust anchor).
package dane
