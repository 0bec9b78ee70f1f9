package config

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/sealgate/sealgate/internal/passhash"
	"github.com/sealgate/sealgate/internal/secretfile"
	"github.com/sealgate/sealgate/internal/tlslevel"
)

var (
	listenerModes = []string{"starttls", "implicit", "none"}
	logLevels     = []string{"debug", "info", "warn", "error"}
	logFormats    = []string{"json", "text"}
	// crypto/smime's KeyTransportPKCS1v15 and KeyTransportOAEP; config
	// does not import crypto packages.
	smimeKeyTransports  = []string{"pkcs1v15", "oaep"}
	smimeContentCiphers = []string{"aes256-cbc", "aes256-gcm"}
	// crypto/protect's Mode* constants.
	headerProtections = []string{"rfc9788+legacy-display", "rfc9788", "legacy-v1"}
)

// Validate returns every problem in c, each with its key path. It reads the
// files c names (keys, certificates) to check that they load.
func (c *Config) Validate() []Problem {
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if c.Hostname == "" {
		add("hostname", "must be set (the name in greetings, Received headers and DSNs)")
	}
	if c.DataDir == "" {
		add("data_dir", "must be set")
	}
	if c.Spool.KeyFile == "" {
		add("spool.key_file", "must be set: every spooled message is sealed with this key (generate one with `sealgate keygen spool`)")
	} else if _, err := ReadKeyFile(c.Spool.KeyFile); err != nil {
		add("spool.key_file", "%v", err)
	}
	if c.Spool.CopyMemory < 0 {
		add("spool.copy_memory", "must be 0 or more (0 writes every outbound copy to a file)")
	}
	oneOf(add, "log.level", c.Log.Level, logLevels)
	oneOf(add, "log.format", c.Log.Format, logFormats)
	if c.Admin.Listen != "" {
		hostPort(add, "admin.listen", c.Admin.Listen)
	}

	if len(c.Listeners) == 0 {
		add("listeners", "at least one listener is needed")
	}
	names := map[string]bool{}
	for i, l := range c.Listeners {
		p := fmt.Sprintf("listeners[%d]", i)
		if l.Name == "" {
			add(p+".name", "must be set")
		} else if names[l.Name] {
			add(p+".name", "duplicate listener name %q", l.Name)
		}
		names[l.Name] = true
		hostPort(add, p+".listen", l.Listen)
		oneOf(add, p+".tls.mode", l.TLS.Mode, listenerModes)
		if l.TLS.Mode == "starttls" || l.TLS.Mode == "implicit" {
			switch {
			case l.TLS.CertFile == "":
				add(p+".tls.cert_file", "must be set for tls.mode %s", l.TLS.Mode)
			case l.TLS.KeyFile == "":
				add(p+".tls.key_file", "must be set for tls.mode %s", l.TLS.Mode)
			default:
				if err := loadKeyPair(l.TLS.CertFile, l.TLS.KeyFile); err != nil {
					add(p+".tls.cert_file", "cannot load certificate and key: %v", err)
				} else if err := privateFile(l.TLS.KeyFile); err != nil {
					add(p+".tls.key_file", "%v", err)
				}
			}
			switch {
			case l.TLS.EcCertFile == "" && l.TLS.EcKeyFile == "":
			case l.TLS.EcCertFile == "":
				add(p+".tls.ec_cert_file", "must be set with tls.ec_key_file")
			case l.TLS.EcKeyFile == "":
				add(p+".tls.ec_key_file", "must be set with tls.ec_cert_file")
			default:
				if err := loadECKeyPair(l.TLS.EcCertFile, l.TLS.EcKeyFile); err != nil {
					add(p+".tls.ec_cert_file", "%v", err)
				} else if err := privateFile(l.TLS.EcKeyFile); err != nil {
					add(p+".tls.ec_key_file", "%v", err)
				}
			}
		} else if l.TLS.EcCertFile != "" {
			add(p+".tls.ec_cert_file", "needs tls.mode starttls or implicit")
		}
		if l.TLS.Required && l.TLS.Mode == "none" {
			add(p+".tls.required", "needs tls.mode starttls or implicit: with tls.mode none no client could ever send")
		}
		if l.TLS.ClientCAFile != "" {
			if _, err := LoadCertPool(l.TLS.ClientCAFile); err != nil {
				add(p+".tls.client_ca_file", "%v", err)
			}
		}
		r := l.Relay
		if len(r.AllowIPs) == 0 && len(r.Users) == 0 && len(r.ClientCertSHA256) == 0 && len(r.ClientCertNames) == 0 {
			add(p+".relay", "no relay rule: set allow_ips, users, client_cert_sha256 or client_cert_names, or nobody can send through this listener")
		}
		for j, ip := range r.AllowIPs {
			if _, err := ParsePrefix(ip); err != nil {
				add(fmt.Sprintf("%s.relay.allow_ips[%d]", p, j), "%q is not an IP address or CIDR", ip)
			}
		}
		if len(r.Users) > 0 && l.TLS.Mode == "none" {
			add(p+".relay.users", "SMTP AUTH needs TLS (tls.mode is none): passwords must not cross the network in the clear")
		}
		users := map[string]bool{}
		for j, u := range r.Users {
			up := fmt.Sprintf("%s.relay.users[%d]", p, j)
			if u.Name == "" {
				add(up+".name", "must be set")
			} else if users[u.Name] {
				add(up+".name", "duplicate user %q", u.Name)
			}
			users[u.Name] = true
			if !passhash.Valid(u.PasswordHash) { // the rule smtpd applies
				add(up+".password_hash", "must be an argon2id ($argon2id$...) or bcrypt ($2b$...) hash, never a plain password (make one with `sealgate hash-password`)")
			}
		}
		for j, fp := range r.ClientCertSHA256 {
			if _, err := NormalizeFingerprint(fp); err != nil {
				add(fmt.Sprintf("%s.relay.client_cert_sha256[%d]", p, j), "%v", err)
			}
		}
		if (len(r.ClientCertSHA256) > 0 || len(r.ClientCertNames) > 0) && l.TLS.Mode == "none" {
			add(p+".relay", "client certificate rules need tls.mode starttls or implicit")
		}
		if len(r.ClientCertNames) > 0 && l.TLS.ClientCAFile == "" {
			add(p+".relay.client_cert_names", "needs tls.client_ca_file: a name is only worth something on a certificate that chains to a CA you trust (anyone can self-sign any name)")
		}
		for j, d := range r.SenderDomains {
			if d == "" || strings.ContainsAny(d, " @/:") || !strings.Contains(strings.TrimPrefix(d, "."), ".") {
				add(fmt.Sprintf("%s.relay.sender_domains[%d]", p, j), "%q is not a domain (example.org, or .example.org for its subdomains)", d)
			}
		}
	}

	lim := c.Limits
	positive := func(path string, v int64) {
		if v <= 0 {
			add(path, "must be greater than zero")
		}
	}
	positive("limits.max_message_size", int64(lim.MaxMessageSize))
	positive("limits.max_recipients", int64(lim.MaxRecipients))
	if lim.MaxLineLength < 1000 {
		add("limits.max_line_length", "must be at least 1000 (RFC 5321 §4.5.3.1.6)")
	}
	positive("limits.command_timeout", int64(lim.CommandTimeout))
	positive("limits.data_timeout", int64(lim.DataTimeout))
	positive("limits.max_connections", int64(lim.MaxConnections))
	positive("limits.max_connections_per_ip", int64(lim.MaxConnectionsPerIP))
	positive("limits.auth_fail_limit", int64(lim.AuthFailLimit))
	positive("limits.max_received", int64(lim.MaxReceived))
	positive("limits.max_session_time", int64(lim.MaxSessionTime))
	positive("limits.max_commands", int64(lim.MaxCommands))

	r := c.Relay
	if r.Smarthost != "" {
		hostPort(add, "relay.smarthost", r.Smarthost)
	}
	levelIn(add, "relay.smarthost_tls", r.SmarthostTLS, tlslevel.Smarthost())
	levelIn(add, "relay.default_tls", r.DefaultTLS, tlslevel.Ordered())
	doms := make([]string, 0, len(r.TLSPolicy))
	for dom := range r.TLSPolicy {
		doms = append(doms, dom)
	}
	sort.Strings(doms)
	for _, dom := range doms {
		lvl := r.TLSPolicy[dom]
		p := "relay.tls_policy." + dom
		d := strings.TrimPrefix(dom, ".")
		if d == "" || strings.ContainsAny(d, " @/:") || !strings.Contains(d, ".") && d != "localhost" {
			add(p, "%q is not a domain (use example.org, or .example.org for its subdomains)", dom)
		}
		levelIn(add, p, lvl, tlslevel.Admin())
	}
	if r.SmarthostAuth.Username != "" {
		if r.Smarthost == "" {
			add("relay.smarthost_auth", "set but relay.smarthost is empty")
		}
		if r.SmarthostTLS != tlslevel.Verify && r.SmarthostTLS != tlslevel.Implicit {
			// Unverified TLS would hand the password to whoever sits in
			// the middle.
			add("relay.smarthost_tls", "must be verify or implicit when smarthost_auth is set (the password goes only to a verified server)")
		}
		if r.SmarthostAuth.PasswordFile == "" {
			add("relay.smarthost_auth.password_file", "must be set with username")
		} else if err := privateFile(r.SmarthostAuth.PasswordFile); err != nil {
			add("relay.smarthost_auth.password_file", "%v", err)
		}
	}
	if r.CAFile != "" {
		if _, err := LoadCertPool(r.CAFile); err != nil {
			add("relay.ca_file", "%v", err)
		}
	}
	if r.Resolver != "" {
		hostPort(add, "relay.resolver", r.Resolver)
	}
	if r.MXPort < 1 || r.MXPort > 65535 {
		add("relay.mx_port", "must be a port number (1-65535)")
	}
	positive("relay.max_lifetime", int64(r.MaxLifetime))
	if r.HoldLifetime < 0 {
		add("relay.hold_lifetime", "must not be negative (0: relay.max_lifetime)")
	}
	if r.DelayWarning < 0 || (r.DelayWarning > 0 && r.DelayWarning >= r.MaxLifetime) {
		add("relay.delay_warning", "must be 0 (off) or shorter than relay.max_lifetime")
	}
	positive("relay.retry_min", int64(r.RetryMin))
	positive("relay.retry_max", int64(r.RetryMax))
	if r.RetryMin > r.RetryMax {
		add("relay.retry_min", "%s is longer than relay.retry_max %s", r.RetryMin, r.RetryMax)
	}
	positive("relay.max_concurrency", int64(r.MaxConcurrent))
	positive("relay.max_per_domain", int64(r.MaxPerDomain))
	a := c.Audit
	if a.SigningKeyFile == "" {
		add("audit.signing_key_file", "must be set: checkpoints of the audit log are signed with this Ed25519 key (generate one with `sealgate keygen audit`)")
	} else if _, err := ReadSigningKey(a.SigningKeyFile); err != nil {
		add("audit.signing_key_file", "%v", err)
	}
	positive("audit.segment_max_size", int64(a.SegmentMaxSize))
	positive("audit.checkpoint_every", int64(a.CheckpointEvery))
	positive("audit.checkpoint_interval", int64(a.CheckpointInterval))
	if a.Retention < 0 {
		add("audit.retention", "must not be negative (0 keeps the log forever)")
	}
	if a.Syslog != "" {
		u, err := url.Parse(a.Syslog)
		if err != nil || (u.Scheme != "udp" && u.Scheme != "tcp" && u.Scheme != "unix") || (u.Scheme != "unix" && u.Host == "") {
			add("audit.syslog", "%q is not udp://host:port, tcp://host:port or unix:///path", a.Syslog)
		}
	}
	k := c.Keys
	for i, src := range k.Lookup {
		if src != "local" && src != "wkd" {
			add(fmt.Sprintf("keys.lookup[%d]", i), "%q is not a key source (known: local, wkd)", src)
		}
	}
	positive("keys.wkd.timeout", int64(k.WKD.Timeout))
	positive("keys.wkd.positive_ttl", int64(k.WKD.PositiveTTL))
	positive("keys.wkd.negative_ttl", int64(k.WKD.NegativeTTL))
	if (k.Org.SMIMECertFile == "") != (k.Org.SMIMEKeyFile == "") {
		add("keys.org", "smime_cert_file and smime_key_file go together")
	} else if k.Org.SMIMECertFile != "" {
		if err := loadKeyPair(k.Org.SMIMECertFile, k.Org.SMIMEKeyFile); err != nil {
			add("keys.org.smime_cert_file", "cannot load certificate and key: %v", err)
		} else if err := privateFile(k.Org.SMIMEKeyFile); err != nil {
			add("keys.org.smime_key_file", "%v", err)
		}
	}
	for _, f := range []struct{ path, file string }{{"keys.org.pgp_key_file", k.Org.PGPKeyFile}, {"keys.org.pgp_passphrase_file", k.Org.PGPPassphraseFile}} {
		if f.file != "" {
			if err := privateFile(f.file); err != nil {
				add(f.path, "%v", err)
			}
		}
	}
	oneOf(add, "keys.smime_key_transport", k.SMIMEKeyTransport, smimeKeyTransports)
	oneOf(add, "keys.smime_content_cipher", k.SMIMEContentCipher, smimeContentCiphers)
	oneOf(add, "keys.header_protection", k.HeaderProtection, headerProtections)
	if k.SMIMECAFile != "" {
		if _, err := LoadCertPool(k.SMIMECAFile); err != nil {
			add("keys.smime_ca_file", "%v", err)
		}
	}
	for i, p := range c.Policy.Paths {
		if _, err := os.Stat(p); err != nil {
			add(fmt.Sprintf("policy.paths[%d]", i), "%v", err)
		}
	}
	if strings.TrimSpace(c.Policy.Subject) == "" {
		add("policy.encrypted_subject", "must not be empty (it replaces the Subject of encrypted messages)")
	}
	seenDKIM := map[string]bool{}
	for i, dk := range c.DKIM.Keys {
		p := fmt.Sprintf("dkim.keys[%d]", i)
		if dk.Domain == "" || !strings.Contains(dk.Domain, ".") {
			add(p+".domain", "%q is not a domain", dk.Domain)
		}
		if dk.Selector == "" || strings.ContainsAny(dk.Selector, " ;=") {
			add(p+".selector", "%q is not a DKIM selector", dk.Selector)
		}
		if seenDKIM[strings.ToLower(dk.Domain)] {
			add(p+".domain", "a second key for %s (one key per domain)", dk.Domain)
		}
		seenDKIM[strings.ToLower(dk.Domain)] = true
		if dk.KeyFile == "" {
			add(p+".key_file", "must be set (make one with `sealgate dkim keygen DOMAIN SELECTOR`)")
		} else if err := privateFile(dk.KeyFile); err != nil {
			add(p+".key_file", "%v", err)
		}
	}
	positive("relay.connect_timeout", int64(r.ConnectTimeout))
	positive("relay.command_timeout", int64(r.CommandTimeout))
	if t := r.TLSRPT; t.Enabled {
		if strings.TrimSpace(t.Organization) == "" {
			add("relay.tlsrpt.organization", "must be set when relay.tlsrpt.enabled (the organization-name reports carry, RFC 8460 §4.4)")
		}
		if strings.TrimSpace(t.Contact) == "" {
			add("relay.tlsrpt.contact", "must be set when relay.tlsrpt.enabled (a mail address or URL receivers can reach you at)")
		}
		for _, kv := range [][2]string{{"organization", t.Organization}, {"contact", t.Contact}} {
			if strings.ContainsAny(kv[1], "\r\n") {
				add("relay.tlsrpt."+kv[0], "must be one line")
			}
		}
	}
	c.Portal.validate(add)
	c.API.validate(add)
	c.Webhooks.validate(add)
	for i, v := range c.Policy.NotifySenderOn {
		oneOf(add, fmt.Sprintf("policy.notify_sender_on[%d]", i), v, []string{"held", "portal"})
	}
	return ps
}

func oneOf(add func(string, string, ...any), path, v string, allowed []string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	add(path, "%q is not one of: %s", v, strings.Join(allowed, ", "))
}

// levelIn is oneOf for TLS levels (package tlslevel spells them).
func levelIn(add func(string, string, ...any), path string, v tlslevel.Level, allowed []tlslevel.Level) {
	if _, err := tlslevel.ParseIn(v.String(), allowed); err != nil {
		add(path, "%q is not one of: %s", v.String(), tlslevel.Join(allowed))
	}
}

func hostPort(add func(string, string, ...any), path, v string) {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		add(path, "%q is not host:port", v)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		add(path, "%q has no valid port", v)
	}
}

// ParsePrefix reads "192.0.2.1" or "192.0.2.0/24".
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// NormalizeFingerprint turns "AB:CD:..." or "abcd..." into lowercase hex of
// a SHA-256.
func NormalizeFingerprint(fp string) (string, error) {
	s := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(fp, ":", ""), " ", ""))
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return "", fmt.Errorf("%q is not a SHA-256 fingerprint (64 hex digits)", fp)
	}
	return s, nil
}

// ReadKeyFile reads a 32-byte key written as hex or base64, and refuses a
// file that group or others can read.
func ReadKeyFile(path string) ([]byte, error) {
	if err := privateFile(path); err != nil {
		return nil, err
	}
	raw, err := secretfile.Read(path, 4096)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(raw))
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, fmt.Errorf("%s: must hold a 32-byte key as 64 hex digits or base64", path)
}

// privateFile refuses files that exist with group/other permissions, and
// anything but a regular file (a device would be read forever).
func privateFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s: mode %04o lets others read a secret; chmod 600 it", path, st.Mode().Perm())
	}
	return nil
}

// readSmall reads a regular file of at most max bytes.
func readSmall(path string, max int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return os.ReadFile(path)
}

// readKeyPair is tls.LoadX509KeyPair for regular files of sane size.
func readKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	c, err := readSmall(certFile, 1<<20)
	if err != nil {
		return tls.Certificate{}, err
	}
	k, err := readSmall(keyFile, 1<<20)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(c, k)
}

func loadKeyPair(certFile, keyFile string) error {
	_, err := readKeyPair(certFile, keyFile)
	return err
}

// loadECKeyPair is loadKeyPair for a certificate whose key is ECDSA.
func loadECKeyPair(certFile, keyFile string) error {
	pair, err := readKeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("cannot load certificate and key: %v", err)
	}
	if _, ok := pair.PrivateKey.(*ecdsa.PrivateKey); !ok {
		return fmt.Errorf("%s: the key is %T, want ECDSA (the RSA certificate goes in tls.cert_file)", certFile, pair.PrivateKey)
	}
	return nil
}

// LoadCertPool reads PEM certificates into a pool.
func LoadCertPool(path string) (*x509.CertPool, error) {
	pem, err := readSmall(path, 16<<20)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate found", path)
	}
	return pool, nil
}

// ReadSigningKey reads an Ed25519 private key stored as the 64-hex-digit
// seed, refusing a file that group or others can read.
func ReadSigningKey(path string) (ed25519.PrivateKey, error) {
	seed, err := ReadKeyFile(path)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
