package smime

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/emersion/go-message/textproto"

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
	// KeyTransport is the key transport for recipients that do not
	// announce RSAES-OAEP (see KeyTransportFor): "pkcs1v15" (also "", the
	// form every client opens) or "oaep" (SHA-256, MGF1-SHA-256) for all.
	KeyTransport string
	// Capabilities, when set, returns the DER SMIMECapabilities a
	// recipient announced in its own signed mail, or nil.
	Capabilities func(*x509.Certificate) []byte
	// ContentCipher is "aes256-cbc" (also "": EnvelopedData, streamed,
	// what every client reads) or "aes256-gcm" (RFC 5083
	// AuthEnvelopedData: authenticated, but read by fewer clients, and
	// the message is held in memory, at most 64 MiB).
	ContentCipher string
	// Signer, when set, signs the inner entity before it is enveloped.
	Signer *Signer
}

// Encrypt writes msg, a whole RFC 5322 message, encrypted to every
// recipient certificate as an RFC 8551 application/pkcs7-mime
// enveloped-data message. The outer header keeps what delivery needs and a
// neutral Subject; the real Subject and the content move inside (see
// protect.Split). Recipients must have passed CheckRecipient; a key Encrypt
// cannot give the content key to (Ed25519, an EC curve other than P-256 and
// P-384, EC without keyAgreement) is refused with *UnusableError.
func Encrypt(w io.Writer, msg io.Reader, recipients []*x509.Certificate, opts Options) error {
	if len(recipients) == 0 {
		return errors.New("smime: no recipients")
	}
	outer, inner, err := protect.Split(msg, protect.Options{Subject: opts.Subject, Mode: opts.HeaderProtection})
	if err != nil {
		return fmt.Errorf("smime: %w", err)
	}
	defer inner.Close()
	smimeType := "enveloped-data"
	switch opts.ContentCipher {
	case "", ContentCipherAES256CBC:
	case ContentCipherAES256GCM:
		smimeType = "authEnveloped-data" // RFC 8551 §3.2.2
	default:
		return fmt.Errorf("smime: unknown content cipher %q (want %q or %q)", opts.ContentCipher, ContentCipherAES256CBC, ContentCipherAES256GCM)
	}
	outer.Set("Content-Type", `application/pkcs7-mime; smime-type=`+smimeType+`; name="smime.p7m"`)
	outer.Set("Content-Disposition", `attachment; filename="smime.p7m"`)
	outer.Set("Content-Transfer-Encoding", "base64")
	outer.Set("Content-Description", "S/MIME Encrypted Message")

	bw := bufpool.Writer(w)
	defer bufpool.PutWriter(bw)
	lw := &lineWriter{w: bw}
	b64 := base64.NewEncoder(base64.StdEncoding, lw)
	// Recipient keys are wrapped before anything is written, so an unusable
	// recipient leaves w untouched.
	var env io.WriteCloser
	if smimeType == "enveloped-data" {
		env, err = newEnvelopeWriter(b64, recipients, opts.KeyTransport, opts.Capabilities)
	} else {
		env, err = newAuthEnvelopeWriter(b64, recipients, opts.KeyTransport, opts.Capabilities)
	}
	if err != nil {
		return err
	}
	if err := protect.WriteHeader(bw, outer); err != nil {
		return fmt.Errorf("smime: write header: %w", err)
	}
	if opts.Signer != nil {
		// Sign-then-encrypt (RFC 8551 §3.7): the multipart/signed entity
		// is what gets enveloped.
		err = signEntity(env, textproto.Header{}, inner, opts.Signer)
	} else {
		_, err = bufpool.Copy(env, inner)
	}
	if err != nil {
		return fmt.Errorf("smime: encrypt: %w", err)
	}
	for _, c := range []io.Closer{env, b64, lw} {
		if err := c.Close(); err != nil {
			return fmt.Errorf("smime: encrypt: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("smime: write: %w", err)
	}
	return nil
}
