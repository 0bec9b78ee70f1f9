package extract

import (
	"context"
	"io"
)

// ctxReader fails reads once ctx is done, so a slow or endless decode
// cannot outlive Limits.Timeout.
type ctxReader struct {
	done <-chan struct{}
	ctx  context.Context
	r    io.Reader
}

func newCtxReader(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{done: ctx.Done(), ctx: ctx, r: r}
}

func (c *ctxReader) Read(p []byte) (int, error) {
	select {
	case <-c.done:
		return 0, c.ctx.Err()
	default:
	}
	return c.r.Read(p)
}

// limitReader is what the callback sees: at most n bytes, never an error
// other than io.EOF. Errors and overflow are kept for the walker.
type limitReader struct {
	r        io.Reader
	n        int64 // bytes still allowed
	read     int64
	exceeded bool
	err      error // first non-EOF error of r
	done     bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.done {
		return 0, io.EOF
	}
	if l.n <= 0 {
		// Budget spent: is there more? One byte tells.
		var one [1]byte
		n, err := io.ReadFull(l.r, one[:])
		if n > 0 {
			l.exceeded = true
		} else if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			l.err = err
		}
		l.done = true
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	l.read += int64(n)
	if err != nil {
		if err != io.EOF {
			l.err = err
		}
		l.done = true
		if n > 0 {
			return n, nil
		}
		return 0, io.EOF
	}
	return n, nil
}

// errRecorder remembers the first non-EOF error of a decoding reader, so a
// decode failure is noticed even when an extractor swallows it.
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// pullReader turns a "produce the next chunk of text" function into an
// io.Reader, so extractors stream without goroutines.
type pullReader struct {
	next  func(dst []byte) ([]byte, error) // appends text to dst; io.EOF at the end
	store []byte
	buf   []byte
	err   error
}

func (p *pullReader) Read(b []byte) (int, error) {
	for len(p.buf) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		p.store, p.err = p.next(p.store[:0])
		p.buf = p.store
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	return n, nil
}

// ratioReader guards a decompressor: out must stay below ratio times the
// compressed bytes consumed (with a floor for small inputs) and below max.
type ratioReader struct {
	out      io.Reader
	in       *countingReader
	ratio    int64
	floor    int64
	max      int64
	produced int64
}

func (r *ratioReader) Read(p []byte) (int, error) {
	n, err := r.out.Read(p)
	r.produced += int64(n)
	if r.produced > r.floor && r.produced > r.ratio*r.in.n {
		return n, unscannable(ReasonZipBomb, nil)
	}
	if r.produced > r.max {
		return n, unscannable(ReasonSize, nil)
	}
	return n, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
