package extract

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

const (
	magicTNEF = "\x78\x9f\x3e\x22" // 0x223E9F78 little-endian
	magicDICM = "DICM"             // at offset 128, after the preamble
)

// isDICOM reports the "DICM" prefix after the 128-byte preamble.
func isDICOM(head []byte) bool {
	return len(head) >= 132 && string(head[128:132]) == magicDICM
}

// isMedia reports whether head starts like a real image, audio, video or
// font file. Only such bytes may be skipped as "no text": a label alone
// proves nothing. net/http's sniffer knows most containers; the rest are
// added here.
func isMedia(head []byte) bool {
	ct := http.DetectContentType(head)
	for _, p := range []string{"image/", "audio/", "video/", "font/", "application/vnd.ms-fontobject", "application/ogg"} {
		if strings.HasPrefix(ct, p) {
			return true
		}
	}
	switch {
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")): // TIFF
		return true
	case bytes.HasPrefix(head, []byte("\xd7\xcd\xc6\x9a")), len(head) >= 44 && string(head[40:44]) == " EMF": // WMF, EMF
		return true
	case bytes.HasPrefix(head, []byte("\x00\x00\x00\x0cjP  ")), bytes.HasPrefix(head, []byte("\xff\x0a")): // JPEG 2000, JPEG XL
		return true
	case len(head) >= 12 && (string(head[4:8]) == "ftyp" || string(head[4:8]) == "moov" ||
		string(head[4:8]) == "mdat" || string(head[4:8]) == "wide" || string(head[4:8]) == "free"): // ISO BMFF / QuickTime: MP4, MOV, M4A, HEIC, AVIF, 3GP
		return true
	case bytes.HasPrefix(head, []byte("\x1a\x45\xdf\xa3")): // Matroska / WebM
		return true
	case bytes.HasPrefix(head, []byte("fLaC")), bytes.HasPrefix(head, []byte("#!AMR")),
		bytes.HasPrefix(head, []byte("FLV\x01")), bytes.HasPrefix(head, []byte("8BPS")), // Photoshop
		bytes.HasPrefix(head, []byte("\x30\x26\xb2\x75\x8e\x66\xcf\x11")),                                    // ASF: WMA/WMV
		bytes.HasPrefix(head, []byte("\x00\x00\x01\xba")), bytes.HasPrefix(head, []byte("\x00\x00\x01\xb3")), // MPEG PS/ES
		bytes.HasPrefix(head, []byte("OTTO")), bytes.HasPrefix(head, []byte("\x00\x01\x00\x00\x00")), bytes.HasPrefix(head, []byte("ttcf")):
		return true
	case len(head) >= 2 && head[0] == 0xff && head[1]&0xe0 == 0xe0 && head[1]&0x06 != 0: // MPEG audio frame sync
		return true
	case len(head) >= 2 && head[0] == 0xff && head[1]&0xf6 == 0xf0: // AAC in ADTS frames
		return true
	case len(head) > 376 && head[0] == 0x47 && head[188] == 0x47 && head[376] == 0x47: // MPEG-TS
		return true
	}
	return false
}

// noTextTypes are declared types that carry no readable text by design and
// must not be treated as unknown binaries (a detached signature is on every
// signed message).
func noTextType(mt string) bool {
	switch mt {
	case "application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature",
		"application/pkcs7-certificates", "application/x-x509-ca-cert", "application/pkix-cert",
		"application/applefile": // the AppleDouble header: Finder metadata

		return true
	}
	return false
}

// utf16Order says whether head is UTF-16 text: by its BOM, or, without one,
// by NULs in every other byte with text in the rest (Notepad's "Unicode" is
// UTF-16LE with a BOM; exports from other tools often lack it). The test
// runs after undoing a byte-wise LF to CRLF conversion (see crlfUndo), which
// text-mode tools and MIME encoders apply to UTF-16 too.
func utf16Order(head []byte) (enc encoding.Encoding, ok bool) {
	head = bytes.ReplaceAll(head, []byte("\r\n"), []byte("\n"))
	if len(head) >= 2 {
		switch {
		case head[0] == 0xff && head[1] == 0xfe:
			return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), true
		case head[0] == 0xfe && head[1] == 0xff:
			return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), true
		}
	}
	n := len(head) &^ 1
	if n < 4 {
		return nil, false
	}
	// Count, per byte position parity, NULs and printable ASCII.
	var zero, text [2]int
	for i := 0; i < n; i++ {
		c := head[i]
		switch {
		case c == 0:
			zero[i&1]++
		case c >= 0x20 && c < 0x7f, c == '\t', c == '\n', c == '\r':
			text[i&1]++
		}
	}
	half := n / 2
	// Latin text in UTF-16: the high byte is almost always 0. Allow some
	// non-ASCII characters (accents, symbols) but demand mostly NULs.
	switch {
	case zero[1]*10 >= half*8 && text[0]*10 >= half*7 && zero[0] == 0:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), true
	case zero[0]*10 >= half*8 && text[1]*10 >= half*7 && zero[1] == 0:
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), true
	}
	return nil, false
}

// crlfUndo drops every CR directly before an LF. In UTF-16 a CR byte next
// to an LF byte comes only from a byte-wise LF to CRLF conversion ("\n\x00"
// became "\r\n\x00" and every code unit after it slipped by one byte);
// genuine line ends are "\r\x00\n\x00" or "\x00\r\x00\n". Undoing it puts
// the code units back in place.
type crlfUndo struct {
	r   *bufio.Reader
	err error
}

func (c *crlfUndo) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n := 0
	for n < len(p) {
		b, err := c.r.ReadByte()
		if err != nil {
			if n > 0 {
				c.err = err
				return n, nil
			}
			return 0, err
		}
		if b == '\r' {
			if next, err := c.r.Peek(1); err == nil && next[0] == '\n' {
				continue
			}
		}
		p[n] = b
		n++
		if c.r.Buffered() == 0 {
			break // hand over what is here rather than wait for more
		}
	}
	return n, nil
}

// latin1Fallback decodes 8-bit text that is not UTF-8 as Windows-1252 (the
// superset of Latin-1 that Windows tools write) when the sender declared no
// charset; otherwise r is returned as is.
func latin1Fallback(r io.Reader, head []byte, declaredCharset bool) io.Reader {
	if declaredCharset {
		return r
	}
	h := head
	for i := 0; i < 3 && len(h) > 0 && !utf8.Valid(h); i++ {
		h = h[:len(h)-1] // a rune cut by the sample's end
	}
	if !utf8.Valid(h) {
		return transform.NewReader(r, charmap.Windows1252.NewDecoder())
	}
	return r
}
