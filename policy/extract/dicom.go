package extract

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// DICOM (PS3.10 files: a 128-byte preamble, "DICM", the file meta group,
// then the data set). The patient and study text fields are handed to the
// detectors with a label that says what they are ("patient name: ...",
// "MRN: ...", "DOB: 09/17/1962"), as the HL7 reader does; other text
// elements (private tags, comments, report text) follow unlabelled. The
// walk stops at the pixel data, which is never loaded. No DICOM module is
// available on the module proxy, so the reader is written from PS3.5:
// explicit and implicit VR little endian, explicit big endian and the
// deflated transfer syntax. Sequences are read flat: items and delimiters
// are stepped into, so fields inside sequences are read too.

type dicomTag uint32

func tag(g, e uint16) dicomTag { return dicomTag(uint32(g)<<16 | uint32(e)) }

func (t dicomTag) group() uint16 { return uint16(t >> 16) }

// dicomField is what the reader knows about a tag: its VR (for implicit
// VR data sets) and the label put in front of its value.
type dicomField struct {
	vr    string
	label string
}

var dicomFields = map[dicomTag]dicomField{
	tag(0x0008, 0x0005): {"CS", ""}, // Specific Character Set (read, not emitted)
	tag(0x0008, 0x0050): {"SH", "accession number"},
	tag(0x0008, 0x0080): {"LO", "institution"},
	tag(0x0008, 0x0081): {"ST", "institution address"},
	tag(0x0008, 0x0090): {"PN", "referring physician"},
	tag(0x0008, 0x0092): {"ST", "referring physician address"},
	tag(0x0008, 0x0094): {"SH", "referring physician phone"},
	tag(0x0008, 0x1030): {"LO", "study description"},
	tag(0x0008, 0x103e): {"LO", "series description"},
	tag(0x0008, 0x1040): {"LO", "department"},
	tag(0x0008, 0x1048): {"PN", "physician of record"},
	tag(0x0008, 0x1050): {"PN", "performing physician"},
	tag(0x0008, 0x1060): {"PN", "reading physician"},
	tag(0x0008, 0x1070): {"PN", "operator"},
	tag(0x0008, 0x1080): {"LO", "admitting diagnosis"},
	tag(0x0008, 0x1110): {"SQ", ""},
	tag(0x0008, 0x1120): {"SQ", ""},
	tag(0x0008, 0x1032): {"SQ", ""},
	tag(0x0010, 0x0010): {"PN", "patient name"},
	tag(0x0010, 0x0020): {"LO", "MRN"},
	tag(0x0010, 0x0021): {"LO", "issuer of patient ID"},
	tag(0x0010, 0x0030): {"DA", "DOB"},
	tag(0x0010, 0x1000): {"LO", "MRN"}, // Other Patient IDs
	tag(0x0010, 0x1001): {"PN", "patient name"},
	tag(0x0010, 0x1002): {"SQ", ""}, // Other Patient IDs Sequence
	tag(0x0010, 0x1005): {"PN", "patient birth name"},
	tag(0x0010, 0x1010): {"AS", "patient age"},
	tag(0x0010, 0x1040): {"LO", "patient address"},
	tag(0x0010, 0x1050): {"LO", "member ID"}, // Insurance Plan Identification (retired)
	tag(0x0010, 0x1060): {"PN", "mother's birth name"},
	tag(0x0010, 0x1090): {"LO", "MRN"}, // Medical Record Locator
	tag(0x0010, 0x2000): {"LO", "medical alerts"},
	tag(0x0010, 0x2110): {"LO", "allergies"},
	tag(0x0010, 0x2154): {"SH", "patient phone"},
	tag(0x0010, 0x21b0): {"LT", "patient history"},
	tag(0x0010, 0x4000): {"LT", "patient comments"},
	tag(0x0020, 0x0010): {"SH", "study ID"},
	tag(0x0020, 0x4000): {"LT", "image comments"},
	tag(0x0032, 0x1032): {"PN", "requesting physician"},
	tag(0x0032, 0x1060): {"LO", "requested procedure"},
	tag(0x0032, 0x4000): {"LT", "study comments"},
	tag(0x0038, 0x0010): {"LO", "admission ID"},
	tag(0x0040, 0x0254): {"LO", "performed procedure"},
	tag(0x0040, 0x0275): {"SQ", ""},
	tag(0x0040, 0x1001): {"SH", "requested procedure ID"},
	tag(0x0040, 0xa043): {"SQ", ""},
	tag(0x0040, 0xa123): {"PN", "person name"},
	tag(0x0040, 0xa160): {"UT", ""}, // Text Value of structured reports
	tag(0x0040, 0xa730): {"SQ", ""},
}

// Text VRs whose values are scanned. UI (UIDs), CS, dates and times of
// unlabelled tags, and numbers are not: they are machine values whose
// digits would only be noise to the detectors.
func dicomTextVR(vr string) bool {
	switch vr {
	case "LO", "LT", "PN", "SH", "ST", "UC", "UT", "AE", "AS":
		return true
	}
	return false
}

// dicomLongLength lists the explicit VRs with a 4-byte length.
func dicomLongLength(vr string) bool {
	switch vr {
	case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
		return true
	}
	return false
}

const dicomUndefined = 0xffffffff

var errDICOM = errors.New("dicom: malformed")

type dicomReader struct {
	r        *bufio.Reader
	order    binary.ByteOrder
	explicit bool
	enc      encoding.Encoding // from Specific Character Set; nil = ASCII/UTF-8
	charset  bool              // a character set we cannot decode was named
	out      bytes.Buffer
	max      int64
	over     bool
}

// dicom reads a DICOM file (with or without the PS3.10 preamble) and emits
// its labelled text fields as one text part.
func (w *walker) dicom(r io.Reader, p *Part) {
	lr := &io.LimitedReader{R: r, N: w.lim.MaxPartBytes}
	br := bufio.NewReaderSize(lr, 32<<10)
	d := &dicomReader{r: br, order: binary.LittleEndian, explicit: true, max: w.lim.MaxPartBytes}
	head, _ := br.Peek(132)
	ts := ""
	if isDICOM(head) {
		_, _ = br.Discard(132)
	}
	if looksExplicit(d.peekN(6)) {
		// File meta group: always explicit VR little endian.
		for {
			b := d.peekN(2)
			if len(b) < 2 || binary.LittleEndian.Uint16(b) != 0x0002 {
				break
			}
			t, _, n, err := d.header()
			if err != nil || n == dicomUndefined {
				w.flag(p.Index, ReasonDecode)
				return
			}
			v, err := d.value(n)
			if err != nil {
				w.flag(p.Index, ReasonDecode)
				return
			}
			if t == tag(0x0002, 0x0010) {
				ts = strings.TrimRight(string(v), "\x00 ")
			}
		}
	}
	switch ts {
	case "":
		// No meta group (a bare data set): explicit if the first element
		// carries a VR, else implicit.
		d.explicit = looksExplicit(d.peekN(6))
	case "1.2.840.10008.1.2":
		d.explicit = false
	case "1.2.840.10008.1.2.2":
		d.order = binary.BigEndian
	case "1.2.840.10008.1.2.1.99":
		in := &countingReader{r: br}
		rr := &ratioReader{out: flate.NewReader(in), in: in, ratio: int64(w.lim.MaxZipRatio), floor: 1 << 20, max: w.lim.MaxPartBytes}
		d.r = bufio.NewReaderSize(rr, 32<<10)
	}
	err := d.dataset()
	if d.out.Len() > 0 {
		w.emit(p, bytes.NewReader(d.out.Bytes()))
	}
	switch {
	case w.err != nil || w.stop:
	case d.over:
		w.flag(p.Index, ReasonSize)
	case err != nil:
		var re *reasonError
		if errors.As(err, &re) {
			w.flag(p.Index, re.reason)
		} else if lr.N == 0 {
			w.flag(p.Index, ReasonSize)
		} else {
			w.flag(p.Index, ReasonDecode)
		}
	}
	if d.charset {
		w.flag(p.Index, ReasonCharset)
	}
}

// looksExplicit: bytes 4-5 of an element are two upper-case letters (a VR).
func looksExplicit(b []byte) bool {
	return len(b) >= 6 && b[4] >= 'A' && b[4] <= 'Z' && b[5] >= 'A' && b[5] <= 'Z'
}

func (d *dicomReader) peekN(n int) []byte {
	b, _ := d.r.Peek(n)
	return b
}

// header reads one element header: tag, VR ("" for items and implicit VR
// with an unknown tag) and length.
func (d *dicomReader) header() (dicomTag, string, uint32, error) {
	var b [8]byte
	if _, err := io.ReadFull(d.r, b[:4]); err != nil {
		return 0, "", 0, err
	}
	t := tag(d.order.Uint16(b[0:]), d.order.Uint16(b[2:]))
	if t.group() == 0xfffe || !d.explicit && t.group() != 0x0002 {
		if _, err := io.ReadFull(d.r, b[4:8]); err != nil {
			return 0, "", 0, errDICOM
		}
		vr := ""
		if f, ok := dicomFields[t]; ok {
			vr = f.vr
		}
		return t, vr, d.order.Uint32(b[4:]), nil
	}
	if _, err := io.ReadFull(d.r, b[4:8]); err != nil {
		return 0, "", 0, errDICOM
	}
	vr := string(b[4:6])
	order := d.order
	if t.group() == 0x0002 {
		order = binary.LittleEndian
	}
	if dicomLongLength(vr) {
		var l [4]byte
		if _, err := io.ReadFull(d.r, l[:]); err != nil {
			return 0, "", 0, errDICOM
		}
		return t, vr, order.Uint32(l[:]), nil
	}
	return t, vr, uint32(order.Uint16(b[6:])), nil
}

// value reads n bytes of a value the reader keeps (bounded by the part budget).
func (d *dicomReader) value(n uint32) ([]byte, error) {
	if int64(n) > d.max {
		return nil, unscannable(ReasonSize, nil)
	}
	v := make([]byte, n)
	if _, err := io.ReadFull(d.r, v); err != nil {
		return nil, errDICOM
	}
	return v, nil
}

// dataset reads elements until the end or the pixel data.
func (d *dicomReader) dataset() error {
	for {
		t, vr, n, err := d.header()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errDICOM
		}
		if t.group() == 0x7fe0 || t == tag(0xfffc, 0xfffc) {
			return nil // pixel data (or trailing padding): no text beyond
		}
		if t.group() == 0xfffe {
			continue // item or delimiter: step into the item
		}
		if vr == "SQ" || n == dicomUndefined {
			continue // a sequence: its items follow inline
		}
		f, known := dicomFields[t]
		if vr == "" {
			// Implicit VR, tag unknown: a defined-length sequence starts
			// with an item tag; anything else is judged by its bytes.
			if b := d.peekN(4); len(b) == 4 && n >= 8 && tag(d.order.Uint16(b), d.order.Uint16(b[2:])) == tag(0xfffe, 0xe000) {
				continue
			}
			if t.group()&1 == 1 && n <= 4096 { // private tag: read it if it is text
				v, err := d.value(n)
				if err != nil {
					return err
				}
				if looksText(v) {
					d.add("", "LO", v)
				}
				continue
			}
		}
		if t == tag(0x0008, 0x0005) {
			v, err := d.value(n)
			if err != nil {
				return err
			}
			d.setCharset(string(v))
			continue
		}
		wanted := dicomTextVR(vr) || known && f.label != "" && vr == "DA"
		if !wanted {
			if _, err := d.r.Discard(int(n)); err != nil {
				return errDICOM
			}
			continue
		}
		v, err := d.value(n)
		if err != nil {
			return err
		}
		d.add(f.label, vr, v)
	}
}

// add appends one labelled value line to the text.
func (d *dicomReader) add(label, vr string, v []byte) {
	v = bytes.TrimRight(v, "\x00 ")
	if len(bytes.TrimSpace(v)) == 0 {
		return
	}
	s := d.decode(v)
	switch vr {
	case "PN":
		s = personNames(s)
	case "DA":
		s = dicomDate(s)
	}
	if int64(d.out.Len()+len(label)+len(s)+3) > d.max {
		d.over = true
		return
	}
	if label != "" {
		d.out.WriteString(label)
		d.out.WriteString(": ")
	}
	d.out.WriteString(strings.ReplaceAll(s, "\\", "; ")) // value multiplicity
	d.out.WriteByte('\n')
}

func (d *dicomReader) decode(v []byte) string {
	if d.enc == nil || isASCII(v) {
		return string(v)
	}
	s, err := d.enc.NewDecoder().Bytes(v)
	if err != nil {
		return string(v)
	}
	return string(s)
}

// setCharset maps the first Specific Character Set term to a decoder.
func (d *dicomReader) setCharset(v string) {
	term := strings.TrimSpace(strings.SplitN(strings.TrimRight(v, "\x00 "), "\\", 2)[0])
	// The ISO 2022 form of a term names the same single-byte set.
	term = strings.Replace(term, "ISO 2022 IR ", "ISO_IR ", 1)
	switch enc, ok := dicomCharsets[term]; {
	case term == "" || term == "ISO_IR 6" || term == "ISO_IR 192":
		d.enc = nil // ASCII, UTF-8
	case ok:
		d.enc = enc
	default:
		// Japanese, Korean, Chinese, Thai: ASCII digits still read as is.
		d.enc = nil
		d.charset = true
	}
}

// dicomCharsets maps DICOM's single-byte Specific Character Set terms.
var dicomCharsets = map[string]*charmap.Charmap{
	"ISO_IR 100": charmap.ISO8859_1, "ISO_IR 101": charmap.ISO8859_2, "ISO_IR 109": charmap.ISO8859_3,
	"ISO_IR 110": charmap.ISO8859_4, "ISO_IR 144": charmap.ISO8859_5, "ISO_IR 127": charmap.ISO8859_6,
	"ISO_IR 126": charmap.ISO8859_7, "ISO_IR 138": charmap.ISO8859_8, "ISO_IR 148": charmap.ISO8859_9,
	"ISO_IR 203": charmap.ISO8859_15,
}

// personNames turns DICOM PN values ("Family^Given^Middle^Prefix^Suffix",
// with "=" before ideographic and phonetic forms) into "Prefix Given
// Middle Family Suffix".
func personNames(s string) string {
	var out []string
	for _, one := range strings.Split(s, "\\") {
		var forms []string
		for _, form := range strings.Split(one, "=") {
			c := strings.Split(form, "^")
			for len(c) < 5 {
				c = append(c, "")
			}
			var words []string
			for _, x := range []string{c[3], c[1], c[2], c[0], c[4]} {
				if x = strings.TrimSpace(x); x != "" {
					words = append(words, x)
				}
			}
			if len(words) > 0 {
				forms = append(forms, strings.Join(words, " "))
			}
		}
		out = append(out, strings.Join(forms, " = "))
	}
	return strings.Join(out, "\\")
}

// dicomDate writes YYYYMMDD as MM/DD/YYYY, the way US staff write dates.
func dicomDate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 8 && strings.Trim(s, "0123456789") == "" {
		return s[4:6] + "/" + s[6:8] + "/" + s[0:4]
	}
	return s
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
