package dkim

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/textproto"
	"strings"

	msgauth "github.com/emersion/go-msgauth/dkim"
)

// DefaultHeaders returns the header fields signed when the configuration
// names none. From is listed twice: oversigning, so a From added after
// signing breaks the signature (see the package comment). Each call returns a
// new slice: no caller can change what another signs.
func DefaultHeaders() []string {
	return []string{"From", "From", "To", "Cc", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "Reply-To", "In-Reply-To", "References"}
}

// maxHeaderBytes bounds the header block read to find From; the rest of the
// message is streamed. A bigger header is an error (Signatures fails).
const maxHeaderBytes = 1 << 20

// Signer signs messages with the key of their From domain. It is safe for
// concurrent use: it holds only read-only keys and settings.
type Signer struct {
	byDomain map[string][]*Key
	headers  []string
}

// NewSigner returns a Signer over keys (nil entries are skipped). headers nil
// means DefaultHeaders; a list without From gets From prepended, because a
// DKIM signature that does not cover From is worthless (RFC 6376 §5.4).
func NewSigner(keys []*Key, headers []string) *Signer {
	s := &Signer{byDomain: make(map[string][]*Key)}
	for _, k := range keys {
		if k == nil || k.Signer == nil {
			continue
		}
		d := normDomain(k.Domain)
		s.byDomain[d] = append(s.byDomain[d], k)
	}
	if headers == nil {
		headers = DefaultHeaders()
	}
	hasFrom := false
	for _, h := range headers {
		if strings.EqualFold(strings.TrimSpace(h), "From") {
			hasFrom = true
		}
	}
	s.headers = make([]string, 0, len(headers)+1)
	if !hasFrom {
		s.headers = append(s.headers, "From")
	}
	for _, h := range headers {
		if h = strings.TrimSpace(h); h != "" {
			s.headers = append(s.headers, h)
		}
	}
	return s
}

// KeyFor returns the first key configured for the domain of from, or nil.
// from may be a From header value ("Alice <alice@example.com>"), an address
// or a bare domain. Matching is exact and case-insensitive: no parent-domain
// fallback.
func (s *Signer) KeyFor(from string) *Key {
	if ks := s.keysFor(fromDomain(from)); len(ks) > 0 {
		return ks[0]
	}
	return nil
}

func (s *Signer) keysFor(domain string) []*Key {
	if domain == "" {
		return nil
	}
	return s.byDomain[domain]
}

// Signatures reads the whole message once and returns the DKIM-Signature
// header field(s) to prepend to it, each ending in CRLF, or "" when the
// message is not to be signed (no key for its From domain, no usable From,
// no header/body separator).
func (s *Signer) Signatures(msg io.Reader) (string, error) {
	br := bufio.NewReaderSize(msg, 32*1024)
	hdr, complete, err := readHeaderBlock(br)
	if err != nil {
		return "", err
	}
	if !complete {
		return "", nil
	}
	keys := s.keysFor(messageFromDomain(hdr))
	if len(keys) == 0 {
		return "", nil
	}
	signers := make([]*msgauth.Signer, 0, len(keys))
	writers := make([]io.Writer, 0, len(keys))
	closeAll := func() {
		for _, sg := range signers {
			sg.Close()
		}
	}
	for _, k := range keys {
		sg, err := msgauth.NewSigner(&msgauth.SignOptions{
			Domain:                 normDomain(k.Domain),
			Selector:               k.Selector,
			Signer:                 k.Signer,
			HeaderCanonicalization: msgauth.CanonicalizationRelaxed,
			BodyCanonicalization:   msgauth.CanonicalizationRelaxed,
			HeaderKeys:             s.headers,
			// No body length (l=) is ever set: go-msgauth never emits it.
		})
		if err != nil {
			closeAll()
			return "", fmt.Errorf("dkim: signer for %s/%s: %w", k.Domain, k.Selector, err)
		}
		signers = append(signers, sg)
		writers = append(writers, sg)
	}
	mw := io.MultiWriter(writers...)
	if _, err := mw.Write(hdr); err != nil {
		closeAll()
		return "", fmt.Errorf("dkim: sign: %w", err)
	}
	if _, err := io.Copy(mw, br); err != nil {
		closeAll()
		return "", fmt.Errorf("dkim: sign: %w", err)
	}
	var out strings.Builder
	var errs []error
	for i, sg := range signers {
		if err := sg.Close(); err != nil {
			errs = append(errs, fmt.Errorf("dkim: sign with %s/%s: %w", keys[i].Domain, keys[i].Selector, err))
			continue
		}
		out.WriteString(sg.Signature())
	}
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	return out.String(), nil
}

// SignTo writes the message, preceded by its DKIM-Signature field(s) when a
// key applies, to w. open is called twice (hash, then write) and must return
// the same bytes both times; nothing is held in memory but the header block.
// signed is false, and the message written unchanged, when no key applies.
func (s *Signer) SignTo(w io.Writer, open func() (io.ReadCloser, error)) (signed bool, err error) {
	r, err := open()
	if err != nil {
		return false, fmt.Errorf("dkim: open message: %w", err)
	}
	sigs, err := s.Signatures(r)
	r.Close()
	if err != nil {
		return false, err
	}
	r, err = open()
	if err != nil {
		return false, fmt.Errorf("dkim: reopen message: %w", err)
	}
	defer r.Close()
	if sigs != "" {
		if _, err := io.WriteString(w, sigs); err != nil {
			return false, fmt.Errorf("dkim: write: %w", err)
		}
	}
	if _, err := io.Copy(w, r); err != nil {
		return false, fmt.Errorf("dkim: write: %w", err)
	}
	return sigs != "", nil
}

// Sign is SignTo for a reader. An io.ReadSeeker is read twice from its
// current offset; any other reader is buffered in memory, so prefer SignTo
// (or a seekable reader) for large messages.
func (s *Signer) Sign(w io.Writer, msg io.Reader) (signed bool, err error) {
	if rs, ok := msg.(io.ReadSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err == nil {
			first := true
			return s.SignTo(w, func() (io.ReadCloser, error) {
				if !first {
					if _, err := rs.Seek(start, io.SeekStart); err != nil {
						return nil, err
					}
				}
				first = false
				return io.NopCloser(rs), nil
			})
		}
	}
	var buf bytes.Buffer
	sigs, err := s.Signatures(io.TeeReader(msg, &buf))
	if err != nil {
		return false, err
	}
	if _, err := io.WriteString(w, sigs); err != nil {
		return false, fmt.Errorf("dkim: write: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return false, fmt.Errorf("dkim: write: %w", err)
	}
	return sigs != "", nil
}

// readHeaderBlock returns the header lines up to and including the empty line
// that ends them. complete is false when the message ends first.
func readHeaderBlock(br *bufio.Reader) (hdr []byte, complete bool, err error) {
	var buf bytes.Buffer
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A header line longer than the buffer: keep reading it.
			buf.Write(line)
			if buf.Len() > maxHeaderBytes {
				return nil, false, errors.New("dkim: message header too large")
			}
			continue
		}
		buf.Write(line)
		if buf.Len() > maxHeaderBytes {
			return nil, false, errors.New("dkim: message header too large")
		}
		if err == io.EOF {
			return buf.Bytes(), false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("dkim: read header: %w", err)
		}
		if bytes.Equal(line, []byte("\r\n")) || bytes.Equal(line, []byte("\n")) {
			return buf.Bytes(), true, nil
		}
	}
}

// messageFromDomain returns the domain of the message's From, or "" when
// there is not exactly one From field or its addresses span several domains.
func messageFromDomain(hdr []byte) string {
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(hdr))).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return ""
	}
	froms := h.Values("From")
	if len(froms) != 1 {
		return ""
	}
	return fromDomain(froms[0])
}

// fromDomain extracts one domain from a From value, an address or a domain.
func fromDomain(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	p := mail.AddressParser{WordDecoder: &mime.WordDecoder{
		// The display name does not matter here: accept any charset.
		CharsetReader: func(_ string, in io.Reader) (io.Reader, error) { return in, nil },
	}}
	if list, err := p.ParseList(v); err == nil && len(list) > 0 {
		d := ""
		for _, a := range list {
			ad := addrDomain(a.Address)
			if ad == "" || (d != "" && ad != d) {
				return ""
			}
			d = ad
		}
		return d
	}
	// Not an address list: an address in angle brackets, a bare address or a
	// bare domain.
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return addrDomain(v[i+1 : i+j])
		}
		return ""
	}
	if strings.ContainsAny(v, " \t,;:<>\"()") {
		return ""
	}
	if strings.Contains(v, "@") {
		return addrDomain(v)
	}
	return normDomain(v)
}

func addrDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return normDomain(addr[i+1:])
}
