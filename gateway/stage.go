package gateway

import (
	"context"
	"errors"
	"io"
	"reflect"
	"slices"
	"sync"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/crypto/keystore"
	"github.com/sealgate/sealgate/crypto/selector"
	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/gateway/process"
	"github.com/sealgate/sealgate/gateway/relay"
	"github.com/sealgate/sealgate/gateway/spool"
	"github.com/sealgate/sealgate/policy"
)

// newStage wires the processing stage to the spool, the relay, the audit
// log and the key store.
func (g *Gateway) newStage(ids process.Identities) *process.Stage {
	return process.New(process.Options{
		Store:      stageStore{g.spool},
		Queue:      stageQueue{g.relay},
		Recorder:   stageRecorder{g},
		TLS:        g.relay,
		ParsedKeys: selector.NewKeyCache(),
		Engine:     g.engine.Load,
		Settings:   g.stageSettings,
		Portal:     g.stagePortal(),
		Marker:     g.marker,
		Identities: ids,
		Logger:     g.log,
		Registerer: g.reg,
	})
}

// stageSettings is read once per message, so a reload applies to the next one.
func (g *Gateway) stageSettings() process.Settings {
	cfg := g.cfg.Load()
	return process.Settings{
		Hostname:      cfg.Hostname,
		Subject:       cfg.Policy.Subject,
		SharedCopies:  cfg.Policy.SharedCopies,
		Keys:          keyFinder{cfg: cfg, g: g},
		NotifyHeld:    slices.Contains(cfg.Policy.NotifySenderOn, "held"),
		NotifyPortal:  slices.Contains(cfg.Policy.NotifySenderOn, "portal"),
		PassEncrypted: cfg.Policy.PassEncrypted,
	}
}

// process runs the stage on one stored message (recovery, tests).
func (g *Gateway) process(id string) error { return g.stage.Process(id) }

// accepted is smtpd's AcceptedFunc: the stage decides inline, and its
// answer becomes the SMTP reply. go-smtp needs a bare *smtp.SMTPError.
func (g *Gateway) accepted(env *envelope.Envelope) error {
	err := g.stage.Accept(context.Background(), env)
	var blocked *process.BlockedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &blocked):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: blocked.Text}
	default:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again later"}
	}
}

// stageStore adapts the spool to what the stage asks for.
type stageStore struct{ s *spool.Spool }

func (a stageStore) Envelope(id string) (*envelope.Envelope, error) {
	env, err := a.s.Envelope(id)
	if errors.Is(err, spool.ErrNotFound) {
		return nil, errors.Join(process.ErrNotFound, err)
	}
	return env, err
}

func (a stageStore) OpenBody(id string) (io.ReadCloser, error)       { return a.s.OpenBody(id) }
func (a stageStore) OpenCopy(id, name string) (io.ReadCloser, error) { return a.s.OpenCopy(id, name) }
func (a stageStore) PutCopy(id, name string, r io.Reader) error      { return a.s.PutCopy(id, name, r) }
func (a stageStore) Remove(id string) error                          { return a.s.Remove(id) }

func (a stageStore) NewMessage() (process.MessageWriter, error) {
	w, err := a.s.NewMessage()
	if err != nil {
		return nil, err
	}
	return w, nil
}

// stageQueue adapts the relay to what the stage asks for.
type stageQueue struct{ r *relay.Relay }

func (a stageQueue) Queued(id string) bool {
	_, err := a.r.Show(id)
	return err == nil
}

func (a stageQueue) Submit(id string, copies []process.Copy) error {
	return a.r.Submit(id, relayCopies(copies))
}

func (a stageQueue) HeldRecipients(id string) ([]string, error) { return a.r.HeldRecipients(id) }

func (a stageQueue) ServeHeld(id string, copies []process.Copy) error {
	return a.r.ServeHeld(id, relayCopies(copies))
}

func (a stageQueue) KeepHeld(id string, addrs []string, reason string) error {
	return a.r.KeepHeld(id, addrs, reason)
}

func (a stageQueue) SubmitHeld(id string, copies []process.Copy, reason string) error {
	return a.r.SubmitHeld(id, relayCopies(copies), reason)
}

func relayCopies(cs []process.Copy) []relay.Copy {
	out := make([]relay.Copy, len(cs))
	for i, c := range cs {
		out[i] = relay.Copy{Name: c.Name, Recipients: c.Recipients, MinTLS: c.MinTLS, Hold: c.Hold, Method: c.Method}
	}
	return out
}

// stageRecorder adapts the audit log to what the stage asks for.
type stageRecorder struct{ g *Gateway }

func (a stageRecorder) Decision(env *envelope.Envelope, dec *policy.Decision, methods []process.Method, hold string) error {
	return a.g.recordDecision(env, dec, methods, hold)
}

func (a stageRecorder) Notified(env *envelope.Envelope, noticeID string) error {
	return a.g.recordNotice(env, noticeID)
}

// keyFinder looks keys up through the gateway's keystore.Finder, which
// does not hold the store open, so `sealgate keys import` can run while the
// daemon does, and sees its changes on the next lookup.
type keyFinder struct {
	cfg *config.Config
	g   *Gateway
}

func (k keyFinder) Lookup(ctx context.Context, addr string) ([]keystore.Entry, error) {
	f, err := k.g.keyStore(k.cfg)
	if err != nil {
		return nil, err
	}
	return f.Lookup(ctx, addr)
}

// keyStores holds the Finder for the key store settings in force; a reload
// that changes them gets a new one.
type keyStores struct {
	mu     sync.Mutex
	keys   *config.Keys // the settings f was made for
	finder *keystore.Finder
}

// keyStore returns the Finder for cfg's key store. Every open of the key
// store in this process goes through it (see keystore.Finder.WithStore).
func (g *Gateway) keyStore(cfg *config.Config) (*keystore.Finder, error) {
	ks := &g.keyStores
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.finder != nil && reflect.DeepEqual(*ks.keys, cfg.Keys) {
		return ks.finder, nil
	}
	f, err := keystore.NewFinder(keystore.Options{
		Dir: cfg.Keys.Dir, Lookup: cfg.Keys.Lookup, Logger: g.log,
		WKD: keystore.WKDOptions{Timeout: cfg.Keys.WKD.Timeout, PositiveTTL: cfg.Keys.WKD.PositiveTTL, NegativeTTL: cfg.Keys.WKD.NegativeTTL},
	})
	if err != nil {
		return nil, err
	}
	keys := cfg.Keys
	ks.keys, ks.finder = &keys, f
	return f, nil
}
