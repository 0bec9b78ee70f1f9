package encrypted

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/emersion/go-message"
)

// Kinds of end-to-end encryption.
const (
	PGP   = "pgp"   // PGP/MIME, RFC 3156
	SMIME = "smime" // S/MIME enveloped or authEnveloped data, RFC 8551
)

// ErrNotEncrypted is wrapped by every Verify error. A read error of the
// underlying reader is wrapped as well (errors.Is finds both): a message
// that cannot be read whole is not known to be encrypted.
var ErrNotEncrypted = errors.New("encrypted: not end-to-end encrypted")

// IsEncrypted reports whether a media type and its parameters (as from
// mime.ParseMediaType: lower-case type and parameter names) label
// end-to-end encrypted content. It reads the label only; Verify checks the
// content.
//   - multipart/encrypted; protocol="application/pgp-encrypted" is PGP
//     (RFC 3156 §4);
//   - application/pkcs7-mime or application/x-pkcs7-mime with
//     smime-type=enveloped-data or authEnveloped-data is S/MIME (RFC 8551
//     §3.2.2, RFC 5083); without smime-type, a name ending in .p7m counts,
//     as older clients send it so. smime-type=signed-data (opaque signed)
//     and compressed-data are not encryption.
func IsEncrypted(contentType string, params map[string]string) (kind string, ok bool) {
	switch strings.ToLower(contentType) {
	case "multipart/encrypted":
		if strings.EqualFold(params["protocol"], "application/pgp-encrypted") {
			return PGP, true
		}
	case "application/pkcs7-mime", "application/x-pkcs7-mime":
		st, has := params["smime-type"]
		switch {
		case has && (strings.EqualFold(st, "enveloped-data") || strings.EqualFold(st, "authEnveloped-data")):
			return SMIME, true
		case !has && strings.HasSuffix(strings.ToLower(params["name"]), ".p7m"):
			return SMIME, true
		}
	}
	return "", false
}

// Label is IsEncrypted of a Content-Type field value.
func Label(value string) (kind string, ok bool) {
	mt, params, err := mime.ParseMediaType(value)
	if err != nil {
		return "", false
	}
	return IsEncrypted(mt, params)
}

// maxHeader bounds the header Verify reads; a body is streamed.
const maxHeader = 1 << 20

// Verify reads a message (RFC 5322) and reports which kind of end-to-end
// encryption it carries, checking the content and not only the label, so
// plaintext labelled multipart/encrypted does not pass as protected:
//   - PGP/MIME: exactly two parts, application/pgp-encrypted holding
//     "Version: 1", then application/octet-stream holding an armored PGP
//     MESSAGE whose first packet is a public- or symmetric-key encrypted
//     session key (tags 1 and 3, RFC 9580 §5.1, §5.3);
//   - S/MIME: the body is a CMS ContentInfo of type envelopedData
//     (1.2.840.113549.1.7.3) or authEnvelopedData
//     (1.2.840.113549.1.9.16.1.23), DER or BER.
//
// It streams: memory stays bounded whatever the size. It does not decrypt
// and checks no signature.
func Verify(r io.Reader) (string, error) {
	e, err := message.ReadWithOptions(r, &message.ReadOptions{MaxHeaderBytes: maxHeader})
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return "", fmt.Errorf("%w: %v", ErrNotEncrypted, err)
	}
	if message.IsUnknownEncoding(err) {
		return "", fmt.Errorf("%w: unknown transfer encoding", ErrNotEncrypted)
	}
	kind, ok := Label(e.Header.Get("Content-Type"))
	if !ok {
		return "", fmt.Errorf("%w: not labelled as encrypted", ErrNotEncrypted)
	}
	if kind == PGP {
		err = verifyPGP(e)
	} else {
		err = verifyCMS(e.Body)
	}
	if err != nil {
		return "", err
	}
	return kind, nil
}

func notEnc(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotEncrypted}, args...)...)
}

func verifyPGP(e *message.Entity) error {
	mr := e.MultipartReader()
	if mr == nil {
		return notEnc("PGP/MIME without parts")
	}
	p, err := mr.NextPart()
	if err != nil {
		return notEnc("PGP/MIME: no control part")
	}
	if mt, _, _ := p.Header.ContentType(); mt != "application/pgp-encrypted" {
		return notEnc("PGP/MIME: first part is not application/pgp-encrypted")
	}
	ctl, err := io.ReadAll(io.LimitReader(p.Body, 1024))
	if err != nil {
		return fmt.Errorf("%w: PGP/MIME control part: %w", ErrNotEncrypted, err)
	}
	if !hasVersion1(ctl) {
		return notEnc("PGP/MIME: control part lacks Version: 1")
	}
	p, err = mr.NextPart()
	if err != nil {
		return notEnc("PGP/MIME: no encrypted part")
	}
	if mt, _, _ := p.Header.ContentType(); mt != "application/octet-stream" {
		return notEnc("PGP/MIME: second part is not application/octet-stream")
	}
	if err := firstPacketEncrypted(p.Body); err != nil {
		return err
	}
	// RFC 3156 §4: exactly two parts. NextPart skips the rest of the data.
	if _, err := mr.NextPart(); err != io.EOF {
		if err == nil {
			return notEnc("PGP/MIME: more than two parts")
		}
		return notEnc("PGP/MIME: %v", err)
	}
	return nil
}

func hasVersion1(ctl []byte) bool {
	for _, line := range bytes.Split(ctl, []byte("\n")) {
		if string(bytes.Join(bytes.Fields(line), nil)) == "Version:1" {
			return true
		}
	}
	return false
}

// firstPacketEncrypted decodes the armor and reads the first packet tag.
func firstPacketEncrypted(r io.Reader) error {
	blk, err := armor.Decode(bufio.NewReader(r))
	if err != nil || blk.Type != "PGP MESSAGE" {
		return notEnc("PGP/MIME: no armored PGP MESSAGE")
	}
	var b [1]byte
	if _, err := io.ReadFull(blk.Body, b[:]); err != nil {
		return notEnc("PGP/MIME: empty PGP MESSAGE")
	}
	if tag := packetTag(b[0]); tag != 1 && tag != 3 {
		return notEnc("PGP/MIME: first packet (tag %d) is not an encrypted session key", tag)
	}
	return nil
}

// packetTag reads a packet header's first octet (RFC 9580 §4.2): bit 7
// set; bit 6 set is the new format (tag in bits 5-0), else the legacy
// format (tag in bits 5-2). -1 when bit 7 is clear.
func packetTag(b byte) int {
	switch {
	case b&0x80 == 0:
		return -1
	case b&0x40 != 0:
		return int(b & 0x3f)
	}
	return int(b>>2) & 0x0f
}
