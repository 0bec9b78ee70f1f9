package extract

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"unicode/utf16"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// TNEF (MS-OXTNEF), the winmail.dat that Exchange and Outlook send: a
// signature, then attributes, each <level:1><id:4><length:4><data><sum:2>.
// Message attributes carry the body (attBody, and in attMsgProps the MAPI
// properties PR_BODY, PR_RTF_COMPRESSED, PR_HTML); attachment attributes
// start with attAttachRenddata and carry the name (attAttachTitle or
// PR_ATTACH_LONG_FILENAME) and the data (attAttachData, PR_ATTACH_DATA_*).
//
// No TNEF module is available on the module proxy, so this reader is
// written from the specification; every length is checked against the
// bytes left, and the whole stream is bounded by MaxPartBytes.

const (
	tnefLevelMessage    = 1
	tnefLevelAttachment = 2

	attSubject        = 0x00018004
	attBody           = 0x0002800c
	attMsgProps       = 0x00069003
	attOemCodepage    = 0x00069007
	attAttachRenddata = 0x00069002
	attAttachTitle    = 0x00018010
	attAttachData     = 0x0006800f
	attAttachment     = 0x00069005

	prSubject        = 0x0037
	prBody           = 0x1000
	prRTFCompressed  = 0x1009
	prHTML           = 0x1013
	prAttachDataBin  = 0x3701
	prAttachFilename = 0x3704
	prAttachLongName = 0x3707
	prAttachMimeTag  = 0x370e
	prDisplayName    = 0x3001

	ptShort    = 0x0002
	ptLong     = 0x0003
	ptFloat    = 0x0004
	ptDouble   = 0x0005
	ptCurrency = 0x0006
	ptAppTime  = 0x0007
	ptError    = 0x000a
	ptBoolean  = 0x000b
	ptObject   = 0x000d
	ptI8       = 0x0014
	ptString8  = 0x001e
	ptUnicode  = 0x001f
	ptSysTime  = 0x0040
	ptCLSID    = 0x0048
	ptBinary   = 0x0102
	ptMulti    = 0x1000
)

var errTNEF = errors.New("tnef: malformed")

// tnefAttachment is one attachment being collected until the next starts.
type tnefAttachment struct {
	title, longName, mime string
	data                  []byte
	present               bool
}

// mapiProp is one decoded MAPI property of interest.
type mapiProp struct {
	id, typ uint16
	value   []byte // raw value; strings without padding (PT_UNICODE still UTF-16LE)
}

// tnef reads a TNEF stream: body renditions are emitted at p's index as
// alternatives of one another; each attachment is walked as a leaf one
// level deeper, with its file name.
func (w *walker) tnef(r io.Reader, p *Part) {
	if p.Depth+1 > w.lim.MaxDepth {
		w.flag(p.Index, ReasonDepth)
		return
	}
	lr := &io.LimitedReader{R: r, N: w.lim.MaxPartBytes}
	var hdr [6]byte
	if _, err := io.ReadFull(lr, hdr[:]); err != nil || string(hdr[:4]) != magicTNEF {
		w.flag(p.Index, ReasonDecode)
		return
	}
	var enc encoding.Encoding = charmap.Windows1252 // attOemCodepage overrides
	var bodies [][]byte                             // attBody, PR_BODY: plain text in enc
	var unicodeBodies [][]byte                      // PR_BODY as PT_UNICODE (already UTF-8)
	var rtf, html [][]byte
	var props []byte // other message string properties, one per line
	seen := map[string]bool{}
	addProp := func(v string) {
		// The subject comes as attSubject, PR_SUBJECT and
		// PR_CONVERSATION_TOPIC: scan each distinct string once.
		if v = strings.TrimSpace(v); v != "" && !seen[v] {
			seen[v] = true
			props = append(append(props, v...), '\n')
		}
	}
	var att *tnefAttachment
	var atts []*tnefAttachment
	bad := false
	for !w.halted(p.Index) {
		var ah [9]byte
		n, err := io.ReadFull(lr, ah[:])
		if n == 0 && err == io.EOF {
			break
		}
		if err != nil {
			bad = true
			break
		}
		level, id, length := ah[0], binary.LittleEndian.Uint32(ah[1:5]), binary.LittleEndian.Uint32(ah[5:9])
		if int64(length)+2 > lr.N {
			// The declared length runs past the budget or past the end.
			_, _ = io.Copy(io.Discard, lr)
			if lr.N == 0 && limitHit(lr) {
				w.flag(p.Index, ReasonSize)
			} else {
				bad = true
			}
			break
		}
		data := make([]byte, length)
		if _, err := io.ReadFull(lr, data); err != nil {
			bad = true
			break
		}
		var sum [2]byte
		if _, err := io.ReadFull(lr, sum[:]); err != nil {
			bad = true
			break
		}
		// The checksum is not verified: Exchange and the tnef tool accept
		// streams whose checksums are wrong, and a reader that refused them
		// would only skip content.
		switch {
		case level == tnefLevelMessage && id == attOemCodepage && len(data) >= 4:
			enc = codepageEncoding(binary.LittleEndian.Uint32(data))
		case level == tnefLevelMessage && id == attBody:
			bodies = append(bodies, bytes.TrimRight(data, "\x00"))
		case level == tnefLevelMessage && id == attSubject:
			addProp(decodeString(enc, data))
		case level == tnefLevelMessage && id == attMsgProps:
			ps, err := mapiProps(data)
			if err != nil {
				bad = true
			}
			for _, pr := range ps {
				switch {
				case pr.id == prBody && pr.typ == ptUnicode:
					unicodeBodies = append(unicodeBodies, []byte(utf16String(pr.value)))
				case pr.id == prBody:
					bodies = append(bodies, pr.value)
				case pr.id == prRTFCompressed:
					rtf = append(rtf, pr.value)
				case pr.id == prHTML:
					html = append(html, pr.value)
				case pr.typ == ptUnicode:
					addProp(utf16String(pr.value))
				case pr.typ == ptString8:
					addProp(decodeString(enc, pr.value))
				}
			}
		case level == tnefLevelAttachment && id == attAttachRenddata:
			att = &tnefAttachment{}
			atts = append(atts, att)
		case level == tnefLevelAttachment:
			if att == nil { // attributes before any attAttachRenddata: be lenient
				att = &tnefAttachment{}
				atts = append(atts, att)
			}
			switch id {
			case attAttachTitle:
				att.title = decodeString(enc, data)
			case attAttachData:
				att.data, att.present = data, true
			case attAttachment:
				ps, err := mapiProps(data)
				if err != nil {
					bad = true
				}
				for _, pr := range ps {
					str := func() string {
						if pr.typ == ptUnicode {
							return utf16String(pr.value)
						}
						return decodeString(enc, pr.value)
					}
					switch pr.id {
					case prAttachLongName:
						att.longName = str()
					case prAttachFilename:
						if att.title == "" {
							att.title = str()
						}
					case prDisplayName:
						if att.title == "" {
							att.title = str()
						}
					case prAttachMimeTag:
						att.mime = strings.ToLower(strings.TrimSpace(str()))
					case prAttachDataBin:
						if !att.present || len(att.data) == 0 {
							v := pr.value
							if pr.typ == ptObject && len(v) >= 16 {
								v = v[16:] // IID of the embedded object
							}
							att.data, att.present = v, true
						}
					}
				}
			}
		}
	}
	if bad {
		w.flag(p.Index, ReasonDecode)
	}
	// Body renditions of one message say the same thing: count them once.
	w.pushAlt(p.Index)
	branch := 0
	emitBody := func(rd io.Reader) {
		if w.halted(p.Index) {
			return
		}
		w.setBranch(branch)
		branch++
		w.emit(&Part{Index: p.Index, Kind: p.Kind, ContentType: p.ContentType, Filename: p.Filename, Size: p.Size, Depth: p.Depth}, rd)
	}
	for _, b := range bodies {
		emitBody(bytes.NewReader([]byte(decodeString(enc, b))))
	}
	for _, b := range unicodeBodies {
		emitBody(bytes.NewReader(b))
	}
	for _, c := range rtf {
		raw, err := decompressRTF(c, w.lim.MaxPartBytes)
		if err != nil {
			w.fail(p.Index, err)
			continue
		}
		emitBody(rtfText(bytes.NewReader(raw), enc))
	}
	for _, h := range html {
		emitBody(htmlText(bytes.NewReader(h), w.lim.MaxPartBytes))
	}
	w.popAlt()
	if len(props) > 0 && !w.halted(p.Index) {
		w.emit(&Part{Index: p.Index, Kind: p.Kind, ContentType: p.ContentType, Filename: p.Filename, Size: p.Size, Depth: p.Depth}, bytes.NewReader(props))
	}
	for _, a := range atts {
		if w.halted(p.Index) {
			return
		}
		if !a.present && a.title == "" && a.longName == "" {
			continue
		}
		idx, ok := w.newPart()
		if !ok {
			return
		}
		name := a.longName
		if name == "" {
			name = a.title
		}
		mt := a.mime
		if mt == "" || mt == "application/octet-stream" {
			mt = mediaTypeByName(name)
		}
		w.leaf(bytes.NewReader(a.data), hints{mediaType: mt, filename: name, kind: KindAttachment, size: int64(len(a.data))}, idx, p.Depth+1)
	}
}

// limitHit reports whether the LimitedReader's budget, not the stream, ran out.
func limitHit(lr *io.LimitedReader) bool {
	var one [1]byte
	n, _ := lr.R.Read(one[:])
	return n > 0
}

// mapiProps decodes a TNEF MAPI property list (MS-OXTNEF 2.1.3.4), keeping
// strings and binaries; fixed-size values are skipped.
func mapiProps(b []byte) ([]mapiProp, error) {
	rd := &tnefBuf{b: b}
	count := rd.u32()
	if rd.bad || int64(count) > int64(len(b)) {
		return nil, errTNEF
	}
	var out []mapiProp
	for i := uint32(0); i < count && !rd.bad; i++ {
		typ, id := rd.u16(), rd.u16()
		if id >= 0x8000 { // named property: GUID, kind, then an ID or a name
			rd.skip(16)
			switch rd.u32() {
			case 0:
				rd.skip(4)
			case 1:
				rd.skip(pad4(rd.u32()))
			default:
				return out, errTNEF
			}
		}
		base := typ &^ ptMulti
		n := uint32(1)
		if typ&ptMulti != 0 || base == ptString8 || base == ptUnicode || base == ptBinary || base == ptObject {
			n = rd.u32()
		}
		if rd.bad || int64(n) > int64(len(rd.b)) {
			return out, errTNEF
		}
		for j := uint32(0); j < n && !rd.bad; j++ {
			switch base {
			case ptShort, ptLong, ptFloat, ptError, ptBoolean, 0x0001:
				rd.skip(4)
			case ptDouble, ptCurrency, ptAppTime, ptI8, ptSysTime:
				rd.skip(8)
			case ptCLSID:
				rd.skip(16)
			case ptString8, ptUnicode, ptBinary, ptObject:
				l := rd.u32()
				v := rd.take(l)
				rd.skip(pad4(l) - l)
				if rd.bad {
					break
				}
				if base == ptString8 {
					v = bytes.TrimRight(v, "\x00")
				}
				out = append(out, mapiProp{id: id, typ: base, value: v})
			default:
				return out, errTNEF
			}
		}
	}
	if rd.bad {
		return out, errTNEF
	}
	return out, nil
}

func pad4(n uint32) uint32 { return (n + 3) &^ 3 }

// tnefBuf reads little-endian values, remembering a short read.
type tnefBuf struct {
	b   []byte
	bad bool
}

func (t *tnefBuf) take(n uint32) []byte {
	if t.bad || uint64(n) > uint64(len(t.b)) {
		t.bad = true
		return nil
	}
	v := t.b[:n]
	t.b = t.b[n:]
	return v
}
func (t *tnefBuf) skip(n uint32) { t.take(n) }
func (t *tnefBuf) u16() uint16 {
	if v := t.take(2); v != nil {
		return binary.LittleEndian.Uint16(v)
	}
	return 0
}
func (t *tnefBuf) u32() uint32 {
	if v := t.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

// utf16String decodes UTF-16LE, dropping the terminating NULs.
func utf16String(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}

// decodeString converts 8-bit text from the stream's code page; valid
// UTF-8 (code page 65001, or plain ASCII) is kept as is.
func decodeString(enc encoding.Encoding, b []byte) string {
	b = bytes.TrimRight(b, "\x00")
	if enc == nil || isUTF8(b) {
		return string(b)
	}
	s, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(s)
}

func isUTF8(b []byte) bool { return bytes.Equal(bytes.ToValidUTF8(b, nil), b) }

// codepageEncoding maps a Windows code page to a decoder; unknown ones fall
// back to Windows-1252, which at least keeps ASCII digits and letters.
func codepageEncoding(cp uint32) encoding.Encoding {
	switch cp {
	case 65001:
		return nil
	case 437:
		return charmap.CodePage437
	case 850:
		return charmap.CodePage850
	case 852:
		return charmap.CodePage852
	case 866:
		return charmap.CodePage866
	case 1250:
		return charmap.Windows1250
	case 1251:
		return charmap.Windows1251
	case 1253:
		return charmap.Windows1253
	case 1254:
		return charmap.Windows1254
	case 1255:
		return charmap.Windows1255
	case 1256:
		return charmap.Windows1256
	case 1257:
		return charmap.Windows1257
	case 1258:
		return charmap.Windows1258
	case 28591:
		return charmap.ISO8859_1
	case 28605:
		return charmap.ISO8859_15
	}
	return charmap.Windows1252
}
