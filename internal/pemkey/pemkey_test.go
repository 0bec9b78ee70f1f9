package pemkey

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

func block(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParseReadsPKCS8PKCS1AndSEC1(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 1024) // size is the caller's business
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, dk, _ := ed25519.GenerateKey(rand.Reader)
	p8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	sec1, _ := x509.MarshalECPrivateKey(ek)
	for name, data := range map[string][]byte{
		"PKCS#8 RSA":     block("PRIVATE KEY", p8(rk)),
		"PKCS#8 EC":      block("PRIVATE KEY", p8(ek)),
		"PKCS#8 Ed25519": block("PRIVATE KEY", p8(dk)),
		"PKCS#1":         block("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk)),
		"SEC 1":          block("EC PRIVATE KEY", sec1),
		"after others":   append(append(block("CERTIFICATE", []byte{1}), block("EC PARAMETERS", []byte{2})...), block("EC PRIVATE KEY", sec1)...),
	} {
		if _, err := Parse(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseRefusesGarbageCertificatesAndBadDER(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":       nil,
		"not PEM":     []byte("hello"),
		"certificate": block("CERTIFICATE", []byte{1}),
		"bad DER":     block("PRIVATE KEY", []byte{1, 2, 3}),
		"bad PKCS#1":  block("RSA PRIVATE KEY", []byte{1, 2, 3}),
		"bad SEC 1":   block("EC PRIVATE KEY", []byte{1, 2, 3}),
	} {
		if _, err := Parse(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
