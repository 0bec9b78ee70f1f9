package pgp

import (
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// Reasons a key is unusable, as UnusableError.Reason. Stable strings: the
// key store and the audit log record them.
const (
	ReasonNoSelfSignature  = "no valid self-signature"
	ReasonPrimaryRevoked   = "primary key revoked"
	ReasonPrimaryExpired   = "primary key expired"
	ReasonWrongAddress     = "no user ID for this address"
	ReasonUserIDRevoked    = "user ID revoked"
	ReasonUserIDExpired    = "user ID self-signature expired"
	ReasonNoEncryptionKey  = "no encryption-capable key (sign-only)"
	ReasonSubkeyExpired    = "encryption subkey expired"
	ReasonSubkeyRevoked    = "encryption subkey revoked"
	ReasonLibraryDisagrees = "no valid encryption key"
)

// UnusableError says why a key may not be used for an address.
type UnusableError struct {
	Fingerprint string
	Address     string
	Reason      string // one of the Reason* constants
}

func (e *UnusableError) Error() string {
	return fmt.Sprintf("pgp: key %s unusable for %s: %s", e.Fingerprint, e.Address, e.Reason)
}

// CheckRecipient reports whether k may encrypt mail to addr at time now: the
// primary key is neither expired nor revoked, a user ID carries addr
// (case-insensitive) and is not revoked, and an encryption key is valid.
// The error is an *UnusableError.
func CheckRecipient(k *Key, addr string, now time.Time) error {
	if strings.TrimSpace(addr) == "" {
		return &UnusableError{Fingerprint: k.Fingerprint(), Address: addr, Reason: ReasonWrongAddress}
	}
	_, err := chooseEncryptionKey(k, addr, now)
	return err
}

// chooseEncryptionKey returns the index of the subkey to encrypt to, or -1 for
// the primary key. It mirrors the choice of gpg and of the library
// (go-crypto Entity.EncryptionKey): among the valid encryption-capable
// subkeys the newest binding signature wins; the primary key is used only
// when no subkey is valid and its own flags allow encryption. addr "" skips
// the user ID check (Encrypt's recipients were checked for their address by
// the caller).
func chooseEncryptionKey(k *Key, addr string, now time.Time) (int, error) {
	e := k.entity
	fail := func(reason string) (int, error) {
		return 0, &UnusableError{Fingerprint: k.Fingerprint(), Address: addr, Reason: reason}
	}
	selfSig, primaryID := e.PrimarySelfSignature()
	if selfSig == nil {
		return fail(ReasonNoSelfSignature)
	}
	if e.Revoked(now) {
		return fail(ReasonPrimaryRevoked)
	}
	if e.PrimaryKey.KeyExpired(selfSig, now) || selfSig.SigExpired(now) {
		return fail(ReasonPrimaryExpired)
	}

	want := strings.ToLower(strings.TrimSpace(addr))
	var matched, revoked, expired int
	for _, id := range e.Identities {
		if want == "" || uidAddress(id.UserId) != want {
			continue
		}
		matched++
		switch {
		case id.Revoked(now):
			revoked++
		case id.SelfSignature == nil || id.SelfSignature.SigExpired(now):
			expired++
		}
	}
	switch {
	case want == "":
	case matched == 0:
		return fail(ReasonWrongAddress)
	case revoked == matched:
		return fail(ReasonUserIDRevoked)
	case revoked+expired == matched:
		return fail(ReasonUserIDExpired)
	}
	// The library also refuses a key whose primary user ID is revoked
	// (it prefers unrevoked ones, so this means all are).
	if primaryID != nil && primaryID.Revoked(now) {
		return fail(ReasonUserIDRevoked)
	}

	chosen := -1
	var maxTime time.Time
	newestCapable, capable := -1, 0
	for i, sk := range e.Subkeys {
		if !sk.Sig.FlagsValid || !sk.Sig.FlagEncryptCommunications || !sk.PublicKey.PubKeyAlgo.CanEncrypt() {
			continue
		}
		capable++
		if newestCapable < 0 || sk.Sig.CreationTime.After(e.Subkeys[newestCapable].Sig.CreationTime) {
			newestCapable = i
		}
		if sk.PublicKey.KeyExpired(sk.Sig, now) || sk.Sig.SigExpired(now) || sk.Revoked(now) {
			continue
		}
		if chosen < 0 || sk.Sig.CreationTime.After(maxTime) || (sk.Sig.CreationTime.Equal(maxTime) && sk.IsPQ()) {
			chosen = i
			maxTime = sk.Sig.CreationTime
		}
	}
	if chosen >= 0 {
		return chosen, nil
	}
	if selfSig.FlagsValid && selfSig.FlagEncryptCommunications && e.PrimaryKey.PubKeyAlgo.CanEncrypt() {
		return -1, nil
	}
	if capable == 0 {
		return fail(ReasonNoEncryptionKey)
	}
	if e.Subkeys[newestCapable].Revoked(now) {
		return fail(ReasonSubkeyRevoked)
	}
	return fail(ReasonSubkeyExpired)
}

// recipientEntity returns a copy of k's entity that keeps only the chosen
// encryption key, so the library cannot pick another one, and the key ID
// that will appear in the PKESK packet.
func recipientEntity(k *Key, now time.Time) (*openpgp.Entity, uint64, error) {
	e := k.entity
	idx, err := chooseEncryptionKey(k, "", now)
	if err != nil {
		return nil, 0, err
	}
	trimmed := *e
	if idx >= 0 {
		trimmed.Subkeys = []openpgp.Subkey{e.Subkeys[idx]}
	} else {
		trimmed.Subkeys = nil
	}
	got, ok := trimmed.EncryptionKey(now)
	if !ok {
		return nil, 0, &UnusableError{Fingerprint: k.Fingerprint(), Reason: ReasonLibraryDisagrees}
	}
	return &trimmed, got.PublicKey.KeyId, nil
}
