package gateway

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway/smtpd"
)

// smtpdOptions maps one listener's config to the ingress options.
func (g *Gateway) smtpdOptions(cfg *config.Config, l config.Listener) (smtpd.Options, error) {
	o := smtpd.Options{
		Name:             l.Name,
		Hostname:         cfg.Hostname,
		ImplicitTLS:      l.TLS.Mode == "implicit",
		RequireTLS:       l.TLS.Required,
		ClientCertSHA256: l.Relay.ClientCertSHA256,
		ClientCertNames:  l.Relay.ClientCertNames,
		SenderDomains:    l.Relay.SenderDomains,
		MaxMessageBytes:  int64(cfg.Limits.MaxMessageSize),
		MaxRecipients:    cfg.Limits.MaxRecipients,
		MaxLineLength:    cfg.Limits.MaxLineLength,
		CommandTimeout:   cfg.Limits.CommandTimeout,
		DataTimeout:      cfg.Limits.DataTimeout,
		MaxConns:         cfg.Limits.MaxConnections,
		MaxConnsPerIP:    cfg.Limits.MaxConnectionsPerIP,
		AuthFailLimit:    cfg.Limits.AuthFailLimit,
		MaxReceived:      cfg.Limits.MaxReceived,
		MaxSessionTime:   cfg.Limits.MaxSessionTime,
		MaxCommands:      cfg.Limits.MaxCommands,
		Logger:           g.log,
		Registerer:       g.reg,
		BeforeCommit:     g.recordReceived,
		OnReject:         g.recordRejected,
		Healthy:          g.healthy,
	}
	for _, s := range l.Relay.AllowIPs {
		p, err := config.ParsePrefix(s)
		if err != nil {
			return o, err
		}
		o.AllowNets = append(o.AllowNets, p)
	}
	if len(l.Relay.Users) > 0 {
		o.Users = map[string]string{}
		for _, u := range l.Relay.Users {
			o.Users[u.Name] = u.PasswordHash
		}
	}
	if l.TLS.Mode != "none" {
		cert, err := tls.LoadX509KeyPair(l.TLS.CertFile, l.TLS.KeyFile)
		if err != nil {
			return o, fmt.Errorf("gateway: listeners %s: %w", l.Name, err)
		}
		tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if l.TLS.EcCertFile != "" {
			// Offered first: crypto/tls takes the first certificate the
			// client supports, and an ECDSA signature is the cheap one.
			ec, err := tls.LoadX509KeyPair(l.TLS.EcCertFile, l.TLS.EcKeyFile)
			if err != nil {
				return o, fmt.Errorf("gateway: listeners %s: tls.ec_cert_file: %w", l.Name, err)
			}
			tc.Certificates = []tls.Certificate{ec, cert}
		}
		if l.TLS.ClientCAFile != "" {
			pool, err := config.LoadCertPool(l.TLS.ClientCAFile)
			if err != nil {
				return o, err
			}
			tc.ClientCAs = pool
		}
		o.TLSConfig = tc
	}
	return o, nil
}

func (g *Gateway) startListener(cfg *config.Config, l config.Listener) error {
	o, err := g.smtpdOptions(cfg, l)
	if err != nil {
		return err
	}
	srv, err := smtpd.New(o, ingressStore{g.spool}, g.accepted)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", l.Listen)
	if err != nil {
		return fmt.Errorf("gateway: listener %s: %w", l.Name, err)
	}
	g.mu.Lock()
	g.servers[l.Name] = srv
	g.addrs[l.Name] = ln.Addr().String()
	g.mu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil {
			g.log.Error("listener stopped", "listener", l.Name, "err", err)
		}
	}()
	return nil
}
