// Package relay is sealgate's outbound queue: it delivers each outbound
// Copy of a spooled message to its recipients, through a smarthost or by
// MX, retries, expires, bounces, and sends DSNs (package dsn).
//
// It is the queue; two sub-packages do the rest of the outbound side, in
// the shape of chasquid's queue/courier and mox's queue/smtpclient:
// tlspolicy decides what TLS each connection must achieve (admin map,
// DANE, MTA-STS, floors, downgrade memory, the selector's capability
// answer) and smtpclient dials, says EHLO/STARTTLS, checks the peer, runs
// transactions and pools sessions. Levels are spelled once, in
// internal/tlslevel. The files here: options.go, store.go and state.go
// (the API, the store it works on, the persisted queue state), relay.go
// (New/Start/Stop), submit.go, operator.go (list/show/flush/hold/delete),
// schedule.go (due groups, concurrency), deliver.go (one attempt: hops,
// plan, session, transaction), outcome.go (records, retries), dsn.go
// (settle, DSNs, removal), fallback.go (delivery-time fallback, the hold
// lifetime), lost.go, smtputf8.go, tls.go (the relay's face of tlspolicy),
// metrics.go; mx.go and resolver.go do DNS.
//
// Guarantee: once Submit returns nil, every recipient is delivered,
// bounced or expired, with a DSN where one is due; a crash may cause a
// duplicate delivery or a duplicate DSN, never a loss.
//
// State is a JSON queueState per message, written with Store.SaveState
// (durable when it returns) only when something must survive a crash, and
// then before it is relied on. Anything not saved is redone after a crash,
// which at worst delivers twice (allowed), never loses:
//
//   - Submit: not saved (unless held, or a copy holds recipients or is a
//     TLS report): every recipient queued is what processing derives again
//     from the durable message. A crash leaves a spooled message without
//     state: Restore reports needsProcessing and the gateway processes and
//     submits it again, making its copies again (the spool does not fsync
//     copies; SaveState fsyncs them before the first state that may name
//     them). Restore also reports needsProcessing when a copy a queued
//     recipient waits for cannot be opened: the message is planned and
//     encrypted again; the relay never sends another copy in its place.
//   - After each attempt (one SMTP transaction per copy and destination):
//     saved when a recipient of it is deferred (attempt count, next
//     attempt) or reached a final state that owes a DSN. A delivery that
//     owes nothing is not saved: a crash before the removal sends it again.
//     A crash after the remote's 250 and before a save likewise leaves
//     those recipients "queued" on disk: they are sent again (duplicate).
//   - Records: BeforeAttempt (the audit log's attempt record) must succeed
//     before an attempt connects; if it fails nothing is sent and no
//     attempt is counted. Each outcome goes to OnAttempt before the state
//     is saved; if that fails the outcome is kept on the recipient
//     (Unrecorded, saved) and retried before its next attempt and before
//     any DSN or removal: a message never leaves the queue with an
//     outcome unrecorded. A crash after the record and before the save
//     delivers again, with new records (a duplicate, never a gap).
//   - Hold/Release: saved. Flush and next-attempt times from Flush are not.
//   - DSN: written with Store.NewMessage, committed, Submitted, and only
//     then are the recipients marked "reported" and saved. A crash between
//     the two sends the DSN twice; a crash after Commit and before Submit
//     (or before the DSN's first attempt) leaves a DSN that Restore reports
//     as needing processing. Final recipients that owe no DSN are marked
//     reported in memory only.
//   - Removal: Store.Remove only when no recipient is queued and every
//     final recipient is reported. Store.Remove need not be durable: a
//     removal lost in a crash brings the message back with its last saved
//     state (or none), and it is delivered again.
//
// Retries: 4xx replies, network, DNS (SERVFAIL, timeout) and TLS failures
// are temporary; the next attempt is min(RetryMax, RetryMin*2^(n-1)) +/-
// 20% after attempt n, never later than Received+MaxLifetime. A temporary
// failure at or after Received+MaxLifetime expires the recipient (DSN
// status 4.4.7). 5xx replies, NXDOMAIN (5.1.2), null MX (5.1.10, RFC 7505)
// and a next hop without SMTPUTF8 for a message that needs it (5.6.7)
// bounce; a non-ASCII domain alone goes as A-labels (smtputf8Envelope).
//
// DSNs (RFC 3461/3464): never to the null sender, never about a DSN;
// NOTIFY=NEVER suppresses, FAILURE or no NOTIFY reports failures, SUCCESS
// reports deliveries; DELAY warnings are not sent. One DSN covers the
// recipients that reached a final state in one round of attempts.
//
// Connections: after a transaction ends cleanly (the final reply to DATA,
// or an SMTP error reply followed by RSET) the connection is kept idle for
// up to 5 s, at most MaxPerDomain per server name, address and required
// TLS level, and the next delivery to the same key uses it after a NOOP
// probe; a failed probe closes it and a new one is dialled, so a server
// that dropped an idle client costs no failed attempt. A connection is
// never shared between TLS levels nor used by two deliveries at once;
// AUTH is done once per connection. Stop closes idle connections (QUIT).
//
// TLS: none never starts TLS; may uses STARTTLS when offered and retries
// once in plaintext after a failed handshake; encrypt and verify never
// fall back to plaintext, they defer (4.7.5). A Copy's MinTLS and the
// message's REQUIRETLS raise the level, never lower it. The relay never
// sends AUTH credentials without TLS and never sends a message after a
// short read of the spool (the connection is dropped instead of ending
// DATA).
//
// Enforced TLS by MX (docs/tls.md), most specific source first, per MX
// host: the admin map (exact, then the longest .suffix; dane, dane-only
// and mta-sts name a source), DANE (RFC 7672: a secure usable TLSA RRset
// makes DANE-authenticated TLS mandatory; a failed TLSA lookup defers),
// MTA-STS (RFC 8461: enforce skips MX hosts the policy does not list
// before connecting and requires a PKIX-valid certificate for the MX name;
// testing delivers and records), DefaultTLS. Then Copy.MinTLS and
// REQUIRETLS raise; then the downgrade memory: a domain that delivered
// with authenticated TLS within MemoryWindow is held to verified TLS at
// its proven version at any level but none; less is a downgrade (4.7.5,
// warn log, metric, Attempt.TLSDowngrade) and is never sent in plaintext.
// The certificate is checked after the handshake and before any command
// is sent in the session, so a failure is named by its RFC 8460 type.
// REQUIRETLS (RFC 8689) additionally needs the next hop to advertise
// REQUIRETLS; if it does not, the recipient bounces with 5.7.10 and the
// DSN carries headers only. "TLS-Required: No" relaxes the recipient
// domain's policy to may only with HonorTLSRequiredNo and no MinTLS. With
// a smarthost, only SmarthostTLS applies.
//
// Delivery-time fallback: a copy made for the verified-TLS method
// (Copy.Method "tls") whose next hop answered but could not give verified
// TLS (STARTTLS missing or refused, a certificate not valid for the host,
// expired or untrusted, a TLSA mismatch, a downgrade) is never sent in
// plaintext: with Options.Fallback set its recipients are held (saved,
// reason "fallback: verified TLS failed: <RFC 8460 type>") and handed to
// Fallback, which serves them another copy (ServeHeld) or keeps them held
// (KeepHeld). A failed call is repeated, and so is one pending at a crash
// (Restore). A 4xx/5xx reply, a network or DNS failure defers or bounces as
// above. Recipients held alone (Copy.Hold, or no method left) bounce with
// 5.7.10 ("could not be delivered securely", the original's header only)
// once HoldLifetime (default MaxLifetime) has passed since arrival,
// recorded like any bounce; a whole message held (Hold, SubmitHeld) is not.
//
// The downgrade memory (bbolt at MemoryPath) is written after an
// authenticated delivery (at most once an hour per unchanged domain) and
// after a downgrade; a crash loses at most that write, which makes the
// memory weaker for one domain, never stricter.
package relay
