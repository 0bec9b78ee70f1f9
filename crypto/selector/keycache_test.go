package selector

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/sealgate/sealgate/crypto/keystore"
	"github.com/sealgate/sealgate/crypto/pgp"
)

func serialized(t *testing.T, e *openpgp.Entity) keystore.Entry {
	t.Helper()
	var b bytes.Buffer
	if err := e.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return keystore.Entry{Kind: keystore.PGP, Fingerprint: strings.ToUpper(fmt.Sprintf("%x", e.PrimaryKey.Fingerprint)), Data: b.Bytes(), Source: "local:r.asc"}
}

func TestKeyCacheParsesAStoredKeyOnceUntilItsBytesChange(t *testing.T) {
	e, err := openpgp.NewEntity("R", "", "r@x.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	entry := serialized(t, e)
	cert := certEntry(t, "r@x.test", time.Now().Add(time.Hour))
	keys := fakeKeys{"r@x.test": {entry, cert}}
	s := &Selector{Keys: keys, Parsed: NewKeyCache()}
	first := s.Choose(context.Background(), "r@x.test", []string{PGP}, true)
	again := s.Choose(context.Background(), "r@x.test", []string{PGP}, true)
	if first.PGPKey == nil || first.PGPKey != again.PGPKey {
		t.Fatalf("the key was parsed again for the second message: %p %p (%s)", first.PGPKey, again.PGPKey, first.Reason)
	}
	c1 := s.Choose(context.Background(), "r@x.test", []string{SMIME}, true)
	c2 := s.Choose(context.Background(), "r@x.test", []string{SMIME}, true)
	if c1.Cert == nil || c1.Cert != c2.Cert {
		t.Fatalf("the certificate was parsed again: %p %p (%s)", c1.Cert, c2.Cert, c1.Reason)
	}
	// The admin re-imports the key with its revocation: same fingerprint,
	// other bytes. The next message must not be encrypted to it.
	if err := e.RevokeKey(packet.KeyCompromised, "lost", nil); err != nil {
		t.Fatal(err)
	}
	keys["r@x.test"] = []keystore.Entry{serialized(t, e)}
	if c := s.Choose(context.Background(), "r@x.test", []string{PGP}, true); c.Method != "" || !strings.Contains(c.Reason, pgp.ReasonPrimaryRevoked) {
		t.Fatalf("revoked key still chosen: %+v", c)
	}
}

// TestCachedKeyEncryptsForManyMessagesAtOnce: one parsed key shared by
// concurrent messages (run with -race).
func TestCachedKeyEncryptsForManyMessagesAtOnce(t *testing.T) {
	keys := fakeKeys{"r@x.test": {pgpEntry(t, "r@x.test")}}
	s := &Selector{Keys: keys, Parsed: NewKeyCache()}
	msg := []byte("From: a@clinic.test\r\nTo: r@x.test\r\nSubject: s\r\n\r\nbody\r\n")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				c := s.Choose(context.Background(), "r@x.test", []string{PGP}, true)
				if c.PGPKey == nil {
					t.Error(c.Reason)
					return
				}
				if err := pgp.Encrypt(io.Discard, bytes.NewReader(msg), []*pgp.Key{c.PGPKey}, pgp.Options{}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
