package process

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"sort"
	"strings"

	"github.com/emersion/go-message/textproto"
	"golang.org/x/net/idna"

	"github.com/sealgate/sealgate/envelope"
)

// modifyHeader copies a message from r to w, removing tag from the Subject
// and adding headers; the body is streamed unchanged.
func modifyHeader(w io.Writer, r io.Reader, tag string, add map[string]string) error {
	br := bufio.NewReader(r)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return fmt.Errorf("process: read header: %w", err)
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
func (s *Stage) namedRecipients(id string) (map[string]bool, error) {
	body, err := s.o.Store.OpenBody(id)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	h, err := textproto.ReadHeader(bufio.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("process: read header of %s: %w", id, err)
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

// baseCopy applies a rule's header modifiers (strip the subject tag, add
// headers) into a copy named "p"+suffix; without modifiers the original
// body is the base ("").
func (s *Stage) baseCopy(env *envelope.Envelope, grp *ruleOutcome, subjectTag, suffix string) (string, error) {
	strip := grp.strip && subjectTag != ""
	if !strip && len(grp.addHeaders) == 0 {
		return "", nil
	}
	body, err := s.o.Store.OpenBody(env.ID)
	if err != nil {
		return "", err
	}
	defer body.Close()
	tag := ""
	if strip {
		tag = subjectTag
	}
	name := "p" + suffix
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(modifyHeader(pw, body, tag, grp.addHeaders)) }()
	err = s.o.Store.PutCopy(env.ID, name, pr)
	pr.CloseWithError(errors.New("process: copy aborted"))
	if err != nil {
		return "", fmt.Errorf("process: modified copy of %s: %w", env.ID, err)
	}
	return name, nil
}

// sortedKeys is for deterministic header order.
func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// stripTag removes one occurrence of tag (case-insensitive) from subject.
func stripTag(subject, tag string) string {
	i := strings.Index(strings.ToLower(subject), strings.ToLower(tag))
	if i < 0 {
		return subject
	}
	return strings.Join(strings.Fields(subject[:i]+" "+subject[i+len(tag):]), " ")
}
