package extract

import (
	"archive/zip"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// spool copies a part that needs random access into an unlinked temp file
// (0600, removed from the directory at once, so even a crash leaves no
// plaintext behind). It returns nil when the part is too big or the file
// cannot be made; the reason is recorded.
func (w *walker) spool(r io.Reader, idx int) (*os.File, int64) {
	f, err := os.CreateTemp("", "sealgate-extract-*")
	if err != nil {
		w.flag(idx, ReasonInternal)
		return nil, 0
	}
	_ = os.Remove(f.Name()) // unlinked: the data lives only while f is open
	n, err := io.Copy(f, io.LimitReader(r, w.lim.MaxPartBytes+1))
	if err != nil {
		f.Close()
		w.fail(idx, err)
		return nil, 0
	}
	if n > w.lim.MaxPartBytes {
		f.Close()
		w.flag(idx, ReasonSize)
		return nil, 0
	}
	return f, n
}

func (w *walker) zipPart(r io.Reader, p *Part) {
	f, n := w.spool(r, p.Index)
	if f == nil {
		return
	}
	defer f.Close()
	w.zipArchive(f, n, p)
}

// zipEntries reads the declared entry count from the end of central
// directory record, so a million-entry archive is refused before
// archive/zip allocates for every entry. -1 when unknown (zip64, damage).
func zipEntries(ra io.ReaderAt, size int64) int {
	const eocdLen = 22
	tail := min(size, eocdLen+65535)
	buf := make([]byte, tail)
	if _, err := ra.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return -1
	}
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if string(buf[i:i+4]) == "PK\x05\x06" {
			n := int(binary.LittleEndian.Uint16(buf[i+10:]))
			if n == 0xffff {
				return -1
			}
			return n
		}
	}
	return -1
}

func (w *walker) zipArchive(ra io.ReaderAt, size int64, p *Part) {
	if n := zipEntries(ra, size); n > w.lim.MaxParts {
		w.flag(p.Index, ReasonParts)
		return
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		w.fail(p.Index, unscannable(ReasonDecode, err))
		return
	}
	if len(zr.File) > w.lim.MaxParts {
		w.flag(p.Index, ReasonParts)
		return
	}
	if kind := officeKind(zr); kind != "" {
		w.office(zr, kind, p)
		return
	}
	if p.Depth+1 > w.lim.MaxDepth {
		w.flag(p.Index, ReasonDepth)
		return
	}
	odf := isODF(zr)
	for _, f := range zr.File {
		if w.halted(p.Index) {
			return
		}
		if f.FileInfo().IsDir() {
			continue
		}
		idx, ok := w.newPart()
		if !ok {
			return
		}
		if odf && f.Name == "content.xml" {
			w.odfContent(f, idx, p.Depth+1) // tables column-aware (table_odf.go)
			continue
		}
		w.member(f, idx, p.Depth+1)
	}
}

// openMember applies the per-member checks (encryption, ratio, size) before
// decompressing anything.
func (w *walker) openMember(f *zip.File, idx int) io.ReadCloser {
	// APPNOTE 4.4.4: bit 0 = encrypted (ZipCrypto); method 99 = WinZip AES.
	if f.Flags&1 != 0 || f.Method == 99 {
		w.flag(idx, ReasonEncrypted)
		return nil
	}
	if f.Method != zip.Store && f.Method != zip.Deflate {
		w.flag(idx, ReasonFormat)
		return nil
	}
	if f.UncompressedSize64 > uint64(w.lim.MaxPartBytes) {
		if f.UncompressedSize64 > uint64(w.lim.MaxZipRatio)*max(f.CompressedSize64, 1) {
			w.flag(idx, ReasonZipBomb)
		} else {
			w.flag(idx, ReasonSize)
		}
		return nil
	}
	// Small members may compress far better than any ratio (a blank sheet);
	// only large ones are held to it.
	if f.UncompressedSize64 > 1<<20 && f.UncompressedSize64 > uint64(w.lim.MaxZipRatio)*max(f.CompressedSize64, 1) {
		w.flag(idx, ReasonZipBomb)
		return nil
	}
	rc, err := f.Open()
	if err != nil {
		w.fail(idx, unscannable(ReasonDecode, err))
		return nil
	}
	// archive/zip refuses to inflate past the declared size, so the checks
	// above hold for the stream too.
	return rc
}

func (w *walker) member(f *zip.File, idx, depth int) {
	rc := w.openMember(f, idx)
	if rc == nil {
		return
	}
	defer rc.Close()
	name := f.Name
	w.leaf(rc, hints{mediaType: mediaTypeByName(name), filename: name, kind: KindAttachment, size: int64(f.CompressedSize64)}, idx, depth)
}

// officeKind recognises OOXML packages by their main part.
func officeKind(zr *zip.Reader) string {
	for _, f := range zr.File {
		switch f.Name {
		case "word/document.xml":
			return "docx"
		case "xl/workbook.xml":
			return "xlsx"
		case "ppt/presentation.xml":
			return "pptx"
		}
	}
	return ""
}

// officeTextPart says whether an OOXML member holds document text.
// officePackagePart says name belongs to an OOXML package's own structure.
func officePackagePart(name string) bool {
	if name == "[Content_Types].xml" {
		return true
	}
	for _, d := range []string{"_rels/", "docProps/", "customXml/", "word/", "xl/", "ppt/"} {
		if strings.HasPrefix(name, d) {
			return true
		}
	}
	return false
}

func officeTextPart(kind, name string) bool {
	if strings.HasPrefix(name, "docProps/") && strings.HasSuffix(name, ".xml") {
		return true
	}
	switch kind {
	case "docx":
		if !strings.HasPrefix(name, "word/") || strings.Contains(name[5:], "/") || !strings.HasSuffix(name, ".xml") {
			return false
		}
		base := strings.TrimSuffix(name[5:], ".xml")
		for _, p := range []string{"document", "header", "footer", "footnotes", "endnotes", "comments"} {
			if strings.HasPrefix(base, p) {
				return true
			}
		}
	case "xlsx":
		return name == "xl/sharedStrings.xml" || isWorksheet(name) ||
			// Pivot caches hold a copy of the source data: the field names and
			// distinct values in the definition, the rows in the records.
			(strings.HasPrefix(name, "xl/pivotCache/pivotCache") && strings.HasSuffix(name, ".xml")) ||
			(strings.HasPrefix(name, "xl/comments") && strings.HasSuffix(name, ".xml"))
	case "pptx":
		return (strings.HasPrefix(name, "ppt/slides/") || strings.HasPrefix(name, "ppt/notesSlides/") ||
			strings.HasPrefix(name, "ppt/comments/")) && strings.HasSuffix(name, ".xml") && !strings.Contains(path.Dir(name)[4:], "_rels")
	}
	return false
}

// office emits the text of an OOXML document as one part, then walks
// embedded objects (an .xlsx inside a .docx) as members.
func (w *walker) office(zr *zip.Reader, kind string, p *Part) {
	var texts, embedded []*zip.File
	for _, f := range zr.File {
		switch {
		case officeTextPart(kind, f.Name):
			texts = append(texts, f)
		case strings.Contains(f.Name, "/embeddings/") && !f.FileInfo().IsDir():
			embedded = append(embedded, f)
		case !f.FileInfo().IsDir() && !officePackagePart(f.Name):
			// Not part of an OOXML package (a patients.csv beside
			// word/document.xml): walked like any zip member, never skipped.
			embedded = append(embedded, f)
		}
	}
	// Document order: slide2 before slide10.
	sort.SliceStable(texts, func(i, j int) bool { return naturalLess(texts[i].Name, texts[j].Name) })
	if p.ContentType == "" || p.ContentType == "application/octet-stream" || p.ContentType == "application/zip" {
		p.ContentType = mediaTypeByName("x." + kind)
	}
	// A workbook's sheets are rendered with their shared strings and styles
	// (table_xlsx.go); the strings no cell used and the sheet names follow.
	var book *xlsxBook
	var extra []func() io.Reader
	if kind == "xlsx" {
		book = w.loadXlsx(zr, p.Index)
		texts = slices.DeleteFunc(texts, func(f *zip.File) bool { return f.Name == "xl/sharedStrings.xml" })
		extra = append(extra, book.unusedStrings, book.sheetNames)
	}
	i := 0
	var cur io.Reader
	var rc io.ReadCloser
	w.emit(p, &pullReader{next: func(dst []byte) ([]byte, error) {
		for {
			if cur == nil {
				if rc != nil {
					rc.Close()
					rc = nil
				}
				if i >= len(texts) {
					if len(extra) == 0 {
						return dst, io.EOF
					}
					cur, extra = extra[0](), extra[1:]
					continue
				}
				f := texts[i]
				i++
				if rc = w.openMember(f, p.Index); rc == nil {
					continue
				}
				if book != nil && isWorksheet(f.Name) {
					cur = book.sheetText(newCtxReader(w.ctx, rc))
				} else {
					cur = officeXMLText(newCtxReader(w.ctx, rc), f.Name)
				}
			}
			var err error
			dst, err = readAppend(cur, dst)
			if err == io.EOF {
				cur = nil
				dst = append(dst, '\n')
				continue
			}
			return dst, err
		}
	}})
	if rc != nil {
		rc.Close()
	}
	if len(embedded) == 0 || w.halted(p.Index) {
		return
	}
	if p.Depth+1 > w.lim.MaxDepth {
		w.flag(p.Index, ReasonDepth)
		return
	}
	for _, f := range embedded {
		if w.halted(p.Index) {
			return
		}
		idx, ok := w.newPart()
		if !ok {
			return
		}
		w.member(f, idx, p.Depth+1)
	}
}

func readAppend(r io.Reader, dst []byte) ([]byte, error) {
	if cap(dst)-len(dst) < 4096 {
		dst = slices.Grow(dst, 16<<10)
	}
	n, err := r.Read(dst[len(dst):cap(dst)])
	return dst[:len(dst)+n], err
}

// naturalLess orders names with embedded numbers numerically.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitsPrefix(a), digitsPrefix(b)
		if da != "" && db != "" {
			if len(da) != len(db) {
				return len(da) < len(db)
			}
			if da != db {
				return da < db
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitsPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

func isWorksheet(name string) bool {
	return strings.HasPrefix(name, "xl/worksheets/") && strings.HasSuffix(name, ".xml") && !strings.Contains(name[14:], "/")
}

// officeXMLText extracts the visible text of an OOXML part: the contents of
// text elements (w:t, w:delText, a:t, t) and of numeric/inline cell values,
// with paragraph, row and cell ends as separators. Runs are joined without a
// space, because Word splits words (and numbers) across runs freely.
// docProps parts are generic XML: every text node.
func officeXMLText(r io.Reader, name string) io.Reader {
	if strings.HasPrefix(name, "docProps/") {
		return xmlText(r)
	}
	if strings.HasPrefix(name, "xl/pivotCache/") {
		return pivotText(r)
	}
	d := xml.NewDecoder(r)
	d.Strict = false
	inText := 0
	inValue := false
	sharedCell := false // <c t="s">: <v> is an index into sharedStrings, not text
	// Word (w:tbl) and PowerPoint (a:tbl) tables: cells after their column
	// header, as in a spreadsheet (table.go).
	var tn tableNest
	return xmlTokens(d, func(dst []byte, tok xml.Token) []byte {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t", "delText":
				inText++
			case "v":
				inValue = !sharedCell
			case "c":
				sharedCell = false
				for _, a := range t.Attr {
					if a.Name.Local == "t" && a.Value == "s" {
						sharedCell = true
					}
				}
			case "tab":
				dst = tn.brk(dst, '\t')
			case "br", "cr":
				dst = tn.brk(dst, '\n')
			case "tbl":
				dst = tn.open(dst)
			case "tr":
				if tt := tn.top(); tt != nil {
					tt.beginRow()
				}
			case "tc":
				tt := tn.top()
				if tt == nil {
					break
				}
				span := 1
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "gridSpan": // a:tc
						span, _ = strconv.Atoi(a.Value)
					case "hMerge": // a:tc covered by the gridSpan of the cell left of it
						if a.Value == "1" || a.Value == "true" {
							span = 0
						}
					}
				}
				if span == 0 {
					tt.endCell()
					break
				}
				tt.beginCell(-1, span, false)
			case "gridSpan": // w:tcPr/w:gridSpan
				if tc := tn.cell(); tc != nil && tn.overflow == 0 {
					for _, a := range t.Attr {
						if a.Name.Local == "val" {
							if n, err := strconv.Atoi(a.Value); err == nil {
								tc.setSpan(n)
							}
						}
					}
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t", "delText":
				if inText > 0 {
					inText--
				}
			case "v":
				inValue = false
			case "p":
				dst = tn.brk(dst, '\n')
			case "si", "row":
				dst = append(dst, '\n')
			case "c":
				dst = append(dst, '\t')
			case "tc":
				if tt := tn.top(); tt != nil {
					tt.endCell()
				} else {
					dst = append(dst, '\t')
				}
			case "tr":
				if tt := tn.top(); tt != nil {
					tt.endRow()
				}
				dst = append(dst, '\n')
			case "tbl":
				dst = tn.close(dst)
			}
		case xml.CharData:
			if inText > 0 || inValue {
				dst = tn.text(dst, t)
			}
		}
		return dst
	})
}

// pivotText reads a pivot cache: its values are attributes (<s v="Jane"/>,
// <n v="512483901"/>, <cacheField name="SSN">), not text nodes. <x v="3"/>
// is an index into the definition's shared items, which are read there.
func pivotText(r io.Reader) io.Reader {
	d := xml.NewDecoder(r)
	d.Strict = false
	return xmlTokens(d, func(dst []byte, tok xml.Token) []byte {
		switch t := tok.(type) {
		case xml.StartElement:
			want := "v"
			switch t.Name.Local {
			case "s", "n", "d", "e", "b":
			case "cacheField":
				want = "name"
			default:
				return dst
			}
			for _, a := range t.Attr {
				if a.Name.Local == want {
					dst = append(dst, a.Value...)
					dst = append(dst, '\t')
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "r", "sharedItems", "cacheField", "cacheFields":
				dst = append(dst, '\n')
			}
		}
		return dst
	})
}
