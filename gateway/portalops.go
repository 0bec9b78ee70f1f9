package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/portal/store"
)

// PortalMessage is what `sealgate portal show` prints: the index record and
// its event log. No subject, no body: those stay sealed.
type PortalMessage struct {
	store.Meta
	Events []store.Event `json:"events"`
}

// portalOp answers the control socket's portal commands.
func (g *Gateway) portalOp(ctx context.Context, req control.Request) (any, io.ReadCloser, error) {
	if g.portal == nil {
		return nil, nil, errors.New("control: the secure portal is not enabled (portal.enabled)")
	}
	svc := g.portal.svc
	switch req.Op {
	case "portal-list":
		l, err := svc.List(ctx)
		return l, nil, err
	case "portal-show":
		m, ev, err := svc.Show(ctx, req.ID)
		if err != nil {
			return nil, nil, portalErr(req.ID, err)
		}
		return PortalMessage{Meta: m, Events: ev}, nil, nil
	case "portal-revoke":
		return nil, nil, portalErr(req.ID, svc.Revoke(ctx, req.ID, req.Actor))
	case "portal-extend":
		until, err := time.Parse(time.RFC3339, req.Until)
		if err != nil {
			return nil, nil, fmt.Errorf("control: portal-extend: until %q is not an RFC 3339 time", req.Until)
		}
		if !until.After(time.Now()) {
			return nil, nil, fmt.Errorf("control: portal-extend: %s is in the past (revoke to end a message now)", req.Until)
		}
		return nil, nil, portalErr(req.ID, svc.Extend(ctx, req.ID, until))
	case "portal-purge":
		n, err := svc.Sweep(ctx)
		return map[string]int{"purged": n}, nil, err
	case "portal-totp-reset":
		if req.ID == "" {
			return nil, nil, errors.New("control: portal-totp-reset needs the recipient's address")
		}
		had, err := svc.ResetTOTP(ctx, req.ID, req.Actor)
		return map[string]bool{"had_authenticator": had}, nil, err
	}
	return nil, nil, fmt.Errorf("control: unknown op %q", req.Op)
}

func portalErr(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("control: no live portal message %s: %w", id, err)
	}
	return err
}
