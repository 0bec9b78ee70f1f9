package smime

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
)

// Content ciphers for Options.ContentCipher.
const (
	ContentCipherAES256CBC = "aes256-cbc"
	ContentCipherAES256GCM = "aes256-gcm"
)

var (
	oidAuthEnvelopedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 23}
	oidAES256GCM         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 46}
)

// maxAuthEnveloped bounds the inner entity of an AuthEnvelopedData: Go's
// AES-GCM seals a whole buffer at once, so this form (unlike the streamed
// CBC EnvelopedData) holds the message in memory.
const maxAuthEnveloped = 64 << 20

// gcmParameters is RFC 5084 §3.2 with the ICV length written out.
type gcmParameters struct {
	Nonce  []byte
	ICVLen int
}

// authEnvelopeWriter buffers the inner entity and writes an RFC 5083
// AuthEnvelopedData with AES-256-GCM (RFC 5084) on Close: no authAttrs, so
// the additional authenticated data is empty.
type authEnvelopeWriter struct {
	w    io.Writer
	key  []byte
	ris  []byte
	buf  bytes.Buffer
	done bool
}

func newAuthEnvelopeWriter(w io.Writer, recipients []*x509.Certificate, transport string, capabilities func(*x509.Certificate) []byte) (*authEnvelopeWriter, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	// AuthEnvelopedData is version 0 whatever its RecipientInfos (RFC 5083 §2.1).
	ris, _, err := recipientInfos(key, recipients, transport, capabilities)
	if err != nil {
		return nil, err
	}
	return &authEnvelopeWriter{w: w, key: key, ris: ris}, nil
}

func (a *authEnvelopeWriter) Write(p []byte) (int, error) {
	if a.buf.Len()+len(p) > maxAuthEnveloped {
		return 0, errors.New("smime: message too large for AES-GCM (64 MiB); use aes256-cbc")
	}
	return a.buf.Write(p)
}

func (a *authEnvelopeWriter) Close() error {
	if a.done {
		return nil
	}
	a.done = true
	block, err := aes.NewCipher(a.key)
	if err != nil {
		return err
	}
	gcm, err := cipher.NewGCM(block) // 12-byte nonce, 16-byte tag
	if err != nil {
		return err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	sealed := gcm.Seal(nil, nonce, a.buf.Bytes(), nil)
	ct, tag := sealed[:len(sealed)-gcm.Overhead()], sealed[len(sealed)-gcm.Overhead():]
	params, err := asn1.Marshal(gcmParameters{Nonce: nonce, ICVLen: gcm.Overhead()})
	if err != nil {
		return err
	}
	eci, err := asn1.Marshal(struct {
		ContentType asn1.ObjectIdentifier
		Alg         algorithmIdentifier
		Content     []byte `asn1:"tag:0"`
	}{oidData, algorithmIdentifier{Algorithm: oidAES256GCM, Parameters: asn1.RawValue{FullBytes: params}}, ct})
	if err != nil {
		return err
	}
	aed, err := asn1.Marshal(struct {
		Version        int
		RecipientInfos asn1.RawValue
		EncContentInfo asn1.RawValue
		MAC            []byte
	}{0, asn1.RawValue{FullBytes: a.ris}, asn1.RawValue{FullBytes: eci}, tag})
	if err != nil {
		return err
	}
	ci, err := asn1.Marshal(struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue
	}{oidAuthEnvelopedData, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: aed}}) // [0] EXPLICIT
	if err != nil {
		return fmt.Errorf("smime: encode AuthEnvelopedData: %w", err)
	}
	_, err = a.w.Write(ci)
	return err
}
