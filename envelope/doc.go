// Package envelope holds the SMTP envelope of a message (sender, recipients
// with their DSN parameters, where and how it arrived) as one data type that
// every stage shares: ingress fills it, the spool stores it sealed, the policy
// engine reads it, the relay delivers by it. It imports nothing of sealgate's
// own, so no stage has to import the storage package for it.
package envelope
