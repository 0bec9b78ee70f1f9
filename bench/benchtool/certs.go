package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// smimeCerts writes dir/smime-1.crt ... dir/smime-n.crt: self-signed
// RSA-2048 S/MIME certificates for first (local@domain), local-2@domain,
// ... local-n@domain, the recipients loadgen -rcpts n sends to. They share
// one key pair: encrypting to a certificate costs the same whichever key
// is in it, and n fresh RSA keys would take longer than the runs they are
// for. The private key is thrown away: the sink never decrypts.
func smimeCerts(dir string, n int, first string) error {
	local, domain, ok := strings.Cut(first, "@")
	if !ok || n < 1 {
		return fmt.Errorf("benchtool: smime-certs: want N >= 1 and local@domain")
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		addr := first
		if i > 1 {
			addr = local + "-" + strconv.Itoa(i) + "@" + domain
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano() + int64(i)), Subject: pkix.Name{CommonName: "Bench S/MIME " + strconv.Itoa(i)},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
			EmailAddresses: []string{addr},
			KeyUsage:       x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature,
			ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			return err
		}
		p := filepath.Join(dir, "smime-"+strconv.Itoa(i)+".crt")
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			return err
		}
	}
	return nil
}
