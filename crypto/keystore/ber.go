package keystore

import "errors"

// Limits for berCheck. A certificate bundle is a few levels deep and a few
// thousand elements; anything far beyond that is not a bundle.
const (
	berMaxDepth    = 32
	berMaxElements = 100000
	berMaxScan     = 16 << 20 // bytes pkcs7's end-of-contents search may read
)

// berCheck walks data the way github.com/smallstep/pkcs7's ber2der does
// (same tag, length and indefinite-length rules) without building
// anything, and refuses input on which ber2der would recurse deeply, visit
// many elements, or spend long in its end-of-contents search: for each
// child of an indefinite-length element ber2der looks for the next 00 00
// from there to the end of the input, which is quadratic on hostile input.
// It also refuses children that overrun their parent, which ber2der would
// parse twice. Input that passes is cheap for ber2der; input that fails
// might have been parsed, but is not a certificate bundle anyone sends.
func berCheck(data []byte) error {
	w := berWalker{data: data, nextEOC: -1}
	_, err := w.object(0, 0)
	return err
}

type berWalker struct {
	data     []byte
	elements int
	scan     int
	nextEOC  int // cached index of the next 00 00 at or after some offset
	eocFrom  int
}

var (
	errBERTruncated = errors.New("BER: truncated")
	errBERTooDeep   = errors.New("BER: nested too deep")
	errBERTooMany   = errors.New("BER: too many elements")
	errBEROverrun   = errors.New("BER: element overruns its parent")
	errBERScan      = errors.New("BER: too many indefinite-length elements")
	errBERLength    = errors.New("BER: bad length")
)

// object checks the element at off and returns the offset after it, as
// ber2der's readObject does.
func (w *berWalker) object(off, depth int) (int, error) {
	if depth > berMaxDepth {
		return 0, errBERTooDeep
	}
	w.elements++
	if w.elements > berMaxElements {
		return 0, errBERTooMany
	}
	b := w.data
	n := len(b)
	if off >= n {
		return 0, errBERTruncated
	}
	first := b[off]
	off++
	if off >= n {
		return 0, errBERTruncated
	}
	if first&0x1f == 0x1f { // high tag number form
		for b[off] >= 0x80 {
			off++
			if off >= n {
				return 0, errBERTruncated
			}
		}
		off++
		if off >= n {
			return 0, errBERTruncated
		}
	}
	constructed := first&0x20 != 0
	l := b[off]
	off++
	length := 0
	indefinite := false
	switch {
	case l > 0x80:
		nb := int(l & 0x7f)
		if nb > 4 || off+nb > n || (nb == 4 && b[off] > 0x7f) || b[off] == 0 {
			return 0, errBERLength
		}
		for i := 0; i < nb; i++ {
			length = length*256 + int(b[off])
			off++
		}
	case l == 0x80:
		indefinite = true
	default:
		length = int(l)
	}
	end := off + length
	if length < 0 || end > n {
		return 0, errBERLength
	}
	if !constructed {
		if indefinite {
			return 0, errBERLength
		}
		return end, nil
	}
	for off < end || indefinite {
		next, err := w.object(off, depth+1)
		if err != nil {
			return 0, err
		}
		if !indefinite && next > end {
			return 0, errBEROverrun
		}
		off = next
		if indefinite {
			// ber2der: bytes.Index(ber[off:], {0, 0}) == 0
			w.scan += w.eocDistance(off)
			if w.scan > berMaxScan {
				return 0, errBERScan
			}
			if n-off < 2 {
				return 0, errBERTruncated
			}
			if b[off] == 0 && b[off+1] == 0 {
				return off + 2, nil
			}
		}
	}
	return end, nil
}

// eocDistance is how many bytes a search for 00 00 from off reads.
func (w *berWalker) eocDistance(off int) int {
	if w.nextEOC < 0 || off < w.eocFrom || (w.nextEOC < off && w.nextEOC != len(w.data)) {
		w.eocFrom = off
		w.nextEOC = len(w.data)
		for i := off; i+1 < len(w.data); i++ {
			if w.data[i] == 0 && w.data[i+1] == 0 {
				w.nextEOC = i
				break
			}
		}
	}
	return w.nextEOC - off + 2
}
