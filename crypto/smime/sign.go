package smime

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"mime"
	nettextproto "net/textproto"
	"os"
	"strings"
	"time"

	"github.com/sealgate/sealgate/internal/bufpool"
	"github.com/sealgate/sealgate/internal/pemkey"
	"github.com/sealgate/sealgate/internal/secretfile"

	"github.com/emersion/go-message/textproto"
)

// Signer is the organisation's signing identity.
type Signer struct {
	Cert  *x509.Certificate
	Chain []*x509.Certificate // intermediates, issuer of Cert first; included in every signature
	Key   crypto.Signer       // RSA or ECDSA
}

// NewSigner checks that key belongs to cert and is RSA or ECDSA.
func NewSigner(cert *x509.Certificate, chain []*x509.Certificate, key crypto.Signer) (*Signer, error) {
	if cert == nil || key == nil {
		return nil, errors.New("smime: signer needs a certificate and a key")
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return nil, errors.New("smime: signing key does not match the certificate")
	}
	switch key.Public().(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		return nil, fmt.Errorf("smime: unsupported signing key type %T", key.Public())
	}
	return &Signer{Cert: cert, Chain: chain, Key: key}, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	ea, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ea.Equal(b)
}

// LoadSigner reads a PEM certificate file (the signer certificate first,
// then its intermediates) and a PEM private key file (PKCS#8, PKCS#1 or
// SEC 1). It refuses a key file that grants any permission to group or
// others: a readable organisation key is a startup error, not a warning.
func LoadSigner(certFile, keyFile string) (*Signer, error) {
	// Checked and read from one open file (no window between the two).
	keyPEM, err := secretfile.Read(keyFile, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("smime: signing key: %w", err)
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("smime: signing certificate: %w", err)
	}
	var certs []*x509.Certificate
	for rest := certPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("smime: signing certificate %s: %w", certFile, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("smime: no certificate in %s", certFile)
	}
	key, err := pemkey.Parse(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("smime: signing key %s: %w", keyFile, err)
	}
	return NewSigner(certs[0], certs[1:], key)
}

// Sign writes msg as multipart/signed (RFC 8551 §3.5.3): the outer header
// keeps the message headers (without Bcc and the content headers), the first
// part is the content entity canonicalised to CRLF, the second a detached
// SHA-256 CMS signature with the signer chain.
func Sign(w io.Writer, msg io.Reader, s *Signer) error {
	if s == nil {
		return errors.New("smime: no signer")
	}
	br := bufio.NewReader(msg)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return fmt.Errorf("smime: read header: %w", err)
	}
	var outer, content textproto.Header
	fields := h.Fields()
	var outs, ins [][]byte
	for fields.Next() {
		k := nettextproto.CanonicalMIMEHeaderKey(fields.Key())
		raw, err := fields.Raw()
		if err != nil {
			return fmt.Errorf("smime: header %s: %w", k, err)
		}
		switch {
		case k == "Bcc", k == "Mime-Version":
		case strings.HasPrefix(k, "Content-"):
			ins = append(ins, raw)
		default:
			outs = append(outs, raw)
		}
	}
	// textproto.Header.AddRaw prepends: add in reverse to keep order.
	for i := len(outs) - 1; i >= 0; i-- {
		outer.AddRaw(outs[i])
	}
	for i := len(ins) - 1; i >= 0; i-- {
		content.AddRaw(ins[i])
	}
	if !content.Has("Content-Type") {
		content.Set("Content-Type", "text/plain; charset=us-ascii")
	}
	outer.Del("Mime-Version")
	outer.AddRaw([]byte("MIME-Version: 1.0\r\n"))

	var entity bytes.Buffer // the content header only; the body streams
	if err := textproto.WriteHeader(&entity, content); err != nil {
		return fmt.Errorf("smime: write content header: %w", err)
	}
	entityReader := io.MultiReader(&entity, br)
	return signEntity(w, outer, entityReader, s)
}

// signEntity writes outer (may be empty: then only the multipart/signed
// entity's own header) followed by a multipart/signed entity over the
// entity read from r, canonicalised to CRLF. It streams: the content is
// hashed as it is written, and the signature follows it.
func signEntity(w io.Writer, outer textproto.Header, r io.Reader, s *Signer) error {
	boundary, err := newBoundary()
	if err != nil {
		return fmt.Errorf("smime: boundary: %w", err)
	}
	outer.Set("Content-Type", mime.FormatMediaType("multipart/signed", map[string]string{
		"protocol": "application/pkcs7-signature",
		"micalg":   "sha-256",
		"boundary": boundary,
	}))
	bw := bufpool.Writer(w)
	defer bufpool.PutWriter(bw)
	if err := textproto.WriteHeader(bw, outer); err != nil {
		return fmt.Errorf("smime: write header: %w", err)
	}
	fmt.Fprintf(bw, "This is a cryptographically signed message in MIME format.\r\n\r\n--%s\r\n", boundary)
	// The bytes hashed are the bytes written. A 144-bit random boundary
	// cannot plausibly occur in the content.
	h := sha256.New()
	cw := &crlfWriter{w: io.MultiWriter(h, bw)}
	if _, err := bufpool.Copy(cw, r); err != nil {
		return fmt.Errorf("smime: read content: %w", err)
	}
	if err := cw.Close(); err != nil {
		return fmt.Errorf("smime: write: %w", err)
	}
	sig, err := detachedSignature(h.Sum(nil), s, time.Now())
	if err != nil {
		return err
	}
	// RFC 2046 §5.1.1: the CRLF before the boundary belongs to the boundary.
	fmt.Fprintf(bw, "\r\n--%s\r\n", boundary)
	bw.WriteString("Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment; filename=\"smime.p7s\"\r\n" +
		"Content-Description: S/MIME Cryptographic Signature\r\n\r\n")
	lw := &lineWriter{w: bw}
	enc := base64.NewEncoder(base64.StdEncoding, lw)
	enc.Write(sig)
	enc.Close()
	lw.Close()
	fmt.Fprintf(bw, "--%s--\r\n", boundary)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("smime: write: %w", err)
	}
	return nil
}
