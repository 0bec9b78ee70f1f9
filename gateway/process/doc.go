// Package process is the processing stage: it turns a message that a
// producer has stored (smtpd today, the REST API next) into a decision and
// outbound copies, and hands them to the queue. One message goes through
// these steps, in this order:
//
//  1. Accept (inline, before the producer answers its client): evaluate the
//     policy; a block for any recipient is recorded, the message removed
//     and a *BlockedError returned (smtpd answers 550 5.7.1). Anything else
//     is kept in memory and enqueued.
//  2. Process (a worker, after the answer): take the kept decision, or
//     evaluate again (after a restart; a DSN of ours gets require_tls).
//  3. Select per recipient: the rule groups (groups), and for encrypt the
//     selector's method per recipient (choose): pgp, smime, verified TLS,
//     the secure portal (when Options.Portal is set), or none.
//  4. Build copies into the store: a modified base copy (subject tag,
//     added headers), then one PGP or S/MIME copy per recipient (header-named
//     recipients share one with policy.shared_copies), the portal's deposit
//     and one notification copy per portal recipient (portal.go), the bcc
//     archive copy.
//  5. Record the decision (Recorder.Decision: rule, action, finding counts,
//     method and reason per recipient).
//  6. Submit the copies to the queue, held when any group must be held.
//  7. Notify the sender when a rule asks (a new stored message, recorded,
//     submitted with TLS required).
//
// The stage declares what it needs and nothing more: Store (the spool),
// Queue (the relay's Submit, SubmitHeld and whether it has a message),
// Recorder (the audit log), selector.KeyFinder (the key store) and
// selector.TLSKnowledge (the relay's TLS policy). The gateway wires the real
// ones in; tests use fakes.
//
// # Guarantees
//
//   - The decision is durable before anything can leave: Recorder.Decision
//     returns before Queue.Submit is called, and a failed record submits
//     nothing (the message is processed again).
//   - Never a copy weaker than the decision. require_tls and quarantine
//     copies carry the TLS floor "encrypt"; encrypt's tls method and an
//     encrypt rule's bcc archive carry "verify"; a recipient with no usable
//     method holds the whole message, and its copy carries "verify" should an
//     operator release it. A block found after a restart holds the message;
//     it is never dropped after a 250 and never sent.
//   - Copies are written whole or not at all (Store.PutCopy), before the
//     queue is told about them. They are not fsynced: everything after the
//     250 except the decision record is derived again from the durable
//     message after a crash (no queue state: evaluated, planned, encrypted
//     again). The queue saves its first state only when it holds what
//     cannot be derived (a deferral, a hold), and the spool makes the
//     copies durable before that state. A copy that a crash tore or lost
//     is dropped at start and the message planned again; the relay never
//     sends another copy, nor the original, in its place.
//   - Processing is idempotent: once the queue has the message, Process
//     does nothing.
//
// # Crashes
//
//	crash during                 | after restart
//	-----------------------------+----------------------------------------------
//	Accept, before the answer    | the producer's client retries; the message
//	                             | may also be recovered: a duplicate
//	steps 2-4 (copies written)   | recovery finds no queue state: evaluated and
//	                             | planned again, copies written again
//	step 5, after the record     | the same, with a second decision record
//	step 6, after the submit     | no state saved yet (nothing was deferred or
//	                             | held): the same as step 5; once the queue
//	                             | saved a state, Process skips the message
//	step 7, after its commit     | the notice is recovered like any message
//	step 7, before its commit    | the notice is lost; the message is queued
//
// The in-memory decision (Accept to Process) and the work queue are not
// durable: after a crash the message is evaluated again under the policy in
// force then.
//
// # Later selections
//
// Three calls re-run selection for some recipients of a message already
// queued, through the same planning (planNamed, new copy names so the queue
// may still be sending the old ones), each recording its decision before
// the queue serves the new copies (Queue.ServeHeld) or leaves them held
// (Queue.KeepHeld):
//
//   - Reprocess: recipients held for want of a method, after a key import or
//     `queue reprocess` (reprocess.go).
//   - Fallback: recipients whose method failed at delivery (the relay could
//     not get verified TLS for a "tls" copy): the failed method is taken out
//     of their list (fallback.go).
//   - Release: an operator's `queue release --method portal` serves held
//     recipients by that one method (release.go).
//
// A new producer (the REST API, issue 13) stores the message and calls
// Accept, exactly as smtpd does; it maps ErrTryLater and *BlockedError to
// its own replies.
package process
