// Package bufpool keeps 32 KiB buffered writers and copy buffers for reuse.
// The encryption paths stream every message through several layers (MIME,
// header protection, signature, envelope, base64), and each layer's own
// buffers were most of what encrypting a small message allocated.
package bufpool

import (
	"bufio"
	"io"
	"sync"
)

// Size is the size of every pooled buffer.
const Size = 32 << 10

var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, Size) }}

// Writer returns a buffered writer onto w; give it back with PutWriter once
// it is flushed and no longer used.
func Writer(w io.Writer) *bufio.Writer {
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

// PutWriter returns bw to the pool; unflushed data is dropped.
func PutWriter(bw *bufio.Writer) {
	bw.Reset(nil) // drop the reference to the destination
	writers.Put(bw)
}

var buffers = sync.Pool{New: func() any { b := make([]byte, Size); return &b }}

// Copy is io.Copy with a pooled buffer.
func Copy(dst io.Writer, src io.Reader) (int64, error) {
	bp := buffers.Get().(*[]byte)
	defer buffers.Put(bp)
	return io.CopyBuffer(dst, src, *bp)
}
