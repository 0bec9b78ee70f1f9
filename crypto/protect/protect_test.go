package protect

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

const original = "Received: from upstream\r\nFrom: Dr A <a@clinic.test>\r\nTo: b@partner.test\r\nBcc: secret@clinic.test\r\n" +
	"Resent-Bcc: resent-secret@clinic.test\r\n" +
	"Subject: Biopsy results for J. Doe\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m1@clinic.test>\r\n" +
	"MIME-Version: 1.0\r\nX-Patient: 12345\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
	"--b1\r\nContent-Type: text/plain\r\n\r\nbody\r\n--b1--\r\n"

func TestSubjectMovesInsideAndBccDisappears(t *testing.T) {
	outer, inner, err := Split(strings.NewReader(original), Options{Mode: ModeRFC9788})
	if err != nil {
		t.Fatal(err)
	}
	var ob bytes.Buffer
	textproto.WriteHeader(&ob, outer)
	in, _ := io.ReadAll(inner)
	inner.Close()
	os, is := ob.String(), string(in)
	if strings.Contains(os, "Biopsy") || !strings.Contains(os, "Subject: [...]") {
		t.Errorf("outer subject:\n%s", os)
	}
	if strings.Contains(os+is, "secret@clinic.test") {
		t.Error("Bcc or Resent-Bcc survived")
	}
	for _, h := range []string{"From: Dr A", "To: b@partner.test", "Date: ", "Message-ID: <m1@clinic.test>", "Received: from upstream", "MIME-Version: 1.0"} {
		if !strings.Contains(os, h) {
			t.Errorf("outer lacks %q:\n%s", h, os)
		}
	}
	if strings.Contains(os, "X-Patient") || strings.Contains(os, "Content-Type") {
		t.Errorf("outer keeps content or private headers:\n%s", os)
	}
	if !strings.Contains(is, "Subject: Biopsy results for J. Doe\r\n") || !strings.Contains(is, "X-Patient: 12345") ||
		!strings.Contains(is, `protected-headers=v1`) || !strings.Contains(is, "From: Dr A") {
		t.Errorf("inner:\n%s", is)
	}
	if !strings.HasSuffix(is, "\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nbody\r\n--b1--\r\n") {
		t.Errorf("inner body not streamed unchanged:\n%q", is)
	}
	// Header order is kept.
	if strings.Index(is, "From:") > strings.Index(is, "Subject:") {
		t.Errorf("inner header order changed:\n%s", is)
	}
}

func TestMessageWithoutContentTypeGetsTextPlain(t *testing.T) {
	_, inner, err := Split(strings.NewReader("Subject: x\r\n\r\nhello\r\n"), Options{Subject: "Encrypted", Mode: ModeRFC9788})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := io.ReadAll(inner)
	inner.Close()
	if !strings.Contains(string(in), "Content-Type: text/plain;") || !strings.HasSuffix(string(in), "\r\n\r\nhello\r\n") {
		t.Fatalf("inner:\n%s", in)
	}
}

// Trace fields stay on top of the encrypted copy, in order, above what the
// encrypting caller sets; an upstream's DKIM and ARC signatures, which
// the new body breaks, are gone from both parts.
func TestTraceStaysOnTopAndUpstreamSignaturesGo(t *testing.T) {
	msg := "Received: from b.upstream by sealgate\r\nDKIM-Signature: v=1; d=clinic.test; bh=x; b=y\r\n" +
		"ARC-Seal: i=1; cv=none\r\nARC-Message-Signature: i=1; b=z\r\nARC-Authentication-Results: i=1; spf=pass\r\n" +
		"Received: from a.upstream by b.upstream\r\nAuthentication-Results: upstream; dkim=pass\r\n" +
		"From: a@clinic.test\r\nSubject: MRN 1234\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
	outer, inner, err := Split(strings.NewReader(msg), Options{})
	if err != nil {
		t.Fatal(err)
	}
	outer.Set("Content-Type", "application/pkcs7-mime; smime-type=enveloped-data")
	var ob bytes.Buffer
	if err := WriteHeader(&ob, outer); err != nil {
		t.Fatal(err)
	}
	in, _ := io.ReadAll(inner)
	inner.Close()
	want := "Received: from b.upstream by sealgate\r\nReceived: from a.upstream by b.upstream\r\nAuthentication-Results: upstream; dkim=pass\r\n"
	if !strings.HasPrefix(ob.String(), want) {
		t.Errorf("outer header does not start with the trace block:\n%s", ob.String())
	}
	if !strings.HasSuffix(ob.String(), "\r\n\r\n") || strings.Count(ob.String(), "\r\n\r\n") != 1 {
		t.Errorf("outer header not ended by one blank line:\n%q", ob.String())
	}
	for _, h := range []string{"DKIM-Signature", "ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results"} {
		if strings.Contains(ob.String()+string(in), h) {
			t.Errorf("%s survived encryption", h)
		}
	}
}
