package gateway

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/tlsrpt"
	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/internal/dnstest"
)

// TestTLSRPTNextDayReportsStartTLSNotSupported: partner.test publishes
// DANE (secure TLSA records) for an MX that offers no STARTTLS. The
// gateway defers the mail (never plaintext) and counts the failed
// sessions; after midnight UTC the report for that day goes to both rua
// destinations: an https receiver (verified TLS) and a mailbox at
// partner.test, whose mail the relay delivers despite the TLS failure
// (RFC 8460 §5.3) to the same MX. Both say tlsa, starttls-not-supported;
// the report's own delivery is not counted; the audit log has one
// tls_report record per destination.
func TestTLSRPTNextDayReportsStartTLSNotSupported(t *testing.T) {
	sink := capture.New("mx.partner.test", nil) // no STARTTLS
	if _, err := sink.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	_, port, _ := net.SplitHostPort(sink.Addr())

	var mu sync.Mutex
	var posted []tlsrpt.Report
	rcv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Content-Type") != "application/tlsrpt+gzip" {
			http.Error(w, "type", http.StatusUnsupportedMediaType)
			return
		}
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, "gzip", http.StatusBadRequest)
			return
		}
		var rep tlsrpt.Report
		if err := json.NewDecoder(zr).Decode(&rep); err != nil {
			http.Error(w, "json", http.StatusBadRequest)
			return
		}
		mu.Lock()
		posted = append(posted, rep)
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rcv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(rcv.Certificate())

	zone := dnstest.Start(t).SecureAll().Add(
		"partner.test. 60 IN MX 10 mx.partner.test.",
		"mx.partner.test. 60 IN A 127.0.0.1",
		"_"+port+"._tcp.mx.partner.test. 60 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		`_smtp._tls.partner.test. 60 IN TXT "v=TLSRPTv1; rua=`+rcv.URL+`/r,mailto:tlsrpt@partner.test"`,
	)
	env := writeConfig(t, "", "")
	appendConfig(t, env, "  resolver: "+zone.Addr+"\n  mx_port: "+port+
		"\n  mta_sts: false\n  dane: true\n  downgrade_memory: false\n"+
		"  tlsrpt:\n    enabled: true\n    organization: Example Clinic\n    contact: tls-reports@clinic.test\n")

	var clk struct {
		sync.Mutex
		t time.Time
	}
	clk.t = time.Now().UTC()
	now := func() time.Time { clk.Lock(); defer clk.Unlock(); return clk.t }
	day := clk.t.Format("2006-01-02")

	cfg, err := config.Load(env.CfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var logw io.Writer = io.Discard
	if testing.Verbose() {
		logw = os.Stderr
	}
	g, err := New(cfg, Options{Logger: slog.New(slog.NewJSONHandler(logw, nil)), RelayRootCAs: roots, TLSRPTNow: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Stop(context.Background()) })

	if err := send(g.ListenerAddrs()["in"], "doc@clinic.test", []string{"x@partner.test"}, testMessage("doc@clinic.test", "x@partner.test", "m1")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "a deferred delivery with starttls-not-supported", func() bool {
		for _, r := range auditRecords(t, env) {
			if r.Type == audit.TypeDelivery && strings.Contains(string(r.Data), `"tls_failure":"starttls-not-supported"`) {
				return true
			}
		}
		return false
	})
	if n := sink.Count(); n != 0 {
		t.Fatalf("the MX without STARTTLS got %d messages", n)
	}

	clk.Lock()
	clk.t = clk.t.Truncate(24 * time.Hour).Add(24*time.Hour + 20*time.Minute)
	clk.Unlock()
	n, err := g.tlsrpt.SendDue(t.Context())
	if err != nil || n != 2 {
		t.Fatalf("SendDue = %d, %v; want 2 reports", n, err)
	}

	mu.Lock()
	got := append([]tlsrpt.Report(nil), posted...)
	mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("https receiver got %d reports", len(got))
	}
	checkE2EReport(t, got[0], day)

	waitFor(t, 20*time.Second, "the mailed report at the MX", func() bool { return sink.Count() == 1 })
	m := sink.Messages()[0]
	if m.From != "" || len(m.Recipients) != 1 || m.Recipients[0] != "tlsrpt@partner.test" || m.TLS != "" {
		t.Errorf("report mail envelope from %q to %q tls %q", m.From, m.Recipients, m.TLS)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("TLS-Report-Domain") != "partner.test" || msg.Header.Get("TLS-Report-Submitter") != "sealgate.test" ||
		msg.Header.Get("From") != "tls-reports@clinic.test" {
		t.Errorf("report mail headers %v", msg.Header)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if params["report-type"] != "tlsrpt" {
		t.Errorf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var mailed *tlsrpt.Report
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if p.Header.Get("Content-Type") == "application/tlsrpt+gzip" {
			zr, err := gzip.NewReader(base64.NewDecoder(base64.StdEncoding, p))
			if err != nil {
				t.Fatal(err)
			}
			mailed = &tlsrpt.Report{}
			if err := json.NewDecoder(zr).Decode(mailed); err != nil {
				t.Fatal(err)
			}
		}
	}
	if mailed == nil {
		t.Fatal("no application/tlsrpt+gzip part in the mailed report")
	}
	checkE2EReport(t, *mailed, day)

	var recs []audit.TLSReport
	for _, r := range auditRecords(t, env) {
		if r.Type == audit.TypeTLSReport {
			var d audit.TLSReport
			json.Unmarshal(r.Data, &d)
			recs = append(recs, d)
		}
	}
	if len(recs) != 2 || recs[0].Result != "sent" || recs[1].Result != "sent" || recs[0].Domain != "partner.test" || recs[0].Day != day {
		t.Errorf("tls_report records %+v", recs)
	}
	// The counts are kept in the data directory.
	if err := g.tlsrpt.Flush(); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(env.Dir, "data", "tlsrpt.db")); err != nil {
		t.Error(err)
	}
}

func checkE2EReport(t *testing.T, rep tlsrpt.Report, day string) {
	t.Helper()
	if rep.OrganizationName != "Example Clinic" || rep.ContactInfo != "tls-reports@clinic.test" || rep.ReportID != day+".partner.test@sealgate.test" ||
		rep.DateRange.Start.Format("2006-01-02") != day {
		t.Errorf("report header %+v", rep)
	}
	if len(rep.Policies) != 1 {
		t.Fatalf("policies %+v", rep.Policies)
	}
	p := rep.Policies[0]
	if p.Policy.Type != "tlsa" || p.Policy.Domain != "partner.test" || len(p.Policy.String) != 1 || !strings.HasPrefix(p.Policy.String[0], "3 1 1 0123") {
		t.Errorf("policy %+v", p.Policy)
	}
	if p.Summary.Failed < 1 || p.Summary.Successful != 0 || len(p.FailureDetails) != 1 {
		t.Fatalf("summary %+v details %+v", p.Summary, p.FailureDetails)
	}
	d := p.FailureDetails[0]
	if d.ResultType != "starttls-not-supported" || d.ReceivingMXHostname != "mx.partner.test" || d.ReceivingIP != "127.0.0.1" ||
		d.SendingMTAIP != "127.0.0.1" || d.FailedSessionCount != p.Summary.Failed {
		t.Errorf("failure-details %+v", d)
	}
}
