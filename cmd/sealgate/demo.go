package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway"
	"github.com/sealgate/sealgate/gateway/relay"
	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/internal/passhash"
)

const demoPassword = "demo-password"

func newDemo() *cobra.Command {
	var dir, listen, web, sinkAddr, admin, portalAddr string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a self-contained gateway with a built-in capture mailbox (no config needed)",
		Long: `demo runs sealgate with no config file: the gateway listens on 127.0.0.1:2525
(STARTTLS with a generated certificate; relaying allowed from 127.0.0.1 and for
user "demo"), and delivers by MX, through a DNS server of its own, into a built-in
capture mailbox whose web page (http://127.0.0.1:8025) shows every message that
left the gateway, how it was protected, and what is held. The secure portal runs
on https://localhost:8443. The demo's config, certificate, keys and spool live in --dir.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd, demoAddrs{dir: dir, listen: listen, web: web, sink: sinkAddr, admin: admin, portal: portalAddr})
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "sealgate-demo", "directory for the demo's config, keys and spool")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:2525", "gateway SMTP address")
	cmd.Flags().StringVar(&web, "web", "127.0.0.1:8025", "capture mailbox web page address")
	cmd.Flags().StringVar(&sinkAddr, "sink", "127.0.0.1:2526", "capture mailbox SMTP address (the gateway's next hop)")
	cmd.Flags().StringVar(&admin, "admin", "127.0.0.1:9025", "metrics and health address")
	cmd.Flags().StringVar(&portalAddr, "portal", "127.0.0.1:8443", "secure portal (HTTPS) address")
	return cmd
}

// demoAddrs are the demo's directory and listening addresses.
type demoAddrs struct{ dir, listen, web, sink, admin, portal string }

func runDemo(cmd *cobra.Command, a demoAddrs) error {
	dir, listen, web, sinkAddr, admin := a.dir, a.listen, a.web, a.sink, a.admin
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	cert, pool, err := demoCert(dir)
	if err != nil {
		return err
	}
	for _, name := range []string{"spool.key", "audit.key", "portal.kek"} {
		keyFile := filepath.Join(dir, name)
		if _, err := os.Stat(keyFile); err != nil {
			k := make([]byte, 32)
			rand.Read(k)
			if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
				return err
			}
		}
	}

	sink := capture.New("capture.sealgate-demo.test", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if sinkAddr, err = sink.Listen(sinkAddr); err != nil {
		return fmt.Errorf("demo: capture mailbox: %w", err)
	}
	defer sink.Close()
	wl, err := net.Listen("tcp", web)
	if err != nil {
		return fmt.Errorf("demo: web page: %w", err)
	}
	go (&http.Server{Handler: sink.Handler(), ReadHeaderTimeout: 10 * time.Second}).Serve(wl)
	dkimName, dkimTXT, err := demoOrg(dir)
	if err != nil {
		return fmt.Errorf("demo: signing keys: %w", err)
	}
	dnsAddr, stopDNS, err := demoDNS(map[string]string{dkimName: dkimTXT})
	if err != nil {
		return fmt.Errorf("demo: DNS: %w", err)
	}
	defer stopDNS()
	_, sinkPort, _ := net.SplitHostPort(sinkAddr)
	_, portalPort, err := net.SplitHostPort(a.portal)
	if err != nil {
		return fmt.Errorf("demo: --portal: %w", err)
	}

	hash, _ := passhash.New([]byte(demoPassword), passhash.MinCost)
	cfgFile := filepath.Join(dir, "sealgate.yaml")
	yaml := fmt.Sprintf(`# Written by "sealgate demo"; rewritten at every demo start.
hostname: sealgate-demo.localhost
data_dir: data
spool:
  key_file: spool.key
audit:
  signing_key_file: audit.key
log:
  level: info
  format: text
admin:
  listen: %q
listeners:
  - name: demo
    listen: %q
    tls:
      mode: starttls
      cert_file: demo.crt
      key_file: demo.key
    relay:
      allow_ips: [127.0.0.1]
      users:
        - name: demo
          password_hash: %q
relay:
  # By MX, as in production; the demo's DNS server points every MX at the
  # capture mailbox on this port.
  resolver: %q
  mx_port: %s
  retry_min: 10s
  retry_max: 1m
# Every copy that leaves is DKIM-signed for the sender domain (the demo's DNS
# publishes the key), and encrypted copies carry the organisation's S/MIME or
# OpenPGP signature.
dkim:
  keys:
    - domain: %[8]s
      selector: %[9]s
      key_file: dkim.key
keys:
  org:
    smime_cert_file: org.crt
    smime_key_file: org.key
    pgp_key_file: org.sec.asc
portal:
  enabled: true
  listen: %[6]q
  public_url: "https://localhost:%[7]s"
  cert_file: demo.crt
  key_file: demo.key
  kek_file: portal.kek
  org_name: "Sealgate demo clinic"
`, admin, listen, hash, dnsAddr, sinkPort, a.portal, portalPort, demoSenderDomain, demoDKIMSelector)
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		return err
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		return err
	}
	if err := demoKeys(dir, cfg.Keys.Dir); err != nil {
		return fmt.Errorf("demo: keys: %w", err)
	}
	if err := demoP12(dir); err != nil {
		return fmt.Errorf("demo: keys: %w", err)
	}
	log := newLogger(cfg.Log, cmd.ErrOrStderr())
	fmt.Fprintf(cmd.OutOrStdout(), `
sealgate demo
  gateway (SMTP, STARTTLS):   %[1]s   relaying allowed from 127.0.0.1, or AUTH user "demo" / %[2]q
  captured mail (web page):   http://%[3]s
  secure portal (HTTPS):      https://localhost:%[4]s   (the demo's own certificate: %[5]s/demo.crt)
  metrics and health:         http://%[6]s/metrics   /healthz
  config, keys, spool:        %[5]s

Send a message without PHI:
  swaks --server %[1]s --tls --from alice@clinic.example --to bob@partner.example \
        --header "Subject: test" --body "Hello through sealgate"
It leaves as it came, over TLS (required by the default policy for mail without PHI).

Now send PHI to four recipients at once. The default policy protects each one by the
strongest method that recipient can receive (PGP > S/MIME > verified TLS > portal):
  swaks --server %[1]s --tls --from alice@clinic.example \
        --to %[7]s,%[8]s,dana@%[9]s,erin@home.example \
        --header "Subject: lab results" --body "Patient SSN: 078-05-1121, MRN: 4455667"
  -> bob:   S/MIME (the demo key store has his certificate); decrypt the raw message with
            openssl cms -decrypt -in MSG.eml -recip %[5]s/bob.crt -inkey %[5]s/bob.key
            or import %[5]s/bob.p12 (password %[11]q) into Thunderbird, Outlook,
            Apple Mail or gpgsm (gpgsm --import bob.p12) and open the message there
  -> carol: PGP/MIME (gpg --import %[5]s/carol.sec.asc, then gpg -d; the same file
            imports into Thunderbird's OpenPGP key manager or sq)
  -> dana:  the message itself, over verified TLS: %[9]s's MX presents a certificate
            the relay verifies (the demo's DNS points it at "localhost")
  -> erin:  no key, and home.example's MX certificate does not verify: the message stays
            sealed in the portal; erin gets a notification with a link (no PHI in it). Open
            the link, ask for a code, read the code mail on the capture page, and read the
            message; a reply goes back to alice through the same policy.
The capture page shows each message's method and TLS, and what is held and why.
Every copy from @%[12]s is DKIM-signed (d=%[12]s s=%[13]s; the demo's DNS at %[14]s
publishes the key), and encrypted copies are signed by the organisation (%[15]s):
%[5]s/org.crt for S/MIME, %[5]s/org.sec.asc for OpenPGP.
Every decision is in the audit log: %[10]s audit tail -c %[5]s/sealgate.yaml
Portal messages: %[10]s portal list -c %[5]s/sealgate.yaml
What the policy would do with a message: %[10]s policy test -c %[5]s/sealgate.yaml MSG.eml
Ctrl-C stops the demo.

`, listen, demoPassword, wl.Addr(), portalPort, dir, admin, demoSMIMERecipient, demoPGPRecipient, demoVerifiedDomain,
		selfCommand(), demoP12Password, demoSenderDomain, demoDKIMSelector, dnsAddr, demoOrgAddress)
	return run(cfg, log, nil, gateway.Options{Logger: log, RelayRootCAs: pool, Version: version}, func(g *gateway.Gateway) {
		sink.SetHeld(func() []capture.Held { return demoHeld(g) })
	})
}

// demoHeld lists what the queue holds, for the capture page.
func demoHeld(g *gateway.Gateway) []capture.Held {
	var out []capture.Held
	for _, e := range g.Relay().List() {
		for _, r := range e.Recipients {
			switch {
			case r.Status != relay.StatusQueued:
			case e.Held:
				out = append(out, capture.Held{MsgID: e.ID, Recipient: r.Addr, Reason: e.HoldReason})
			case r.Held:
				out = append(out, capture.Held{MsgID: e.ID, Recipient: r.Addr, Reason: r.HoldReason})
			}
		}
	}
	return out
}

// demoCert loads or creates a self-signed certificate for 127.0.0.1 and
// localhost, used both by the gateway and by the capture mailbox (so the
// relay can verify the next hop's certificate against it).
func demoCert(dir string) (tls.Certificate, *x509.CertPool, error) {
	crt, key := filepath.Join(dir, "demo.crt"), filepath.Join(dir, "demo.key")
	if _, err := os.Stat(crt); err != nil {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return tls.Certificate{}, nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()),
			Subject:      pkix.Name{CommonName: "sealgate demo"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().AddDate(1, 0, 0),
			DNSNames:     []string{"localhost"},
			IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			IsCA:         true, BasicConstraintsValid: true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
		if err != nil {
			return tls.Certificate{}, nil, err
		}
		kder, _ := x509.MarshalECPrivateKey(priv)
		if err := os.WriteFile(crt, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			return tls.Certificate{}, nil, err
		}
		if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
			return tls.Certificate{}, nil, err
		}
	}
	cert, err := tls.LoadX509KeyPair(crt, key)
	if err != nil {
		return cert, nil, err
	}
	pool := x509.NewCertPool()
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return cert, nil, err
	}
	pool.AddCert(leaf)
	return cert, pool, nil
}
