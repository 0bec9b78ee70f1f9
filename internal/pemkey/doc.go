// Package pemkey parses a PEM-encoded private key, the one way every key
// file of sealgate's is read (S/MIME signing keys, DKIM keys).
//
// It takes the first private-key block and skips any other block before it
// (a certificate, openssl's "EC PARAMETERS"), so a key file that also holds
// its certificate works. Accepted block types: "PRIVATE KEY" (PKCS#8),
// "RSA PRIVATE KEY" (PKCS#1) and "EC PRIVATE KEY" (SEC 1). Encrypted keys
// are not supported. It checks no policy (key type, size): callers do, since
// DKIM and S/MIME want different keys. It imports nothing of sealgate's.
package pemkey
