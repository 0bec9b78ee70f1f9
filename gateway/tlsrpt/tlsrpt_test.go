package tlsrpt

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sealgate/sealgate/internal/capture"
	"github.com/sealgate/sealgate/internal/dnsq"
	"github.com/sealgate/sealgate/internal/dnstest"
	"github.com/sealgate/sealgate/internal/testpki"
)

// clock is a time the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// receiver is an https rua: it gunzips and decodes every POST.
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	reports []Report
	types   []string
	status  int
}

func newReceiver(t *testing.T, cert ...tls.Certificate) *receiver {
	rc := &receiver{status: http.StatusCreated}
	rc.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.types = append(rc.types, req.Header.Get("Content-Type"))
		if req.Method != http.MethodPost || req.URL.Path != "/tlsrpt" {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, "not gzip", http.StatusBadRequest)
			return
		}
		var rep Report
		dec := json.NewDecoder(zr)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rep); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		rc.reports = append(rc.reports, rep)
		w.WriteHeader(rc.status)
	}))
	if len(cert) > 0 {
		rc.srv.TLS = &tls.Config{Certificates: cert}
	}
	rc.srv.StartTLS()
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) got() []Report {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Report(nil), rc.reports...)
}

// world is a Reporter's surroundings: DNS, an https receiver, an SMTP sink.
type world struct {
	dns   *dnstest.Server
	rcv   *receiver
	sink  *capture.Sink
	clk   *clock
	path  string
	reg   *prometheus.Registry
	mu    sync.Mutex
	sent  []Sent
	dir   string
	after func(time.Duration) <-chan time.Time
}

func newWorld(t *testing.T) *world {
	w := &world{dns: dnstest.Start(t), rcv: newReceiver(t), clk: &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}}
	w.dir = t.TempDir()
	w.path = filepath.Join(w.dir, "tlsrpt.db")
	w.sink = capture.New("sink.test", nil)
	if _, err := w.sink.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.sink.Close() })
	return w
}

func (w *world) open(t *testing.T, mod func(*Options)) *Reporter {
	t.Helper()
	w.reg = prometheus.NewRegistry()
	o := Options{
		Path: w.path, Organization: "Example Health", Contact: "tls-reports@sender.example", Submitter: "mx.sender.example",
		Resolver: &dnsq.Client{Server: w.dns.Addr}, HTTP: w.rcv.srv.Client(),
		Mail: func(ctx context.Context, rcpt string, msg []byte) (string, error) {
			// The gateway's queue stands in: straight to the sink.
			c, err := smtp.Dial(w.sink.Addr())
			if err != nil {
				return "", err
			}
			defer c.Close()
			return "q1", c.SendMail("", []string{rcpt}, bytes.NewReader(msg))
		},
		OnSent:     func(s Sent) { w.mu.Lock(); w.sent = append(w.sent, s); w.mu.Unlock() },
		Registerer: w.reg, Now: w.clk.Now, Jitter: func() time.Duration { return 17 * time.Minute },
		After: w.after,
	}
	if mod != nil {
		mod(&o)
	}
	r, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *world) sentEvents() []Sent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Sent(nil), w.sent...)
}

var stsLines = []string{"version: STSv1", "mode: enforce", "mx: *.rcv.example", "max_age: 86400"}

func recordDay(r *Reporter) {
	for range 3 {
		r.Record(Result{Domain: "rcv.example", PolicyType: PolicySTS, PolicyString: stsLines, MXHost: []string{"*.rcv.example"},
			ReceivingMX: "mx1.rcv.example", ReceivingIP: "192.0.2.10", SendingIP: "198.51.100.1"})
	}
	for range 2 {
		r.Record(Result{Domain: "rcv.example", PolicyType: PolicySTS, PolicyString: stsLines, MXHost: []string{"*.rcv.example"},
			Failure: "starttls-not-supported", ReceivingMX: "mx2.rcv.example", ReceivingIP: "192.0.2.11", SendingIP: "198.51.100.1"})
	}
	r.Record(Result{Domain: "quiet.example", PolicyType: PolicyNone, ReceivingMX: "mx.quiet.example"})
}

// TestDailyReportSurvivesRestartAndReachesHTTPSAndMail: counts of one day,
// a restart in the middle, then after midnight (plus the jitter) one
// report per rua, https POST and mail, with the counts; the day is then
// forgotten, and the domain without a TLSRPT record gets nothing.
func TestDailyReportSurvivesRestartAndReachesHTTPSAndMail(t *testing.T) {
	w := newWorld(t)
	w.dns.Add(`_smtp._tls.rcv.example. 300 IN TXT "v=TLSRPTv1; rua=` + w.rcv.srv.URL + `/tlsrpt,mailto:tlsrpt@reports.example"`)
	w.dns.Add(`_smtp._tls.rcv.example. 300 IN TXT "v=spf1 -all"`) // not a TLSRPT record: ignored

	r := w.open(t, nil)
	recordDay(r)
	if err := r.Close(); err != nil { // a restart in the middle of the day
		t.Fatal(err)
	}
	fired := make(chan time.Duration, 1)
	again := make(chan struct{})
	calls := 0
	w.after = func(d time.Duration) <-chan time.Time {
		calls++
		if calls == 1 {
			fired <- d
			w.clk.Add(d)
			c := make(chan time.Time, 1)
			c <- w.clk.Now()
			return c
		}
		close(again)
		return nil // never: the test stops Run
	}
	r = w.open(t, nil)
	defer r.Close()
	r.Record(Result{Domain: "rcv.example", PolicyType: PolicySTS, PolicyString: stsLines, MXHost: []string{"*.rcv.example"},
		ReceivingMX: "mx1.rcv.example", ReceivingIP: "192.0.2.10", SendingIP: "198.51.100.1"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	if d := <-fired; d != 14*time.Hour+17*time.Minute {
		t.Errorf("first wait %s, want 14h17m (to 00:00 UTC plus the jitter)", d)
	}
	select {
	case <-again:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not send")
	}
	cancel()
	<-done

	reps := w.rcv.got()
	if len(reps) != 1 {
		t.Fatalf("https receiver got %d reports, want 1", len(reps))
	}
	if ct := w.rcv.types[0]; ct != "application/tlsrpt+gzip" {
		t.Errorf("Content-Type %q", ct)
	}
	checkReport(t, reps[0])

	if !w.sink.WaitFor(10*time.Second, func(m []capture.Message) bool { return len(m) == 1 }) {
		t.Fatalf("sink got %d messages, want 1; events %+v", w.sink.Count(), w.sentEvents())
	}
	checkMail(t, w.sink.Messages()[0].Data)

	ev := w.sentEvents()
	if len(ev) != 2 {
		t.Fatalf("OnSent told %d times, want 2: %+v", len(ev), ev)
	}
	for _, s := range ev {
		if s.Err != nil || s.Domain != "rcv.example" || s.Successful != 4 || s.Failed != 2 || s.Day != "2026-12-01" {
			t.Errorf("event %+v", s)
		}
	}
	if v := counter(t, w.reg, "sent"); v != 2 {
		t.Errorf("sealgate_tlsrpt_reports_total{result=sent} = %v, want 2", v)
	}
	if v := counter(t, w.reg, "failed"); v != 0 {
		t.Errorf("sealgate_tlsrpt_reports_total{result=failed} = %v, want 0", v)
	}
	// Forgotten: another run sends nothing.
	if n, err := r.SendDue(context.Background()); n != 0 || err != nil {
		t.Errorf("second SendDue sent %d, %v", n, err)
	}
	r.mu.Lock()
	left := len(r.days)
	r.mu.Unlock()
	if left != 0 {
		t.Errorf("%d days left after sending", left)
	}
}

func checkReport(t *testing.T, rep Report) {
	t.Helper()
	if rep.OrganizationName != "Example Health" || rep.ContactInfo != "tls-reports@sender.example" {
		t.Errorf("organization/contact %q %q", rep.OrganizationName, rep.ContactInfo)
	}
	if rep.ReportID != "2026-12-01.rcv.example@mx.sender.example" {
		t.Errorf("report-id %q", rep.ReportID)
	}
	if !rep.DateRange.Start.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || !rep.DateRange.End.Equal(time.Date(2026, 12, 1, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("date-range %v", rep.DateRange)
	}
	if len(rep.Policies) != 1 {
		t.Fatalf("policies %+v", rep.Policies)
	}
	p := rep.Policies[0]
	if p.Policy.Type != "sts" || p.Policy.Domain != "rcv.example" || strings.Join(p.Policy.String, "|") != strings.Join(stsLines, "|") ||
		len(p.Policy.MXHost) != 1 || p.Policy.MXHost[0] != "*.rcv.example" {
		t.Errorf("policy %+v", p.Policy)
	}
	if p.Summary.Successful != 4 || p.Summary.Failed != 2 {
		t.Errorf("summary %+v, want 4 ok 2 failed", p.Summary)
	}
	want := FailureDetail{ResultType: "starttls-not-supported", SendingMTAIP: "198.51.100.1", ReceivingMXHostname: "mx2.rcv.example", ReceivingIP: "192.0.2.11", FailedSessionCount: 2}
	if len(p.FailureDetails) != 1 || p.FailureDetails[0] != want {
		t.Errorf("failure-details %+v, want %+v", p.FailureDetails, want)
	}
}

// checkMail parses the report mail as a receiver would (RFC 8460 §5.3).
func checkMail(t *testing.T, data []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	if h.Get("TLS-Report-Domain") != "rcv.example" || h.Get("TLS-Report-Submitter") != "mx.sender.example" {
		t.Errorf("TLS-Report-* %q %q", h.Get("TLS-Report-Domain"), h.Get("TLS-Report-Submitter"))
	}
	if subj := strings.Join(strings.Fields(h.Get("Subject")), " "); subj != "Report Domain: rcv.example Submitter: mx.sender.example Report-ID: <2026-12-01.rcv.example@mx.sender.example>" {
		t.Errorf("Subject %q", subj)
	}
	if h.Get("To") != "tlsrpt@reports.example" || h.Get("From") != "tlsrpt-noreply@mx.sender.example" {
		t.Errorf("To/From %q %q", h.Get("To"), h.Get("From"))
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "tlsrpt" {
		t.Fatalf("Content-Type %q: %v", h.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	var rep *Report
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct := p.Header.Get("Content-Type")
		types = append(types, ct)
		if ct != "application/tlsrpt+gzip" {
			continue
		}
		_, dp, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if dp["filename"] != "mx.sender.example!rcv.example!1796083200!1796169599.json.gz" {
			t.Errorf("filename %q", dp["filename"])
		}
		zr, err := gzip.NewReader(base64.NewDecoder(base64.StdEncoding, p))
		if err != nil {
			t.Fatal(err)
		}
		rep = &Report{}
		if err := json.NewDecoder(zr).Decode(rep); err != nil {
			t.Fatal(err)
		}
	}
	if len(types) != 2 || !strings.HasPrefix(types[0], "text/plain") {
		t.Errorf("parts %q", types)
	}
	if rep == nil {
		t.Fatal("no application/tlsrpt+gzip part")
	}
	checkReport(t, *rep)
}

// TestFailedPOSTIsNotRetried: a 500, and a receiver whose certificate we do
// not trust, each count as failed; the day is forgotten all the same.
func TestFailedPOSTIsNotRetried(t *testing.T) {
	w := newWorld(t)
	w.rcv.status = http.StatusInternalServerError
	w.dns.Add(`_smtp._tls.rcv.example. 300 IN TXT "v=TLSRPTv1;rua=` + w.rcv.srv.URL + `/tlsrpt"`)
	other := newReceiver(t, testpki.SelfSignedTLS(t, "127.0.0.1"))
	w.dns.Add(`_smtp._tls.untrusted.example. 300 IN TXT "v=TLSRPTv1; rua=` + other.srv.URL + `/tlsrpt"`)
	r := w.open(t, nil)
	defer r.Close()
	r.Record(Result{Domain: "rcv.example", PolicyType: PolicyNone, ReceivingMX: "mx.rcv.example"})
	r.Record(Result{Domain: "untrusted.example", PolicyType: PolicyNone, ReceivingMX: "mx.untrusted.example"})
	w.clk.Add(24 * time.Hour)
	n, err := r.SendDue(context.Background())
	if n != 0 || err != nil {
		t.Fatalf("SendDue = %d, %v; want 0 sent, no error", n, err)
	}
	if len(other.got()) != 0 {
		t.Error("report POSTed to a server whose certificate is not trusted")
	}
	if v := counter(t, w.reg, "failed"); v != 2 {
		t.Errorf("failed = %v, want 2", v)
	}
	for _, s := range w.sentEvents() {
		if s.Err == nil {
			t.Errorf("event %+v has no error", s)
		}
	}
	if n, _ := r.SendDue(context.Background()); n != 0 || len(w.sentEvents()) != 2 {
		t.Errorf("retried: %d sent, %d events", n, len(w.sentEvents()))
	}
}

// TestCountsAreBounded: domains per day, failure rows per domain.
func TestCountsAreBounded(t *testing.T) {
	w := newWorld(t)
	r := w.open(t, func(o *Options) { o.MaxDomains, o.MaxDetails, o.MaxPolicies = 2, 2, 1 })
	for _, d := range []string{"a.example", "b.example", "c.example", "d.example"} {
		r.Record(Result{Domain: d, PolicyType: PolicyNone})
	}
	for _, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.1"} {
		r.Record(Result{Domain: "a.example", PolicyType: PolicyNone, Failure: "validation-failure", ReceivingIP: ip})
	}
	r.Record(Result{Domain: "a.example", PolicyType: PolicyTLSA, Failure: "tlsa-invalid"})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r = w.open(t, nil)
	defer r.Close()
	da := r.days["2026-12-01"]
	if da == nil || len(da.domains) != 2 || da.dropped != 2 {
		t.Fatalf("day after reopen: %+v", da)
	}
	a := da.domains["a.example"]
	if len(a.Policies) != 1 || a.Policies[0].Successful != 1 || a.Policies[0].Failed != 4 || len(a.Policies[0].Details) != 2 || a.Dropped != 2 {
		t.Fatalf("a.example: %+v dropped %d", a.Policies[0], a.Dropped)
	}
	if a.Policies[0].Details[0].Count != 2 {
		t.Errorf("first row counts %d, want 2", a.Policies[0].Details[0].Count)
	}
}

// TestOldDaysAreDroppedUnsent: a day older than MaxAge is not reported.
func TestOldDaysAreDroppedUnsent(t *testing.T) {
	w := newWorld(t)
	w.dns.Add(`_smtp._tls.rcv.example. 300 IN TXT "v=TLSRPTv1; rua=` + w.rcv.srv.URL + `/tlsrpt"`)
	r := w.open(t, nil)
	defer r.Close()
	r.Record(Result{Domain: "rcv.example", PolicyType: PolicyNone})
	w.clk.Add(10 * 24 * time.Hour)
	if n, err := r.SendDue(context.Background()); n != 0 || err != nil || len(w.rcv.got()) != 0 {
		t.Fatalf("sent %d (%v), receiver %d", n, err, len(w.rcv.got()))
	}
	if len(r.days) != 0 {
		t.Error("old day kept")
	}
}

// TestNextDelayAfterRestartWithPendingDays: a day left from before a
// restart is sent within the hour, not the next midnight.
func TestNextDelayAfterRestartWithPendingDays(t *testing.T) {
	w := newWorld(t)
	r := w.open(t, nil)
	defer r.Close()
	if d := r.nextDelay(); d != 14*time.Hour+17*time.Minute {
		t.Errorf("no pending: %s", d)
	}
	r.Record(Result{Domain: "rcv.example", PolicyType: PolicyNone})
	w.clk.Add(24 * time.Hour)
	if d := r.nextDelay(); d != 18*time.Minute {
		t.Errorf("pending: %s, want 1m + jitter", d)
	}
}

func TestParseRecords(t *testing.T) {
	for _, tc := range []struct {
		txts []string
		want string // rua joined by ","; "" = ErrNoRecord
	}{
		{[]string{"v=TLSRPTv1; rua=mailto:a@b.example"}, "mailto:a@b.example"},
		{[]string{"v=TLSRPTv1;rua=https://r.example/x, mailto:a@b.example"}, "https://r.example/x,mailto:a@b.example"},
		{[]string{"v=TLSRPTv1; rua=mailto:a%40b@c.example"}, ""},
		{[]string{"v=TLSRPTv1; rua=http://r.example/x"}, ""},
		{[]string{"v=TLSRPTv1; rua=ftp://r.example/x,mailto:a@b.example"}, "mailto:a@b.example"},
		{[]string{"v=TLSRPTv1; rua=mailto:a@b.example", "v=TLSRPTv1; rua=mailto:c@d.example"}, ""},
		{[]string{"v=TLSRPTv2; rua=mailto:a@b.example"}, ""},
		{[]string{"v=TLSRPTv1"}, ""},
		{[]string{"rua=mailto:a@b.example; v=TLSRPTv1"}, ""},
		{nil, ""},
	} {
		got, err := ParseRecords(tc.txts)
		var s []string
		for _, u := range got {
			s = append(s, u.String())
		}
		if strings.Join(s, ",") != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("%q: %q, %v; want %q", tc.txts, s, err, tc.want)
		}
	}
}

func TestOpenNeedsOrganizationAndContact(t *testing.T) {
	_, err := Open(Options{Path: filepath.Join(t.TempDir(), "x.db"), Submitter: "h"})
	if err == nil || !strings.Contains(err.Error(), "Organization") || !strings.Contains(err.Error(), "Contact") {
		t.Fatalf("err %v", err)
	}
}

// counter reads sealgate_tlsrpt_reports_total{result} from a scrape of reg.
func counter(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "sealgate_tlsrpt_reports_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no sealgate_tlsrpt_reports_total{result=%q}", result)
	return 0
}
