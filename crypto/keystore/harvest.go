package keystore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// maxAutocryptKey caps the keydata of one Autocrypt header (the spec asks
// senders for a minimal key; 10 KB is typical for RSA 4096).
const maxAutocryptKey = 64 << 10

// HarvestAutocrypt learns the sender's OpenPGP key from an Autocrypt
// header (Autocrypt Level 1 §2.1: "addr=...; [prefer-encrypt=mutual;]
// keydata=BASE64") of a message from fromAddr. The header's addr must be
// fromAddr, the key must carry a user ID for it, and unknown critical
// attributes (names not starting with "_") make the header invalid. The
// entry is stored with Source "harvest". Call it only when config keys.harvest is on, and audit
// the returned entry; the caller has already checked the message is
// authentic (DKIM/DMARC), which this package cannot. If the admin
// imported a PGP key for the address, nothing is stored and that entry is
// returned.
func (s *Store) HarvestAutocrypt(fromAddr, header string) (Entry, error) {
	from, err := NormalizeAddress(fromAddr)
	if err != nil {
		return Entry{}, err
	}
	var addr, keydata string
	for _, attr := range strings.Split(header, ";") {
		name, value, ok := strings.Cut(strings.TrimSpace(attr), "=")
		if !ok {
			if strings.TrimSpace(attr) == "" {
				continue
			}
			return Entry{}, errors.New("keystore: autocrypt: malformed attribute")
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "addr":
			addr = strings.TrimSpace(value)
		case "keydata":
			keydata = value
		case "prefer-encrypt":
		default:
			if !strings.HasPrefix(strings.TrimSpace(name), "_") {
				return Entry{}, fmt.Errorf("keystore: autocrypt: unknown critical attribute %q", name)
			}
		}
	}
	a, err := NormalizeAddress(addr)
	if err != nil || a != from {
		return Entry{}, errors.New("keystore: autocrypt: addr is not the sender's address")
	}
	keydata = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, keydata)
	if base64.StdEncoding.DecodedLen(len(keydata)) > maxAutocryptKey {
		return Entry{}, errors.New("keystore: autocrypt: keydata too large")
	}
	key, err := base64.StdEncoding.DecodeString(keydata)
	if err != nil || len(key) == 0 {
		return Entry{}, errors.New("keystore: autocrypt: bad keydata")
	}
	p := &importer{now: s.now(), base: "autocrypt", source: "harvest", seen: map[string]int{}}
	p.parseKeyring("autocrypt", bytes.NewReader(key))
	var found *Entry
	for i, e := range p.entries {
		if containsAddr(e.Addresses, from) {
			found = &p.entries[i]
			break
		}
	}
	if found == nil {
		reason := "no key with a user ID for the sender"
		if len(p.refused) > 0 {
			reason = p.refused[0].Reason
		}
		return Entry{}, fmt.Errorf("keystore: autocrypt: %s", reason)
	}
	e := *found
	err = s.db.Update(func(tx *bolt.Tx) error {
		// An address with a key the admin imported learns nothing from
		// mail: the admin's choice stands.
		entries := tx.Bucket(bucketEntries)
		prefix := []byte(from + "\x00" + string(PGP) + ":")
		c := tx.Bucket(bucketAddr).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var old Entry
			if v := entries.Get(k[len(from)+1:]); v != nil && json.Unmarshal(v, &old) == nil && old.Source != "harvest" {
				e = old
				return nil
			}
		}
		return put(tx, e)
	})
	s.invalidate()
	if err != nil {
		return Entry{}, fmt.Errorf("keystore: harvest: %w", err)
	}
	s.log.Info("keystore harvest", "source", e.Source, "kind", string(e.Kind), "fingerprint", e.Fingerprint)
	return e, nil
}
