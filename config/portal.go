package config

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"time"
)

// validate checks the portal section; nothing is checked while it is off.
func (p *Portal) validate(add func(string, string, ...any)) {
	if !p.Enabled {
		return
	}
	hostPort(add, "portal.listen", p.Listen)
	if u, err := url.Parse(p.PublicURL); err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		add("portal.public_url", "%q must be an https URL with a host and no path (\"https://secure.example.org\"): the links in notification emails start with it", p.PublicURL)
	}
	switch {
	case p.CertFile == "":
		add("portal.cert_file", "must be set: the portal serves HTTPS only")
	case p.KeyFile == "":
		add("portal.key_file", "must be set: the portal serves HTTPS only")
	default:
		if err := loadKeyPair(p.CertFile, p.KeyFile); err != nil {
			add("portal.cert_file", "cannot load certificate and key: %v", err)
		} else if err := privateFile(p.KeyFile); err != nil {
			add("portal.key_file", "%v", err)
		}
	}
	if _, err := p.KEK(); err != nil {
		path := "portal.kek_file"
		if p.KEKFile == "" && p.KEKEnv != "" {
			path = "portal.kek_env"
		}
		add(path, "%v", err)
	}
	if p.Expiry < time.Hour {
		add("portal.expiry", "%v is too short (at least 1h; default 720h, 30 days)", p.Expiry)
	}
	if p.LogoURL != "" {
		if u, err := url.Parse(p.LogoURL); err != nil || u.Scheme != "https" || u.Host == "" {
			add("portal.logo_url", "%q must be an https URL", p.LogoURL)
		}
	}
	if p.TemplateDir != "" {
		if st, err := os.Stat(p.TemplateDir); err != nil || !st.IsDir() {
			add("portal.template_dir", "%q is not a directory", p.TemplateDir)
		}
	}
	switch p.TOTP {
	case "", "off", "optional", "required":
	default:
		add("portal.totp", "%q must be off, optional or required", p.TOTP)
	}
	if !strings.Contains(p.CodeFrom, "@") {
		add("portal.code_from", "%q is not an address", p.CodeFrom)
	}
}

// KEK reads the portal's key-encryption key from kek_file, or else from the
// environment variable kek_env.
func (p *Portal) KEK() ([]byte, error) {
	if p.KEKFile != "" {
		return ReadKeyFile(p.KEKFile)
	}
	if p.KEKEnv == "" {
		return nil, errString("must be set (or portal.kek_env): it wraps every portal message's key (generate one with `sealgate keygen spool`)")
	}
	v := strings.TrimSpace(os.Getenv(p.KEKEnv))
	if v == "" {
		return nil, errString("$" + p.KEKEnv + " is not set")
	}
	if b, err := hex.DecodeString(v); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errString("$" + p.KEKEnv + " must hold a 32-byte key as 64 hex digits or base64")
}

type errString string

func (e errString) Error() string { return string(e) }
