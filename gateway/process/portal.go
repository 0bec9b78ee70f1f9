package process

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/internal/bcc"
)

// Portal keeps messages for recipients who read them on the secure portal.
type Portal interface {
	// Deposit seals msg (the message as the policy modified it) for rcpts,
	// readable for ttl (0: the portal's default), and returns each
	// recipient's notification email, in rcpts' order. Notices hold no
	// PHI: a link, the sender, the expiry.
	Deposit(ctx context.Context, env *envelope.Envelope, rcpts []string, ttl time.Duration, msg io.Reader) ([][]byte, error)
}

// portalCopies deposits the base copy in the portal for rcpts and adds one
// notification copy per recipient. A notice carries no PHI, so it leaves
// under the domain's TLS policy like any other mail; the message itself
// never leaves the portal.
//
// A crash after the deposit and before the queue has the copies deposits
// again on the next try: the recipient may get two notices, each of which
// opens the message (a duplicate, never a loss).
func (s *Stage) portalCopies(ctx context.Context, env *envelope.Envelope, base, suffix string, rcpts []string, ttl time.Duration, p *plan) error {
	src, err := s.openCopy(env.ID, base)
	if err != nil {
		return err
	}
	// Blind copies stay blind on the portal too: whoever reads it sees no
	// Bcc header (the relay strips it from what it sends, likewise).
	notices, err := s.o.Portal.Deposit(ctx, env, rcpts, ttl, bcc.Strip(src))
	src.Close()
	if err != nil {
		return fmt.Errorf("process: portal deposit of %s: %w", env.ID, err)
	}
	if len(notices) != len(rcpts) {
		return fmt.Errorf("process: portal gave %d notices for %d recipients", len(notices), len(rcpts))
	}
	for k, n := range notices {
		name := copyName("portal"+suffix, k)
		if err := s.o.Store.PutCopy(env.ID, name, bytes.NewReader(n)); err != nil {
			return fmt.Errorf("process: %s copy of %s: %w", name, env.ID, err)
		}
		p.copies = append(p.copies, Copy{Name: name, Recipients: []string{rcpts[k]}})
	}
	return nil
}
