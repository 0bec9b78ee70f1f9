package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/sealgate/sealgate/gateway/dkim"
)

// The demo signs as a real deployment would: DKIM for the sender domain,
// and the organisation's S/MIME and OpenPGP identities on encrypted copies.
const (
	demoSenderDomain = "clinic.example"
	demoDKIMSelector = "demo"
	demoOrgAddress   = "secure@clinic.example"
	// demoP12Password protects bob.p12, the file a user imports into
	// Thunderbird, Outlook, Apple Mail or gpgsm to read bob's mail.
	demoP12Password = "demo"
)

// demoOrg creates (once) the DKIM key and the organisation's signing
// identities in dir, and returns the DKIM TXT record the demo's DNS serves.
func demoOrg(dir string) (txtName, txtValue string, err error) {
	keyFile := filepath.Join(dir, "dkim.key")
	if _, err := os.Stat(keyFile); err != nil {
		_, pemKey, err := dkim.GenerateKey("rsa")
		if err != nil {
			return "", "", err
		}
		if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
			return "", "", err
		}
	}
	k, err := dkim.LoadKey(demoSenderDomain, demoDKIMSelector, keyFile)
	if err != nil {
		return "", "", err
	}
	txtName, txtValue = dkim.TXTRecord(demoSenderDomain, demoDKIMSelector, k.Signer.Public())

	if _, err := os.Stat(filepath.Join(dir, "org.crt")); err != nil {
		if err := demoSelfSigned(dir, "org", "Sealgate demo clinic", demoOrgAddress, x509.KeyUsageDigitalSignature); err != nil {
			return "", "", err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "org.sec.asc")); err != nil {
		e, err := openpgp.NewEntity("Sealgate demo clinic", "", demoOrgAddress, nil)
		if err != nil {
			return "", "", err
		}
		var sec bytes.Buffer
		w, _ := armor.Encode(&sec, "PGP PRIVATE KEY BLOCK", nil)
		if err := e.SerializePrivate(w, nil); err != nil {
			return "", "", err
		}
		w.Close()
		if err := os.WriteFile(filepath.Join(dir, "org.sec.asc"), sec.Bytes(), 0o600); err != nil {
			return "", "", err
		}
	}
	return txtName, txtValue, nil
}

// demoSelfSigned writes name.crt and name.key: a self-signed RSA-2048 S/MIME
// certificate for addr.
func demoSelfSigned(dir, name, cn, addr string, usage x509.KeyUsage) error {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		EmailAddresses: []string{addr},
		KeyUsage:       usage,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// demoP12 writes bob.p12 from bob.crt and bob.key (once). The legacy 3DES
// form is the one every client imports: Outlook, Apple Mail, Thunderbird,
// gpgsm 2.2 and OpenSSL 3 without -legacy.
func demoP12(dir string) error {
	out := filepath.Join(dir, "bob.p12")
	if _, err := os.Stat(out); err == nil {
		return nil
	}
	crtPEM, err := os.ReadFile(filepath.Join(dir, "bob.crt"))
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, "bob.key"))
	if err != nil {
		return err
	}
	cb, _ := pem.Decode(crtPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return errors.New("demo: bob.crt or bob.key is not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return err
	}
	key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
	if err != nil {
		return err
	}
	der, err := pkcs12.LegacyDES.Encode(key, cert, nil, demoP12Password)
	if err != nil {
		return fmt.Errorf("demo: bob.p12: %w", err)
	}
	return os.WriteFile(out, der, 0o600)
}

// selfCommand is how the user runs this binary again: "go run
// ./cmd/sealgate" under go run (whose binary lives in a temporary build
// directory), else the path it was started by.
func selfCommand() string {
	exe := os.Args[0]
	if p, err := os.Executable(); err == nil {
		exe = p
	}
	if strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return "go run ./cmd/sealgate"
	}
	if !strings.ContainsRune(os.Args[0], filepath.Separator) {
		return os.Args[0] // found in PATH
	}
	return exe
}
