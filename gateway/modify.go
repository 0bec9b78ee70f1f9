package gateway

import (
	"bufio"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/emersion/go-message/textproto"
	"golang.org/x/net/idna"
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

// namedRecipients returns the addresses (normAddr) that the message header
// names as recipients: To, Cc, Resent-To, Resent-Cc. A field that does not
// parse names nobody: its recipients are treated as blind copies, which
// costs a copy, never privacy.
func (g *Gateway) namedRecipients(id string) (map[string]bool, error) {
	body, err := g.spool.OpenBody(id)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	h, err := textproto.ReadHeader(bufio.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("gateway: read header of %s: %w", id, err)
	}
	return namedIn(h), nil
}

func namedIn(h textproto.Header) map[string]bool {
	// Only the addresses matter: an unknown charset in a display name must
	// not make the whole field unreadable.
	p := mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil }}}
	named := map[string]bool{}
	for _, k := range []string{"To", "Cc", "Resent-To", "Resent-Cc"} {
		for _, v := range h.Values(k) {
			list, err := p.ParseList(v)
			if err != nil {
				continue
			}
			for _, a := range list {
				named[normAddr(a.Address)] = true
			}
		}
	}
	return named
}

// normAddr is the form header and envelope addresses are compared in:
// lower case, the domain as A-labels. (Local parts are case-sensitive in
// theory; a false match here could only merge two copies for what is in
// practice one mailbox.)
func normAddr(a string) string {
	a = strings.ToLower(a)
	at := strings.LastIndexByte(a, '@')
	if at < 0 {
		return a
	}
	if d, err := idna.Lookup.ToASCII(a[at+1:]); err == nil {
		return a[:at+1] + strings.ToLower(d)
	}
	return a
}
