package pgp

import (
	"errors"
	"testing"
	"time"
)

func TestUnusableKeysAreRefusedWithTheirReason(t *testing.T) {
	fx := needGPG(t)
	now := time.Now()
	cases := []struct {
		name, key, addr, reason string
	}{
		{"expired primary", "expired", "expired@partner.test", ReasonPrimaryExpired},
		{"revoked primary", "revoked", "revoked@partner.test", ReasonPrimaryRevoked},
		{"expired only encryption subkey", "subexp", "subexp@partner.test", ReasonSubkeyExpired},
		{"revoked subkey", "subrev", "subrev@partner.test", ReasonSubkeyRevoked},
		{"sign-only key", "signonly", "signonly@partner.test", ReasonNoEncryptionKey},
		{"wrong address", "bob", "mallory@partner.test", ReasonWrongAddress},
		{"revoked user ID", "uid-old", "uid-old@partner.test", ReasonUserIDRevoked},
		{"empty address", "bob", "", ReasonWrongAddress},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckRecipient(fx.keys[c.key], c.addr, now)
			var ue *UnusableError
			if !errors.As(err, &ue) {
				t.Fatalf("got %v, want *UnusableError %q", err, c.reason)
			}
			if ue.Reason != c.reason || ue.Fingerprint != fx.fpr[c.key] {
				t.Fatalf("got reason %q fpr %s, want %q %s", ue.Reason, ue.Fingerprint, c.reason, fx.fpr[c.key])
			}
		})
	}
}

func TestUsableKeysPass(t *testing.T) {
	fx := needGPG(t)
	now := time.Now()
	for key, addr := range map[string]string{
		"bob":     "bob@partner.test",
		"carol":   "CAROL@partner.TEST", // user ID is Carol@Partner.test: case-insensitive
		"twosub":  "twosub@partner.test",
		"newest":  "newest@partner.test",
		"uid-old": "uid-new@partner.test", // the other, unrevoked user ID
	} {
		if err := CheckRecipient(fx.keys[key], addr, now); err != nil {
			t.Errorf("%s: %v", key, err)
		}
	}
	// The same valid key, a year and a day later, has expired.
	var ue *UnusableError
	if err := CheckRecipient(fx.keys["bob"], "bob@partner.test", now.AddDate(1, 0, 2)); !errors.As(err, &ue) || ue.Reason != ReasonPrimaryExpired {
		t.Errorf("bob next year: %v", err)
	}
}

func TestAddressesAreLowercaseFromUserIDs(t *testing.T) {
	fx := needGPG(t)
	got := fx.keys["carol"].Addresses()
	if len(got) != 1 || got[0] != "carol@partner.test" {
		t.Errorf("carol addresses %v", got)
	}
	got = fx.keys["uid-old"].Addresses()
	if len(got) != 2 || got[0] != "uid-new@partner.test" || got[1] != "uid-old@partner.test" {
		t.Errorf("uid addresses %v", got)
	}
}
