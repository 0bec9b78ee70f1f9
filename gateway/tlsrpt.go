package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/mail"
	"path/filepath"
	"strings"
	"time"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/relay"
	"github.com/sealgate/sealgate/gateway/tlsrpt"
	"github.com/sealgate/sealgate/internal/dnsq"
)

// startTLSRPT opens the TLSRPT reporter (relay.tlsrpt.enabled) on
// <data_dir>/tlsrpt.db and runs it until Stop. Mailed reports go through
// the relay's own queue (SubmitReport): signed, retried, never reported on.
func (g *Gateway) startTLSRPT(cfg *config.Config, roots *x509.CertPool) error {
	t := cfg.Relay.TLSRPT
	if !t.Enabled {
		return nil
	}
	o := tlsrpt.Options{
		Path:         filepath.Join(cfg.DataDir, "tlsrpt.db"),
		Organization: t.Organization,
		Contact:      t.Contact,
		Submitter:    cfg.Hostname,
		Resolver:     &dnsq.Client{Server: cfg.Relay.Resolver},
		HTTP: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
			// Verified TLS (RFC 8460 §5.4), against the relay's roots (nil: the system's).
			TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, TLSHandshakeTimeout: 10 * time.Second,
		}},
		Mail: func(_ context.Context, rcpt string, msg []byte) (string, error) {
			return g.relay.SubmitReport(rcpt, msg)
		},
		OnSent:     g.recordTLSReport,
		Registerer: g.reg,
		Logger:     g.log,
		Now:        g.tlsrptNow,
	}
	// A contact that is a mail address is also the From of mailed reports
	// (so a DKIM key for its domain signs them); else tlsrpt-noreply@hostname.
	if a, err := mail.ParseAddress(t.Contact); err == nil && !strings.Contains(t.Contact, "://") {
		o.From = a.Address
	}
	rep, err := tlsrpt.Open(o)
	if err != nil {
		return err
	}
	g.tlsrpt = rep
	ctx, cancel := context.WithCancel(context.Background())
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer cancel()
		go func() { <-g.stopCh; cancel() }()
		rep.Run(ctx)
	}()
	return nil
}

// recordTLSSession is the relay's OnTLSSession: counted for the reports.
func (g *Gateway) recordTLSSession(s relay.TLSSession) {
	if rep := g.tlsrpt; rep != nil {
		rep.Record(tlsrpt.Result{Domain: s.Domain, PolicyType: s.PolicyType, PolicyString: s.PolicyString, MXHost: s.MXHost,
			Failure: s.Failure, SendingIP: s.SendingIP, ReceivingMX: s.ReceivingMX, ReceivingIP: s.ReceivingIP})
	}
}

// recordTLSReport writes the audit record of one report.
func (g *Gateway) recordTLSReport(s tlsrpt.Sent) {
	d := audit.TLSReport{Domain: s.Domain, Day: s.Day, ReportID: s.ReportID, Method: s.Method, Destination: s.Destination,
		Result: "sent", Successful: s.Successful, Failed: s.Failed}
	if s.Err != nil {
		d.Result, d.Error = "failed", s.Err.Error()
	}
	g.record(audit.Event{Type: audit.TypeTLSReport, MsgID: s.MsgID, Data: d})
}

// stopTLSRPT writes the counts and closes the file, once Run has ended
// (g.wg) and the relay has stopped telling sessions.
func (g *Gateway) stopTLSRPT() error {
	if g.tlsrpt == nil {
		return nil
	}
	err := g.tlsrpt.Close()
	g.tlsrpt = nil
	return err
}
