package gateway

import (
	"errors"

	"github.com/sealgate/sealgate/gateway/relay"
	"github.com/sealgate/sealgate/gateway/smtpd"
	"github.com/sealgate/sealgate/gateway/spool"
)

// ingressStore adapts the spool to what smtpd asks for.
type ingressStore struct{ s *spool.Spool }

func (a ingressStore) NewMessage() (smtpd.MessageWriter, error) {
	w, err := a.s.NewMessage()
	if err != nil {
		return nil, err
	}
	return w, nil
}

// relayStore adapts the spool to what the relay asks for.
type relayStore struct{ *spool.Spool }

// Remove tells the relay a message that is already gone in its own terms, so
// the queue need not know the storage package's errors.
func (a relayStore) Remove(id string) error {
	err := a.Spool.Remove(id)
	if errors.Is(err, spool.ErrNotFound) {
		return errors.Join(relay.ErrNotFound, err)
	}
	return err
}

func (a relayStore) NewMessage() (relay.MessageWriter, error) {
	w, err := a.Spool.NewMessage()
	if err != nil {
		return nil, err
	}
	return w, nil
}
