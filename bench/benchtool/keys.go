package main

import (
	"bytes"
	"crypto"
	"os"
	"path/filepath"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Recipients of the bench's encrypted runs: one with an OpenPGP key, one
// with an S/MIME certificate, both of the sizes real partners use.
const (
	pgpRecipient   = "to-pgp@partner.test"
	smimeRecipient = "to-smime@partner.test"
)

// recipientKeys writes dir/pgp.asc (an RSA-3072 OpenPGP public key) and
// dir/smime-1.crt (a self-signed RSA-2048 S/MIME certificate), for
// `sealgate keys import`. The private halves are thrown away: the sink
// never decrypts.
func recipientKeys(dir string) error {
	e, err := openpgp.NewEntity("Bench PGP", "", pgpRecipient, &packet.Config{
		Algorithm: packet.PubKeyAlgoRSA, RSABits: 3072, DefaultHash: crypto.SHA256,
	})
	if err != nil {
		return err
	}
	var pub bytes.Buffer
	w, err := armor.Encode(&pub, "PGP PUBLIC KEY BLOCK", nil)
	if err != nil {
		return err
	}
	if err := e.Serialize(w); err != nil {
		return err
	}
	w.Close()
	if err := os.WriteFile(filepath.Join(dir, "pgp.asc"), pub.Bytes(), 0o644); err != nil {
		return err
	}

	// The S/MIME recipient: smime-1.crt, as for the recipients series.
	return smimeCerts(dir, 1, smimeRecipient)
}
