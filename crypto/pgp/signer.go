package pgp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	gcrypto "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// Signer is the organisation's unlocked OpenPGP private key.
type Signer struct {
	key  *gcrypto.Key
	ring *gcrypto.KeyRing
}

// LoadSigner reads an armored private key and the passphrase that unlocks
// it. Both files must be readable by their owner only (no group or other
// permission bits): a private key anyone on the host can read is refused.
// passphraseFile "" means the key is not protected; a trailing newline in
// the passphrase file is ignored.
func LoadSigner(armoredKeyFile, passphraseFile string) (*Signer, error) {
	keyData, err := readPrivateFile(armoredKeyFile, MaxKeyringBytes)
	if err != nil {
		return nil, err
	}
	var pass []byte
	if passphraseFile != "" {
		p, err := readPrivateFile(passphraseFile, 4096)
		if err != nil {
			return nil, err
		}
		pass = bytes.TrimRight(p, "\r\n")
	}
	key, err := gcrypto.NewKeyFromArmoredReader(bytes.NewReader(keyData))
	if err != nil {
		return nil, fmt.Errorf("pgp: signer key %s: %w", armoredKeyFile, err)
	}
	if !key.IsPrivate() {
		return nil, fmt.Errorf("pgp: signer key %s: is a public key, need the private key", armoredKeyFile)
	}
	locked, err := key.IsLocked()
	if err != nil {
		return nil, fmt.Errorf("pgp: signer key %s: %w", armoredKeyFile, err)
	}
	if !locked {
		pass = nil // an unprotected key with a passphrase file: nothing to unlock
	} else if len(pass) == 0 {
		return nil, fmt.Errorf("pgp: signer key %s: is passphrase-protected and no passphrase was given", armoredKeyFile)
	}
	unlocked, err := key.Unlock(pass)
	if err != nil {
		return nil, fmt.Errorf("pgp: signer key %s: unlock: %w", armoredKeyFile, err)
	}
	if _, ok := unlocked.GetEntity().SigningKey(time.Now()); !ok {
		return nil, fmt.Errorf("pgp: signer key %s: no valid signing key (expired, revoked or not signing-capable)", armoredKeyFile)
	}
	ring, err := gcrypto.NewKeyRing(unlocked)
	if err != nil {
		return nil, fmt.Errorf("pgp: signer key %s: %w", armoredKeyFile, err)
	}
	return &Signer{key: unlocked, ring: ring}, nil
}

// Fingerprint is the signer's primary key fingerprint, uppercase hex.
func (s *Signer) Fingerprint() string { return strings.ToUpper(s.key.GetFingerprint()) }

// PublicKey returns the signer's public key, e.g. to publish it or to give
// it to recipients so they can verify our signatures.
func (s *Signer) PublicKey() (*Key, error) {
	b, err := s.key.GetPublicKey()
	if err != nil {
		return nil, fmt.Errorf("pgp: signer public key: %w", err)
	}
	keys, err := ParseKeys(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if len(keys) != 1 {
		return nil, errors.New("pgp: signer public key: not exactly one key")
	}
	return keys[0], nil
}

// readPrivateFile reads a secret file after checking, on the opened file (no
// race with a chmod between check and read), that only its owner can read it.
func readPrivateFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pgp: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("pgp: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("pgp: %s: not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("pgp: %s: mode %04o is readable by group or others; chmod 600 it", path, perm)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("pgp: read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("pgp: %s: over %d bytes", path, limit)
	}
	return data, nil
}
