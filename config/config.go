// Package config holds sealgate's typed configuration: loaded from one YAML
// file with viper, every key overridable by a SEALGATE_* environment variable
// (SEALGATE_RELAY_SMARTHOST for relay.smarthost), unknown keys refused, and
// every problem reported at once with its key path.
package config

import (
	"time"

	"github.com/sealgate/sealgate/internal/tlslevel"
)

// DefaultPath is where serve, check and queue look without -c.
const DefaultPath = "/etc/sealgate/sealgate.yaml"

// Config is the whole daemon configuration. The yaml key of each field is in
// its mapstructure tag; docs/config.md and testdata/sealgate.yaml document them.
type Config struct {
	// Hostname is sealgate's name in greetings, Received headers, EHLO and DSNs.
	Hostname string `mapstructure:"hostname"`
	// DataDir holds the spool, the queue state and the control socket.
	DataDir string `mapstructure:"data_dir"`

	Spool     Spool      `mapstructure:"spool"`
	Log       Log        `mapstructure:"log"`
	Admin     Admin      `mapstructure:"admin"`
	Control   Control    `mapstructure:"control"`
	Listeners []Listener `mapstructure:"listeners"`
	Limits    Limits     `mapstructure:"limits"`
	Relay     Relay      `mapstructure:"relay"`
	Audit     Audit      `mapstructure:"audit"`
	Keys      Keys       `mapstructure:"keys"`
	Policy    Policy     `mapstructure:"policy"`
	DKIM      DKIM       `mapstructure:"dkim"`
	Portal    Portal     `mapstructure:"portal"`
	API       API        `mapstructure:"api"`
	Webhooks  Webhooks   `mapstructure:"webhooks"`
}

// Portal configures the secure portal: recipients with no key, no
// certificate and no verified TLS read their message there (docs/portal.md).
type Portal struct {
	// Enabled turns the portal on: the "portal" method in policy rules
	// works only then (otherwise such recipients are held).
	Enabled bool `mapstructure:"enabled"`
	// Listen is the portal's HTTPS address ("0.0.0.0:8443").
	Listen string `mapstructure:"listen"`
	// PublicURL is how recipients reach it ("https://secure.example.org"):
	// notification links are PublicURL/m/<token>.
	PublicURL string `mapstructure:"public_url"`
	CertFile  string `mapstructure:"cert_file"`
	KeyFile   string `mapstructure:"key_file"`
	// Dir holds the sealed messages, their wrapped keys and the index;
	// default <data_dir>/portal.
	Dir string `mapstructure:"dir"`
	// KEKFile (or KEKEnv, the name of an environment variable) holds the
	// 32-byte key-encryption key that wraps every message's data key.
	KEKFile string `mapstructure:"kek_file"`
	KEKEnv  string `mapstructure:"kek_env"`
	// Expiry is how long a message stays readable; default 30 days.
	Expiry time.Duration `mapstructure:"expiry"`
	// OrgName is shown in the portal and the emails it sends.
	OrgName string `mapstructure:"org_name"`
	// LogoURL, when set, is an https URL of the logo in notification emails.
	LogoURL string `mapstructure:"logo_url"`
	// TemplateDir may hold notification.txt/.html and code.txt/.html.
	TemplateDir string `mapstructure:"template_dir"`
	// ShowSubject puts the original subject in the notification email
	// (off: a neutral subject, since subjects often carry PHI).
	ShowSubject bool `mapstructure:"show_subject"`
	// CodeFrom is the sender of one-time code emails; default
	// no-reply@<hostname>.
	CodeFrom string `mapstructure:"code_from"`
	// ReplyAll lets a recipient reply to every recipient of the original.
	ReplyAll bool `mapstructure:"reply_all"`
	// TOTP is the second factor after the email code: "off" (or empty),
	// "optional" (a recipient may enrol an authenticator app; then it is
	// asked for on every message to that address) or "required".
	TOTP string `mapstructure:"totp"`
}

// DKIM configures signing of every outgoing copy (after encryption).
type DKIM struct {
	// Keys, one per sender domain (and selector).
	Keys []DKIMKey `mapstructure:"keys"`
	// Headers to sign; default From, To, Cc, Subject, Date, Message-ID,
	// MIME-Version, Content-Type, Reply-To, with From oversigned.
	Headers []string `mapstructure:"headers"`
}

// DKIMKey is a signing key for one domain.
type DKIMKey struct {
	Domain   string `mapstructure:"domain"`
	Selector string `mapstructure:"selector"`
	KeyFile  string `mapstructure:"key_file"` // PEM (RSA PKCS#1/PKCS#8 or Ed25519 PKCS#8), mode 0600
}

// Policy names the policy files (docs/policy.md).
type Policy struct {
	// Paths are policy files or directories of *.yaml; empty means the
	// shipped default policy.
	Paths []string `mapstructure:"paths"`
	// Watch reloads the policy when a file changes (SIGHUP always does).
	Watch bool `mapstructure:"watch"`
	// Subject replaces the Subject of every encrypted message (the real
	// one travels inside, encrypted).
	Subject string `mapstructure:"encrypted_subject"`
	// SharedCopies lets the recipients the message header names (To, Cc)
	// share one multi-recipient PGP or S/MIME copy, which shows each of
	// them the others' key IDs or certificates. Blind-copied recipients
	// always get their own. Off: every recipient gets their own copy.
	SharedCopies bool `mapstructure:"shared_copies"`
	// NotifySenderOn tells the sender, with a notice that quotes nothing
	// of the message, when some recipient is "held" (no method could
	// protect it) or went by "portal". Empty: only rules with
	// notify_sender do.
	NotifySenderOn []string `mapstructure:"notify_sender_on"`
	// PassEncrypted lets mail the sender already encrypted end to end
	// (PGP/MIME, S/MIME enveloped: checked by content, not only by label)
	// leave as it is with TLS required, since it cannot be scanned and
	// needs no second layer. Off: it is unscannable, and the default
	// policy encrypts it again for each recipient.
	PassEncrypted bool `mapstructure:"pass_encrypted"`
}

// Keys configures recipient keys and certificates and the organisation's
// signing identities.
type Keys struct {
	// Dir holds the recipient key store; default <data_dir>/keys.
	Dir string `mapstructure:"dir"`
	// Lookup is the order sources are asked: "local", "wkd".
	Lookup []string `mapstructure:"lookup"`
	WKD    WKD      `mapstructure:"wkd"`
	// Harvest is reserved: learning senders' certificates and keys from
	// passing mail is not wired in yet (docs/config.md), so it does nothing.
	Harvest bool `mapstructure:"harvest"`
	// Org is the organisation's own signing identity.
	Org OrgIdentity `mapstructure:"org"`
	// SMIMECAFile, when set, is the trust store recipients' S/MIME
	// certificates must chain to; empty trusts what the admin imported.
	SMIMECAFile string `mapstructure:"smime_ca_file"`
	// SMIMEKeyTransport is how S/MIME content keys are wrapped for
	// recipients that do not announce RSAES-OAEP (their certificate's
	// SMIMECapabilities): "pkcs1v15" (default: every client opens it) or
	// "oaep" (gpgsm 2.2 and GPGME clients such as neomutt cannot).
	SMIMEKeyTransport string `mapstructure:"smime_key_transport"`
	// SMIMEContentCipher is "aes256-cbc" (default: EnvelopedData, read
	// everywhere) or "aes256-gcm" (AuthEnvelopedData, RFC 5083:
	// authenticated, but gpgsm 2.2 cannot read it).
	SMIMEContentCipher string `mapstructure:"smime_content_cipher"`
	// HeaderProtection is how encrypted mail (S/MIME and PGP/MIME) carries
	// its real headers (crypto/protect): "rfc9788+legacy-display" (default:
	// RFC 9788 hp="cipher" with HP-Outer, and the real Subject leading the
	// text for clients without header protection), "rfc9788" (no legacy
	// display), or "legacy-v1" (only the older protected-headers="v1").
	HeaderProtection string `mapstructure:"header_protection"`
}

// WKD configures Web Key Directory lookups.
type WKD struct {
	Timeout     time.Duration `mapstructure:"timeout"`
	PositiveTTL time.Duration `mapstructure:"positive_ttl"`
	NegativeTTL time.Duration `mapstructure:"negative_ttl"`
}

// OrgIdentity is what sealgate signs outgoing encrypted mail with.
type OrgIdentity struct {
	SMIMECertFile     string `mapstructure:"smime_cert_file"` // PEM, leaf first, then the chain
	SMIMEKeyFile      string `mapstructure:"smime_key_file"`  // PEM private key, mode 0600
	PGPKeyFile        string `mapstructure:"pgp_key_file"`    // armored private key, mode 0600
	PGPPassphraseFile string `mapstructure:"pgp_passphrase_file"`
}

// Audit configures the write-ahead, tamper-evident audit log.
type Audit struct {
	// Dir holds the segment files; default <data_dir>/audit.
	Dir string `mapstructure:"dir"`
	// SigningKeyFile holds the Ed25519 key (the 32-byte seed as 64 hex
	// digits, mode 0600) that signs checkpoints. Make one with
	// `sealgate keygen audit`.
	SigningKeyFile     string        `mapstructure:"signing_key_file"`
	SegmentMaxSize     ByteSize      `mapstructure:"segment_max_size"`
	CheckpointEvery    int           `mapstructure:"checkpoint_every"`
	CheckpointInterval time.Duration `mapstructure:"checkpoint_interval"`
	// Retention deletes whole segments older than this; 0 keeps forever
	// (HIPAA asks for 6 years of documentation).
	Retention time.Duration `mapstructure:"retention"`
	// Syslog copies every record to "udp://host:514", "tcp://host:514" or
	// "unix:///dev/log" (RFC 5424); a failure there never blocks mail.
	Syslog string `mapstructure:"syslog"`
	// Stdout copies every record to standard output.
	Stdout bool `mapstructure:"stdout"`
}

// Spool configures the durable message store.
type Spool struct {
	// KeyFile holds the 32-byte master key that seals every spooled file,
	// as 64 hex digits or 44 base64 characters. It must not be readable by
	// group or others.
	KeyFile string `mapstructure:"key_file"`
	// CopyMemory is how many bytes of outbound (encrypted, per-recipient)
	// copies may stay in memory until their message is delivered or
	// deferred, instead of each being written to a file; 0 writes them all.
	CopyMemory ByteSize `mapstructure:"copy_memory"`
}

// Log configures the operational log (not the audit log).
type Log struct {
	Level  string `mapstructure:"level"`  // debug, info, warn, error
	Format string `mapstructure:"format"` // json or text
}

// Admin is the HTTP listener for /metrics, /healthz and /readyz.
type Admin struct {
	Listen string `mapstructure:"listen"` // "" disables it
}

// Control is the local socket the queue CLI talks to.
type Control struct {
	Socket string `mapstructure:"socket"` // default <data_dir>/control.sock
}

// Listener is one ingress SMTP listener.
type Listener struct {
	Name   string    `mapstructure:"name"`
	Listen string    `mapstructure:"listen"` // host:port
	TLS    TLS       `mapstructure:"tls"`
	Relay  RelayAuth `mapstructure:"relay"`
}

// TLS is a listener's TLS setup.
type TLS struct {
	// Mode is starttls (offer STARTTLS), implicit (TLS from the first byte)
	// or none (no TLS at all: only for loopback testing).
	Mode     string `mapstructure:"mode"`
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
	// EcCertFile and EcKeyFile add an ECDSA certificate next to the RSA
	// one (Postfix's smtpd_tls_eccert_file): clients that offer ECDSA get
	// it and its signature costs a fraction of an RSA one per handshake.
	EcCertFile   string `mapstructure:"ec_cert_file"`
	EcKeyFile    string `mapstructure:"ec_key_file"`
	ClientCAFile string `mapstructure:"client_ca_file"` // client certificates must chain to these CAs
	// Required refuses MAIL with 530 5.7.0 until the client has done
	// STARTTLS (Postfix's smtpd_tls_security_level = encrypt).
	Required bool `mapstructure:"required"`
}

// RelayAuth says who may relay through a listener; any one rule suffices.
type RelayAuth struct {
	AllowIPs         []string `mapstructure:"allow_ips"` // IPs or CIDRs
	Users            []User   `mapstructure:"users"`
	ClientCertSHA256 []string `mapstructure:"client_cert_sha256"`
	ClientCertNames  []string `mapstructure:"client_cert_names"`
	// SenderDomains, when set, limits MAIL FROM to these domains
	// ("example.org", or ".example.org" for subdomains) for everyone on
	// this listener: Microsoft 365 and Google share their outbound IPs and
	// certificates across all customers, so an IP or certificate rule alone
	// would let any of their tenants relay through you.
	SenderDomains []string `mapstructure:"sender_domains"`
}

// User is an SMTP AUTH account. Hashes are argon2id (PHC string) or bcrypt;
// `sealgate hash-password` makes one.
type User struct {
	Name         string `mapstructure:"name"`
	PasswordHash string `mapstructure:"password_hash"`
}

// Limits protect the daemon; they apply to every listener.
type Limits struct {
	MaxMessageSize      ByteSize      `mapstructure:"max_message_size"`
	MaxRecipients       int           `mapstructure:"max_recipients"`
	MaxLineLength       int           `mapstructure:"max_line_length"`
	CommandTimeout      time.Duration `mapstructure:"command_timeout"`
	DataTimeout         time.Duration `mapstructure:"data_timeout"`
	MaxConnections      int           `mapstructure:"max_connections"`
	MaxConnectionsPerIP int           `mapstructure:"max_connections_per_ip"`
	AuthFailLimit       int           `mapstructure:"auth_fail_limit"`
	MaxReceived         int           `mapstructure:"max_received"`
	MaxSessionTime      time.Duration `mapstructure:"max_session_time"` // absolute connection lifetime
	MaxCommands         int           `mapstructure:"max_commands"`     // per connection
}

// Relay configures outbound delivery.
type Relay struct {
	// Smarthost is host:port of the next hop; empty means deliver by MX.
	Smarthost     string         `mapstructure:"smarthost"`
	SmarthostTLS  tlslevel.Level `mapstructure:"smarthost_tls"` // none, may, encrypt, verify, implicit
	SmarthostAuth SmarthostAuth  `mapstructure:"smarthost_auth"`
	// DefaultTLS applies to destinations without a TLSPolicy entry.
	DefaultTLS tlslevel.Level `mapstructure:"default_tls"`
	// TLSPolicy maps "example.org" (exact) or ".example.org" (subdomains)
	// to none, may, encrypt or verify.
	TLSPolicy   map[string]tlslevel.Level `mapstructure:"tls_policy"`
	CAFile      string                    `mapstructure:"ca_file"` // extra roots for verify; default system roots
	Resolver    string                    `mapstructure:"resolver"`
	MXPort      int                       `mapstructure:"mx_port"`
	MaxLifetime time.Duration             `mapstructure:"max_lifetime"`
	// HoldLifetime bounces (5.7.10, "could not be delivered securely") a
	// recipient still held for want of a secure method this long after the
	// message arrived; 0 means MaxLifetime.
	HoldLifetime time.Duration `mapstructure:"hold_lifetime"`
	// DelayWarning sends the sender one "delayed" DSN for mail still queued
	// this long (NOTIFY permitting); 0 turns it off.
	DelayWarning   time.Duration `mapstructure:"delay_warning"`
	RetryMin       time.Duration `mapstructure:"retry_min"`
	RetryMax       time.Duration `mapstructure:"retry_max"`
	MaxConcurrent  int           `mapstructure:"max_concurrency"`
	MaxPerDomain   int           `mapstructure:"max_per_domain"`
	ConnectTimeout time.Duration `mapstructure:"connect_timeout"`
	CommandTimeout time.Duration `mapstructure:"command_timeout"`
	// MTASTS enables RFC 8461 policy discovery for MX delivery.
	MTASTS bool `mapstructure:"mta_sts"`
	// DANE enables RFC 7672 TLSA checks for MX delivery; it needs a
	// DNSSEC-validating resolver (see ResolverTrusted).
	DANE bool `mapstructure:"dane"`
	// ResolverTrusted says the resolver validates DNSSEC and its AD bit may
	// be believed; a resolver on loopback is trusted without it.
	ResolverTrusted bool `mapstructure:"resolver_trusted"`
	// DowngradeMemory remembers the strongest TLS each domain has proven
	// and treats a later, weaker offer as an attack.
	DowngradeMemory bool `mapstructure:"downgrade_memory"`
	// HonorTLSRequiredNo lets a "TLS-Required: No" header (RFC 8689) relax
	// the recipient-domain TLS policy; never sealgate's own PHI policy.
	HonorTLSRequiredNo bool `mapstructure:"honor_tls_required_no"`
	// TLSRPT sends daily SMTP TLS reports (RFC 8460) to the recipient
	// domains that publish a TLSRPT record.
	TLSRPT TLSRPT `mapstructure:"tlsrpt"`
}

// TLSRPT configures the daily TLS reports (RFC 8460) sealgate sends.
type TLSRPT struct {
	Enabled bool `mapstructure:"enabled"`
	// Organization is the report's organization-name.
	Organization string `mapstructure:"organization"`
	// Contact is the report's contact-info (a mail address or URL); a mail
	// address is also the From of mailed reports.
	Contact string `mapstructure:"contact"`
}

// SmarthostAuth is optional AUTH PLAIN to the smarthost, only over TLS.
type SmarthostAuth struct {
	Username     string `mapstructure:"username"`
	PasswordFile string `mapstructure:"password_file"`
}
