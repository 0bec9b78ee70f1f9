package gateway

import (
	"bufio"
	"fmt"
	"io"
	"mime"

	"github.com/emersion/go-message/textproto"
)

// modifyHeader copies a message from r to w, removing tag from the Subject
// and adding headers; the body is streamed unchanged.
func modifyHeader(w io.Writer, r io.Reader, tag string, add map[string]string) error {
	br := bufio.NewReader(r)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return fmt.Errorf("gateway: read header: %w", err)
	}
	if tag != "" && h.Has("Subject") {
		dec := new(mime.WordDecoder)
		subj, err := dec.DecodeHeader(h.Get("Subject"))
		if err != nil {
			subj = h.Get("Subject")
		}
		h.Set("Subject", mime.QEncoding.Encode("utf-8", stripTag(subj, tag)))
	}
	for _, k := range sortedKeys(add) {
		h.Add(k, add[k])
	}
	if err := textproto.WriteHeader(w, h); err != nil {
		return err
	}
	_, err = io.Copy(w, br)
	return err
}
