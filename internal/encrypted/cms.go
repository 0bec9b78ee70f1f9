package encrypted

import (
	"bytes"
	"io"
)

// DER encodings of the content types that mean encrypted (RFC 5652 §6,
// RFC 5083 §1): OBJECT IDENTIFIER tag, length, value.
var (
	oidEnvelopedData     = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03}
	oidAuthEnvelopedData = []byte{0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17}
)

// verifyCMS reads the start of a ContentInfo (RFC 5652 §3):
//
//	ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER, content [0] EXPLICIT ANY }
//
// The SEQUENCE may have a definite or, in BER as openssl -stream writes it,
// an indefinite length; the OID that follows says what the content is.
func verifyCMS(body io.Reader) error {
	var head [32]byte
	n, err := io.ReadFull(body, head[:])
	if err != nil && err != io.ErrUnexpectedEOF {
		if err == io.EOF {
			return notEnc("S/MIME: empty body")
		}
		return notEnc("S/MIME: body: %v", err)
	}
	b := head[:n]
	if len(b) < 2 || b[0] != 0x30 {
		return notEnc("S/MIME: body is not a CMS ContentInfo")
	}
	skip := 2
	switch l := b[1]; {
	case l == 0x80: // indefinite (BER)
	case l < 0x80:
	case l <= 0x84:
		skip += int(l & 0x7f)
	default:
		return notEnc("S/MIME: bad ContentInfo length")
	}
	b = b[min(skip, len(b)):]
	if bytes.HasPrefix(b, oidEnvelopedData) || bytes.HasPrefix(b, oidAuthEnvelopedData) {
		return nil
	}
	return notEnc("S/MIME: content type is not enveloped or authEnveloped data")
}
