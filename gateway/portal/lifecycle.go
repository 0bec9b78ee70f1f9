package portal

import (
	"context"
	"time"

	"github.com/sealgate/sealgate/gateway/portal/store"
)

// List shows every message's index record, tombstones included.
func (s *Service) List(ctx context.Context) ([]store.Meta, error) { return s.st.List(ctx) }

// Show gives one message's record and its event log.
func (s *Service) Show(ctx context.Context, id string) (store.Meta, []store.Event, error) {
	m, err := s.st.Message(ctx, id)
	if err != nil {
		return store.Meta{}, nil, err
	}
	evs, err := s.st.Events(ctx, id)
	return m, evs, err
}

// Revoke shreds a message now; its links show the neutral not-found page
// and open sessions end at their next request. by names the operator or
// sender for the record.
func (s *Service) Revoke(ctx context.Context, id, by string) error {
	m, err := s.st.Message(ctx, id)
	if err != nil {
		return err
	}
	if m.State != store.Active {
		return s.st.Revoke(ctx, id, by) // a no-op or ErrNotFound, as the store says
	}
	if err := s.st.Revoke(ctx, id, by); err != nil {
		return err
	}
	s.emitAll(m, KindRevoked)
	return nil
}

// ResetTOTP removes the authenticator app enrolled for address (a lost
// phone, say), so its next visit enrols a new one; it reports whether one
// was enrolled and records portal.totp_reset with the operator's name.
func (s *Service) ResetTOTP(ctx context.Context, address, by string) (bool, error) {
	had, err := s.st.ResetTOTP(ctx, address)
	if err != nil || !had {
		return had, err
	}
	s.log.Info("portal: authenticator reset", "by", by)
	s.emit(Event{Recipient: address, Kind: KindTOTPReset})
	return true, nil
}

// Extend moves a live message's expiry.
func (s *Service) Extend(ctx context.Context, id string, until time.Time) error {
	m, err := s.st.Message(ctx, id)
	if err != nil {
		return err
	}
	if err := s.st.Extend(ctx, id, until); err != nil {
		return err
	}
	s.emitAll(m, KindExtended)
	return nil
}

// Sweep shreds every message expired by now and records portal.expired
// for each of its recipients; it returns how many messages it shredded.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.cfg.Now()
	all, err := s.st.List(ctx)
	if err != nil {
		return 0, err
	}
	n, err := s.st.Sweep(ctx, now)
	for _, m := range all {
		if m.State != store.Active || now.Before(m.Expires) {
			continue
		}
		// Re-read: only what this sweep (or a racing one) expired counts.
		if cur, gerr := s.st.Message(ctx, m.ID); gerr == nil && cur.State == store.Expired {
			s.emitAll(m, KindExpired)
		}
	}
	if n > 0 {
		s.log.Info("portal: swept", "expired", n)
	}
	return n, err
}

// Run sweeps every SweepEvery until ctx is done; errors are logged.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.SweepEvery)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("portal: sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) emitAll(m store.Meta, kind string) {
	for _, r := range m.Recipients {
		s.emit(Event{MessageID: m.ID, Recipient: r, Kind: kind})
	}
}
