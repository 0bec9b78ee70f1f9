package process

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealgate/sealgate/crypto/pgp"
	"github.com/sealgate/sealgate/crypto/selector"
	"github.com/sealgate/sealgate/crypto/smime"
	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/internal/loopmark"
	"github.com/sealgate/sealgate/internal/tlslevel"
	"github.com/sealgate/sealgate/policy"
)

// ErrNotFound is what Store.Envelope returns for a message that is no longer
// in the store (withdrawn or removed meanwhile).
var ErrNotFound = errors.New("process: message not found")

// Store is the spool as the stage sees it: the accepted message, the copies
// made from it, and new messages (sender notices).
type Store interface {
	Envelope(id string) (*envelope.Envelope, error) // ErrNotFound when gone
	OpenBody(id string) (io.ReadCloser, error)
	OpenCopy(id, name string) (io.ReadCloser, error)
	// PutCopy stores r as the named copy of id, whole or not at all (no
	// copy on error). It need not be durable: a copy is made again from
	// the durable message after a crash; the queue's first saved state
	// makes the copies it names durable (spool SaveState).
	PutCopy(id, name string, r io.Reader) error
	Remove(id string) error
	NewMessage() (MessageWriter, error)
}

// MessageWriter receives one new message's bytes. Commit makes it durable;
// Abort discards it.
type MessageWriter interface {
	io.Writer
	ID() string
	Commit(env *envelope.Envelope) error
	Abort() error
}

// Copy is one outbound copy: which stored copy ("" = the original body)
// goes to which recipients, and the TLS floor no per-domain policy may
// lower ("" = per-domain policy, "encrypt", "verify").
type Copy struct {
	Name       string
	Recipients []string
	MinTLS     tlslevel.Level
	// Hold, when not "", holds these recipients for an operator while the
	// other copies are delivered; it is the reason, without message content.
	Hold string
	// Method is the method the copy was made for when another may replace
	// it at delivery time: "tls" (encrypt's verified TLS) falls back
	// (Stage.Fallback) when the next hop cannot give verified TLS.
	Method string
}

// TLS floors a copy can carry.
const (
	minEncrypt = tlslevel.Encrypt // STARTTLS mandatory, any certificate
	minVerify  = tlslevel.Verify  // a certificate valid for the host name
)

// Queue is the relay as the stage sees it.
type Queue interface {
	// Queued says the relay already has the message (a repeated hand-off).
	Queued(id string) bool
	Submit(id string, copies []Copy) error
	SubmitHeld(id string, copies []Copy, reason string) error
	// HeldRecipients lists id's recipients held for want of a method
	// (Copy.Hold), still queued.
	HeldRecipients(id string) ([]string, error)
	// ServeHeld gives held recipients of id the copies a new selection
	// found for them and makes them due; durable when it returns.
	ServeHeld(id string, copies []Copy) error
	// KeepHeld leaves held recipients of id held with reason and no longer
	// waiting for a fallback (no method is left for them); durable.
	KeepHeld(id string, addrs []string, reason string) error
}

// Method is how one recipient is served, and why (for the audit and the
// sender notice): pgp, smime, tls-verified, tls-required,
// tls-opportunistic, quarantine, blocked, none.
type Method struct {
	Addr, Method, Reason string
}

// Recorder makes decisions durable: the audit log. Both calls return only
// once the record is durable.
type Recorder interface {
	// Decision records what was decided for env and how each recipient is
	// served; hold is the hold reason ("" when not held).
	Decision(env *envelope.Envelope, dec *policy.Decision, methods []Method, hold string) error
	// Notified records the notice noticeID sent to env's sender.
	Notified(env *envelope.Envelope, noticeID string) error
}

// Identities are the organisation's signing keys and the S/MIME trust store.
type Identities struct {
	PGPSigner   *pgp.Signer
	SMIMESigner *smime.Signer
	SMIMERoots  *x509.CertPool // nil accepts any certificate the key store holds
	// SMIMEKeyTransport wraps S/MIME content keys for recipients that do
	// not announce RSAES-OAEP (keys.smime_key_transport; "" is pkcs1v15).
	SMIMEKeyTransport string
	// SMIMEContentCipher is keys.smime_content_cipher ("" is aes256-cbc).
	SMIMEContentCipher string
	// HeaderProtection is keys.header_protection for S/MIME and PGP/MIME
	// copies ("" is the default, RFC 9788 with the legacy display).
	HeaderProtection string
}

// Settings are the parts of the configuration a reload may change; the
// stage reads them once per message.
type Settings struct {
	Hostname     string             // MAILER-DAEMON@Hostname signs sender notices
	Subject      string             // the outer subject of encrypted copies
	SharedCopies bool               // recipients the header names share one encrypted copy
	Keys         selector.KeyFinder // recipients' keys and certificates
	// NotifyHeld and NotifyPortal tell the sender when a recipient is held
	// or goes by the portal (policy.notify_sender_on).
	NotifyHeld, NotifyPortal bool
	// PassEncrypted lets mail the sender encrypted end to end leave as it
	// is (policy.pass_encrypted; loop.go).
	PassEncrypted bool
}

// Options are the stage's dependencies. All are required except
// Registerer and Identities' fields.
type Options struct {
	Store    Store
	Queue    Queue
	Recorder Recorder
	TLS      selector.TLSKnowledge // can verified TLS to a domain be guaranteed now
	// ParsedKeys, when set, keeps recipients' parsed keys across messages.
	ParsedKeys *selector.KeyCache
	Engine     func() *policy.Engine // the policy in force
	Settings   func() Settings
	// Portal, when set, makes the portal method available (portal.go).
	Portal Portal
	// Marker, when set, recognises copies sealgate encrypted that come back
	// through it (loop.go).
	Marker *loopmark.Marker
	Identities
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Stage turns accepted messages into decisions and outbound copies.
type Stage struct {
	o       Options
	log     *slog.Logger
	metrics *metrics
	decided decisions

	work chan string
	stop chan struct{}
	wg   sync.WaitGroup
}

// New prepares a stage; Start runs its workers.
func New(o Options) *Stage {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Stage{o: o, log: o.Logger, work: make(chan string, 4096), stop: make(chan struct{})}
	if o.Registerer != nil {
		s.metrics = newMetrics(o.Registerer)
	}
	return s
}

// retryAfter is how long a message whose processing failed waits before the
// next try.
const retryAfter = 10 * time.Second

// Start runs n workers that process enqueued messages.
func (s *Stage) Start(n int) {
	for i := 0; i < n; i++ {
		s.wg.Add(1)
		go s.worker()
	}
}

// Stop stops the workers and waits for them. Messages still waiting are in
// the store and are processed after the next start.
func (s *Stage) Stop() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.wg.Wait()
}

// Enqueue hands a stored message to the workers without blocking.
func (s *Stage) Enqueue(id string) {
	select {
	case s.work <- id:
	default:
		// The channel is full under a burst: hand off without blocking the
		// SMTP session. The message is durable either way.
		go func() {
			select {
			case s.work <- id:
			case <-s.stop:
			}
		}()
	}
}

func (s *Stage) worker() {
	defer s.wg.Done()
	for {
		select {
		case <-s.stop:
			return
		case id := <-s.work:
			if err := s.Process(id); err != nil {
				s.log.Error("processing failed; message stays queued and is retried", "msg_id", id, "err", err)
				time.AfterFunc(retryAfter, func() { s.Enqueue(id) })
			}
		}
	}
}

// evaluate runs the policy over the stored message.
func (s *Stage) evaluate(ctx context.Context, env *envelope.Envelope) (*policy.Decision, error) {
	if dec, err := s.looped(env); dec != nil || err != nil {
		return dec, err
	}
	if dec, err := s.senderEncrypted(env); dec != nil || err != nil {
		return dec, err
	}
	body, err := s.o.Store.OpenBody(env.ID)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	dec, err := s.o.Engine().Evaluate(ctx, policy.Input{Env: env, Body: body})
	if err == nil && env.ForceEncrypt {
		dec.AtLeastEncrypt(policy.RuleForceEncrypt)
	}
	return dec, err
}
