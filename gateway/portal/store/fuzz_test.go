package store

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParseKeyFile(f *testing.F) {
	f.Add(encodeKeyFile(bytes.Repeat([]byte{1}, wrappedLen)))
	f.Add([]byte(keyMagic))
	f.Add([]byte(keyMagic + "\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := parseKeyFile(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not ErrCorrupt: %v", err)
			}
			return
		}
		if !bytes.Equal(encodeKeyFile(w), data) {
			t.Fatal("accepted a key file that does not round-trip")
		}
	})
}

func FuzzUnwrap(f *testing.F) {
	kek := testKEK(f, 7)
	aad := dekAAD("00112233445566778899aabbccddeeff")
	// A fixed nonce: the fuzzer's workers are other processes, and each
	// must know the one genuine input.
	k := kek.keys[0]
	good := append([]byte{wrapVer}, k.id[:]...)
	good = append(good, make([]byte, 12)...)
	good = k.aead.Seal(good, good[9:21], bytes.Repeat([]byte{9}, 32), wrapAAD(good[:9], aad))
	f.Add(good)
	f.Add(good[:20])
	f.Fuzz(func(t *testing.T, wrapped []byte) {
		dk, err := kek.Unwrap(context.Background(), wrapped, aad)
		if err == nil && (!bytes.Equal(wrapped, good) || !bytes.Equal(dk, bytes.Repeat([]byte{9}, 32))) {
			t.Fatal("forged wrapped key accepted")
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error not ErrCorrupt: %v", err)
		}
	})
}

func FuzzDecodeIndexValues(f *testing.F) {
	block, _ := aes.NewCipher(bytes.Repeat([]byte{5}, 32))
	aead, _ := cipher.NewGCM(block)
	good, err := encodeRecord(aead, record{Meta: Meta{ID: "00112233445566778899aabbccddeeff", State: Active,
		Sender: "s@h", Recipients: []string{"a@x"}}, TokenHashes: []string{"00"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"CodeHash":"AAAA","Failures":3}`))
	f.Add([]byte(`{"ID":"../../etc","State":"active"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeRecord(aead, data)
		if err == nil && !validID(r.ID) {
			t.Fatalf("record with bad id %q accepted", r.ID)
		}
		if err == nil && r.Sender != "s@h" {
			t.Fatal("forged envelope accepted")
		}
		decodeJSON[verifyState](data, "v")
		decodeJSON[tokenRef](data, "t")
		decodeJSON[diskEvent](data, "e")
		decodeJSON[sourceState](data, "s")
	})
}

// FuzzOpenHostileSealedFile replaces a stored message's file with fuzzed
// bytes: Open must fail with ErrCorrupt, or return exactly the original
// when the bytes are the original file.
func FuzzOpenHostileSealedFile(f *testing.F) {
	dir := f.TempDir()
	s := openStore(f, dir, newClock(), testKEK(f, 7))
	defer s.Close()
	msg := testMessage(70 << 10)
	rc, err := s.Put(context.Background(), PutMeta{Sender: "a@x", Recipients: []string{"b@y"}}, bytes.NewReader(msg))
	if err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(dir, "msgs", rc.ID)
	orig, _ := os.ReadFile(path)
	f.Add(orig)
	f.Add(orig[:len(orig)-1])
	f.Add(orig[:40])
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := s.Open(context.Background(), rc.ID)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("open error not ErrCorrupt: %v", err)
			}
			return
		}
		got, err := io.ReadAll(r)
		r.Close()
		if !bytes.HasPrefix(msg, got) {
			t.Fatal("hostile file yielded altered plaintext")
		}
		if err == nil && !bytes.Equal(data, orig) {
			t.Fatal("hostile file read to a clean end")
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("read error not ErrCorrupt: %v", err)
		}
	})
}
