package pgp

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/sealgate/sealgate/internal/secretfile"
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

func readPrivateFile(path string, limit int64) ([]byte, error) {
	data, err := secretfile.Read(path, limit)
	if err != nil {
		return nil, fmt.Errorf("pgp: %w", err)
	}
	return data, nil
}
