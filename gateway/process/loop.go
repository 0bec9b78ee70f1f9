package process

import (
	"bufio"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/sealgate/sealgate/crypto/selector"
	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/internal/encrypted"
	"github.com/sealgate/sealgate/internal/loopmark"
	"github.com/sealgate/sealgate/policy"
)

// LoopRule names the decision for a copy sealgate itself encrypted that came
// back through it (a forwarding rule, the organisation's own domain, a
// connector loop): it leaves as it is, with TLS required, and is encrypted
// no second time.
const LoopRule = "sealgate-protected"

// EncryptedRule names the decision for mail the sender already encrypted
// end to end, with policy.pass_encrypted on.
const EncryptedRule = "sender-encrypted"

// looped returns the LoopRule decision when the message is a PGP or S/MIME
// copy sealgate made (a valid loop mark, internal/loopmark), else nil. A
// mark for any other method, or one that does not check (forged, expired,
// another key), counts for nothing: the message is evaluated as usual, and
// the relay strips the mark before it leaves.
func (s *Stage) looped(env *envelope.Envelope) (*policy.Decision, error) {
	if s.o.Marker == nil || env.DSN {
		return nil, nil
	}
	h, err := s.header(env.ID)
	if err != nil || h == nil || !h.Has(loopmark.Name) {
		return nil, err // a header that does not parse is the policy's to judge
	}
	m, ok := s.o.Marker.Check(h, time.Now())
	if !ok || (m.Method != selector.PGP && m.Method != selector.SMIME) {
		s.log.Warn("policy: a loop mark that does not check is ignored (stripped before delivery)", "msg_id", env.ID)
		return nil, nil
	}
	// The mark binds the header, not the body (relays re-encode it): a mark
	// copied onto plaintext under the same encrypted label must not let that
	// plaintext through. The content has to be ciphertext too.
	if kind, err := s.verifyEncrypted(env.ID); err != nil || kind == "" {
		if err == nil {
			s.log.Warn("policy: a valid loop mark on content that is not encrypted is ignored", "msg_id", env.ID)
		}
		return nil, err
	}
	s.log.Info("policy: a copy sealgate encrypted came back; it leaves as it is", "msg_id", env.ID, "method", m.Method, "copy_of", m.ID)
	return &policy.Decision{Rule: LoopRule, Action: policy.ActionRequireTLS, Methods: []string{m.Method}}, nil
}

// header reads the stored message's header; nil when it does not parse.
func (s *Stage) header(id string) (*textproto.Header, error) {
	body, err := s.o.Store.OpenBody(id)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	h, err := textproto.ReadHeader(bufio.NewReader(body))
	if err != nil {
		return nil, nil
	}
	return &h, nil
}

// verifyEncrypted is the kind of end-to-end encryption the stored message's
// content carries (internal/encrypted.Verify), "" when none.
func (s *Stage) verifyEncrypted(id string) (string, error) {
	body, err := s.o.Store.OpenBody(id)
	if err != nil {
		return "", err
	}
	defer body.Close()
	kind, err := encrypted.Verify(body)
	if err != nil {
		return "", nil
	}
	return kind, nil
}

// senderEncrypted returns the EncryptedRule decision when PassEncrypted is
// on and the message is PGP/MIME or S/MIME enveloped by its content, not
// only its label (internal/encrypted.Verify), else nil.
func (s *Stage) senderEncrypted(env *envelope.Envelope) (*policy.Decision, error) {
	if env.DSN || !s.o.Settings().PassEncrypted {
		return nil, nil
	}
	kind, err := s.verifyEncrypted(env.ID)
	if err != nil || kind == "" {
		return nil, err // not (provably) encrypted: the policy decides
	}
	s.log.Info("policy: the sender encrypted this message end to end; it leaves as it is", "msg_id", env.ID, "kind", kind)
	return &policy.Decision{Rule: EncryptedRule, Action: policy.ActionRequireTLS}, nil
}
