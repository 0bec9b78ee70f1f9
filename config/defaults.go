package config

import (
	"os"
	"path/filepath"
	"time"

	"github.com/sealgate/sealgate/internal/tlslevel"
)

// Default returns the configuration used for every key the file leaves out.
func Default() Config {
	host, _ := os.Hostname()
	return Config{
		Hostname: host,
		DataDir:  "/var/lib/sealgate",
		Log:      Log{Level: "info", Format: "json"},
		Admin:    Admin{Listen: "127.0.0.1:9025"},
		Limits: Limits{
			MaxMessageSize:      50 << 20,
			MaxRecipients:       1000,
			MaxLineLength:       4096,
			CommandTimeout:      5 * time.Minute,
			DataTimeout:         10 * time.Minute,
			MaxConnections:      500,
			MaxConnectionsPerIP: 50,
			AuthFailLimit:       5,
			MaxReceived:         30,
			MaxSessionTime:      time.Hour,
			MaxCommands:         10000,
		},
		Spool: Spool{CopyMemory: 32 << 20},
		Audit: Audit{
			SegmentMaxSize:     64 << 20,
			CheckpointEvery:    1000,
			CheckpointInterval: 5 * time.Minute,
		},
		Policy: Policy{Watch: true, Subject: "Secure message"},
		Portal: Portal{Expiry: 30 * 24 * time.Hour, OrgName: "Secure message portal"},
		API: API{Listen: "127.0.0.1:8444", Rate: 50, Burst: 100,
			IdempotencyTTL: 24 * time.Hour, MessageRetention: 30 * 24 * time.Hour},
		Webhooks: Webhooks{Concurrency: 4, RetryMin: 5 * time.Second, RetryMax: 6 * time.Hour,
			DisableAfter: 72 * time.Hour, Timeout: 15 * time.Second},
		Keys: Keys{
			WKD: WKD{Timeout: 5 * time.Second, PositiveTTL: 24 * time.Hour, NegativeTTL: time.Hour},
			// What every client decrypts; OAEP still goes to recipients
			// that announce it (crypto/smime.KeyTransportFor).
			SMIMEKeyTransport:  "pkcs1v15",
			SMIMEContentCipher: "aes256-cbc",
			// Every client shows the real Subject (crypto/protect).
			HeaderProtection: "rfc9788+legacy-display",
		},
		Relay: Relay{
			SmarthostTLS:    tlslevel.Verify,
			DefaultTLS:      "may",
			MXPort:          25,
			MaxLifetime:     120 * time.Hour,
			RetryMin:        time.Minute,
			RetryMax:        time.Hour,
			MaxConcurrent:   20,
			MaxPerDomain:    5,
			ConnectTimeout:  30 * time.Second,
			CommandTimeout:  5 * time.Minute,
			MTASTS:          true,
			DANE:            true,
			DowngradeMemory: true,
		},
	}
}

// applyDerivedDefaults fills values that depend on other keys.
func (c *Config) applyDerivedDefaults() {
	if c.Control.Socket == "" && c.DataDir != "" {
		c.Control.Socket = filepath.Join(c.DataDir, "control.sock")
	}
	if c.Keys.Dir == "" && c.DataDir != "" {
		c.Keys.Dir = filepath.Join(c.DataDir, "keys")
	}
	if c.Keys.Lookup == nil {
		c.Keys.Lookup = []string{"local"}
	}
	if c.Audit.Dir == "" && c.DataDir != "" {
		c.Audit.Dir = filepath.Join(c.DataDir, "audit")
	}
	if c.Portal.Dir == "" && c.DataDir != "" {
		c.Portal.Dir = filepath.Join(c.DataDir, "portal")
	}
	if c.Portal.CodeFrom == "" && c.Hostname != "" {
		c.Portal.CodeFrom = "no-reply@" + c.Hostname
	}
	for i := range c.Listeners {
		if c.Listeners[i].TLS.Mode == "" {
			c.Listeners[i].TLS.Mode = "starttls"
		}
	}
}

// resolvePaths makes relative file names relative to the config file's
// directory, as an admin reading the file would expect.
func (c *Config) resolvePaths(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.DataDir)
	abs(&c.Spool.KeyFile)
	abs(&c.Control.Socket)
	abs(&c.Audit.Dir)
	abs(&c.Keys.Dir)
	abs(&c.Keys.SMIMECAFile)
	for i := range c.DKIM.Keys {
		abs(&c.DKIM.Keys[i].KeyFile)
	}
	for i := range c.Policy.Paths {
		abs(&c.Policy.Paths[i])
	}
	abs(&c.Keys.Org.SMIMECertFile)
	abs(&c.Keys.Org.SMIMEKeyFile)
	abs(&c.Keys.Org.PGPKeyFile)
	abs(&c.Keys.Org.PGPPassphraseFile)
	abs(&c.Audit.SigningKeyFile)
	abs(&c.Relay.CAFile)
	abs(&c.Portal.Dir)
	abs(&c.Portal.CertFile)
	abs(&c.Portal.KeyFile)
	abs(&c.Portal.KEKFile)
	abs(&c.Portal.TemplateDir)
	abs(&c.API.CertFile)
	abs(&c.API.KeyFile)
	abs(&c.Webhooks.CAFile)
	for i := range c.Webhooks.Endpoints {
		abs(&c.Webhooks.Endpoints[i].SecretFile)
	}
	abs(&c.Relay.SmarthostAuth.PasswordFile)
	for i := range c.Listeners {
		abs(&c.Listeners[i].TLS.CertFile)
		abs(&c.Listeners[i].TLS.KeyFile)
		abs(&c.Listeners[i].TLS.EcCertFile)
		abs(&c.Listeners[i].TLS.EcKeyFile)
		abs(&c.Listeners[i].TLS.ClientCAFile)
	}
}
