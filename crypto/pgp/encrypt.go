package pgp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	gcrypto "github.com/ProtonMail/gopenpgp/v2/crypto"

	"github.com/sealgate/sealgate/crypto/protect"
	"github.com/sealgate/sealgate/internal/bufpool"
)

// Options tune Encrypt.
type Options struct {
	// Subject is the obscured outer Subject; "" means protect.DefaultSubject.
	Subject string
	// HeaderProtection is the header protection scheme (protect.Mode*);
	// "" means RFC 9788 with the legacy display.
	HeaderProtection string
	// Signer, when set, signs the message inside the encryption (RFC 3156
	// §6.2, the combined form gpg --sign --encrypt makes).
	Signer *Signer
}

// Encrypt writes msg, a whole RFC 5322 message, as an RFC 3156 PGP/MIME
// message to recipients. The outer header keeps what delivery needs (see
// protect.Split) with a neutral Subject; the whole inner entity - its
// content headers, the real Subject, every part and attachment - is
// encrypted. Recipients must have passed CheckRecipient for their address;
// each is encrypted to the key gpg would choose. The body streams through:
// nothing holds the whole message.
func Encrypt(w io.Writer, msg io.Reader, recipients []*Key, opts Options) error {
	if len(recipients) == 0 {
		return errors.New("pgp: encrypt: no recipients")
	}
	now := time.Now()
	ring, err := gcrypto.NewKeyRing(nil)
	if err != nil {
		return fmt.Errorf("pgp: encrypt: %w", err)
	}
	for _, k := range recipients {
		e, _, err := recipientEntity(k, now)
		if err != nil {
			return err
		}
		gk, err := gcrypto.NewKeyFromEntity(e)
		if err != nil {
			return fmt.Errorf("pgp: encrypt: %w", err)
		}
		if err := ring.AddKey(gk); err != nil {
			return fmt.Errorf("pgp: encrypt: %w", err)
		}
	}

	outer, inner, err := protect.Split(msg, protect.Options{Subject: opts.Subject, Mode: opts.HeaderProtection})
	if err != nil {
		return fmt.Errorf("pgp: %w", err)
	}
	defer inner.Close()
	boundary, err := newBoundary()
	if err != nil {
		return err
	}
	outer.Set("Content-Type", mime.FormatMediaType("multipart/encrypted", map[string]string{
		"protocol": "application/pgp-encrypted",
		"boundary": boundary,
	}))
	outer.Del("Content-Transfer-Encoding")

	bw := bufpool.Writer(w)
	defer bufpool.PutWriter(bw)
	if err := protect.WriteHeader(bw, outer); err != nil {
		return fmt.Errorf("pgp: write header: %w", err)
	}
	// RFC 3156 §4: first the control part, then the octet-stream part
	// carrying the armored OpenPGP message.
	fmt.Fprintf(bw, "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"+
		"--%s\r\n"+
		"Content-Type: application/pgp-encrypted\r\n"+
		"Content-Description: PGP/MIME version identification\r\n"+
		"\r\n"+
		"Version: 1\r\n"+
		"\r\n"+
		"--%s\r\n"+
		"Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"+
		"Content-Description: OpenPGP encrypted message\r\n"+
		"Content-Disposition: inline; filename=\"encrypted.asc\"\r\n"+
		"\r\n", boundary, boundary)

	aw, err := armor.Encode(&crlfWriter{w: bw}, "PGP MESSAGE", nil)
	if err != nil {
		return fmt.Errorf("pgp: armor: %w", err)
	}
	var signRing *gcrypto.KeyRing
	if opts.Signer != nil {
		signRing = opts.Signer.ring
	}
	// Binary literal data: the decrypted entity is byte-identical to the
	// inner entity (it is already CRLF MIME; text mode would rewrite it).
	pt, err := ring.EncryptStream(aw, gcrypto.NewPlainMessageMetadata(true, "", now.Unix()), signRing)
	if err != nil {
		return fmt.Errorf("pgp: encrypt: %w", err)
	}
	// Copy in fixed 32 KiB writes. io.Copy would use the source's WriteTo,
	// which hands the library the whole rest of the message in one Write;
	// go-crypto's partial-length writer then buffers all of it (twice, with
	// the cipher stream's output slice). Small writes keep it at one chunk.
	if _, err := bufpool.Copy(struct{ io.Writer }{pt}, struct{ io.Reader }{inner}); err != nil {
		return fmt.Errorf("pgp: encrypt: %w", err)
	}
	if err := pt.Close(); err != nil {
		return fmt.Errorf("pgp: encrypt: %w", err)
	}
	if err := aw.Close(); err != nil {
		return fmt.Errorf("pgp: armor: %w", err)
	}
	fmt.Fprintf(bw, "\r\n\r\n--%s--\r\n", boundary)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("pgp: write: %w", err)
	}
	return nil
}

// newBoundary returns a random MIME boundary. It starts with "sg", so its
// delimiter line ("--sg...") can never equal an armor line: armor lines are
// base64 (no '-') or start with "-----".
func newBoundary() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("pgp: boundary: %w", err)
	}
	return "sg-pgp-" + hex.EncodeToString(b[:]), nil
}

// crlfWriter turns the armor encoder's LF line ends into CRLF, as SMTP and
// MIME require. The encoder never writes CR.
type crlfWriter struct {
	w   io.Writer
	buf []byte
}

func (c *crlfWriter) Write(p []byte) (int, error) {
	c.buf = c.buf[:0]
	for _, b := range p {
		if b == '\n' {
			c.buf = append(c.buf, '\r')
		}
		c.buf = append(c.buf, b)
	}
	if _, err := c.w.Write(c.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}
