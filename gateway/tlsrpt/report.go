package tlsrpt

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"time"
)

// Policy types (RFC 8460 §4.4, "policy-type").
const (
	PolicySTS  = "sts"             // MTA-STS, RFC 8461
	PolicyTLSA = "tlsa"            // DANE, RFC 7672
	PolicyNone = "no-policy-found" // neither
)

// Report is the aggregate report of RFC 8460 §4.4.
type Report struct {
	OrganizationName string         `json:"organization-name"`
	DateRange        DateRange      `json:"date-range"`
	ContactInfo      string         `json:"contact-info"`
	ReportID         string         `json:"report-id"`
	Policies         []PolicyReport `json:"policies"`
}

// DateRange is the report's time range (RFC 3339 date-times, UTC).
type DateRange struct {
	Start time.Time `json:"start-datetime"`
	End   time.Time `json:"end-datetime"`
}

// PolicyReport is one applied policy with its counts.
type PolicyReport struct {
	Policy         Policy          `json:"policy"`
	Summary        Summary         `json:"summary"`
	FailureDetails []FailureDetail `json:"failure-details,omitempty"`
}

// Policy is the policy a session was held to.
type Policy struct {
	Type   string   `json:"policy-type"`
	String []string `json:"policy-string,omitempty"`
	Domain string   `json:"policy-domain"`
	MXHost []string `json:"mx-host,omitempty"`
}

// Summary counts the sessions under one policy.
type Summary struct {
	Successful int64 `json:"total-successful-session-count"`
	Failed     int64 `json:"total-failure-session-count"`
}

// FailureDetail is one kind of failed session (RFC 8460 §4.3).
type FailureDetail struct {
	ResultType          string `json:"result-type"`
	SendingMTAIP        string `json:"sending-mta-ip,omitempty"`
	ReceivingMXHostname string `json:"receiving-mx-hostname,omitempty"`
	ReceivingIP         string `json:"receiving-ip,omitempty"`
	FailedSessionCount  int64  `json:"failed-session-count"`
}

// dayRange is the report range of day ("2006-01-02"): its first and last
// second, as RFC 8460 §4.4's example has it.
func dayRange(day string) (DateRange, error) {
	start, err := time.Parse(dayLayout, day)
	if err != nil {
		return DateRange{}, fmt.Errorf("tlsrpt: bad day %q", day)
	}
	return DateRange{Start: start, End: start.Add(24*time.Hour - time.Second)}, nil
}

// build makes the report of domain for day from its counts.
func build(org, contact, submitter, day, domain string, dd *domainDay) (*Report, error) {
	dr, err := dayRange(day)
	if err != nil {
		return nil, err
	}
	rep := &Report{OrganizationName: org, DateRange: dr, ContactInfo: contact, ReportID: reportID(day, domain, submitter)}
	for _, p := range dd.Policies {
		pr := PolicyReport{
			Policy:  Policy{Type: p.Type, String: p.String, Domain: domain, MXHost: p.MXHost},
			Summary: Summary{Successful: p.Successful, Failed: p.Failed},
		}
		for _, d := range p.Details {
			pr.FailureDetails = append(pr.FailureDetails, FailureDetail{ResultType: d.ResultType,
				SendingMTAIP: d.SendingIP, ReceivingMXHostname: d.ReceivingMX, ReceivingIP: d.ReceivingIP, FailedSessionCount: d.Count})
		}
		rep.Policies = append(rep.Policies, pr)
	}
	return rep, nil
}

// reportID is the same for the same day, domain and submitter, so a report
// sent twice (a crash between sending and forgetting it) can be recognised
// by the receiver as one. It is a dot-atom "@" domain, as RFC 8460 §5.3's
// Subject wants inside <>.
func reportID(day, domain, submitter string) string {
	return day + "." + domain + "@" + submitter
}

// gzipJSON is the report as gzip-compressed JSON (application/tlsrpt+gzip).
func gzipJSON(rep *Report) ([]byte, error) {
	js, err := json.Marshal(rep)
	if err != nil {
		return nil, fmt.Errorf("tlsrpt: encode report: %w", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(js); err != nil {
		return nil, fmt.Errorf("tlsrpt: gzip report: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("tlsrpt: gzip report: %w", err)
	}
	return buf.Bytes(), nil
}

// filename is RFC 8460 §5.1's: sender!policy-domain!begin!end.json.gz.
func filename(submitter, domain string, dr DateRange) string {
	return fmt.Sprintf("%s!%s!%d!%d.json.gz", submitter, domain, dr.Start.Unix(), dr.End.Unix())
}
