package extract

import (
	"bufio"
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"strconv"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// PDF text comes from poppler's pdftotext (Debian poppler-utils), run as a
// limited subprocess (sandbox.go). It was measured against pdfium compiled
// to WebAssembly (go-pdfium under wazero) on testdata/extract/pdf: both read
// every text PDF there; pdfium needs 2.5 s to compile at start (or a code
// cache on disk), holds 350+ MB in the daemon for a 20 MB PDF and cannot
// compile under the systemd unit's MemoryDenyWriteExecute (its interpreter
// is 40x slower), where pdftotext costs ~10 ms per small file and 19 MB in
// a child that a crash or a memory limit takes down alone. See
// testdata/extract/pdf/README.md.
//
// The document is spooled to an unlinked temp file (at most MaxPartBytes)
// that pdftotext reads as /dev/fd/3; its output is streamed to the callback
// as it comes. Pages with (almost) no text are looked at again: one that
// draws an image (pdfimages) or, without any text, is not blank (a pdftoppm
// thumbnail) holds what a person reads but we cannot: "image_only", unless
// OCR is on, when it is rendered by pdftoppm and read by tesseract (ocr.go).

const (
	// A page with fewer visible characters than this and an image is taken
	// for a scan (scanners stamp page numbers or a date on an image page).
	pdfScanTextMax = 16
)

func (w *walker) pdf(r io.Reader, p *Part) {
	f, over, err := spoolTemp(r, w.lim.MaxPartBytes)
	if err != nil {
		w.fail(p.Index, err)
		return
	}
	if over {
		w.flag(p.Index, ReasonSize)
		return
	}
	defer f.Close()
	pages := &pageText{}
	var meta *htmlMeta
	var emitted bool
	res, err := runTool(w.ctx, toolSpec{
		name:    "pdftotext",
		args:    []string{"-htmlmeta", "-enc", "UTF-8", "-eol", "unix", "/dev/fd/3", "-"},
		doc:     f,
		timeout: w.lim.ToolTimeout,
		memory:  w.lim.ToolMemory,
		stdout: func(out io.Reader) error {
			meta = newHTMLMeta(out)
			pages.r = bufio.NewReaderSize(meta, 32<<10)
			emitted = true
			w.emit(p, pages)
			return nil
		},
	})
	if !w.toolOK(p.Index, "pdftotext", res, err) {
		return
	}
	if !emitted || w.err != nil || w.stop {
		return
	}
	if len(meta.meta) > 0 {
		w.emit(p, bytes.NewReader(meta.meta)) // title, subject, keywords, author
	}
	scans, err := w.pdfScannedPages(f, p.Index, pages.sparse())
	if err != nil || len(scans) == 0 {
		return // flagged, or every page has text (or is blank)
	}
	if !w.lim.OCR.Enabled {
		w.flag(p.Index, ReasonImageOnly)
		return
	}
	w.ocrPDFPages(f, p, scans)
}

// pdfScannedPages picks, among the pages with little or no text, those a
// person would still read something on: pages that draw an image (a scan),
// and pages without text or image that are not blank (text turned into
// outlines, as "flattening" or ghostscript -dNoOutputFonts does).
func (w *walker) pdfScannedPages(f *os.File, part int, sparse []sparsePage) ([]int, error) {
	if len(sparse) == 0 {
		return nil, nil
	}
	imgPages, err := w.pdfImagePages(f, part)
	if err != nil {
		return nil, err
	}
	var scans []int
	checked := 0
	for _, sp := range sparse {
		switch {
		case imgPages[sp.page]:
			scans = append(scans, sp.page)
		case sp.visible > 0:
			// A page number or a heading alone: a text page.
		case checked >= pdfInkCheckMax:
			scans = append(scans, sp.page) // unchecked: assume ink, fail closed
		default:
			checked++
			ink, err := w.pdfPageInk(f, part, sp.page)
			if err != nil {
				return nil, err
			}
			if ink {
				scans = append(scans, sp.page)
			}
		}
	}
	return scans, nil
}

// pdfInkCheckMax bounds the blank-page renders per PDF.
const pdfInkCheckMax = 50

// pdfPageInk renders one page as a thumbnail (long side 200 px, whatever the
// page size) and reports whether anything is drawn on it.
func (w *walker) pdfPageInk(f *os.File, part, page int) (bool, error) {
	var img image.Image
	var derr error
	n := strconv.Itoa(page)
	res, err := runTool(w.ctx, toolSpec{
		name:    "pdftoppm",
		args:    []string{"-scale-to", "200", "-gray", "-png", "-f", n, "-l", n, "/dev/fd/3"},
		doc:     f,
		timeout: w.lim.ToolTimeout,
		memory:  w.lim.ToolMemory,
		stdout: func(out io.Reader) error {
			img, derr = png.Decode(io.LimitReader(out, 1<<20))
			_, _ = io.Copy(io.Discard, out)
			return nil
		},
	})
	if !w.toolOK(part, "pdftoppm", res, err) {
		return false, errFlagged
	}
	if derr != nil {
		w.flag(part, ReasonDecode)
		return false, errFlagged
	}
	b := img.Bounds()
	if b.Dx()*b.Dy() > 200*200 {
		w.flag(part, ReasonDecode)
		return false, errFlagged
	}
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 200 {
				dark++
			}
		}
	}
	// A few pixels of a hairline or dust are not something to read.
	return dark >= pdfInkPixels, nil
}

// pdfInkPixels: dark thumbnail pixels that make a page "not blank"; one line
// of 10 pt text is ~150 at this scale.
const pdfInkPixels = 20

// errFlagged means the part was already flagged; the caller just stops.
var errFlagged = errors.New("extract: part flagged")

// toolOK classifies how a helper run ended; false means the part was
// flagged (or the walk must end) and its output is not to be trusted whole.
func (w *walker) toolOK(part int, tool string, res toolResult, err error) bool {
	if err == errToolMissing {
		w.flag(part, ReasonNoTool)
		return false
	}
	if err != nil {
		w.fail(part, unscannable(ReasonInternal, err))
		return false
	}
	if w.err != nil || w.stop {
		return false
	}
	if res.stopped {
		return false // the reader stopped on a limit it already recorded
	}
	if res.timedOut || res.signal == syscall.SIGXCPU {
		if w.ctx.Err() != nil {
			w.ctxDone(part)
		} else {
			w.flag(part, ReasonTimeout)
		}
		return false
	}
	stderr := res.stderr
	switch {
	case res.exitCode == 0:
		// poppler rebuilds a damaged cross-reference table and reads on:
		// what it read is real, but part of the file may be missing.
		if bytes.Contains(stderr, []byte("Couldn't read xref")) || bytes.Contains(stderr, []byte("Couldn't find trailer")) {
			w.flag(part, ReasonDecode)
			return false
		}
		return true
	case bytes.Contains(stderr, []byte("Failed loading language")):
		w.flag(part, ReasonNoTool) // OCR.Languages names a traineddata not installed
	case bytes.Contains(stderr, []byte("Incorrect password")), tool == "pdftotext" && res.exitCode == 3:
		w.flag(part, ReasonEncrypted) // 3: copying text not permitted
	case bytes.Contains(stderr, []byte("bad_alloc")), bytes.Contains(stderr, []byte("Out of memory")),
		bytes.Contains(stderr, []byte("out of memory")):
		w.flag(part, ReasonSize) // hit Limits.ToolMemory
	default:
		w.flag(part, ReasonDecode)
	}
	return false
}

// pdfImagePages lists the pages (1-based) that draw an image.
func (w *walker) pdfImagePages(f *os.File, part int) (map[int]bool, error) {
	pages := map[int]bool{}
	res, err := runTool(w.ctx, toolSpec{
		name:    "pdfimages",
		args:    []string{"-list", "/dev/fd/3"},
		doc:     f,
		timeout: w.lim.ToolTimeout,
		memory:  w.lim.ToolMemory,
		stdout: func(out io.Reader) error {
			sc := bufio.NewScanner(io.LimitReader(out, 64<<20))
			for line := 0; sc.Scan(); line++ {
				if line < 2 {
					continue // header and rule
				}
				fs := bytes.Fields(sc.Bytes())
				if len(fs) == 0 {
					continue
				}
				if n, err := strconv.Atoi(string(fs[0])); err == nil {
					pages[n] = true
				}
			}
			_, _ = io.Copy(io.Discard, out)
			return nil
		},
	})
	if !w.toolOK(part, "pdfimages", res, err) {
		return nil, errFlagged
	}
	return pages, nil
}

// pageText passes pdftotext's output through, turning its page breaks
// (form feeds) into newlines and counting visible characters per page.
type pageText struct {
	r       *bufio.Reader
	counts  []int // visible runes per finished page
	current int
}

func (t *pageText) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	b := p[:n]
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\f':
			b[i] = '\n'
			t.counts = append(t.counts, t.current)
			t.current = 0
			i++
		case c < utf8.RuneSelf:
			if c > ' ' && c != 0x7f {
				t.current++
			}
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if size == 1 && !utf8.FullRune(b[i:]) {
				i = len(b) // cut rune: counts as one visible character at most
				t.current++
				continue
			}
			if !unicode.IsSpace(r) && r != utf8.RuneError {
				t.current++
			}
			i += size
		}
	}
	return n, err
}

type sparsePage struct {
	page    int // 1-based
	visible int // visible characters
}

// sparse returns the pages with too little text to be a text page.
func (t *pageText) sparse() []sparsePage {
	counts := t.counts
	if t.current > 0 {
		counts = append(counts, t.current) // output without a final form feed
	}
	var out []sparsePage
	for i, c := range counts {
		if c < pdfScanTextMax {
			out = append(out, sparsePage{page: i + 1, visible: c})
		}
	}
	return out
}
