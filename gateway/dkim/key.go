package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/sealgate/sealgate/internal/pemkey"
	"github.com/sealgate/sealgate/internal/secretfile"
)

// MinRSABits is the smallest RSA key LoadKey accepts. RFC 8301 §3.2 makes
// 1024 the floor for verifiers; 1024-bit keys are factorable by a determined
// adversary, so we sign with 2048 or more.
const MinRSABits = 2048

// Key is a DKIM signing key for one domain and selector.
type Key struct {
	Domain   string
	Selector string
	// Signer is an *rsa.PrivateKey or an ed25519.PrivateKey.
	Signer crypto.Signer
}

// LoadKey reads a PEM private key: RSA (PKCS#1 "RSA PRIVATE KEY" or PKCS#8
// "PRIVATE KEY", at least MinRSABits) or Ed25519 (PKCS#8), parsed by
// pemkey (the first key block; other blocks before it are skipped). It refuses a file
// that group or others can read: a leaked DKIM key lets anyone send as the
// domain until the DNS record is rotated.
func LoadKey(domain, selector, keyFile string) (*Key, error) {
	domain = normDomain(domain)
	if domain == "" || selector == "" {
		return nil, errors.New("dkim: key needs a domain and a selector")
	}
	if strings.ContainsAny(selector, " ;\t\r\n") {
		return nil, fmt.Errorf("dkim: invalid selector %q", selector)
	}
	data, err := secretfile.Read(keyFile, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("dkim: key file: %w", err)
	}
	signer, err := parseKey(data)
	if err != nil {
		return nil, fmt.Errorf("dkim: key file %s: %w", keyFile, err)
	}
	return &Key{Domain: domain, Selector: selector, Signer: signer}, nil
}

func parseKey(data []byte) (crypto.Signer, error) {
	k, err := pemkey.Parse(data)
	if err != nil {
		return nil, err
	}
	return checkKey(k)
}

func checkKey(k any) (crypto.Signer, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < MinRSABits {
			return nil, fmt.Errorf("RSA key has %d bits, need at least %d", bits, MinRSABits)
		}
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	default:
		return nil, fmt.Errorf("unsupported key type %T (want RSA or Ed25519)", k)
	}
}

// GenerateKey makes a new signing key, "rsa" (2048 bits) or "ed25519", and
// returns it with its PKCS#8 PEM encoding. It writes nothing: the caller
// stores the PEM with mode 0600.
func GenerateKey(alg string) (crypto.Signer, []byte, error) {
	var k crypto.Signer
	var err error
	switch alg {
	case "rsa":
		k, err = rsa.GenerateKey(rand.Reader, MinRSABits)
	case "ed25519":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, nil, fmt.Errorf("dkim: unknown key algorithm %q (known: rsa, ed25519)", alg)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("dkim: generate %s key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, nil, fmt.Errorf("dkim: encode key: %w", err)
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// TXTRecord returns the DNS name and TXT value that publish pub:
// "SELECTOR._domainkey.DOMAIN" and "v=DKIM1; k=rsa; p=...". For RSA, p= is the
// DER SubjectPublicKeyInfo (RFC 6376 §3.6.1); for Ed25519 it is the raw
// 32-byte key (RFC 8463 §4.2). An unsupported key type gives an empty value.
func TXTRecord(domain, selector string, pub crypto.PublicKey) (name, value string) {
	name = selector + "._domainkey." + normDomain(domain)
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return name, ""
		}
		return name, "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	case ed25519.PublicKey:
		return name, "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	}
	return name, ""
}

// ZoneFileTXT formats a TXT record for a zone file: the value is split into
// quoted strings of at most 255 bytes each (RFC 1035 §3.3.14 character-string
// limit; resolvers concatenate them, RFC 6376 §3.6.2.2), with the p= tag
// starting its own string so the record reads well:
//
//	sel._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; " "p=MIIB..." )
func ZoneFileTXT(name, value string) string {
	var parts []string
	if i := strings.Index(value, "p="); i > 0 {
		parts = append(parts, chunk(value[:i], 255)...)
		value = value[i:]
	}
	parts = append(parts, chunk(value, 255)...)
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(name, ".") + ". IN TXT (")
	for _, p := range parts {
		b.WriteString(" \"" + p + "\"")
	}
	b.WriteString(" )")
	return b.String()
}

func chunk(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

func normDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}
