package tlsrpt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Result is the TLS outcome of one SMTP session to an MX host of Domain.
type Result struct {
	Domain       string   // the policy domain: the recipient domain, A-label, lower case
	PolicyType   string   // PolicySTS, PolicyTLSA or PolicyNone
	PolicyString []string // sts: the policy's lines; tlsa: the TLSA records
	MXHost       []string // sts: the policy's mx patterns
	// Failure is the RFC 8460 result-type; "" for a successful session.
	Failure     string
	SendingIP   string // our address on the connection, if it got that far
	ReceivingMX string // the MX host name
	ReceivingIP string // the address we connected (or tried) to
}

// TXTResolver looks up TXT records; (nil, nil) when there are none.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// MailFunc queues msg (a complete RFC 5322 message) for delivery to rcpt
// and returns its queue ID. The gateway's own queue: it DKIM-signs and
// retries it, and never reports on its delivery (RFC 8460 §5.3).
type MailFunc func(ctx context.Context, rcpt string, msg []byte) (id string, err error)

// Sent says what became of one report to one rua destination.
type Sent struct {
	Day, Domain, ReportID string
	Method                string // "https" or "mailto"
	Destination           string // the rua URI
	MsgID                 string // mailto: the queued message's ID
	Successful, Failed    int64  // sessions the report covers
	Err                   error  // nil: POSTed (2xx) or queued
}

// Options configure a Reporter. Path, Organization, Contact and
// Submitter are required.
type Options struct {
	Path         string // the bbolt file of the counts
	Organization string // organization-name
	Contact      string // contact-info (an address or URL)
	Submitter    string // our host name: TLS-Report-Submitter, report IDs, file names
	From         string // From: of mailed reports; default tlsrpt-noreply@Submitter

	Resolver TXTResolver  // for _smtp._tls TXT records; required by SendDue
	HTTP     *http.Client // for https rua; default: verified TLS, 60 s timeout
	Mail     MailFunc     // for mailto rua; nil: mailto destinations are skipped

	OnSent     func(Sent) // told of every report sent or failed (the audit record)
	Registerer prometheus.Registerer
	Logger     *slog.Logger

	Now   func() time.Time                     // default time.Now
	After func(time.Duration) <-chan time.Time // default time.After
	// Jitter returns the random delay after midnight; default uniform in
	// [0, 1h).
	Jitter func() time.Duration

	MaxDomains    int           // per day; default 10000
	MaxPolicies   int           // per domain and day; default 16
	MaxDetails    int           // failure-details rows per domain and day; default 100
	MaxAge        time.Duration // older unsent days are dropped; default 7 days
	FlushInterval time.Duration // default 10 s
}

// Reporter counts sessions and sends the daily reports; safe for
// concurrent use.
type Reporter struct {
	o       Options
	lim     limits
	log     *slog.Logger
	reports *prometheus.CounterVec

	mu   sync.Mutex
	st   *store
	days map[string]*dayAgg

	sendMu sync.Mutex // one SendDue at a time
}

// Open loads the stored counts and returns a Reporter.
func Open(o Options) (*Reporter, error) {
	var errs []error
	for _, f := range []struct{ name, v string }{{"Path", o.Path}, {"Organization", o.Organization}, {"Contact", o.Contact}, {"Submitter", o.Submitter}} {
		if f.v == "" {
			errs = append(errs, fmt.Errorf("tlsrpt: %s is required", f.name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if o.From == "" {
		o.From = "tlsrpt-noreply@" + o.Submitter
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	// A redirect may not lead the report to plain http (§5.4: https only).
	hc := *o.HTTP
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" || len(via) >= 5 {
			return errors.New("tlsrpt: redirect refused (https only, at most 5)")
		}
		return nil
	}
	o.HTTP = &hc
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Jitter == nil {
		o.Jitter = func() time.Duration { return rand.N(time.Hour) }
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxDomains, 10000)
	def(&o.MaxPolicies, 16)
	def(&o.MaxDetails, 100)
	if o.MaxAge <= 0 {
		o.MaxAge = 7 * 24 * time.Hour
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 10 * time.Second
	}
	r := &Reporter{o: o, log: o.Logger, lim: limits{o.MaxDomains, o.MaxPolicies, o.MaxDetails},
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sealgate_tlsrpt_reports_total",
			Help: "TLSRPT (RFC 8460) reports by result: sent (POSTed or queued as mail) or failed, per rua destination.",
		}, []string{"result"})}
	for _, l := range []string{"sent", "failed"} {
		r.reports.WithLabelValues(l) // present at 0 from the start
	}
	if o.Registerer != nil {
		if err := o.Registerer.Register(r.reports); err != nil {
			return nil, fmt.Errorf("tlsrpt: register metrics: %w", err)
		}
	}
	st, days, err := openStore(o.Path)
	if err != nil {
		return nil, err
	}
	r.st, r.days = st, days
	return r, nil
}

// Record counts one session's outcome under today's UTC day. It never
// blocks on disk: Flush writes the counts.
func (r *Reporter) Record(res Result) {
	if res.Domain == "" || res.PolicyType == "" {
		return
	}
	day := r.o.Now().UTC().Format(dayLayout)
	r.mu.Lock()
	defer r.mu.Unlock()
	da := r.days[day]
	if da == nil {
		da = newDayAgg()
		r.days[day] = da
	}
	da.add(res, r.lim)
}

// Flush writes the counts recorded since the last flush.
func (r *Reporter) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flushLocked()
}

func (r *Reporter) flushLocked() error {
	if err := r.st.write(r.days); err != nil {
		return fmt.Errorf("tlsrpt: write counts: %w", err)
	}
	for _, da := range r.days {
		clear(da.dirty)
		da.droppedDirty = false
	}
	return nil
}

// Close writes the counts and closes the file. Stop Run first.
func (r *Reporter) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.flushLocked(), r.st.close())
}

// Run flushes every FlushInterval and sends the reports of past days once
// a day, after 00:00 UTC plus Jitter (at once, plus Jitter, when past days
// are waiting, e.g. after a restart), until ctx ends.
func (r *Reporter) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(r.o.FlushInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := r.Flush(); err != nil {
					r.log.Error("tlsrpt: saving counts failed", "err", err)
				}
			}
		}
	}()
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.o.After(r.nextDelay()):
		}
		if _, err := r.SendDue(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("tlsrpt: sending reports failed", "err", err)
		}
	}
}

// nextDelay is how long Run waits before the next SendDue.
func (r *Reporter) nextDelay() time.Duration {
	now := r.o.Now().UTC()
	today := now.Format(dayLayout)
	r.mu.Lock()
	pending := false
	for day := range r.days {
		if day < today {
			pending = true
		}
	}
	r.mu.Unlock()
	if pending {
		// At least a minute, so a day that cannot be forgotten (a disk
		// error) does not make a busy loop.
		return time.Minute + r.o.Jitter()
	}
	midnight := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	return midnight.Sub(now) + r.o.Jitter()
}

// SendDue sends the reports of every day before today (UTC) and forgets
// those days' counts, sent or not. It returns how many reports were sent.
func (r *Reporter) SendDue(ctx context.Context) (int, error) {
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	now := r.o.Now().UTC()
	today := now.Format(dayLayout)
	oldest := now.Add(-r.o.MaxAge).Format(dayLayout)
	r.mu.Lock()
	if err := r.flushLocked(); err != nil {
		r.mu.Unlock()
		return 0, err
	}
	var days []string
	for day := range r.days {
		if day < today {
			days = append(days, day)
		}
	}
	r.mu.Unlock()
	sort.Strings(days)
	sent := 0
	var errs []error
	for _, day := range days {
		if day < oldest {
			r.log.Warn("tlsrpt: dropping unsent counts of an old day", "day", day)
			errs = append(errs, r.forget(day, ""))
			continue
		}
		n, err := r.sendDay(ctx, day)
		sent += n
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return sent, errors.Join(errs...)
}

// sendDay sends and forgets every domain of day.
func (r *Reporter) sendDay(ctx context.Context, day string) (int, error) {
	r.mu.Lock()
	da := r.days[day]
	var doms []string
	var dropped int64
	if da != nil {
		for d := range da.domains {
			doms = append(doms, d)
		}
		dropped = da.dropped
	}
	r.mu.Unlock()
	if dropped > 0 {
		r.log.Warn("tlsrpt: sessions to domains over the daily limit were not counted", "day", day, "sessions", dropped, "max_domains", r.o.MaxDomains)
	}
	sort.Strings(doms)
	sent := 0
	var errs []error
	for _, dom := range doms {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		r.mu.Lock()
		dd := r.days[day].domains[dom]
		r.mu.Unlock()
		sent += r.sendDomain(ctx, day, dom, dd)
		errs = append(errs, r.forget(day, dom))
	}
	if ctx.Err() == nil {
		errs = append(errs, r.forget(day, ""))
	}
	return sent, errors.Join(errs...)
}

// forget deletes the counts of (day, domain), or of the whole day.
func (r *Reporter) forget(day, domain string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.st.forget(day, domain); err != nil {
		return fmt.Errorf("tlsrpt: forget %s %s: %w", day, domain, err)
	}
	if da := r.days[day]; da != nil {
		if domain == "" {
			delete(r.days, day)
		} else {
			delete(da.domains, domain)
			delete(da.dirty, domain)
		}
	}
	return nil
}

// sendDomain sends the report of dom for day to each of its rua; it
// returns how many were sent.
func (r *Reporter) sendDomain(ctx context.Context, day, dom string, dd *domainDay) int {
	if dd == nil || len(dd.Policies) == 0 {
		return 0
	}
	if r.o.Resolver == nil {
		return 0
	}
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	txts, err := r.o.Resolver.LookupTXT(lctx, "_smtp._tls."+dom+".")
	cancel()
	if err != nil {
		r.log.Info("tlsrpt: TLSRPT record lookup failed; no report", "day", day, "domain", dom, "err", err)
		return 0
	}
	ruas, err := ParseRecords(txts)
	if err != nil {
		r.log.Debug("tlsrpt: domain takes no reports", "day", day, "domain", dom, "err", err)
		return 0
	}
	if dd.Dropped > 0 {
		r.log.Warn("tlsrpt: sessions over the per-domain limits are missing from the report", "day", day, "domain", dom, "sessions", dd.Dropped)
	}
	rep, err := build(r.o.Organization, r.o.Contact, r.o.Submitter, day, dom, dd)
	if err != nil {
		r.log.Error("tlsrpt: building report failed", "day", day, "domain", dom, "err", err)
		return 0
	}
	gz, err := gzipJSON(rep)
	if err != nil {
		r.log.Error("tlsrpt: building report failed", "day", day, "domain", dom, "err", err)
		return 0
	}
	var ok, failed int64
	for _, p := range rep.Policies {
		ok += p.Summary.Successful
		failed += p.Summary.Failed
	}
	sent := 0
	for _, u := range ruas {
		s := Sent{Day: day, Domain: dom, ReportID: rep.ReportID, Method: u.Scheme, Destination: u.String(), Successful: ok, Failed: failed}
		switch u.Scheme {
		case "https":
			s.Err = r.post(ctx, u, gz)
		case "mailto":
			if r.o.Mail == nil {
				continue
			}
			var msg []byte
			msg, s.Err = r.mailMessage(u.Opaque, dom, rep, gz)
			if s.Err == nil {
				s.MsgID, s.Err = r.o.Mail(ctx, u.Opaque, msg)
			}
		}
		result := "sent"
		if s.Err != nil {
			result = "failed"
			r.log.Warn("tlsrpt: report not delivered", "day", day, "domain", dom, "rua", s.Destination, "err", s.Err)
		} else {
			sent++
			r.log.Info("tlsrpt: report sent", "day", day, "domain", dom, "rua", s.Destination, "report_id", rep.ReportID, "msg_id", s.MsgID)
		}
		r.reports.WithLabelValues(result).Inc()
		if r.o.OnSent != nil {
			r.o.OnSent(s)
		}
	}
	return sent
}

// post is RFC 8460 §5.4: POST the gzip with its media type; 2xx is done.
func (r *Reporter) post(ctx context.Context, u *url.URL, gz []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytesReader(gz))
	if err != nil {
		return fmt.Errorf("tlsrpt: %w", err)
	}
	req.Header.Set("Content-Type", "application/tlsrpt+gzip")
	resp, err := r.o.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("tlsrpt: POST: %w", err)
	}
	defer resp.Body.Close()
	drain(resp)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("tlsrpt: POST: %s", resp.Status)
	}
	return nil
}
