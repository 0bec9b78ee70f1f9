package passhash

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// DefaultCost is the bcrypt cost of hashes made for production use
// (`sealgate hash-password`).
const DefaultCost = 12

// MinCost is bcrypt's smallest cost: for demos and tests, where a fast
// start matters more than resistance to guessing.
const MinCost = bcrypt.MinCost

// bcryptLen is the length of every bcrypt hash string.
const bcryptLen = 60

// Hash is a parsed argon2id or bcrypt hash. The zero Hash matches nothing.
type Hash struct {
	bcrypt []byte // set for bcrypt hashes

	// argon2id parameters
	salt, key    []byte
	time, memory uint32
	threads      uint8
}

// Parse reads a bcrypt or argon2id PHC hash string (see the package
// comment for the exact rules).
func Parse(s string) (Hash, error) {
	switch {
	case isBcrypt(s):
		return parseBcrypt(s)
	case strings.HasPrefix(s, "$argon2id$"):
		return parseArgon2id(s)
	}
	return Hash{}, errors.New("unsupported password hash (want argon2id PHC or bcrypt)")
}

// Valid reports whether Parse accepts s.
func Valid(s string) bool {
	_, err := Parse(s)
	return err == nil
}

func isBcrypt(s string) bool {
	for _, p := range []string{"$2a$", "$2b$", "$2y$"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func parseBcrypt(s string) (Hash, error) {
	if len(s) != bcryptLen {
		return Hash{}, fmt.Errorf("bad bcrypt hash: %d characters, want %d", len(s), bcryptLen)
	}
	if _, err := bcrypt.Cost([]byte(s)); err != nil {
		return Hash{}, fmt.Errorf("bad bcrypt hash: %v", err)
	}
	return Hash{bcrypt: []byte(s)}, nil
}

// parseArgon2id reads $argon2id$v=19$m=65536,t=3,p=4$salt$hash.
func parseArgon2id(s string) (Hash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 {
		return Hash{}, errors.New("bad argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return Hash{}, errors.New("bad argon2id version (want v=19)")
	}
	var h Hash
	var p uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &p); err != nil {
		return Hash{}, errors.New("bad argon2id parameters")
	}
	if h.memory == 0 || h.time == 0 || p == 0 || p > 255 {
		return Hash{}, errors.New("bad argon2id parameters")
	}
	h.threads = uint8(p)
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(h.salt) == 0 {
		return Hash{}, errors.New("bad argon2id salt")
	}
	if h.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.key) < 16 {
		return Hash{}, errors.New("bad argon2id hash")
	}
	return h, nil
}

// Verify reports whether password matches the hash.
func (h Hash) Verify(password string) bool {
	if h.bcrypt != nil {
		return bcrypt.CompareHashAndPassword(h.bcrypt, []byte(password)) == nil
	}
	if len(h.key) == 0 {
		return false // the zero Hash
	}
	k := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(k, h.key) == 1
}

// New returns a bcrypt hash of password at the given cost (DefaultCost or
// MinCost).
func New(password []byte, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword(password, cost)
	if err != nil {
		return "", fmt.Errorf("passhash: %w", err)
	}
	return string(h), nil
}
