package gateway

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/crypto/keystore"
	"github.com/sealgate/sealgate/crypto/pgp"
	"github.com/sealgate/sealgate/crypto/selector"
)

var (
	benchKeyOnce sync.Once
	benchKeyBin  []byte
)

// benchRSAKey is an RSA-3072 public key for lab@partner.test, as in the
// issue 14 profiles; generated once per test binary (it takes a second).
func benchRSAKey(b *testing.B) []byte {
	benchKeyOnce.Do(func() {
		e, err := openpgp.NewEntity("Lab", "", "lab@partner.test", &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 3072})
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := e.Serialize(&buf); err != nil {
			b.Fatal(err)
		}
		benchKeyBin = buf.Bytes()
	})
	return benchKeyBin
}

// benchKeyStage is what the stage uses per message for one recipient: the
// gateway's key finder behind a selector built for the message.
func benchKeyStage(b *testing.B) (*Gateway, *config.Config) {
	dir := filepath.Join(b.TempDir(), "keys")
	ks, err := keystore.Open(keystore.Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	if res, err := ks.Import("lab.pgp", benchRSAKey(b)); err != nil || len(res.Imported) != 1 {
		b.Fatalf("import: %+v %v", res, err)
	}
	ks.Close()
	// Steady state: the store has not changed for a while (a change in the
	// last seconds makes the finder read the store again).
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "keys.db"), old, old); err != nil {
		b.Fatal(err)
	}
	cfg := &config.Config{}
	cfg.Keys.Dir = dir
	return &Gateway{}, cfg
}

// benchParsed is the stage's parsed-key cache (newStage makes one).
var benchParsed = selector.NewKeyCache()

func benchChoose(b *testing.B, g *Gateway, cfg *config.Config) *pgp.Key {
	sel := &selector.Selector{Keys: keyFinder{cfg: cfg, g: g}, Parsed: benchParsed}
	ch := sel.Choose(context.Background(), "lab@partner.test", []string{selector.PGP}, true)
	if ch.PGPKey == nil {
		b.Fatalf("no key chosen: %s", ch.Reason)
	}
	return ch.PGPKey
}

// BenchmarkPGPRecipientPerMessage is the per-message key work of an
// encrypted message to one recipient with an RSA-3072 key: lookup, parse
// and check the key, then encrypt 10 KB (Lookup alone without Encrypt).
func BenchmarkPGPRecipientPerMessage(b *testing.B) {
	g, cfg := benchKeyStage(b)
	msg := []byte("From: dr@clinic.test\r\nTo: lab@partner.test\r\nSubject: r\r\n\r\n" + strings.Repeat("SSN: 078-05-1121 result line of text\r\n", 10<<10/38))
	b.Run("Lookup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			benchChoose(b, g, cfg)
		}
	})
	b.Run("LookupEncrypt10KB", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(msg)))
		for b.Loop() {
			k := benchChoose(b, g, cfg)
			if err := pgp.Encrypt(io.Discard, bytes.NewReader(msg), []*pgp.Key{k}, pgp.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
