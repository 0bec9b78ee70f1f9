package extract

import (
	"bufio"
	"encoding/binary"
	"hash/crc32"
	"io"
	"strconv"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// Compressed RTF (MS-OXRTFCP), the PR_RTF_COMPRESSED property of Outlook
// messages: a 16-byte header, then LZ77 over a 4 KiB ring preloaded with
// common RTF words.

const (
	rtfCompressed   = 0x75465a4c // "LZFu"
	rtfUncompressed = 0x414c454d // "MELA"
)

const rtfPrebuf = "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman " +
	"\\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier" +
	"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"

// decompressRTF returns the RTF of a PR_RTF_COMPRESSED value, at most max bytes.
func decompressRTF(b []byte, max int64) ([]byte, error) {
	if len(b) < 16 {
		return nil, unscannable(ReasonDecode, errTNEF)
	}
	compSize := binary.LittleEndian.Uint32(b[0:])
	rawSize := binary.LittleEndian.Uint32(b[4:])
	typ := binary.LittleEndian.Uint32(b[8:])
	crc := binary.LittleEndian.Uint32(b[12:])
	if int64(rawSize) > max {
		return nil, unscannable(ReasonSize, nil)
	}
	data := b[16:]
	if uint64(compSize) >= 12 && uint64(compSize)-12 < uint64(len(data)) {
		data = data[:compSize-12]
	}
	switch typ {
	case rtfUncompressed:
		if uint64(rawSize) < uint64(len(data)) {
			data = data[:rawSize]
		}
		return data, nil
	case rtfCompressed:
	default:
		return nil, unscannable(ReasonDecode, errTNEF)
	}
	// The CRC (crc32 with no final inversion over the compressed bytes)
	// tells a cut or damaged stream from a good one.
	if crc32Raw(data) != crc {
		return nil, unscannable(ReasonDecode, errTNEF)
	}
	var dict [4096]byte
	copy(dict[:], rtfPrebuf)
	wp := len(rtfPrebuf)
	out := make([]byte, 0, min(int(rawSize), 1<<20))
	for i := 0; i < len(data); {
		ctl := data[i]
		i++
		for bit := 0; bit < 8 && i < len(data); bit++ {
			if ctl&(1<<bit) == 0 {
				c := data[i]
				i++
				out = append(out, c)
				dict[wp] = c
				wp = (wp + 1) & 4095
			} else {
				if i+1 >= len(data) {
					return nil, unscannable(ReasonDecode, errTNEF)
				}
				ref := int(data[i])<<8 | int(data[i+1])
				i += 2
				off, n := ref>>4, ref&15+2
				if off == wp {
					return out, nil // end marker
				}
				for k := 0; k < n; k++ {
					c := dict[(off+k)&4095]
					out = append(out, c)
					dict[wp] = c
					wp = (wp + 1) & 4095
				}
			}
			if int64(len(out)) > int64(rawSize)+16 || int64(len(out)) > max {
				return nil, unscannable(ReasonSize, nil)
			}
		}
	}
	return out, nil
}

// crc32Raw is the IEEE CRC-32 without the pre- and post-inversion, as
// MS-OXRTFCP computes it.
func crc32Raw(b []byte) uint32 {
	return ^crc32.Update(0xffffffff, crc32.IEEETable, b)
}

// rtfText yields the visible text of an RTF document: control words are
// dropped (\par and \line become new lines, \tab a tab, \'hh and \uN
// characters decoded), and destinations that hold no readable text (font
// and colour tables, pictures, objects, ignorable \* groups) are skipped.
// Text split by formatting ("512-48-{\b 3901}") comes out joined.
func rtfText(r io.Reader, enc encoding.Encoding) io.Reader {
	br := bufio.NewReader(r)
	if enc == nil {
		enc = charmap.Windows1252
	}
	type group struct {
		skip bool
		uc   int
	}
	stack := []group{{uc: 1}}
	skipChars := 0 // fallback characters after \uN still to skip
	var word []byte
	decodeByte := func(dst []byte, c byte) []byte {
		if c < 0x80 {
			return append(dst, c)
		}
		if cm, ok := enc.(*charmap.Charmap); ok {
			return utf8.AppendRune(dst, cm.DecodeByte(c))
		}
		s, err := enc.NewDecoder().Bytes([]byte{c})
		if err != nil {
			return append(dst, '?')
		}
		return append(dst, s...)
	}
	return &pullReader{next: func(dst []byte) ([]byte, error) {
		for len(dst) < 16<<10 {
			c, err := br.ReadByte()
			if err != nil {
				return dst, io.EOF
			}
			top := &stack[len(stack)-1]
			switch c {
			case '{':
				if len(stack) < 256 {
					stack = append(stack, *top)
				} else {
					return dst, unscannable(ReasonDepth, nil)
				}
				continue
			case '}':
				if len(stack) > 1 {
					stack = stack[:len(stack)-1]
				}
				continue
			case '\r', '\n':
				continue
			case '\\':
			default:
				if skipChars > 0 {
					skipChars--
					continue
				}
				if !top.skip {
					dst = decodeByte(dst, c)
				}
				continue
			}
			// A control word, symbol or escaped character.
			c, err = br.ReadByte()
			if err != nil {
				return dst, io.EOF
			}
			switch {
			case c == '\'':
				var hex [2]byte
				if _, err := io.ReadFull(br, hex[:]); err != nil {
					return dst, io.EOF
				}
				v, perr := strconv.ParseUint(string(hex[:]), 16, 8)
				if skipChars > 0 {
					skipChars--
					continue
				}
				if perr == nil && !top.skip {
					dst = decodeByte(dst, byte(v))
				}
				continue
			case c == '*':
				top.skip = true // ignorable destination
				continue
			case c == '~':
				if !top.skip {
					dst = append(dst, ' ')
				}
				continue
			case c == '_' || c == '-':
				if !top.skip && c == '_' {
					dst = append(dst, '-')
				}
				continue
			case !isASCIILetter(c):
				if !top.skip && (c == '\\' || c == '{' || c == '}') {
					dst = append(dst, c)
				}
				continue
			}
			word = append(word[:0], c)
			for len(word) < 32 {
				c, err = br.ReadByte()
				if err != nil || !isASCIILetter(c) {
					break
				}
				word = append(word, c)
			}
			param, neg, has := 0, false, false
			if err == nil && c == '-' {
				neg = true
				c, err = br.ReadByte()
			}
			for err == nil && c >= '0' && c <= '9' {
				has = true
				if param < 1<<20 {
					param = param*10 + int(c-'0')
				}
				c, err = br.ReadByte()
			}
			if neg {
				param = -param
			}
			if err == nil && c != ' ' {
				_ = br.UnreadByte() // the delimiter belongs to the text
			}
			switch string(word) {
			case "annotation", "footnote":
				top.skip = false // comments and footnotes are text, even under \*
			case "par", "line", "row", "sect", "page":
				if !top.skip {
					dst = append(dst, '\n')
				}
			case "tab", "cell":
				if !top.skip {
					dst = append(dst, '\t')
				}
			case "u":
				if has && !top.skip {
					if param < 0 {
						param += 65536
					}
					dst = utf8.AppendRune(dst, rune(param))
				}
				skipChars = top.uc
			case "uc":
				if has && param >= 0 && param < 8 {
					top.uc = param
				}
			case "fonttbl", "colortbl", "stylesheet", "pict", "object", "objdata", "themedata",
				"colorschememapping", "datastore", "latentstyles", "listtable", "listoverridetable",
				"rsidtbl", "generator", "xmlnstbl", "mmathPr", "filetbl", "revtbl", "pgdsctbl":
				top.skip = true
			case "bin":
				// param bytes of binary data follow: skip them unread.
				if has && param > 0 {
					if _, err := br.Discard(param); err != nil {
						return dst, io.EOF
					}
				}
			case "ansicpg":
				if e := codepageEncoding(uint32(max(param, 0))); e != nil && has {
					enc = e
				}
			}
		}
		return dst, nil
	}}
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
