package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"
)

// ErrCorrupt reports a sealed stream that does not authenticate: truncated,
// extended, reordered, modified, or sealed under another key or context.
var ErrCorrupt = errors.New("seal: corrupt or truncated sealed data")

const (
	magic      = "SGSEAL1\n"
	saltSize   = 32
	headerSize = len(magic) + saltSize
	keySize    = 32
	// ChunkSize is the plaintext size of every chunk but the last.
	ChunkSize = 64 * 1024
	tagSize   = 16
	encChunk  = ChunkSize + tagSize
	hkdfLabel = "sealgate/seal/v1\x00"
	// maxCounter keeps the counter inside 8 of its 11 bytes; 2^64 chunks of
	// 64 KiB is far beyond any file we will ever write.
	maxCounter = ^uint64(0)
)

func newAEAD(masterKey, salt []byte, context string) (cipher.AEAD, error) {
	if len(masterKey) != keySize {
		return nil, fmt.Errorf("seal: master key must be %d bytes, got %d", keySize, len(masterKey))
	}
	key := make([]byte, keySize)
	if _, err := io.ReadFull(hkdf.New(sha256.New, masterKey, salt, []byte(hkdfLabel+context)), key); err != nil {
		return nil, fmt.Errorf("seal: derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return cipher.NewGCM(block)
}

// nonce fills n with the 11-byte big-endian counter and the last-chunk flag.
func nonce(n *[12]byte, counter uint64, last bool) {
	clear(n[:3])
	binary.BigEndian.PutUint64(n[3:11], counter)
	n[11] = 0
	if last {
		n[11] = 1
	}
}

// Writer seals a stream. It is not safe for concurrent use.
type Writer struct {
	dst     io.Writer
	aead    cipher.AEAD
	header  []byte
	buf     []byte // plaintext of the current chunk; cap encChunk so Seal works in place
	counter uint64
	err     error // sticky
	closed  bool
}

// NewWriter writes the header to dst and returns a WriteCloser that seals
// everything written to it. Close writes the final chunk; it does not close
// dst. Nothing is sealed under a different context than the one given here.
func NewWriter(dst io.Writer, masterKey []byte, context string) (io.WriteCloser, error) {
	header := make([]byte, headerSize)
	copy(header, magic)
	if _, err := rand.Read(header[len(magic):]); err != nil {
		return nil, fmt.Errorf("seal: salt: %w", err)
	}
	aead, err := newAEAD(masterKey, header[len(magic):], context)
	if err != nil {
		return nil, err
	}
	if _, err := dst.Write(header); err != nil {
		return nil, fmt.Errorf("seal: write header: %w", err)
	}
	return &Writer{dst: dst, aead: aead, header: header, buf: make([]byte, 0, encChunk)}, nil
}

// Write buffers p and seals every full chunk. A full chunk is sealed as
// non-final at once; the final chunk is always the short one sealed by Close.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("seal: write after close")
	}
	n := 0
	for len(p) > 0 {
		k := min(ChunkSize-len(w.buf), len(p))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		n += k
		if len(w.buf) == ChunkSize {
			if err := w.flush(false); err != nil {
				return n - k, err
			}
		}
	}
	return n, nil
}

func (w *Writer) flush(last bool) error {
	if w.counter == maxCounter {
		w.err = errors.New("seal: stream too long")
		return w.err
	}
	var n [12]byte
	nonce(&n, w.counter, last)
	out := w.aead.Seal(w.buf[:0], n[:], w.buf, w.header)
	if _, err := w.dst.Write(out); err != nil {
		w.err = fmt.Errorf("seal: write chunk: %w", err)
		return w.err
	}
	w.counter++
	w.buf = w.buf[:0]
	return nil
}

// Close seals the final (possibly empty) chunk. It does not close dst.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	w.closed = true
	return w.flush(true)
}

// Reader opens a sealed stream. It is not safe for concurrent use.
type Reader struct {
	src     io.Reader
	aead    cipher.AEAD
	header  []byte
	buf     []byte // ciphertext, decrypted in place
	out     []byte // authenticated plaintext not yet returned
	counter uint64
	done    bool  // final chunk verified and nothing follows
	err     error // sticky
}

// NewReader reads and checks the header of src and returns a Reader that
// yields authenticated plaintext. A bad header is ErrCorrupt; a master key
// of the wrong length is a plain error.
func NewReader(src io.Reader, masterKey []byte, context string) (io.Reader, error) {
	if len(masterKey) != keySize {
		return nil, fmt.Errorf("seal: master key must be %d bytes, got %d", keySize, len(masterKey))
	}
	header := make([]byte, headerSize)
	if _, err := io.ReadFull(src, header); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: short header", ErrCorrupt)
		}
		return nil, fmt.Errorf("seal: read header: %w", err)
	}
	if string(header[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	aead, err := newAEAD(masterKey, header[len(magic):], context)
	if err != nil {
		return nil, err
	}
	return &Reader{src: src, aead: aead, header: header, buf: make([]byte, encChunk)}, nil
}

func (r *Reader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		r.err = r.next()
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// next reads, authenticates and stages one chunk. A full-size chunk is
// always non-final; a short one (including an empty one) must be final.
func (r *Reader) next() error {
	n, err := io.ReadFull(r.src, r.buf)
	last := false
	switch {
	case err == nil:
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		last = true
	default:
		return fmt.Errorf("seal: read chunk: %w", err)
	}
	if n < tagSize {
		return fmt.Errorf("%w: truncated at chunk %d", ErrCorrupt, r.counter)
	}
	if r.counter == maxCounter {
		return fmt.Errorf("%w: stream too long", ErrCorrupt)
	}
	var nc [12]byte
	nonce(&nc, r.counter, last)
	pt, oerr := r.aead.Open(r.buf[:0], nc[:], r.buf[:n], r.header)
	if oerr != nil {
		return fmt.Errorf("%w: chunk %d does not authenticate", ErrCorrupt, r.counter)
	}
	r.counter++
	if last {
		// The final chunk verified; release it only if nothing trails it.
		var one [1]byte
		if k, err := io.ReadFull(r.src, one[:]); k > 0 {
			return fmt.Errorf("%w: data after final chunk", ErrCorrupt)
		} else if !errors.Is(err, io.EOF) {
			return fmt.Errorf("seal: read: %w", err)
		}
		r.done = true
	}
	r.out = pt
	return nil
}
