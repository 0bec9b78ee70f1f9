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
	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/internal/passhash"
)

const demoPassword = "demo-password"

func newDemo() *cobra.Command {
	var dir, listen, web, sinkAddr, admin string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a self-contained gateway with a built-in capture mailbox (no config needed)",
		Long: `demo runs sealgate with no config file: the gateway listens on 127.0.0.1:2525
(STARTTLS with a generated certificate; relaying allowed from 127.0.0.1 and for
user "demo"), and relays everything into a built-in capture mailbox whose web page
(http://127.0.0.1:8025) shows every message that left the gateway, raw.
The demo's config, certificate, spool key and spool live in --dir.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd, dir, listen, web, sinkAddr, admin)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "sealgate-demo", "directory for the demo's config, keys and spool")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:2525", "gateway SMTP address")
	cmd.Flags().StringVar(&web, "web", "127.0.0.1:8025", "capture mailbox web page address")
	cmd.Flags().StringVar(&sinkAddr, "sink", "127.0.0.1:2526", "capture mailbox SMTP address (the gateway's next hop)")
	cmd.Flags().StringVar(&admin, "admin", "127.0.0.1:9025", "metrics and health address")
	return cmd
}

func runDemo(cmd *cobra.Command, dir, listen, web, sinkAddr, admin string) error {
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
	for _, name := range []string{"spool.key", "audit.key"} {
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
  smarthost: %q
  smarthost_tls: verify
  retry_min: 10s
  retry_max: 1m
`, admin, listen, hash, sinkAddr)
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
	log := newLogger(cfg.Log, cmd.ErrOrStderr())
	fmt.Fprintf(cmd.OutOrStdout(), `
sealgate demo
  gateway (SMTP, STARTTLS):   %s   relaying allowed from 127.0.0.1, or AUTH user "demo" / %q
  captured mail (web page):   http://%s
  metrics and health:         http://%s/metrics   /healthz
  config, keys, spool:        %s

Send a message through it:
  swaks --server %s --tls --from alice@clinic.example --to bob@partner.example \
        --header "Subject: test" --body "Hello through sealgate"
Then open http://%s to see it as it left the gateway (over TLS, required by the
default policy for mail without PHI).

Now send PHI (the default policy scans every message and protects PHI by the strongest
method each recipient can receive: PGP, S/MIME, verified TLS, else it is held):
  swaks --server %s --tls --from alice@clinic.example --to %s \
        --header "Subject: lab results" --body "Patient SSN: 078-05-1121, MRN: 4455667"
  -> leaves S/MIME-encrypted (the demo key store has a certificate for bob);
     decrypt it: openssl cms -decrypt -in MSG.eml -recip %s/bob.crt -inkey %s/bob.key
  ... --to %s   -> leaves PGP-encrypted (gpg --import %s/carol.sec.asc)
  ... --to anyone@else.example -> leaves over verified TLS: the demo's next hop proves its
      certificate. Where no method fits, that recipient alone is held, never sent in the
      clear (go run ./cmd/sealgate queue list -c %s/sealgate.yaml)
Every decision is in the audit log: go run ./cmd/sealgate audit tail -c %s/sealgate.yaml
Ctrl-C stops the demo.

`, listen, demoPassword, wl.Addr(), admin, dir, listen, wl.Addr(),
		listen, demoSMIMERecipient, dir, dir, demoPGPRecipient, dir, dir, dir)
	return run(cfg, log, nil, gateway.Options{Logger: log, RelayRootCAs: pool})
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
