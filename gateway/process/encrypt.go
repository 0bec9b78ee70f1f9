package process

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"

	"github.com/sealgate/sealgate/crypto/pgp"
	"github.com/sealgate/sealgate/crypto/selector"
	"github.com/sealgate/sealgate/crypto/smime"
	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/policy"
)

// chosen is the selector's answer for one rule group, by method.
type chosen struct {
	pgpKeys                        []*pgp.Key
	certs                          []*x509.Certificate
	pgpRcpts, smimeRcpts, tlsRcpts []string
	portalRcpts                    []string
	none                           []string
}

// planEncrypt chooses a method per recipient of grp and writes the
// encrypted copies; a recipient with no usable method gets a held copy
// (Copy.Hold). It never holds the whole message, so its reason is "".
//
// A multi-recipient PGP or S/MIME copy names every recipient's key (key
// IDs, issuer and serial), so each recipient gets an encrypted copy of
// their own; with policy.shared_copies, the recipients the header names
// (To, Cc, Resent-To, Resent-Cc) share one, and every other one (Bcc)
// still gets their own.
func (s *Stage) planEncrypt(ctx context.Context, env *envelope.Envelope, grp *ruleOutcome, base, suffix string, set Settings, p *plan) (string, error) {
	c := s.choose(ctx, grp, set, p)
	var named map[string]bool
	if set.SharedCopies && len(c.pgpRcpts)+len(c.smimeRcpts) > 1 {
		var err error
		if named, err = s.namedRecipients(env.ID); err != nil {
			return "", err
		}
	}
	if err := s.encryptCopies(env.ID, base, suffix, set.Subject, c, named, p); err != nil {
		return "", err
	}
	if len(c.tlsRcpts) > 0 {
		p.copies = append(p.copies, Copy{Name: base, Recipients: c.tlsRcpts, MinTLS: minVerify, Method: selector.TLS})
	}
	if len(c.portalRcpts) > 0 {
		if err := s.portalCopies(ctx, env, base, suffix, c.portalRcpts, grp.portalExpiry, p); err != nil {
			return "", err
		}
	}
	if len(c.none) > 0 {
		// Fail closed, per recipient: those without a usable method wait for
		// an operator while the others are delivered now. Released, they get
		// the message over verified TLS, never less.
		reason := fmt.Sprintf("encryption required by rule %s; no usable method for %d recipient(s)", grp.rule, len(c.none))
		p.copies = append(p.copies, Copy{Name: base, Recipients: c.none, MinTLS: minVerify, Hold: reason})
		p.partial = append(p.partial, reason)
	}
	return "", nil
}

// choose asks the selector for each recipient of grp, in order, and adds
// each answer to p's methods.
func (s *Stage) choose(ctx context.Context, grp *ruleOutcome, set Settings, p *plan) chosen {
	// Built per message: the settings (key finder) may change on reload.
	sel := &selector.Selector{Keys: set.Keys, Parsed: s.o.ParsedKeys, Roots: s.o.SMIMERoots, TLS: s.o.TLS, PortalAvailable: s.o.Portal != nil}
	minE2E := grp.min == policy.MinEndToEnd
	var c chosen
	for _, r := range grp.rcpts {
		ch := sel.Choose(ctx, r, grp.methods, minE2E)
		m := Method{Addr: r, Method: ch.Method, Reason: "rule " + grp.rule + ": " + ch.Reason}
		if ch.Source != "" {
			m.Reason += " [key from " + ch.Source + "]"
		}
		switch ch.Method {
		case selector.PGP:
			c.pgpKeys = append(c.pgpKeys, ch.PGPKey)
			c.pgpRcpts = append(c.pgpRcpts, r)
		case selector.SMIME:
			// The audit record names the key transport and why, so a
			// recipient who cannot open OAEP is explained by the record.
			kt, why := smime.KeyTransportFor(ch.Cert, nil, s.o.SMIMEKeyTransport)
			m.Reason += " [key transport " + kt + ": " + why + "]"
			c.certs = append(c.certs, ch.Cert)
			c.smimeRcpts = append(c.smimeRcpts, r)
		case selector.TLS:
			c.tlsRcpts = append(c.tlsRcpts, r)
			m.Method = "tls-verified"
		case selector.Portal:
			c.portalRcpts = append(c.portalRcpts, r)
		default:
			c.none = append(c.none, r)
			m.Method = "none"
		}
		p.methods = append(p.methods, m)
	}
	return c
}

// encryptCopies writes the PGP and S/MIME copies c calls for, from the
// base copy, and adds them to p.
func (s *Stage) encryptCopies(id, base, suffix, subject string, c chosen, named map[string]bool, p *plan) error {
	for k, idx := range copyGroups(c.pgpRcpts, named) {
		keys, rcpts := pick(c.pgpKeys, idx), pick(c.pgpRcpts, idx)
		name := copyName("pgp"+suffix, k)
		err := s.putEncrypted(id, name, base, func(w io.Writer, msg io.Reader) error {
			return pgp.Encrypt(w, msg, keys, pgp.Options{Subject: subject, Signer: s.o.PGPSigner, HeaderProtection: s.o.HeaderProtection})
		})
		if err != nil {
			return err
		}
		p.copies = append(p.copies, Copy{Name: name, Recipients: rcpts, Method: selector.PGP})
	}
	for k, idx := range copyGroups(c.smimeRcpts, named) {
		cs, rcpts := pick(c.certs, idx), pick(c.smimeRcpts, idx)
		name := copyName("smime"+suffix, k)
		err := s.putEncrypted(id, name, base, func(w io.Writer, msg io.Reader) error {
			return smime.Encrypt(w, msg, cs, smime.Options{Subject: subject, Signer: s.o.SMIMESigner, KeyTransport: s.o.SMIMEKeyTransport, ContentCipher: s.o.SMIMEContentCipher, HeaderProtection: s.o.HeaderProtection})
		})
		if err != nil {
			return err
		}
		p.copies = append(p.copies, Copy{Name: name, Recipients: rcpts, Method: selector.SMIME})
	}
	return nil
}

// copyGroups splits rcpts (by index) into encrypted copies: one per
// recipient, except that the recipients in named (the header names them)
// share the first one. named is nil unless shared copies are allowed.
func copyGroups(rcpts []string, named map[string]bool) [][]int {
	var shared []int
	var out [][]int
	for i, r := range rcpts {
		if named[normAddr(r)] {
			shared = append(shared, i)
		} else {
			out = append(out, []int{i})
		}
	}
	if len(shared) > 0 {
		out = append([][]int{shared}, out...)
	}
	return out
}

func pick[T any](all []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = all[j]
	}
	return out
}

// copyName names the k-th encrypted copy of a kind: the first keeps the
// plain name ("pgp", "smime1"), the others get "-k". Never an address:
// copy names show in the queue state.
func copyName(kind string, k int) string {
	if k == 0 {
		return kind
	}
	return fmt.Sprintf("%s-%d", kind, k)
}

// putEncrypted streams the (modified) message through encrypt into a
// sealed copy. A failure leaves no copy: the message stays queued and is
// processed again.
func (s *Stage) putEncrypted(id, name, base string, encrypt func(io.Writer, io.Reader) error) error {
	src, err := s.openCopy(id, base)
	if err != nil {
		return err
	}
	defer src.Close()
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(encrypt(pw, src))
	}()
	err = s.o.Store.PutCopy(id, name, pr)
	pr.CloseWithError(errors.New("process: copy aborted"))
	if err != nil {
		return fmt.Errorf("process: %s copy of %s: %w", name, id, err)
	}
	return nil
}

func (s *Stage) openCopy(id, name string) (io.ReadCloser, error) {
	if name == "" {
		return s.o.Store.OpenBody(id)
	}
	return s.o.Store.OpenCopy(id, name)
}
