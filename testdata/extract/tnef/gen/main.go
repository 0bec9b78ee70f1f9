// Command gen writes the TNEF fixtures of this directory. No tool on Debian
// writes TNEF (tnef, ytnef and Convert::TNEF only read it), so the streams
// are built here by the letter of MS-OXTNEF and MS-OXRTFCP (real LZFu
// compression, not the "MELA" uncompressed form), and then checked with the
// independent readers: `tnef -t`, `tnef --save-body` and Convert::TNEF (see
// README.md). Run from this directory: go run ./gen
package main

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"log"
	"os"
	"unicode/utf16"
)

const (
	lvlMessage    = 1
	lvlAttachment = 2
)

type stream struct{ bytes.Buffer }

func newStream() *stream {
	s := &stream{}
	binary.Write(s, binary.LittleEndian, uint32(0x223e9f78))
	binary.Write(s, binary.LittleEndian, uint16(0x0001)) // legacy key
	return s
}

func (s *stream) attr(level byte, id uint32, data []byte) {
	s.WriteByte(level)
	binary.Write(s, binary.LittleEndian, id)
	binary.Write(s, binary.LittleEndian, uint32(len(data)))
	s.Write(data)
	var sum uint16
	for _, c := range data {
		sum += uint16(c)
	}
	binary.Write(s, binary.LittleEndian, sum)
}

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// props encodes a MAPI property list.
type props struct {
	n int
	b bytes.Buffer
}

func (p *props) head(typ, id uint16) {
	p.n++
	binary.Write(&p.b, binary.LittleEndian, typ)
	binary.Write(&p.b, binary.LittleEndian, id)
}

func (p *props) long(id uint16, v uint32) {
	p.head(0x0003, id)
	binary.Write(&p.b, binary.LittleEndian, v)
}

func (p *props) counted(typ, id uint16, v []byte) {
	p.head(typ, id)
	binary.Write(&p.b, binary.LittleEndian, uint32(1))
	binary.Write(&p.b, binary.LittleEndian, uint32(len(v)))
	p.b.Write(v)
	for i := len(v); i%4 != 0; i++ {
		p.b.WriteByte(0)
	}
}

func (p *props) string8(id uint16, s string) { p.counted(0x001e, id, append([]byte(s), 0)) }
func (p *props) unicode(id uint16, s string) { p.counted(0x001f, id, utf16le(s+"\x00")) }
func (p *props) binary(id uint16, v []byte)  { p.counted(0x0102, id, v) }
func (p *props) object(id uint16, v []byte)  { p.counted(0x000d, id, v) }

func (p *props) bytes() []byte { return append(u32(uint32(p.n)), p.b.Bytes()...) }

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

const prebuf = "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman " +
	"\\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier" +
	"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"

// compressRTF is a greedy LZFu compressor (MS-OXRTFCP 2.2.3.1).
func compressRTF(raw []byte) []byte {
	var dict [4096]byte
	copy(dict[:], prebuf)
	wp := len(prebuf)
	var out, group []byte
	var ctl byte
	bit := 0
	flush := func() {
		out = append(out, ctl)
		out = append(out, group...)
		ctl, bit, group = 0, 0, group[:0]
	}
	for i := 0; i <= len(raw); {
		if bit == 8 {
			flush()
		}
		if i == len(raw) { // end marker: a reference to the write position
			ctl |= 1 << bit
			group = append(group, byte(wp>>4), byte(wp<<4))
			bit++
			break
		}
		best, bestOff := 0, 0
		for o := 0; o < 4096; o++ {
			if o == wp {
				continue
			}
			k := 0
			for ; k < 17 && i+k < len(raw); k++ {
				s := (o + k) & 4095
				v := dict[s]
				if d := (s - wp) & 4095; d < k {
					v = raw[i+d] // written earlier in this same match
				}
				if v != raw[i+k] {
					break
				}
			}
			if k > best {
				best, bestOff = k, o
			}
		}
		if best >= 2 {
			ctl |= 1 << bit
			ref := bestOff<<4 | (best - 2)
			group = append(group, byte(ref>>8), byte(ref))
			for k := 0; k < best; k++ {
				dict[wp] = raw[i+k]
				wp = (wp + 1) & 4095
			}
			i += best
		} else {
			group = append(group, raw[i])
			dict[wp] = raw[i]
			wp = (wp + 1) & 4095
			i++
		}
		bit++
	}
	flush()
	crc := ^crc32.Update(0xffffffff, crc32.IEEETable, out)
	var h []byte
	h = binary.LittleEndian.AppendUint32(h, uint32(len(out)+12))
	h = binary.LittleEndian.AppendUint32(h, uint32(len(raw)))
	h = binary.LittleEndian.AppendUint32(h, 0x75465a4c)
	h = binary.LittleEndian.AppendUint32(h, crc)
	return append(h, out...)
}

func renddata() []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint16(b, 1) // file
	b = binary.LittleEndian.AppendUint32(b, 0xffffffff)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	return b
}

func attach(s *stream, title, longName, mime string, data []byte) {
	s.attr(lvlAttachment, 0x00069002, renddata())
	s.attr(lvlAttachment, 0x00018010, append([]byte(title), 0))
	s.attr(lvlAttachment, 0x0006800f, data)
	var p props
	p.long(0x3705, 1) // PR_ATTACH_METHOD: by value
	p.unicode(0x3707, longName)
	p.string8(0x3704, title)
	if mime != "" {
		p.string8(0x370e, mime)
	}
	s.attr(lvlAttachment, 0x00069005, p.bytes())
}

func must(b []byte, err error) []byte {
	if err != nil {
		log.Fatal(err)
	}
	return b
}

const rtfBody = `{\rtf1\ansi\ansicpg1252\fromtext \fbidis \deff0{\fonttbl
{\f0\fswiss Arial;}
{\f1\fmodern Courier New;}}
{\colortbl\red0\green0\blue0;\red0\green0\blue255;}
\uc1\pard\plain\deftab360 \f0\fs20 Dr. Okafor,\par
\par
Please see the attached referral for our patient Jane Q Testcase, MRN 4471902, DOB 04/26/1946.\par
Her SSN on the claim was wrong; the correct one is 512-48-{\b 3901}.\par
Diagnosis: metastatic melanoma.\par
\par
Thanks, J\'fcrgen M\u252?ller, billing\par
}`

func main() {
	log.SetFlags(0)
	// rtf.dat: an Outlook "Rich Text" message: the body only as
	// PR_RTF_COMPRESSED, two attachments (a LibreOffice .docx and a CSV).
	s := newStream()
	s.attr(lvlMessage, 0x00089006, u32(0x00010000)) // attTnefVersion
	s.attr(lvlMessage, 0x00069007, append(u32(1252), u32(0)...))
	s.attr(lvlMessage, 0x00078008, []byte("IPM.Microsoft Mail.Note\x00"))
	s.attr(lvlMessage, 0x00018004, []byte("Referral\x00"))
	var p props
	p.string8(0x0037, "Referral")
	p.binary(0x1009, compressRTF([]byte(rtfBody)))
	p.long(0x0e07, 0) // PR_MESSAGE_FLAGS
	s.attr(lvlMessage, 0x00069003, p.bytes())
	attach(s, "REFERR~1.DOC", "referral.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", must(os.ReadFile("referral.docx")))
	attach(s, "Labs_Testcase_SSN_512-48-3901.csv", "Labs_Testcase_SSN_512-48-3901.csv", "", []byte("Patient,MRN,Test,Result\r\nJane Q Testcase,4471902,HbA1c,9.1 %\r\n"))
	if err := os.WriteFile("rtf.dat", s.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}

	// html.dat: an Exchange message in HTML: PR_BODY (PT_UNICODE) and
	// PR_HTML (binary), and one plain-text attachment.
	s = newStream()
	s.attr(lvlMessage, 0x00089006, u32(0x00010000))
	s.attr(lvlMessage, 0x00069007, append(u32(1252), u32(0)...))
	s.attr(lvlMessage, 0x00078008, []byte("IPM.Note\x00"))
	p = props{}
	p.unicode(0x0037, "Lab results")
	p.unicode(0x1000, "Lab results for Jane Q Testcase, MRN 4471902, DOB 04/26/1946. SSN 512-48-3901.")
	p.binary(0x1013, []byte("<html><body><p>Lab results for <b>Jane Q Testcase</b>, MRN 4471902, DOB 04/26/1946. SSN 512-48-<span>3901</span>.</p></body></html>"))
	s.attr(lvlMessage, 0x00069003, p.bytes())
	attach(s, "notes.txt", "notes.txt", "text/plain", []byte("Follow-up for MRN 4471902 in two weeks.\r\n"))
	if err := os.WriteFile("html.dat", s.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	html := s.Bytes()

	// embedded.dat: a message forwarded as an attachment (Outlook's
	// "Forward as attachment"): PR_ATTACH_METHOD 5, the message itself a
	// TNEF stream inside PR_ATTACH_DATA_OBJ (PT_OBJECT, after IID_IMessage).
	s = newStream()
	s.attr(lvlMessage, 0x00089006, u32(0x00010000))
	s.attr(lvlMessage, 0x00069007, append(u32(1252), u32(0)...))
	s.attr(lvlMessage, 0x00078008, []byte("IPM.Note\x00"))
	p = props{}
	p.string8(0x1000, "Forwarding the lab message below.")
	s.attr(lvlMessage, 0x00069003, p.bytes())
	s.attr(lvlAttachment, 0x00069002, renddata())
	s.attr(lvlAttachment, 0x00018010, []byte("Lab results\x00"))
	p = props{}
	p.long(0x3705, 5) // ATTACH_EMBEDDED_MSG
	p.string8(0x3001, "Lab results")
	iid := []byte{0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46} // IID_IMessage
	p.object(0x3701, append(iid, html...))
	s.attr(lvlAttachment, 0x00069005, p.bytes())
	if err := os.WriteFile("embedded.dat", s.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
