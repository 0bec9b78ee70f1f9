package extract

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"image"
	_ "image/gif" // DecodeConfig of attached images
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"strconv"
	"strings"
)

// OCR (off unless Limits.OCR.Enabled): image attachments and the
// image-only pages of PDFs are read by tesseract (Debian tesseract-ocr plus
// a tesseract-ocr-LANG package per language), each run limited like the
// other helpers (sandbox.go) and by OCR.Timeout. Images larger than
// OCR.MaxPixels are "size"; a missing tesseract is "tool_missing".

// imageKind recognises the raster formats tesseract reads, by content.
func imageKind(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return "jpeg"
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "gif"
	case bytes.HasPrefix(head, []byte("BM")) && len(head) >= 26:
		return "bmp"
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "tiff"
	}
	return ""
}

// imagePixels returns width*height from the image header, or -1 when the
// header cannot be read (tiff: tesseract's own memory limit applies).
func imagePixels(kind string, data []byte) int64 {
	switch kind {
	case "png", "jpeg", "gif":
		c, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return -1
		}
		return int64(c.Width) * int64(c.Height)
	case "bmp":
		wd := int64(int32(binary.LittleEndian.Uint32(data[18:22])))
		ht := int64(int32(binary.LittleEndian.Uint32(data[22:26])))
		if ht < 0 {
			ht = -ht
		}
		if wd <= 0 {
			return -1
		}
		return wd * ht
	}
	return -1
}

// ocrImage reads an attached image with tesseract.
func (w *walker) ocrImage(r io.Reader, p *Part, kind string) {
	// A page image a person could read fits in a few bytes per pixel.
	max := min(w.lim.MaxPartBytes, w.lim.OCR.MaxPixels*4+1<<20)
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		w.fail(p.Index, err)
		return
	}
	if int64(len(data)) > max {
		w.flag(p.Index, ReasonSize)
		return
	}
	px := imagePixels(kind, data)
	if px > w.lim.OCR.MaxPixels {
		w.flag(p.Index, ReasonSize)
		return
	}
	if px < 0 && kind != "tiff" {
		w.flag(p.Index, ReasonDecode)
		return
	}
	w.tesseract(p, data)
}

// ocrPDFPages renders each image-only page with pdftoppm and reads it with
// tesseract, at most OCR.MaxPages of them.
func (w *walker) ocrPDFPages(f *os.File, p *Part, pages []int) {
	if _, err := lookTool("tesseract"); err != nil {
		w.flag(p.Index, ReasonNoTool)
		return
	}
	if len(pages) > w.lim.OCR.MaxPages {
		w.flag(p.Index, ReasonSize)
		pages = pages[:w.lim.OCR.MaxPages]
	}
	// An 8-bit grey PNG is at most about one byte per pixel.
	max := w.lim.OCR.MaxPixels + 1<<20
	for _, pg := range pages {
		if w.halted(p.Index) {
			return
		}
		var png []byte
		var over bool
		n := strconv.Itoa(pg)
		res, err := runTool(w.ctx, toolSpec{
			name:    "pdftoppm",
			args:    []string{"-r", strconv.Itoa(w.lim.OCR.DPI), "-f", n, "-l", n, "-gray", "-png", "/dev/fd/3"},
			doc:     f,
			timeout: w.lim.OCR.Timeout,
			memory:  w.lim.ToolMemory,
			stdout: func(out io.Reader) error {
				b, err := io.ReadAll(io.LimitReader(out, max+1))
				png, over = b, int64(len(b)) > max
				return err
			},
		})
		if over {
			w.flag(p.Index, ReasonSize)
			continue
		}
		if !w.toolOK(p.Index, "pdftoppm", res, err) {
			continue
		}
		if px := imagePixels("png", png); px < 0 || px > w.lim.OCR.MaxPixels {
			w.flag(p.Index, ReasonSize)
			continue
		}
		w.tesseract(p, png)
	}
}

// tesseract OCRs one image and emits its text as more text of part p.
func (w *walker) tesseract(p *Part, img []byte) {
	langs := strings.Join(w.lim.OCR.Languages, "+")
	res, err := runTool(w.ctx, toolSpec{
		name:  "tesseract",
		args:  []string{"stdin", "stdout", "-l", langs, "--psm", "3"},
		stdin: bytes.NewReader(img),
		// One thread: the gateway scans messages in parallel already, and
		// OpenMP threads would escape the CPU accounting of the timeout.
		env:     []string{"OMP_THREAD_LIMIT=1"},
		timeout: w.lim.OCR.Timeout,
		memory:  w.lim.ToolMemory,
		stdout: func(out io.Reader) error {
			w.emit(p, bufio.NewReaderSize(out, 32<<10))
			return nil
		},
	})
	w.toolOK(p.Index, "tesseract", res, err)
}
