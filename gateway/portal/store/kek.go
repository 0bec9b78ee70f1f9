package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/sealgate/sealgate/internal/secretfile"
)

// KeyWrapper wraps and unwraps data keys under a key-encryption key. It is
// the KMS hook: a KMS-backed wrapper sends the 32-byte data key to the KMS
// and never holds the KEK itself. aad binds a wrapped key to its message.
type KeyWrapper interface {
	Wrap(ctx context.Context, dataKey, aad []byte) ([]byte, error)
	Unwrap(ctx context.Context, wrapped, aad []byte) ([]byte, error)
}

// LocalKEK wraps with AES-256-GCM under keys held in memory. The first key
// wraps; all unwrap, so a KEK can be rotated by putting the new one first.
//
// Wrapped format: 0x01 || kekID[8] || nonce[12] || GCM(dataKey)[48], where
// kekID is the first 8 bytes of SHA-256 of the KEK (it names, not reveals).
type LocalKEK struct {
	keys []localKey
}

type localKey struct {
	id   [8]byte
	aead cipher.AEAD
}

const (
	kekSize    = 32
	wrapVer    = 1
	wrappedLen = 1 + 8 + 12 + kekSize + 16
)

// NewLocalKEK returns a wrapper over one or more 32-byte KEKs.
func NewLocalKEK(keys ...[]byte) (*LocalKEK, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("store: no key-encryption key")
	}
	k := &LocalKEK{}
	for i, key := range keys {
		if len(key) != kekSize {
			return nil, fmt.Errorf("store: key-encryption key %d is %d bytes, want %d", i, len(key), kekSize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		var lk localKey
		sum := sha256.Sum256(key)
		copy(lk.id[:], sum[:8])
		lk.aead = aead
		k.keys = append(k.keys, lk)
	}
	return k, nil
}

// ParseKEK decodes a KEK written as 64 hex digits or as base64 (std or
// URL, padded or not) of 32 bytes.
func ParseKEK(text string) ([]byte, error) {
	s := strings.TrimSpace(text)
	if b, err := hex.DecodeString(s); err == nil && len(b) == kekSize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == kekSize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("store: key-encryption key must be 32 bytes as 64 hex digits or base64")
}

// KEKFromFile reads a KEK from a private (mode 0600) file.
func KEKFromFile(path string) ([]byte, error) {
	data, err := secretfile.Read(path, 1024)
	if err != nil {
		return nil, fmt.Errorf("store: key-encryption key: %w", err)
	}
	return ParseKEK(string(data))
}

// KEKFromEnv reads a KEK from an environment variable.
func KEKFromEnv(name string) ([]byte, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return nil, fmt.Errorf("store: key-encryption key: $%s is not set", name)
	}
	return ParseKEK(v)
}

// Wrap implements KeyWrapper.
func (k *LocalKEK) Wrap(_ context.Context, dataKey, aad []byte) ([]byte, error) {
	if len(dataKey) != kekSize {
		return nil, fmt.Errorf("store: data key is %d bytes, want %d", len(dataKey), kekSize)
	}
	key := k.keys[0]
	out := make([]byte, 1+8+12, wrappedLen)
	out[0] = wrapVer
	copy(out[1:9], key.id[:])
	if _, err := rand.Read(out[9:21]); err != nil {
		return nil, fmt.Errorf("store: nonce: %w", err)
	}
	return key.aead.Seal(out, out[9:21], dataKey, wrapAAD(out[:9], aad)), nil
}

// Unwrap implements KeyWrapper. Any failure is ErrCorrupt.
func (k *LocalKEK) Unwrap(_ context.Context, wrapped, aad []byte) ([]byte, error) {
	if len(wrapped) != wrappedLen || wrapped[0] != wrapVer {
		return nil, fmt.Errorf("%w: wrapped key format", ErrCorrupt)
	}
	for _, key := range k.keys {
		if string(key.id[:]) != string(wrapped[1:9]) {
			continue
		}
		dk, err := key.aead.Open(nil, wrapped[9:21], wrapped[21:], wrapAAD(wrapped[:9], aad))
		if err != nil {
			return nil, fmt.Errorf("%w: wrapped key does not authenticate", ErrCorrupt)
		}
		return dk, nil
	}
	return nil, fmt.Errorf("%w: wrapped under an unknown key-encryption key", ErrCorrupt)
}

// wrapAAD binds the version and KEK id into the tag too.
func wrapAAD(prefix, aad []byte) []byte {
	out := make([]byte, 0, len(prefix)+len(aad))
	return append(append(out, prefix...), aad...)
}
