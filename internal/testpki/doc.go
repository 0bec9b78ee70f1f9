// Package testpki is for tests only: throwaway keys, certificate
// authorities and certificates, made in memory, so no test writes its own
// x509.CreateCertificate dance.
//
// A test states what its certificate must look like (an *x509.Certificate
// template: names, validity, key usages) and testpki does the rest: keys,
// signing, parsing, the tls.Certificate, PEM. Failures end the test with
// t.Fatal. Nothing is written to disk except by WritePEM and WriteKey, into
// a path the test chooses.
//
// RSA keys are slow to make, so RSAKey hands out a per-process cache: two
// calls with the same (bits, i) return the same key. Tests must not rely on
// keys from different indexes being related or unrelated beyond that. It
// imports nothing of sealgate's.
package testpki
