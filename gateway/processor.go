package gateway

import (
	"context"

	"github.com/sealgate/sealgate/gateway/relay"
	"github.com/sealgate/sealgate/gateway/spool"
)

// Processor is the stage between the spool and the relay: it decides how a
// message may leave and returns one or more outbound copies, each for a group
// of recipients with its own transport floor. The policy engine and the
// encryption selector will implement it; an error defers the message (it is
// retried, never sent unprocessed: fail closed).
type Processor interface {
	Process(ctx context.Context, env *spool.Envelope) ([]relay.Copy, error)
}

// PassThrough sends the original body unchanged to every recipient under the
// relay's per-domain TLS policy.
type PassThrough struct{}

// Process returns one copy of the original for all recipients.
func (PassThrough) Process(_ context.Context, env *spool.Envelope) ([]relay.Copy, error) {
	return []relay.Copy{{Recipients: env.Addrs()}}, nil
}
