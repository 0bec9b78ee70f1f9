package extract

import (
	"bytes"
	"compress/zlib"
	"encoding/ascii85"
	"encoding/hex"
	"errors"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// PDF text extraction, deliberately small (no maintained pure-Go PDF text
// library fit: github.com/ledongthuc/pdf has no releases and panics on
// malformed input; pdfcpu extracts content streams, not text). We read the
// file into memory (at most Limits.MaxPartBytes), find every stream object,
// decode FlateDecode / ASCIIHex / ASCII85 filter chains, and take the string
// operands of the text operators Tj, TJ, ' and " from content streams.
// Simple fonts are read as WinAnsi. Two-byte (Identity-H/V) fonts are mapped
// through the document's ToUnicode CMaps when they agree with each other;
// otherwise the part is also reported as "format".
// Not handled, and reported "format": LZW/RunLength content streams.
// Not text: images (scanned pages have no text layer; like image/* parts
// they are not reported). Encrypted PDFs (/Encrypt) are "encrypted".

var (
	rePDFFilter  = regexp.MustCompile(`/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)`)
	rePDFName    = regexp.MustCompile(`/([A-Za-z0-9]+)`)
	rePDFLength  = regexp.MustCompile(`/Length\s+(\d+)(\s+\d+\s+R)?`)
	rePDFSkip    = regexp.MustCompile(`/Subtype\s*/(Image|Type1C|CIDFontType0C|OpenType|XML)|/Type\s*/(XRef|ObjStm|Metadata|EmbeddedFile)|/Length[123]\b`)
	rePDFBfchar  = regexp.MustCompile(`<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>`)
	rePDFBfrange = regexp.MustCompile(`<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>`)
)

func (w *walker) pdf(r io.Reader, p *Part) {
	data, err := io.ReadAll(io.LimitReader(r, w.lim.MaxPartBytes+1))
	if err != nil {
		w.fail(p.Index, err)
		return
	}
	if int64(len(data)) > w.lim.MaxPartBytes {
		w.flag(p.Index, ReasonSize)
		return
	}
	if bytes.Contains(data, []byte("/Encrypt")) {
		w.flag(p.Index, ReasonEncrypted)
		return
	}
	x := &pdfExtractor{w: w, data: data, part: p.Index, budget: w.lim.MaxPartBytes}
	x.scanStreams()
	if x.twoByte {
		x.cmap, x.cmapOK = x.toUnicode()
		if !x.cmapOK {
			w.flag(p.Index, ReasonFormat)
		}
	}
	x.pos = 0
	w.emit(p, &pullReader{next: x.next})
}

type pdfStream struct {
	dict    []byte
	start   int // data offset
	end     int
	filters []string
}

type pdfExtractor struct {
	w       *walker
	data    []byte
	part    int
	budget  int64 // decoded bytes left for this PDF
	streams []pdfStream
	pos     int
	twoByte bool
	cmap    map[uint16][]byte
	cmapOK  bool
	lastY   []byte
}

// scanStreams indexes every "<< dict >> stream ... endstream".
func (x *pdfExtractor) scanStreams() {
	d := x.data
	off := 0
	for {
		i := bytes.Index(d[off:], []byte("stream"))
		if i < 0 {
			break
		}
		i += off
		off = i + 6
		if i >= 3 && string(d[i-3:i]) == "end" {
			continue
		}
		// The dictionary ends right before the keyword.
		j := i - 1
		for j >= 0 && isPDFSpace(d[j]) {
			j--
		}
		if j < 1 || d[j] != '>' || d[j-1] != '>' {
			continue
		}
		dictStart := matchDictStart(d, j)
		if dictStart < 0 {
			continue
		}
		dict := d[dictStart : j+1]
		start := i + 6
		if start < len(d) && d[start] == '\r' {
			start++
		}
		if start < len(d) && d[start] == '\n' {
			start++
		}
		end := -1
		if m := rePDFLength.FindSubmatch(dict); m != nil && m[2] == nil {
			if n, err := strconv.Atoi(string(m[1])); err == nil && n >= 0 && start+n <= len(d) {
				rest := bytes.TrimLeft(d[start+n:min(len(d), start+n+12)], "\r\n \t")
				if bytes.HasPrefix(rest, []byte("endstream")) {
					end = start + n
				}
			}
		}
		if end < 0 {
			k := bytes.Index(d[start:], []byte("endstream"))
			if k < 0 {
				break
			}
			end = start + k
		}
		off = end
		var filters []string
		if m := rePDFFilter.FindSubmatch(dict); m != nil {
			for _, n := range rePDFName.FindAllSubmatch(m[1], -1) {
				filters = append(filters, string(n[1]))
			}
		}
		if bytes.Contains(dict, []byte("/Identity-H")) || bytes.Contains(dict, []byte("/Identity-V")) {
			x.twoByte = true
		}
		if rePDFSkip.Match(dict) {
			continue
		}
		x.streams = append(x.streams, pdfStream{dict: dict, start: start, end: end, filters: filters})
	}
	// Fonts are usually plain dictionaries, not streams.
	if bytes.Contains(d, []byte("/Identity-H")) || bytes.Contains(d, []byte("/Identity-V")) {
		x.twoByte = true
	}
}

// matchDictStart finds the "<<" opening the dictionary whose ">>" ends at i.
func matchDictStart(d []byte, i int) int {
	depth := 0
	lo := max(0, i-(64<<10))
	for k := i; k > lo; k-- {
		if d[k] == '>' && d[k-1] == '>' {
			depth++
			k--
		} else if d[k] == '<' && d[k-1] == '<' {
			depth--
			k--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

// decode applies the filter chain under the byte and ratio budgets.
func (x *pdfExtractor) decode(s pdfStream) ([]byte, error) {
	b := x.data[s.start:s.end]
	for _, f := range s.filters {
		switch f {
		case "FlateDecode", "Fl":
			zr, err := zlib.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, unscannable(ReasonDecode, err)
			}
			limit := min(x.budget, int64(x.w.lim.MaxZipRatio)*int64(len(b))+(1<<20))
			out, err := io.ReadAll(io.LimitReader(newCtxReader(x.w.ctx, zr), limit+1))
			if int64(len(out)) > limit {
				if limit == x.budget {
					return nil, unscannable(ReasonSize, nil)
				}
				return nil, unscannable(ReasonZipBomb, nil)
			}
			if err != nil && len(out) == 0 {
				return nil, unscannable(ReasonDecode, err)
			}
			// A truncated deflate tail is common in real PDFs: keep what we got.
			b = out
		case "ASCIIHexDecode", "AHx":
			t := bytes.Map(func(r rune) rune {
				if r == '>' || isPDFSpace(byte(r)) {
					return -1
				}
				return r
			}, b)
			if len(t)%2 == 1 {
				t = append(t, '0')
			}
			out := make([]byte, len(t)/2)
			if _, err := hex.Decode(out, t); err != nil {
				return nil, unscannable(ReasonDecode, err)
			}
			b = out
		case "ASCII85Decode", "A85":
			t := bytes.TrimSpace(b)
			t = bytes.TrimPrefix(t, []byte("<~"))
			if k := bytes.Index(t, []byte("~>")); k >= 0 {
				t = t[:k]
			}
			out := make([]byte, 4*len(t)/5+4)
			n, _, err := ascii85.Decode(out, t, true)
			if err != nil {
				return nil, unscannable(ReasonDecode, err)
			}
			b = out[:n]
		default:
			return nil, unscannable(ReasonFormat, errors.New(f))
		}
	}
	x.budget -= int64(len(b))
	return b, nil
}

// next yields the text of the next content stream.
func (x *pdfExtractor) next(dst []byte) ([]byte, error) {
	for x.pos < len(x.streams) {
		if x.w.ctx.Err() != nil {
			return dst, x.w.ctx.Err()
		}
		s := x.streams[x.pos]
		x.pos++
		b, err := x.decode(s)
		if err != nil {
			var re *reasonError
			if errors.As(err, &re) && re.reason != ReasonDecode && re.reason != ReasonFormat {
				return dst, err // size or bomb: stop reading this PDF
			}
			x.w.fail(x.part, err)
			continue
		}
		if !bytes.Contains(b, []byte("BT")) || bytes.Contains(b, []byte("begincmap")) {
			continue
		}
		n := len(dst)
		dst = x.contentText(dst, b)
		if len(dst) > n {
			return append(dst, '\n'), nil
		}
	}
	return dst, io.EOF
}

// contentText runs a tiny content-stream lexer and appends the strings shown
// by text operators.
func (x *pdfExtractor) contentText(dst, s []byte) []byte {
	var strs [][]byte // string operands since the last operator
	var nums [][]byte
	var arr []byte // TJ array text
	inArray := false
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case isPDFSpace(c):
			i++
		case c == '%':
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
		case c == '(':
			str, n := pdfLiteral(s[i:])
			i += n
			if inArray {
				arr = x.appendShown(arr, str)
			} else {
				strs = append(strs, str)
			}
		case c == '<' && i+1 < len(s) && s[i+1] == '<':
			k := bytes.Index(s[i:], []byte(">>"))
			if k < 0 {
				return dst
			}
			i += k + 2
		case c == '<':
			k := bytes.IndexByte(s[i:], '>')
			if k < 0 {
				return dst
			}
			h := bytes.Map(func(r rune) rune {
				if isPDFSpace(byte(r)) {
					return -1
				}
				return r
			}, s[i+1:i+k])
			if len(h)%2 == 1 {
				h = append(h, '0')
			}
			str := make([]byte, len(h)/2)
			_, _ = hex.Decode(str, h)
			i += k + 1
			if inArray {
				arr = x.appendShown(arr, str)
			} else {
				strs = append(strs, str)
			}
		case c == '[':
			inArray = true
			arr = arr[:0]
			i++
		case c == ']':
			inArray = false
			i++
		case c == '/':
			i++
			for i < len(s) && !isPDFSpace(s[i]) && !bytes.ContainsRune([]byte("/[]()<>{}%"), rune(s[i])) {
				i++
			}
		case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
			k := i + 1
			for k < len(s) && (s[k] == '.' || (s[k] >= '0' && s[k] <= '9')) {
				k++
			}
			if inArray {
				// A large negative kerning in a TJ array is a word gap.
				if v, err := strconv.ParseFloat(string(s[i:k]), 64); err == nil && v < -200 {
					arr = append(arr, ' ')
				}
			} else {
				nums = append(nums, s[i:k])
			}
			i = k
		default:
			k := i
			for k < len(s) && !isPDFSpace(s[k]) && !bytes.ContainsRune([]byte("/[]()<>{}%"), rune(s[k])) {
				k++
			}
			if k == i {
				i++
				continue
			}
			op := string(s[i:k])
			i = k
			switch op {
			case "Tj":
				for _, str := range strs {
					dst = x.appendShown(dst, str)
				}
			case "'", "\"":
				dst = append(dst, '\n')
				for _, str := range strs {
					dst = x.appendShown(dst, str)
				}
			case "TJ":
				dst = append(dst, arr...)
				arr = arr[:0]
			case "T*", "ET":
				dst = append(dst, '\n')
			case "Td", "TD":
				if len(nums) >= 2 && !isZero(nums[len(nums)-1]) {
					dst = append(dst, '\n')
				}
			case "Tm":
				if len(nums) >= 6 {
					y := nums[len(nums)-1]
					if x.lastY != nil && !bytes.Equal(y, x.lastY) {
						dst = append(dst, '\n')
					}
					x.lastY = append(x.lastY[:0], y...)
				}
			case "BI":
				// Inline image data is binary: skip to EI.
				k := bytes.Index(s[i:], []byte("EI"))
				if k < 0 {
					return dst
				}
				i += k + 2
			}
			strs = strs[:0]
			nums = nums[:0]
		}
	}
	return dst
}

func isZero(n []byte) bool {
	v, err := strconv.ParseFloat(string(n), 64)
	return err == nil && v == 0
}

// appendShown converts a shown string to UTF-8.
func (x *pdfExtractor) appendShown(dst, str []byte) []byte {
	if x.twoByte && x.cmapOK && len(str)%2 == 0 {
		for k := 0; k+1 < len(str); k += 2 {
			code := uint16(str[k])<<8 | uint16(str[k+1])
			if u, ok := x.cmap[code]; ok {
				dst = append(dst, u...)
			}
		}
		return dst
	}
	for _, c := range str {
		if c < 0x80 {
			dst = append(dst, c)
			continue
		}
		dst = utf8.AppendRune(dst, charmap.Windows1252.DecodeByte(c))
	}
	return dst
}

// toUnicode merges the bfchar/bfrange entries of every ToUnicode CMap. If
// two CMaps map one code to different text, the merge is unreliable.
func (x *pdfExtractor) toUnicode() (map[uint16][]byte, bool) {
	m := map[uint16][]byte{}
	ok := true
	// A hostile bfrange asks for 65,536 entries per 20-byte line: cap the
	// work and give up (unscannable) rather than run past the timeout.
	const maxEntries = 1 << 20
	entries := 0
	put := func(code uint16, u []byte) {
		entries++
		if old, seen := m[code]; seen && !bytes.Equal(old, u) {
			ok = false
		}
		m[code] = u
	}
	found := false
	for _, s := range x.streams {
		b, err := x.decode(s)
		if err != nil || !bytes.Contains(b, []byte("begincmap")) {
			continue
		}
		found = true
		for _, sec := range sections(b, "beginbfchar", "endbfchar") {
			for _, m := range rePDFBfchar.FindAllSubmatch(sec, -1) {
				code, err1 := strconv.ParseUint(string(m[1]), 16, 16)
				if err1 == nil {
					put(uint16(code), utf16hex(m[2]))
				}
			}
		}
		for _, sec := range sections(b, "beginbfrange", "endbfrange") {
			for _, m := range rePDFBfrange.FindAllSubmatch(sec, -1) {
				lo, err1 := strconv.ParseUint(string(m[1]), 16, 16)
				hi, err2 := strconv.ParseUint(string(m[2]), 16, 16)
				dst, err3 := strconv.ParseUint(string(m[3]), 16, 32)
				if err1 != nil || err2 != nil || err3 != nil || hi < lo || hi-lo > 0xffff {
					continue
				}
				if entries+int(hi-lo+1) > maxEntries || x.w.ctx.Err() != nil {
					return nil, false
				}
				for c := lo; c <= hi; c++ {
					put(uint16(c), utf8.AppendRune(nil, rune(dst+c-lo)))
				}
			}
		}
	}
	x.budget = x.w.lim.MaxPartBytes // CMaps were decoded twice; don't charge them against the text
	return m, ok && found
}

func sections(b []byte, open, close string) [][]byte {
	var out [][]byte
	for {
		i := bytes.Index(b, []byte(open))
		if i < 0 {
			return out
		}
		b = b[i+len(open):]
		j := bytes.Index(b, []byte(close))
		if j < 0 {
			return append(out, b)
		}
		out = append(out, b[:j])
		b = b[j:]
	}
}

// utf16hex decodes a CMap destination (UTF-16BE hex) to UTF-8.
func utf16hex(h []byte) []byte {
	raw := make([]byte, len(h)/2)
	if _, err := hex.Decode(raw, h[:len(raw)*2]); err != nil {
		return nil
	}
	var out []byte
	for k := 0; k+1 < len(raw); k += 2 {
		r := rune(raw[k])<<8 | rune(raw[k+1])
		if r >= 0xD800 && r < 0xDC00 && k+3 < len(raw) {
			lo := rune(raw[k+2])<<8 | rune(raw[k+3])
			r = (r-0xD800)<<10 + (lo - 0xDC00) + 0x10000
			k += 2
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

// pdfLiteral parses a literal string at s[0]=='(' and returns its bytes and
// the length consumed (PDF 32000-1 §7.3.4.2).
func pdfLiteral(s []byte) ([]byte, int) {
	var out []byte
	depth := 0
	i := 0
	for i < len(s) {
		c := s[i]
		switch c {
		case '(':
			if depth > 0 {
				out = append(out, c)
			}
			depth++
			i++
		case ')':
			depth--
			i++
			if depth == 0 {
				return out, i
			}
			out = append(out, c)
		case '\\':
			i++
			if i >= len(s) {
				return out, i
			}
			e := s[i]
			switch e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b', 'f':
			case '\r':
				if i+1 < len(s) && s[i+1] == '\n' {
					i++
				}
			case '\n':
			default:
				if e >= '0' && e <= '7' {
					v := 0
					k := 0
					for k < 3 && i < len(s) && s[i] >= '0' && s[i] <= '7' {
						v = v*8 + int(s[i]-'0')
						i++
						k++
					}
					out = append(out, byte(v))
					continue
				}
				out = append(out, e)
			}
			i++
		default:
			out = append(out, c)
			i++
		}
	}
	return out, i
}
