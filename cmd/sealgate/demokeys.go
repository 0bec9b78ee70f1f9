package main

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/sealgate/sealgate/crypto/keystore"
)

// Demo recipients with keys, so the demo shows the encryption decisions:
// PHI to bob leaves S/MIME-encrypted, to carol PGP-encrypted, to anyone
// else it is held (no usable method: fail closed).
const (
	demoSMIMERecipient = "bob@partner.example"
	demoPGPRecipient   = "carol@partner.example"
)

// demoKeys creates (once) a certificate for bob and an OpenPGP key for
// carol, keeps their private halves in dir so the user can decrypt what
// the capture page shows, and imports the public halves into the key store.
func demoKeys(dir, keyDir string) error {
	crt := filepath.Join(dir, "bob.crt")
	if _, err := os.Stat(crt); err != nil {
		if err := demoSelfSigned(dir, "bob", "Bob (sealgate demo)", demoSMIMERecipient, x509.KeyUsageKeyEncipherment|x509.KeyUsageDigitalSignature); err != nil {
			return err
		}
	}
	pub := filepath.Join(dir, "carol.pub.asc")
	if _, err := os.Stat(pub); err != nil {
		e, err := openpgp.NewEntity("Carol", "sealgate demo", demoPGPRecipient, nil)
		if err != nil {
			return err
		}
		var sec, pb bytes.Buffer
		w, _ := armor.Encode(&sec, "PGP PRIVATE KEY BLOCK", nil)
		if err := e.SerializePrivate(w, nil); err != nil {
			return err
		}
		w.Close()
		w, _ = armor.Encode(&pb, "PGP PUBLIC KEY BLOCK", nil)
		if err := e.Serialize(w); err != nil {
			return err
		}
		w.Close()
		if err := os.WriteFile(filepath.Join(dir, "carol.sec.asc"), sec.Bytes(), 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(pub, pb.Bytes(), 0o644); err != nil {
			return err
		}
	}
	ks, err := keystore.Open(keystore.Options{Dir: keyDir})
	if err != nil {
		return err
	}
	defer ks.Close()
	for _, f := range []string{crt, pub} {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if res, err := ks.Import(filepath.Base(f), data); err != nil || len(res.Imported) == 0 {
			return fmt.Errorf("demo: import %s: %v %v", f, err, res.Refused)
		}
	}
	return nil
}
