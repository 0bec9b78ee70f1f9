package gateway

import (
	"context"
	"errors"
)

// errNotReady is the relay's fallback hook answer before Start has built
// the stage (or after Stop): the relay hands the recipients again later.
var errNotReady = errors.New("gateway: processing stage not running")

// fallback is the relay's Options.Fallback: recipients whose verified-TLS
// delivery failed go back to the processing stage, which re-selects their
// method down the rule's list (process.Stage.Fallback). The relay calls it
// on its own goroutine; ready is stored after the stage is, so reading
// g.stage after it is safe.
func (g *Gateway) fallback(ctx context.Context, id string, rcpts []string, failed, reason string) error {
	if !g.ready.Load() {
		return errNotReady
	}
	return g.stage.Fallback(ctx, id, rcpts, failed, reason)
}
