// Command loadgen is the SMTP load generator of bench/run.sh: like
// Postfix's smtp-source, but it speaks STARTTLS and can keep a connection
// for many messages, as a real smarthost client (M365, Workspace) does.
//
//	loadgen -addr 127.0.0.1:2525 -messages 5000 -sessions 20 -size 10240 \
//	        -starttls -ca testdata/tls/relay.crt -reuse 100
//
// It prints one JSON line (messages, errors by reply code, seconds, msg/s,
// MB/s, p50/p99 latency per message) and exits 1 if any message failed.
// It only ever connects to 127.0.0.1.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	var cfg Config
	var starttls, insecure bool
	var caFile, serverName string
	flag.StringVar(&cfg.Addr, "addr", "", "target `127.0.0.1:PORT` (no other host is accepted)")
	flag.IntVar(&cfg.Messages, "messages", 1000, "messages to send in all")
	flag.IntVar(&cfg.Sessions, "sessions", 20, "concurrent SMTP sessions")
	flag.IntVar(&cfg.Size, "size", 10240, "bytes per message, header included")
	flag.IntVar(&cfg.Rcpts, "rcpts", 1, "recipients per message (-to, then local-2@domain, ...)")
	flag.IntVar(&cfg.Reuse, "reuse", 1, "messages per connection; 1 = a new connection per message")
	flag.IntVar(&cfg.Domains, "domains", 1, "spread messages over this many recipient domains: message n to d<n mod N>.<domain of -to>")
	flag.StringVar(&cfg.From, "from", "from@clinic.test", "envelope sender")
	flag.StringVar(&cfg.To, "to", "to@partner.test", "first envelope recipient")
	flag.DurationVar(&cfg.Timeout, "timeout", 2*time.Minute, "per SMTP command, and for the dial and handshake")
	flag.BoolVar(&cfg.PHI, "phi", false, "start every body with a paragraph of PHI (name, SSN, MRN, diagnosis), so the gateway encrypts it")
	flag.BoolVar(&starttls, "starttls", false, "STARTTLS on every connection (fail if not offered)")
	flag.BoolVar(&insecure, "insecure", false, "with -starttls: do not verify the server certificate")
	flag.StringVar(&caFile, "ca", "", "with -starttls: verify the server against the PEM certificates in `file`")
	flag.StringVar(&serverName, "servername", "", "with -starttls: the name to send (SNI) and verify; default the target IP")
	flag.Parse()
	if flag.NArg() > 0 {
		fail(fmt.Errorf("loadgen: unexpected arguments %q", flag.Args()))
	}
	if starttls {
		tc, err := tlsConfig(insecure, caFile, serverName)
		if err != nil {
			fail(err)
		}
		cfg.TLS = tc
	} else if insecure || caFile != "" || serverName != "" {
		fail(fmt.Errorf("loadgen: -insecure, -ca and -servername need -starttls"))
	}

	res, err := Run(cfg)
	if err != nil {
		fail(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fail(err)
	}
	if res.Failed > 0 {
		os.Exit(1)
	}
}

// tlsConfig verifies the server with the system roots, the roots in
// caFile, or not at all (insecure). Sessions are not resumed: every
// connection pays a full handshake, the worst case for the server.
func tlsConfig(insecure bool, caFile, serverName string) (*tls.Config, error) {
	if serverName == "" {
		serverName = "127.0.0.1" // the only target there can be
	}
	tc := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	switch {
	case insecure && caFile != "":
		return nil, fmt.Errorf("loadgen: -insecure and -ca exclude each other")
	case insecure:
		tc.InsecureSkipVerify = true
	case caFile != "":
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("loadgen: -ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("loadgen: -ca %s: no PEM certificate in it", caFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(2)
}
