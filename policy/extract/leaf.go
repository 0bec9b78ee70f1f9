package extract

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/transform"
)

type format int

const (
	fmtNone      format = iota // no text: images, audio, unknown binaries
	fmtText                    // text as is: text/*, CSV, RTF, ...
	fmtHTML                    // rendered to visible text
	fmtXML                     // text nodes and attribute values
	fmtJSON                    // keys, strings and numbers (FHIR JSON included)
	fmtHL7                     // HL7 v2 ER7: separators become spaces
	fmtPDF                     // text operators of content streams
	fmtZip                     // archive members, or OOXML document text
	fmtGzip                    // one member, decompressed
	fmtOLE                     // legacy office container: encrypted or unreadable
	fmtMessage                 // an attached .eml
	fmtEncrypted               // S/MIME, PGP
	fmtFormat                  // recognised but unreadable (rar, 7z, ...), or an unknown binary
	fmtTNEF                    // application/ms-tnef (winmail.dat): body and attachments
	fmtDICOM                   // DICOM: patient and study text fields, up to the pixel data
	fmtRTF                     // RTF: visible text, control words dropped
)

const (
	magicPDF  = "%PDF-"
	magicZip  = "PK\x03\x04"
	magicZipE = "PK\x05\x06"
	magicOLE  = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"
	magicGzip = "\x1f\x8b"
	magicPGP  = "-----BEGIN PGP MESSAGE-----"
)

// classify decides how to read a leaf from its declared type, its name and
// its first bytes. Content wins over labels: a PDF called image/png is read
// as a PDF, because a label costs an attacker nothing.
func classify(mt string, params map[string]string, filename string, head []byte) format {
	ext := strings.ToLower(path.Ext(filename))
	switch mt {
	case "application/pkcs7-mime", "application/x-pkcs7-mime", "application/pgp-encrypted",
		"application/pgp", "application/x-pgp-encrypted":
		return fmtEncrypted
	}
	if ext == ".p7m" || ext == ".pgp" || ext == ".gpg" {
		return fmtEncrypted
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	trimmed = bytes.TrimPrefix(trimmed, []byte("\xef\xbb\xbf"))
	switch {
	case bytes.HasPrefix(trimmed, []byte(magicPGP)):
		return fmtEncrypted
	case bytes.Contains(head, []byte(magicPDF)):
		return fmtPDF
	case bytes.HasPrefix(head, []byte(magicZip)), bytes.HasPrefix(head, []byte(magicZipE)):
		return fmtZip
	case bytes.HasPrefix(head, []byte(magicOLE)):
		return fmtOLE
	case bytes.HasPrefix(head, []byte(magicGzip)):
		return fmtGzip
	case bytes.HasPrefix(head, []byte(magicTNEF)):
		return fmtTNEF
	case isDICOM(head):
		return fmtDICOM
	case bytes.HasPrefix(head, []byte("Rar!\x1a\x07")),
		bytes.HasPrefix(head, []byte("7z\xbc\xaf\x27\x1c")),
		bytes.HasPrefix(head, []byte("BZh")) && len(head) > 4 && head[3] >= '1' && head[3] <= '9' && !looksText(head),
		bytes.HasPrefix(head, []byte("\xfd7zXZ\x00")),
		len(head) > 262 && bytes.Equal(head[257:262], []byte("ustar")):
		return fmtFormat
	case bytes.HasPrefix(trimmed, []byte("MSH|")):
		return fmtHL7
	case bytes.HasPrefix(trimmed, []byte(`{\rtf`)):
		// Read as RTF, not as text: Word splits numbers across runs
		// ("512-48-{\b 3901}") and writes accents as \'fc.
		return fmtRTF
	}
	switch {
	case strings.Contains(mt, "hl7") || ext == ".hl7":
		return fmtHL7
	case mt == "text/html" || mt == "application/xhtml+xml" || ext == ".html" || ext == ".htm":
		return fmtHTML
	case mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json") || ext == ".json":
		return fmtJSON
	case mt == "text/xml" || mt == "application/xml" || strings.HasSuffix(mt, "+xml") || ext == ".xml":
		return fmtXML
	case mt == "message/rfc822" || ext == ".eml":
		return fmtMessage
	case strings.HasPrefix(mt, "text/"):
		return fmtText
	case mt == "application/ms-tnef" || mt == "application/vnd.ms-tnef" || strings.EqualFold(path.Base(filename), "winmail.dat"):
		// Declared TNEF without its signature: not something we can read.
		if len(head) > 0 {
			return fmtFormat
		}
	case mt == "application/dicom" || ext == ".dcm":
		// A DICOM data set without the Part 10 preamble: read it raw.
		if len(head) > 0 && !looksText(head) {
			return fmtDICOM
		}
	case (strings.HasPrefix(mt, "image/") || strings.HasPrefix(mt, "audio/") ||
		strings.HasPrefix(mt, "video/") || strings.HasPrefix(mt, "font/")) && !looksText(head):
		// A label is the sender's word: only bytes that are media are
		// skipped. A CSV labelled image/png is read as text; bytes that are
		// neither media nor text are unscannable.
		if isMedia(head) || len(head) == 0 {
			return fmtNone
		}
		return fmtFormat
	}
	switch ext {
	case ".txt", ".csv", ".tsv", ".log", ".rtf", ".ics", ".vcf", ".md", ".ini", ".sql":
		if looksText(head) || len(head) == 0 {
			return fmtText
		}
	}
	// application/octet-stream and the rest: sniff.
	if hasPrefixFold(trimmed, "<!doctype html") || hasPrefixFold(trimmed, "<html") {
		return fmtHTML
	}
	if bytes.HasPrefix(trimmed, []byte("<?xml")) {
		return fmtXML
	}
	if looksText(head) {
		return fmtText
	}
	// Unknown bytes: nothing to read only if empty, a detached signature
	// or certificate, or real media; anything else could hold PHI we
	// cannot see, so it is unscannable.
	if len(head) == 0 || noTextType(mt) || isMedia(head) {
		return fmtNone
	}
	return fmtFormat
}

func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && strings.EqualFold(string(b[:len(p)]), p)
}

// looksText: no NUL and mostly valid UTF-8 (or 8-bit text) in the first bytes.
func looksText(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	ctl := 0
	for _, c := range head {
		if c == 0 {
			return false
		}
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' {
			ctl++
		}
	}
	if ctl*10 > len(head) {
		return false
	}
	// Allow a multibyte rune cut at the end of the sample.
	h := head
	for i := 0; i < 3 && len(h) > 0 && !utf8.Valid(h); i++ {
		h = h[:len(h)-1]
	}
	return utf8.Valid(h) || ctl == 0
}

// leaf extracts text from one non-multipart entity or archive member.
func (w *walker) leaf(body io.Reader, h hints, idx, depth int) {
	counted := &countingReader{r: body}
	body = counted
	defer func() {
		// Every attachment is listed once, whether it gave text or not (a
		// picture, an executable, an encrypted file), so attachment rules
		// (name, type, size) see them all.
		if h.kind != KindAttachment || w.err != nil || w.stop {
			return
		}
		size := h.size
		if size < 0 {
			_, _ = io.Copy(io.Discard, io.LimitReader(newCtxReader(w.ctx, body), w.lim.MaxPartBytes))
			size = counted.n
		}
		w.res.Attachments = append(w.res.Attachments, Attachment{Index: idx, Filename: h.filename, ContentType: h.mediaType, Size: size})
	}()
	rec := &errRecorder{r: newCtxReader(w.ctx, body)}
	br := bufio.NewReaderSize(rec, 32<<10)
	head, _ := br.Peek(1024)
	w.filename(h, idx, depth)
	if w.halted(idx) {
		return
	}
	utf16 := false
	if enc, ok := utf16Order(head); ok {
		// UTF-16 without a charset the MIME layer understood (Notepad's
		// "Unicode"): decode first, then classify the text.
		br = bufio.NewReaderSize(transform.NewReader(&crlfUndo{r: br}, enc.NewDecoder()), 32<<10)
		utf16 = true
		head, _ = br.Peek(1024)
	}
	f := classify(h.mediaType, h.params, h.filename, head)
	part := &Part{Index: idx, Kind: h.kind, ContentType: h.mediaType, Filename: h.filename, Size: h.size, Depth: depth}
	switch f {
	case fmtNone:
		// No text to scan, unless OCR is on and this is a raster image a
		// person could read; otherwise reading on would only cost time.
		if kind := imageKind(head); kind != "" {
			if w.lim.OCR.Enabled {
				w.ocrImage(br, part, kind)
				break
			}
			w.res.NotRead = append(w.res.NotRead, Unscannable{Part: idx, Reason: NotReadImage})
		}
		return
	case fmtEncrypted:
		w.flag(idx, ReasonEncrypted)
		return
	case fmtFormat:
		w.flag(idx, ReasonFormat)
		return
	case fmtText:
		_, declared := h.params["charset"]
		text := latin1Fallback(br, head, declared || utf16)
		switch {
		case isCSV(h.mediaType, h.filename) || (h.kind == KindAttachment && looksDelimited(head)):
			text = csvText(text) // column headers label the cells below them
		case bytes.Contains(head, []byte("\nMSH|")) || bytes.Contains(head, []byte("\nPID|")) ||
			bytes.Contains(head, []byte("H|\\^&")):
			// An HL7 message pasted into a mail ("here's the message that is
			// failing") or an instrument's ASTM trace (its header record declares
			// the delimiters "|\^&"): the patient fields get their labels as in
			// an .hl7 file.
			text = hl7Text(text)
		case h.kind == KindBody:
			text = bodyTables(unquote(text)) // "> " reply markers cut wrapped terms
		default:
			text = bodyTables(text)
		}
		w.emit(part, text)
	case fmtHTML:
		w.emit(part, htmlText(br, w.lim.MaxPartBytes))
	case fmtXML:
		w.emit(part, xmlText(br))
	case fmtJSON:
		w.emit(part, jsonText(br))
	case fmtHL7:
		w.emit(part, hl7Text(br))
	case fmtMessage:
		w.message(br, depth+1)
	case fmtPDF:
		w.pdf(br, part)
	case fmtZip:
		w.zipPart(br, part)
	case fmtOLE:
		w.ole(br, part)
	case fmtGzip:
		w.gzip(br, part)
	case fmtTNEF:
		w.tnef(br, part)
	case fmtDICOM:
		w.dicom(br, part)
	case fmtRTF:
		w.emit(part, rtfText(br, nil))
	}
	if w.err == nil && !w.stop {
		w.fail(idx, rec.err)
	}
}

// gzip decompresses one member under the ratio cap and reads it as a leaf.
func (w *walker) gzip(r io.Reader, p *Part) {
	if p.Depth+1 > w.lim.MaxDepth {
		w.flag(p.Index, ReasonDepth)
		return
	}
	in := &countingReader{r: r}
	zr, err := gzip.NewReader(in)
	if err != nil {
		w.fail(p.Index, err)
		return
	}
	zr.Multistream(false)
	name := strings.TrimSuffix(p.Filename, path.Ext(p.Filename))
	if zr.Name != "" {
		name = zr.Name
	}
	out := &ratioReader{out: zr, in: in, ratio: int64(w.lim.MaxZipRatio), floor: 1 << 20, max: w.lim.MaxPartBytes}
	idx, ok := w.newPart()
	if !ok {
		return
	}
	// A name taken from the outer file was scanned with it; only the name
	// stored in the gzip header is new.
	w.leaf(out, hints{mediaType: mediaTypeByName(name), filename: name, nameSeen: zr.Name == "", kind: KindAttachment, size: -1}, idx, p.Depth+1)
}

// mediaTypeByName guesses an archive member's type from its name; content
// sniffing in classify has the last word.
func mediaTypeByName(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".txt", ".log", ".md":
		return "text/plain"
	case ".csv":
		return "text/csv"
	case ".html", ".htm":
		return "text/html"
	case ".xml":
		return "application/xml"
	case ".json":
		return "application/json"
	case ".hl7":
		return "x-application/hl7-v2+er7"
	case ".pdf":
		return "application/pdf"
	case ".zip":
		return "application/zip"
	case ".docx":
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".pptx":
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	case ".eml":
		return "message/rfc822"
	case ".dcm":
		return "application/dicom"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	}
	return "application/octet-stream"
}

// ole handles a Compound File (legacy .doc/.xls/.msg, or an encrypted OOXML
// document, which Office wraps in CFB with an "EncryptedPackage" stream).
func (w *walker) ole(r io.Reader, p *Part) {
	marker := []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e\x00")
	found, err := scanFor(io.LimitReader(r, w.lim.MaxPartBytes), marker)
	if err != nil {
		w.fail(p.Index, err)
	}
	if found {
		w.flag(p.Index, ReasonEncrypted)
		return
	}
	w.flag(p.Index, ReasonFormat)
}

// scanFor streams r looking for marker, holding only a small window.
func scanFor(r io.Reader, marker []byte) (bool, error) {
	buf := make([]byte, 64<<10)
	keep := 0
	for {
		n, err := r.Read(buf[keep:])
		window := buf[:keep+n]
		if bytes.Contains(window, marker) {
			return true, nil
		}
		if err != nil {
			if err == io.EOF {
				return false, nil
			}
			return false, err
		}
		keep = min(len(marker)-1, len(window))
		copy(buf, window[len(window)-keep:])
	}
}

// filename scans an attachment's decoded file name as text: senders name
// files after patients ("Smith_John_SSN_512-48-3901.pdf"). Underscores
// become spaces so the words and numbers stand apart. The part carries the
// name only as text to scan; it is never logged.
func (w *walker) filename(h hints, idx, depth int) {
	if h.filename == "" || h.nameSeen {
		return
	}
	name := strings.ReplaceAll(h.filename, "_", " ")
	w.emit(&Part{Index: idx, Kind: KindHeader, Field: "filename", Size: int64(len(h.filename)), Depth: depth}, strings.NewReader(name))
}
