package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The index key seals the addresses in index records, so index.db holds
// no address in the clear. It is random, made once per store, and kept
// wrapped by the KEK: the KEK is asked once per New, not per lookup.
var (
	bucketMeta  = []byte("meta")
	keyIndexKey = []byte("index-key")
	indexKeyAAD = []byte("sealgate/portal/index-key/v1")
	envAAD      = "sealgate/portal/envelope/v1\x00"
)

// loadIndexKey unwraps the index key, creating it on first use, and
// rewraps it under the KEK's current primary so a rotated-out KEK is
// soon not needed for it.
func loadIndexKey(ctx context.Context, db *bolt.DB, kek KeyWrapper) (cipher.AEAD, []byte, error) {
	var key []byte
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if w := b.Get(keyIndexKey); w != nil {
			key, err = kek.Unwrap(ctx, w, indexKeyAAD)
			if err != nil {
				return fmt.Errorf("unwrap index key (wrong key-encryption key?): %w", err)
			}
		} else {
			key = make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return err
			}
		}
		w, err := kek.Wrap(ctx, key, indexKeyAAD)
		if err != nil {
			return err
		}
		return b.Put(keyIndexKey, w)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: %w", err)
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, fmt.Errorf("store: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	return aead, addressMACKey(key), err
}

// addressMACKey derives the key that names an address in the index (its
// TOTP enrolment) without writing the address: a separate key, so the
// AEAD key is never used for anything else.
func addressMACKey(indexKey []byte) []byte {
	m := hmac.New(sha256.New, indexKey)
	m.Write([]byte("sealgate/portal/address-mac/v1"))
	return m.Sum(nil)
}

// sealJSON seals v under the index key, bound to a message id.
func sealJSON(aead cipher.AEAD, id string, v any) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, err
	}
	return aead.Seal(out, out, plain, []byte(envAAD+id)), nil
}

func openJSON(aead cipher.AEAD, id string, data []byte, v any) error {
	if len(data) < aead.NonceSize() {
		return fmt.Errorf("%w: sealed envelope too short", ErrCorrupt)
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, data[:n], data[n:], []byte(envAAD+id))
	if err != nil {
		return fmt.Errorf("%w: sealed envelope does not authenticate", ErrCorrupt)
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("%w: sealed envelope: %v", ErrCorrupt, err)
	}
	return nil
}
