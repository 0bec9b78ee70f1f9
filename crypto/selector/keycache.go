package selector

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"sync"

	"github.com/sealgate/sealgate/crypto/keystore"
	"github.com/sealgate/sealgate/crypto/pgp"
)

// maxParsed bounds a KeyCache; when full it starts over.
const maxParsed = 10000

// KeyCache keeps parsed recipient keys and certificates, so a stored key
// is parsed (and an OpenPGP key's self-signatures verified) once per
// process rather than once per message. Entries are keyed by kind,
// fingerprint and the SHA-256 of the stored bytes: a key re-imported with
// new signatures (a revocation, a new subkey) is other bytes and is parsed
// afresh, and a removed key is simply no longer looked up. Parsing does not
// depend on the time; usability (expiry, revocation, address) is still
// checked per message. Safe for concurrent use; the zero value is not, use
// NewKeyCache.
type KeyCache struct {
	mu    sync.Mutex
	pgp   map[string]parsedPGP
	certs map[string]parsedCert
}

type parsedPGP struct {
	keys []*pgp.Key
	err  error
}

type parsedCert struct {
	cert *x509.Certificate
	err  error
}

// NewKeyCache returns an empty cache.
func NewKeyCache() *KeyCache {
	return &KeyCache{pgp: map[string]parsedPGP{}, certs: map[string]parsedCert{}}
}

func cacheKey(e keystore.Entry) string {
	sum := sha256.Sum256(e.Data)
	return string(e.Kind) + ":" + e.Fingerprint + ":" + string(sum[:])
}

// pgpKeys parses e's key material, from the cache when c is not nil.
func (c *KeyCache) pgpKeys(e keystore.Entry) ([]*pgp.Key, error) {
	if c == nil {
		return pgp.ParseKeys(bytes.NewReader(e.Data))
	}
	k := cacheKey(e)
	c.mu.Lock()
	p, ok := c.pgp[k]
	c.mu.Unlock()
	if ok {
		return p.keys, p.err
	}
	// Parsed outside the lock: two messages may parse the same new key at
	// once, which costs only the duplicate work.
	keys, err := pgp.ParseKeys(bytes.NewReader(e.Data))
	c.mu.Lock()
	if len(c.pgp) >= maxParsed {
		clear(c.pgp)
	}
	c.pgp[k] = parsedPGP{keys, err}
	c.mu.Unlock()
	return keys, err
}

// cert parses e's certificate, from the cache when c is not nil.
func (c *KeyCache) cert(e keystore.Entry) (*x509.Certificate, error) {
	if c == nil {
		return x509.ParseCertificate(e.Data)
	}
	k := cacheKey(e)
	c.mu.Lock()
	p, ok := c.certs[k]
	c.mu.Unlock()
	if ok {
		return p.cert, p.err
	}
	cert, err := x509.ParseCertificate(e.Data)
	c.mu.Lock()
	if len(c.certs) >= maxParsed {
		clear(c.certs)
	}
	c.certs[k] = parsedCert{cert, err}
	c.mu.Unlock()
	return cert, err
}
