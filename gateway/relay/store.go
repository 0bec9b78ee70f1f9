package relay

import (
	"errors"
	"io"

	"github.com/sealgate/sealgate/envelope"
)

// ErrNotFound is returned by queue operations for an unknown message ID.
var ErrNotFound = errors.New("relay: message not found")

// MessageWriter writes a new message into the store (used for DSNs).
type MessageWriter interface {
	io.Writer
	ID() string
	Commit(env *envelope.Envelope) error
	Abort() error
}

// Store is the durable message store the relay works on; in the gateway
// it is an adapter over *spool.Spool.
type Store interface {
	Envelope(id string) (*envelope.Envelope, error)
	OpenBody(id string) (io.ReadCloser, error)
	OpenCopy(id, name string) (io.ReadCloser, error)
	SaveState(id string, state []byte) error // durable when it returns
	LoadState(id string) ([]byte, error)     // (nil, nil) if never saved
	// Remove deletes the message; an error wrapping ErrNotFound means it
	// was already gone (an operator deleted it meanwhile).
	Remove(id string) error
	NewMessage() (MessageWriter, error) // for DSNs
}
