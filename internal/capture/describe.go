package capture

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"regexp"
	"strings"

	"github.com/emersion/go-message/mail"
)

// Description is what the web page says about a captured message: how it
// was protected, its subject as it travelled, and any portal link in it.
type Description struct {
	Message
	Subject string
	Method  string
	Links   []string
}

var portalLink = regexp.MustCompile(`https://[^\s"'<>]+/m/[A-Za-z0-9_\-]+`)

// Describe classifies m by its outer structure: PGP/MIME, S/MIME, a portal
// notice or code email (sealgate marks them), or the message as sent.
func Describe(m Message) Description {
	d := Description{Message: m, Method: "as sent"}
	mr, err := mail.CreateReader(bytes.NewReader(m.Data))
	if err != nil {
		return d
	}
	defer mr.Close()
	h := mr.Header
	d.Subject, _ = h.Subject()
	ct, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch {
	case ct == "multipart/encrypted" && strings.EqualFold(params["protocol"], "application/pgp-encrypted"):
		d.Method = "PGP/MIME"
	case ct == "application/pkcs7-mime" || ct == "application/x-pkcs7-mime":
		d.Method = "S/MIME"
	case h.Get("X-Sealgate-Notice") == "portal":
		d.Method = "portal notification"
	case h.Get("X-Sealgate-Notice") == "code":
		d.Method = "portal one-time code"
	case h.Get("X-Sealgate-Notice") != "":
		d.Method = "sealgate notice (" + h.Get("X-Sealgate-Notice") + ")"
	}
	if h.Get("X-Sealgate-Notice") == "" {
		return d
	}
	seen := map[string]bool{}
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if t, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); t != "text/plain" {
			continue
		}
		sc := bufio.NewScanner(io.LimitReader(p.Body, 1<<20))
		for sc.Scan() {
			for _, l := range portalLink.FindAllString(sc.Text(), -1) {
				if !seen[l] {
					seen[l] = true
					d.Links = append(d.Links, l)
				}
			}
		}
	}
	return d
}
