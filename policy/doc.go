// Package policy loads the YAML policy files that decide, for every message,
// whether it may pass, must be encrypted or sent over TLS only, is blocked,
// or is held in quarantine; and it evaluates messages against them.
//
// Loading. Load reads one or more files or directories (*.yaml, *.yml in
// lexical order) and validates everything before anything is used: unknown
// keys, bad regular expressions (RE2, compiled at load), unknown detectors,
// lists or actions, a missing or misplaced default rule. Every problem is
// reported at once, each with file, line and key path. A Set's Hash (SHA-256
// over file names and bytes, list and dictionary files included) is the
// policy version that goes into every decision.
//
// Evaluation. Engine.Evaluate streams the message once through content
// extraction (policy/extract) and the detectors (policy/detect), then tries
// the rules in order: the first whose conditions hold decides; when none
// does, the default rule (always last) does. The Decision says which rule,
// the action and its modifiers, the findings (types, counts, confidences,
// locations) and a trace of every rule tried with the reason it did or did
// not match.
//
// Fail closed. Content that cannot be fully scanned (a limit reached, a
// decoding error, an unknown charset, an encrypted part) is a synthetic
// finding "unscannable", never an error. Rules are evaluated as written; the
// shipped default policy (DefaultSet, testdata/policy/default) puts
// "unscannable: true -> encrypt" first, and its default rule never lets mail
// leave in the clear. An admin policy that wants unscannable mail to pass must
// say so in a rule.
//
// Reload. Watch reloads on file changes; a policy that fails to load is
// reported to the caller, who keeps the old Engine in force. Nothing in this
// package swaps policies by itself, holds state on disk, or survives a crash:
// after a restart the files are simply loaded again.
//
// Never. The Decision, the trace and errors never hold message text, matched
// identifiers, Subjects, header values, attachment names or addresses; only
// rule IDs, patterns written in the policy, finding types and counts. Masked
// previews of matches exist only in Report, for the local `sealgate policy
// test` command, and must never be logged.
package policy
