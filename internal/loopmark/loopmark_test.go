package loopmark

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	gotextproto "github.com/emersion/go-message/textproto"
)

var now = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)

const pgpHeader = "Message-ID: <abc.123@clinic.example>\r\n" +
	"From: \"Dr. Lee\" <Dr.Lee@Clinic.example>\r\n" +
	"To: <pat@patient.example>\r\n" +
	"Subject: ...\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n boundary=\"b1\"\r\n\r\n"

func key(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func marker(t testing.TB, k []byte, old ...[]byte) *Marker {
	t.Helper()
	m, err := New(k, old...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func header(t testing.TB, raw string) *gotextproto.Header {
	t.Helper()
	h, err := gotextproto.ReadHeader(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return &h
}

// marked returns raw with a mark made by m added on top, as bytes on the wire.
func marked(t testing.TB, m *Marker, raw, method string, at time.Time) string {
	t.Helper()
	h := header(t, raw)
	name, value, err := m.Header(method, "S1a2b3", h, at)
	if err != nil {
		t.Fatal(err)
	}
	h.Add(name, value)
	var b bytes.Buffer
	if err := gotextproto.WriteHeader(&b, *h); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRoundTrip(t *testing.T) {
	m := marker(t, key(t))
	h := header(t, marked(t, m, pgpHeader, "pgp", now))
	got, ok := m.Check(h, now.Add(time.Hour))
	if !ok || got.Method != "pgp" || got.ID != "S1a2b3" || !got.Time.Equal(now) {
		t.Fatalf("Check = %+v, %v", got, ok)
	}
	// net/textproto.MIMEHeader satisfies Headers too.
	mh := textproto.MIMEHeader{}
	for _, k := range []string{"Message-Id", "From", "Content-Type", Name} {
		mh[textproto.CanonicalMIMEHeaderKey(k)] = h.Values(k)
	}
	if _, ok := m.Check(mh, now); !ok {
		t.Error("MIMEHeader: valid mark refused")
	}
}

// TestSurvivesRelayRewrites applies what Exchange Online and other relays
// do to a message they pass back: add fields, re-fold, re-encode the
// sender's display name, new boundary, different case and parameter order.
func TestSurvivesRelayRewrites(t *testing.T) {
	m := marker(t, key(t))
	value := header(t, marked(t, m, pgpHeader, "pgp", now)).Get(Name)
	refolded := strings.ReplaceAll(value, "; ", ";\r\n\t")
	rewritten := "Received: from gw by mx.protection.outlook.com; Wed, 2 Dec 2026 08:01:00 +0000\r\n" +
		"X-MS-Exchange-Organization-SCL: -1\r\n" +
		Name + ": " + refolded + "\r\n" +
		"Message-ID:\r\n <abc.123@clinic.example>\r\n" +
		"From: =?utf-8?q?Dr=2E_Lee?= <dr.lee@clinic.example>\r\n" +
		"To: pat@patient.example\r\n" +
		"Content-Type: Multipart/Encrypted;\r\n boundary=\"_000_new_boundary_\"; PROTOCOL=\"Application/PGP-Encrypted\"\r\n\r\n"
	if got, ok := m.Check(header(t, rewritten), now.Add(time.Minute)); !ok || got.Method != "pgp" {
		t.Fatalf("rewritten copy refused:\n%s", rewritten)
	}
	// S/MIME: the x- alias, another name, and re-cased parameters.
	smime := strings.Replace(pgpHeader, "multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n boundary=\"b1\"",
		"application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"", 1)
	wire := marked(t, m, smime, "smime", now)
	wire = strings.Replace(wire, "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"",
		"application/x-pkcs7-mime;\r\n\tname=smime.p7m; Smime-Type=Enveloped-Data", 1)
	if !strings.Contains(wire, "x-pkcs7-mime") || !strings.Contains(smime, "pkcs7-mime") {
		t.Fatalf("rewrite did not apply:\n%s", wire)
	}
	if got, ok := m.Check(header(t, wire), now); !ok || got.Method != "smime" {
		t.Fatalf("rewritten S/MIME copy refused:\n%s", wire)
	}
}

func TestInvalidMarks(t *testing.T) {
	m := marker(t, key(t))
	good := marked(t, m, pgpHeader, "pgp", now)
	cases := map[string]struct {
		raw string
		at  time.Time
	}{
		"other Message-ID": {strings.Replace(good, "abc.123@", "abc.124@", 1), now},
		"other From":       {strings.Replace(good, "Dr.Lee@", "Dr.Lea@", 1), now},
		"other type":       {strings.Replace(good, "multipart/encrypted", "multipart/mixed", 1), now},
		"other protocol":   {strings.Replace(good, "application/pgp-encrypted", "application/pgp-signature", 1), now},
		"no Content-Type":  {strings.Replace(good, "Content-Type:", "X-Old-Content-Type:", 1), now},
		"method changed":   {strings.Replace(good, "m=pgp", "m=tls", 1), now},
		"id changed":       {strings.Replace(good, "id=S1a2b3", "id=S1a2b4", 1), now},
		"time changed":     {strings.Replace(good, "t="+unix(now), "t="+unix(now.Add(-time.Minute)), 1), now},
		"version changed":  {strings.Replace(good, "v=1", "v=2", 1), now},
		"expired":          {good, now.Add(MaxAge + time.Second)},
		"from the future":  {good, now.Add(-MaxSkew - time.Second)},
		"mac flipped":      {flipMAC(good), now},
		"no mark":          {pgpHeader, now},
		"empty mark":       {Name + ": \r\n" + pgpHeader, now},
		"tag twice":        {strings.Replace(good, "v=1;", "v=1; v=1;", 1), now},
		"tag missing":      {strings.Replace(good, "v=1; ", "", 1), now},
		"unknown tag":      {strings.Replace(good, "v=1;", "v=1; x=2;", 1), now},
	}
	for name, c := range cases {
		if got, ok := m.Check(header(t, c.raw), c.at); ok {
			t.Errorf("%s: accepted as %+v", name, got)
		}
	}
	if _, ok := marker(t, key(t)).Check(header(t, good), now); ok {
		t.Error("a mark under another key accepted")
	}
	// Edges of the window are inside it.
	for _, at := range []time.Time{now.Add(MaxAge), now.Add(-MaxSkew)} {
		if _, ok := m.Check(header(t, good), at); !ok {
			t.Errorf("check at %v: refused", at)
		}
	}
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestMalformedValues(t *testing.T) {
	mac := "mac=" + strings.Repeat("A", 43)
	good := "v=1; t=1796198400; m=pgp; id=S1; " + mac
	if _, err := parse(good); err != nil {
		t.Fatalf("good value refused: %v", err)
	}
	for _, v := range []string{
		"", ";", good + ";", good + "; v=1", "v=1; t=1796198400; m=pgp; id=S1", // shape
		strings.Replace(good, "t=", "t=+", 1), strings.Replace(good, "t=", "t=0", 1), strings.Replace(good, "t=1796198400", "t=-5", 1),
		strings.Replace(good, "t=1796198400", "t=99999999999999999999", 1), strings.Replace(good, "t=1796198400", "t=", 1),
		strings.Replace(good, "m=pgp", "m=PGP", 1), strings.Replace(good, "m=pgp", "m=", 1), strings.Replace(good, "id=S1", "id=S/1", 1),
		strings.Replace(good, mac, mac+"=", 1), strings.Replace(good, mac, mac+"AA", 1), strings.Replace(good, mac, "mac="+strings.Repeat("+", 43), 1),
		strings.Replace(good, "v=1", "v=01", 1), strings.Replace(good, "v=1", "V=1", 1), good + strings.Repeat(" ", 600),
	} {
		if f, err := parse(v); err == nil {
			t.Errorf("parse(%q) = %+v", v, f)
		}
	}
}

// flipMAC changes one character of the mark's MAC.
func flipMAC(raw string) string {
	i := strings.Index(raw, "mac=") + 10
	c := byte('A')
	if raw[i] == 'A' {
		c = 'B'
	}
	return raw[:i] + string(c) + raw[i+1:]
}

func TestKeys(t *testing.T) {
	if _, err := New(make([]byte, 31)); err == nil {
		t.Error("31-byte key accepted")
	}
	if _, err := New(key(t), make([]byte, 16)); err == nil {
		t.Error("short old key accepted")
	}
	oldKey, newKey := key(t), key(t)
	wire := marked(t, marker(t, oldKey), pgpHeader, "smime", now)
	if _, ok := marker(t, newKey, oldKey).Check(header(t, wire), now); !ok {
		t.Error("mark under an old key refused after rotation")
	}
	if _, ok := marker(t, newKey).Check(header(t, wire), now); ok {
		t.Error("mark under a dropped key accepted")
	}
	m := marker(t, key(t))
	for _, bad := range [][2]string{{"PGP", "id"}, {"", "id"}, {"pgp", ""}, {"pgp", "a b"}, {"pgp;x=1", "id"}, {"pgp", "id;mac=x"}} {
		if _, _, err := m.Header(bad[0], bad[1], header(t, pgpHeader), now); err == nil {
			t.Errorf("Header(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

func TestSeveralInstances(t *testing.T) {
	m := marker(t, key(t))
	older := marked(t, m, pgpHeader, "smime", now.Add(-time.Hour))
	h := header(t, older)
	_, newer, _ := m.Header("pgp", "S1a2b3", h, now)
	h.Add(Name, newer)
	h.Add(Name, "v=1; t=1; m=plain; id=forged; mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	if got, ok := m.Check(h, now); !ok || got.Method != "pgp" {
		t.Errorf("Check = %+v, %v: want the newest valid (pgp)", got, ok)
	}
	// Forgeries alone never pass, however many.
	f := header(t, pgpHeader)
	for i := 0; i < 3; i++ {
		f.Add(Name, "v=1; t=1764662400; m=pgp; id=x; mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	}
	if _, ok := m.Check(f, now); ok {
		t.Error("forged marks accepted")
	}
	for i := 0; i < maxInstances; i++ {
		h.Add(Name, "junk")
	}
	if _, ok := m.Check(h, now); ok {
		t.Error("more than maxInstances marks accepted")
	}
}

func TestStripAll(t *testing.T) {
	m := marker(t, key(t))
	h := header(t, marked(t, m, pgpHeader, "pgp", now))
	h.Add("x-sealgate-PROTECTED", "forged")
	if n := StripAll(h); n != 2 || h.Has(Name) {
		t.Errorf("StripAll removed %d, left %v", n, h.Values(Name))
	}
	if h.Get("Message-Id") == "" || h.Get("Content-Type") == "" {
		t.Error("StripAll removed other fields")
	}
	if n := StripAll(h); n != 0 {
		t.Errorf("second StripAll removed %d", n)
	}
}
