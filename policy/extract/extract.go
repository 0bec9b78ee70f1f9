package extract

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
)

// Limits bound one Walk. A zero field takes its default.
type Limits struct {
	MaxDepth        int           // nesting of multiparts/message/rfc822/zip (default 20)
	MaxParts        int           // total parts incl. zip members (default 1000)
	MaxDecodedBytes int64         // total decoded bytes handed to the callback (default 200 MiB)
	MaxPartBytes    int64         // per part (default 50 MiB)
	MaxHeaderBytes  int           // per header section (default 1 MiB)
	MaxZipRatio     int           // compression ratio cap for zip members (default 100)
	Timeout         time.Duration // whole walk (default 30s); ctx also honoured
	// Helper tools (pdftotext, pdfimages, pdftoppm, tesseract) run as
	// limited subprocesses, see sandbox.go.
	ToolMemory  int64         // address-space limit per helper process (default 1 GiB)
	ToolTimeout time.Duration // per helper run (default 20s), within Timeout
	OCR         OCR           // off unless OCR.Enabled
}

// OCR configures optical character recognition of images and image-only
// PDF pages with tesseract. Off by default: it costs about a second of CPU
// per page.
type OCR struct {
	Enabled   bool
	Languages []string      // tesseract language codes (default ["eng"])
	Timeout   time.Duration // per image or page (default 20s), within Limits.Timeout
	MaxPixels int64         // largest image or rendered page, in pixels (default 40 million)
	MaxPages  int           // image-only pages OCR'd per PDF; more is "size" (default 20)
	DPI       int           // rendering resolution of PDF pages (default 300)
}

// DefaultLimits returns the limits Walk uses for zero fields.
func DefaultLimits() Limits {
	return Limits{
		MaxDepth:        20,
		MaxParts:        1000,
		MaxDecodedBytes: 200 << 20,
		MaxPartBytes:    50 << 20,
		MaxHeaderBytes:  1 << 20,
		MaxZipRatio:     100,
		Timeout:         30 * time.Second,
		ToolMemory:      1 << 30,
		ToolTimeout:     20 * time.Second,
		OCR:             OCR{Languages: []string{"eng"}, Timeout: 20 * time.Second, MaxPixels: 40e6, MaxPages: 20, DPI: 300},
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxParts <= 0 {
		l.MaxParts = d.MaxParts
	}
	if l.MaxDecodedBytes <= 0 {
		l.MaxDecodedBytes = d.MaxDecodedBytes
	}
	if l.MaxPartBytes <= 0 {
		l.MaxPartBytes = d.MaxPartBytes
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxZipRatio <= 0 {
		l.MaxZipRatio = d.MaxZipRatio
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	if l.ToolMemory <= 0 {
		l.ToolMemory = d.ToolMemory
	}
	if l.ToolTimeout <= 0 {
		l.ToolTimeout = d.ToolTimeout
	}
	if len(l.OCR.Languages) == 0 {
		l.OCR.Languages = d.OCR.Languages
	}
	if l.OCR.Timeout <= 0 {
		l.OCR.Timeout = d.OCR.Timeout
	}
	if l.OCR.MaxPixels <= 0 {
		l.OCR.MaxPixels = d.OCR.MaxPixels
	}
	if l.OCR.MaxPages <= 0 {
		l.OCR.MaxPages = d.OCR.MaxPages
	}
	if l.OCR.DPI <= 0 {
		l.OCR.DPI = d.OCR.DPI
	}
	return l
}

// Kind says where a Part's text comes from.
type Kind string

const (
	KindHeader     Kind = "header"
	KindBody       Kind = "body"
	KindAttachment Kind = "attachment"
)

// Part is one piece of text handed to the Walk callback.
type Part struct {
	Index int  // entity index: 0 is the top-level message, then MIME parts and archive members in walk order
	Kind  Kind // header, body or attachment
	// Field: for headers "subject", "from", ... (lowercase), and "filename"
	// for an attachment's decoded file name (underscores as spaces), scanned
	// like a header; "preamble" for the text before the first boundary or
	// after the last one of a multipart (Kind body); else "".
	Field       string
	ContentType string // media type as declared (lowercase) or sniffed for zip members
	// Filename is the attachment file name, decoded. SENSITIVE: the engine may
	// match it against rules but must never log it.
	Filename string
	Size     int64 // encoded size if known, else -1
	Depth    int
	// Alt places the part inside multipart/alternative groups, outermost
	// first: the texts of a group's branches say the same thing, so the
	// engine counts a finding once across them. Nil outside alternatives and
	// for parts marked Content-Disposition: attachment, which count on
	// their own.
	Alt []AltRef
	// Text is UTF-8 text to scan, streamed; the callback must consume or
	// discard it before returning. It never returns an error other than io.EOF:
	// decoding trouble is reported in Result.Unscannable instead.
	Text io.Reader
}

// AltRef names one alternative: Group is the entity index of the
// multipart/alternative (or of a TNEF whose body renditions are
// alternatives), Branch the position of the alternative within it.
type AltRef struct {
	Group  int
	Branch int
}

// Unscannable reasons. The engine treats every one of them as a finding.
const (
	ReasonDepth     = "depth"        // nesting deeper than Limits.MaxDepth
	ReasonParts     = "parts"        // more than Limits.MaxParts parts; the rest is not scanned
	ReasonSize      = "size"         // a part or the whole walk exceeded its byte budget, or a header section was too big
	ReasonTimeout   = "timeout"      // Limits.Timeout elapsed; the rest is not scanned
	ReasonCharset   = "charset"      // unknown charset: the raw bytes were scanned anyway
	ReasonDecode    = "decode"       // bad base64/QP, broken MIME/zip/XML/JSON/PDF structure
	ReasonEncrypted = "encrypted"    // S/MIME, PGP, encrypted zip member, password-protected PDF/office
	ReasonZipBomb   = "zip_bomb"     // compression ratio above Limits.MaxZipRatio
	ReasonFormat    = "format"       // a container or document we recognise but cannot read (legacy office, rar, 7z, ...)
	ReasonInternal  = "internal"     // the scanner itself failed (e.g. no temp space)
	ReasonImageOnly = "image_only"   // PDF pages that are only images (a scan) and OCR is off
	ReasonNoTool    = "tool_missing" // the helper that reads this part (pdftotext, tesseract, prlimit) is not installed
)

// Unscannable names a part whose content was not (fully) scanned, and why.
type Unscannable struct {
	Part   int
	Reason string
}

// Result summarises a Walk.
type Result struct {
	Parts        int   // entities visited (messages, MIME parts, archive members)
	DecodedBytes int64 // text bytes handed to the callback
	Unscannable  []Unscannable
	// NotRead lists parts skipped as pictures (images with OCR off: a scan
	// or a photo of a form may show PHI nobody read). They are not
	// unscannable, so the default policy lets them pass, but a decision and
	// `sealgate policy test` say so instead of calling the part scanned.
	NotRead []Unscannable
	// Attachments lists every attachment (and archive member) once, in the
	// order their reading ended, whether it gave text or not.
	Attachments []Attachment
}

// Attachment describes an attachment. Filename is SENSITIVE: match it, never
// log it.
type Attachment struct {
	Index       int
	Filename    string
	ContentType string // as declared, lowercase
	Size        int64  // decoded bytes (up to MaxPartBytes), or the declared size
}

// NotRead reasons.
const (
	NotReadImage = "image" // a raster image; OCR (settings.ocr) is off
)

// Walk reads the message r and calls fn for every header of interest, body
// and attachment text it finds. Hostile or malformed input never makes it
// fail: it becomes Unscannable entries and the walk goes on where it can.
// Walk returns an error only when fn returns one or ctx is cancelled.
func Walk(ctx context.Context, r io.Reader, lim Limits, fn func(p *Part) error) (Result, error) {
	lim = lim.withDefaults()
	tctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	w := &walker{
		ctx:    tctx,
		parent: ctx,
		lim:    lim,
		fn:     fn,
		wd:     &mime.WordDecoder{CharsetReader: charset.Reader},
	}
	w.message(newCtxReader(tctx, r), 0)
	if w.err == nil && ctx.Err() != nil {
		w.err = ctx.Err()
	}
	return w.res, w.err
}

type walker struct {
	ctx    context.Context // carries Limits.Timeout
	parent context.Context // the caller's: its cancellation is an error, not a finding
	lim    Limits
	fn     func(*Part) error
	wd     *mime.WordDecoder
	res    Result
	stop   bool  // a walk-wide limit ended the walk; already recorded
	err    error // fn failed or the caller cancelled
	alt    []AltRef
}

// pushAlt enters an alternative group; setBranch selects its branch.
func (w *walker) pushAlt(group int) { w.alt = append(w.alt, AltRef{Group: group}) }
func (w *walker) setBranch(b int)   { w.alt[len(w.alt)-1].Branch = b }
func (w *walker) popAlt()           { w.alt = w.alt[:len(w.alt)-1] }

// flag records an unscannable part, once per (part, reason).
func (w *walker) flag(part int, reason string) {
	for _, u := range w.res.Unscannable {
		if u.Part == part && u.Reason == reason {
			return
		}
	}
	w.res.Unscannable = append(w.res.Unscannable, Unscannable{Part: part, Reason: reason})
}

// halted reports whether the walk must end, recording a timeout against part.
func (w *walker) halted(part int) bool {
	if w.err != nil || w.stop {
		return true
	}
	if w.ctx.Err() != nil {
		w.ctxDone(part)
		return true
	}
	return false
}

func (w *walker) ctxDone(part int) {
	if err := w.parent.Err(); err != nil {
		w.err = err
		return
	}
	w.flag(part, ReasonTimeout)
	w.stop = true
}

// newPart allocates the next entity index, or records the parts limit.
func (w *walker) newPart() (int, bool) {
	if w.halted(w.res.Parts) {
		return 0, false
	}
	if w.res.Parts >= w.lim.MaxParts {
		w.flag(w.res.Parts, ReasonParts)
		w.stop = true
		return 0, false
	}
	i := w.res.Parts
	w.res.Parts++
	return i, true
}

// fail records err (from reading part) under the right reason.
func (w *walker) fail(part int, err error) {
	if err == nil || errors.Is(err, io.EOF) {
		return
	}
	if w.ctx.Err() != nil {
		w.ctxDone(part)
		return
	}
	var re *reasonError
	if errors.As(err, &re) {
		w.flag(part, re.reason)
		return
	}
	w.flag(part, ReasonDecode)
}

// reasonError carries an Unscannable reason out of an extractor.
type reasonError struct {
	reason string
	err    error
}

func (e *reasonError) Error() string {
	if e.err == nil {
		return "extract: " + e.reason
	}
	return "extract: " + e.reason + ": " + e.err.Error()
}
func (e *reasonError) Unwrap() error { return e.err }

func unscannable(reason string, err error) error { return &reasonError{reason: reason, err: err} }

// emit hands text to the callback under the byte budgets, then drains what
// the callback left so decoding errors and oversize parts are still noticed.
func (w *walker) emit(p *Part, text io.Reader) {
	if w.err != nil || w.stop {
		return
	}
	remaining := w.lim.MaxDecodedBytes - w.res.DecodedBytes
	if remaining <= 0 {
		w.flag(p.Index, ReasonSize)
		w.stop = true
		return
	}
	lr := &limitReader{r: text, n: min(w.lim.MaxPartBytes, remaining)}
	p.Text = lr
	if len(w.alt) > 0 && p.Alt == nil {
		p.Alt = append([]AltRef(nil), w.alt...)
	}
	err := w.fn(p)
	if err == nil {
		_, _ = io.Copy(io.Discard, lr)
	}
	w.res.DecodedBytes += lr.read
	if err != nil {
		w.err = err
		return
	}
	if lr.exceeded {
		w.flag(p.Index, ReasonSize)
		if lr.read >= remaining {
			w.stop = true // the whole walk's budget is spent
		}
	}
	w.fail(p.Index, lr.err)
}

// message reads one RFC 5322 message (top level, message/rfc822 or .eml).
func (w *walker) message(r io.Reader, depth int) {
	idx, ok := w.newPart()
	if !ok {
		return
	}
	if depth > w.lim.MaxDepth {
		w.flag(idx, ReasonDepth)
		return
	}
	e, err := message.ReadWithOptions(r, &message.ReadOptions{MaxHeaderBytes: int64(w.lim.MaxHeaderBytes)})
	if e == nil {
		if err != nil && strings.Contains(err.Error(), "header exceeds maximum size") {
			w.flag(idx, ReasonSize)
		} else {
			w.fail(idx, errors.Join(errors.New("header"), err))
		}
		return
	}
	w.entity(e, err, idx, depth)
}

// entity handles a parsed entity: headers, then body by media type.
func (w *walker) entity(e *message.Entity, perr error, idx, depth int) {
	if perr != nil {
		if message.IsUnknownCharset(perr) {
			w.flag(idx, ReasonCharset) // go-message hands us the raw bytes: scan them anyway
		} else {
			w.flag(idx, ReasonDecode) // unknown transfer encoding: body is raw
		}
	}
	if len(w.alt) > 0 {
		if disp, _, _ := e.Header.ContentDisposition(); strings.EqualFold(disp, "attachment") {
			// A file attached inside an alternative is no rendering of the
			// text: it counts on its own.
			saved := w.alt
			w.alt = nil
			defer func() { w.alt = saved }()
		}
	}
	w.headers(e.Header, idx, depth)
	if w.halted(idx) {
		return
	}
	mt, params, cterr := e.Header.ContentType()
	mt = strings.ToLower(mt)
	if mt == "" {
		if cterr != nil && e.Header.Get("Content-Type") != "" {
			w.flag(idx, ReasonDecode)
		}
		mt = "text/plain" // RFC 2045 §5.2 default
	}
	switch {
	case mt == "multipart/encrypted":
		w.flag(idx, ReasonEncrypted)
	case strings.HasPrefix(mt, "multipart/"):
		w.multipart(e, params["boundary"], mt == "multipart/alternative", idx, depth)
	case mt == "message/rfc822" || mt == "message/global":
		w.message(e.Body, depth+1)
	default:
		h := w.hints(e.Header, mt, params)
		w.leaf(e.Body, h, idx, depth)
	}
}

func (w *walker) multipart(e *message.Entity, boundary string, alternative bool, idx, depth int) {
	// go-message drops the preamble and epilogue; watch the raw body go
	// by to keep them, since senders (and evaders) put text there.
	pe := &preambleWatcher{r: e.Body, delim: []byte("--" + boundary), max: w.lim.MaxHeaderBytes}
	e.Body = pe
	mr := e.MultipartReader()
	if mr == nil {
		w.flag(idx, ReasonDecode)
		return
	}
	defer mr.Close()
	if alternative {
		w.pushAlt(idx)
	}
	done := w.parts(mr, alternative, idx, depth)
	if alternative {
		w.popAlt()
	}
	if !done || w.halted(idx) {
		return
	}
	// Read what the multipart reader left: the epilogue.
	_, _ = io.Copy(io.Discard, io.LimitReader(pe, w.lim.MaxPartBytes))
	for _, t := range [][]byte{pe.preamble, pe.epilogue} {
		if len(bytes.TrimSpace(t)) > 0 {
			w.emit(&Part{Index: idx, Kind: KindBody, Field: "preamble", Size: int64(len(t)), Depth: depth}, bytes.NewReader(t))
		}
	}
	if pe.over {
		w.flag(idx, ReasonSize)
	}
}

// parts walks the parts of a multipart; false when a limit cut it short.
func (w *walker) parts(mr message.MultipartReader, alternative bool, idx, depth int) bool {
	for branch := 0; !w.halted(idx); branch++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return true
		}
		if p == nil {
			// Broken structure (missing boundary, truncated): the rest is lost.
			w.fail(idx, unscannable(ReasonDecode, err))
			return true
		}
		if depth+1 > w.lim.MaxDepth {
			w.flag(idx, ReasonDepth) // the parts below are not descended
			return false
		}
		cidx, ok := w.newPart()
		if !ok {
			return false
		}
		if alternative {
			w.setBranch(branch)
		}
		w.entity(p, err, cidx, depth+1)
	}
	return false
}

// preambleWatcher passes a multipart body through unchanged and keeps the
// text before the first delimiter line and after the closing one (at most
// max bytes of each; more sets over).
type preambleWatcher struct {
	r        io.Reader
	delim    []byte // "--" + boundary
	max      int
	state    int    // 0 preamble, 1 parts, 2 epilogue
	line     []byte // start of the current line, up to len(delim)+2 bytes
	lineLen  int    // bytes of the current line seen so far
	tailText bool   // the current line has non-space bytes past line
	preamble []byte
	epilogue []byte
	over     bool
}

func (p *preambleWatcher) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.feed(b[:n])
	return n, err
}

// feed follows the stream a line at a time; only a line's first bytes are
// kept, so long lines inside parts cost one IndexByte.
func (p *preambleWatcher) feed(b []byte) {
	for len(b) > 0 {
		if p.state == 2 {
			room := p.max - len(p.epilogue)
			if len(b) > room {
				p.over = true
				b = b[:room]
			}
			p.epilogue = append(p.epilogue, b...)
			return
		}
		seg := b
		eol := bytes.IndexByte(b, '\n')
		if eol >= 0 {
			seg = b[:eol+1]
		}
		b = b[len(seg):]
		if p.state == 0 {
			room := p.max - len(p.preamble)
			if len(seg) > room {
				p.over = true
			}
			p.preamble = append(p.preamble, seg[:min(len(seg), room)]...)
		}
		p.lineLen += len(seg)
		keep := len(p.delim) + 2
		if take := min(len(seg), keep-len(p.line)); take > 0 {
			p.line = append(p.line, seg[:take]...)
			seg = seg[take:]
		}
		// Past the kept prefix, only a delimiter line needs looking at.
		if len(seg) > 0 && !p.tailText && bytes.HasPrefix(p.line, p.delim) &&
			len(bytes.Trim(seg, " \t\r\n")) > 0 {
			p.tailText = true
		}
		if eol >= 0 {
			p.endLine()
		}
	}
}

// endLine checks the finished line for a delimiter.
func (p *preambleWatcher) endLine() {
	// A delimiter line is the delimiter, maybe "--", then only white space.
	if bytes.HasPrefix(p.line, p.delim) && !p.tailText {
		rest := p.line[len(p.delim):]
		closing := bytes.HasPrefix(rest, []byte("--"))
		if closing {
			rest = rest[2:]
		}
		if len(bytes.Trim(rest, " \t\r\n")) == 0 {
			if p.state == 0 {
				p.preamble = p.preamble[:max(0, len(p.preamble)-p.lineLen)]
			}
			if closing {
				p.state = 2
			} else {
				p.state = 1
			}
		}
	}
	p.line = p.line[:0]
	p.lineLen = 0
	p.tailText = false
}

// interestingHeader lists the header fields scanned for PHI.
func interestingHeader(k string) bool {
	switch k {
	case "subject", "from", "to", "cc", "reply-to", "comments", "keywords", "content-description":
		return true
	}
	return strings.HasPrefix(k, "x-")
}

func (w *walker) headers(h message.Header, idx, depth int) {
	fields := h.Fields()
	size := 0
	for fields.Next() {
		size += len(fields.Key()) + len(fields.Value()) + 4
	}
	// go-message bounds only the top-level header section; nested sections
	// are bounded by the message size. Refuse to scan an oversized one.
	if size > w.lim.MaxHeaderBytes {
		w.flag(idx, ReasonSize)
		return
	}
	fields = h.Fields()
	for fields.Next() {
		if w.halted(idx) {
			return
		}
		k := strings.ToLower(fields.Key())
		if !interestingHeader(k) {
			continue
		}
		v := fields.Value()
		dec, err := w.wd.DecodeHeader(v)
		if err != nil {
			w.flag(idx, ReasonCharset)
			dec = v
		}
		w.emit(&Part{Index: idx, Kind: KindHeader, Field: k, Size: int64(len(v)), Depth: depth}, strings.NewReader(dec))
	}
}

// hints are what the MIME header says about a leaf part.
type hints struct {
	mediaType string
	params    map[string]string
	filename  string
	nameSeen  bool // filename was already scanned (derived from the outer file's)
	kind      Kind
	size      int64
}

func (w *walker) hints(h message.Header, mt string, params map[string]string) hints {
	hn := hints{mediaType: mt, params: params, size: -1}
	disp, dparams, _ := h.ContentDisposition()
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if name != "" {
		if dec, err := w.wd.DecodeHeader(name); err == nil {
			name = dec
		}
	}
	hn.filename = name
	if s, err := strconv.ParseInt(dparams["size"], 10, 64); err == nil && s >= 0 {
		hn.size = s
	}
	hn.kind = KindAttachment
	if strings.ToLower(disp) != "attachment" && name == "" && strings.HasPrefix(mt, "text/") {
		hn.kind = KindBody
	}
	return hn
}
